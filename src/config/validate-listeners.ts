/**
 * `api:` and `metrics:`, the two HTTP listeners. A section that is present without `enabled:` counts as
 * enabled (the guide shows `api:` without it); an absent section is disabled. The API listens on
 * 127.0.0.1:8080 and admits loopback only unless `allowed_networks` says otherwise (bare IPs are host
 * routes; an empty list means the default, as in the original). Metrics listen on :9090. Pure.
 */
import type { ProblemList } from './config-error.ts';
import { normaliseCidr } from './network-address.ts';
import { readBool, readListenAddress, readStringList, report } from './source-reader.ts';
import type { ApiConfig, MetricsConfig } from './types.ts';
import type { SourceMap } from './yaml-source.ts';

const DEFAULT_ALLOWED_NETWORKS = ['127.0.0.1/32', '::1/128'];

export function readApi(map: SourceMap, isPresent: boolean, problems: ProblemList): ApiConfig {
  const allowedNetworks: string[] = [];
  for (const { value, node } of readStringList(map, 'allowed_networks', problems, 'a list of CIDRs')) {
    const cidr = normaliseCidr(value);
    if (cidr === undefined) report(problems, node, `expected a CIDR such as 10.0.0.0/8, got ${JSON.stringify(value)}`);
    else allowedNetworks.push(cidr);
  }
  return {
    enabled: readBool(map, 'enabled', problems, isPresent),
    listen: readListenAddress(map, 'address', problems, { host: '127.0.0.1', port: 8080 }),
    allowedNetworks: allowedNetworks.length > 0 ? allowedNetworks : [...DEFAULT_ALLOWED_NETWORKS],
    trustProxyHeaders: readBool(map, 'trust_proxy_headers', problems, false),
  };
}

export function readMetrics(map: SourceMap, isPresent: boolean, problems: ProblemList): MetricsConfig {
  return {
    enabled: readBool(map, 'enabled', problems, isPresent),
    listen: readListenAddress(map, 'address', problems, { host: '', port: 9090 }),
  };
}
