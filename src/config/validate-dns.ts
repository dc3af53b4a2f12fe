/**
 * `dns:`: the listener and answer defaults, and the zones we are authoritative for. Zones come from
 * `dns.zones` and are implied by `domains`, so legacy configs without `dns.zones` still serve:
 * a domain outside every configured zone implies a zone at its parent (`app.demo.local` → `demo.local`),
 * except that a domain of one or two labels (`example.com`, `localhost`) is its own apex, so we never
 * claim a TLD. An implied zone inside another zone (configured or implied) is not added: the enclosing
 * zone already covers it. Pure.
 */
import type { ProblemList } from './config-error.ts';
import { isInZone, labelCount, normaliseDnsName } from './dns-name.ts';
import { asString, field, readBool, readDuration, readInt, readList, readListenAddress, readMap, readString, readStringList, report } from './source-reader.ts';
import type { DnsConfig, RateLimitConfig } from './types.ts';
import { normaliseCidr } from './network-address.ts';
import type { SourceMap } from './yaml-source.ts';

/** The dns section without implied zones (domains are read after it, using its default TTL). */
export function readDns(map: SourceMap, problems: ProblemList): DnsConfig {
  const zones: string[] = [];
  for (const node of readList(map, 'zones', problems, 'a list of zone names')) {
    const text = asString(node, problems);
    if (text === undefined) continue;
    const result = normaliseDnsName(text);
    if ('error' in result) report(problems, node, result.error);
    else if (!zones.includes(result.name)) zones.push(result.name);
  }
  return {
    listen: readListenAddress(map, 'listen_address', problems, { host: '', port: 53 }),
    zones,
    defaultTtlSeconds: readInt(map, 'default_ttl', problems, 60, { min: 0, max: 2_147_483_647 }),
    returnLastHealthy: readBool(map, 'return_last_healthy', problems, false),
    // RFC 6891 §6.2.5: below 512 means 512; 1232 is the DNS flag day 2020 size that avoids fragmentation.
    maxUdpPayload: readInt(map, 'max_udp_payload', problems, 1232, { min: 512, max: 65535 }),
    tcpIdleTimeoutMs: readDuration(map, 'tcp_idle_timeout', problems, 10_000, { minMs: 1 }),
    tcpMaxConnections: readInt(map, 'tcp_max_connections', problems, 1000, { min: 1, max: 1_000_000 }),
    tcpMaxConnectionsPerClient: readInt(map, 'tcp_max_connections_per_client', problems, 32, { min: 1, max: 1_000_000 }),
    rateLimit: readRateLimit(readMap(map, 'rate_limit', problems), problems),
    udpIo: readUdpIo(map, problems),
    // 256 is far past any core count we run on; the cap only catches typos (a port number, say).
    workers: readInt(map, 'workers', problems, 1, { min: 1, max: 256 }),
  };
}

const UDP_IO = ['auto', 'native', 'js'] as const;

/** `dns.udp_io`: whether the addon is really there is known only when the listener starts. */
function readUdpIo(map: SourceMap, problems: ProblemList): DnsConfig['udpIo'] {
  const text = readString(map, 'udp_io', problems, 'auto');
  const mode = UDP_IO.find((m) => m === text);
  if (mode === undefined) report(problems, field(map, 'udp_io')!, `expected one of ${UDP_IO.join(', ')}, got ${JSON.stringify(text)}`);
  return mode ?? 'auto';
}

/**
 * `dns.rate_limit`: on by default with generous limits (a resolver behind one /24 asking 200
 * answers a second is far past normal), so the server cannot be used as an amplifier.
 */
function readRateLimit(map: SourceMap, problems: ProblemList): RateLimitConfig {
  const exempt: string[] = [];
  const listed = readStringList(map, 'exempt', problems, 'a list of CIDRs');
  for (const { value, node } of listed) {
    const cidr = normaliseCidr(value);
    if (cidr === undefined) report(problems, node, `expected a CIDR such as 127.0.0.0/8, got ${JSON.stringify(value)}`);
    else exempt.push(cidr);
  }
  return {
    enabled: readBool(map, 'enabled', problems, true),
    responsesPerSecond: readInt(map, 'responses_per_second', problems, 200, { min: 1, max: 10_000_000 }),
    slip: readInt(map, 'slip', problems, 2, { min: 0, max: 100 }),
    ipv4PrefixLength: readInt(map, 'ipv4_prefix', problems, 24, { min: 8, max: 32 }),
    ipv6PrefixLength: readInt(map, 'ipv6_prefix', problems, 56, { min: 16, max: 128 }),
    exempt: listed.length > 0 ? exempt : ['127.0.0.0/8', '::1/128'],
  };
}

/** Configured zones followed by the zones implied by domains outside all of them. */
export function withImpliedZones(configured: readonly string[], domainNames: readonly string[]): string[] {
  const implied = domainNames
    .filter((name) => name !== '' && !configured.some((zone) => isInZone(name, zone)))
    .map((name) => (labelCount(name) <= 2 ? name : name.slice(name.indexOf('.') + 1)))
    .toSorted((a, b) => labelCount(a) - labelCount(b));
  const zones = [...configured];
  for (const zone of implied) if (!zones.some((z) => isInZone(zone, z))) zones.push(zone);
  return zones;
}
