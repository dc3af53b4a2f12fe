/**
 * Agent-side sections: `identity` (shared with the Overwatch: node id defaults to the host name; the
 * agent's service token and certificate paths), `backends` (the services this agent announces),
 * `heartbeat`, `predictive` (the guide's flat thresholds or the original's nested signals, never both
 * for one signal) and `latency_learning` (validated for the original's configs; not used yet). The
 * agent-only requirements (a token, at least one backend) apply only in agent mode. Pure.
 */
import { join } from 'node:path';
import type { ProblemList } from './config-error.ts';
import { isHostname, isIpLiteral } from './network-address.ts';
import {
  asList,
  asMap,
  asString,
  field,
  readBool,
  readDuration,
  readInt,
  readMap,
  readNumber,
  readString,
  report,
  reportMissing,
  type NumberRangeOption,
} from './source-reader.ts';
import type { AgentBackendConfig, HeartbeatConfig, IdentityConfig, Mode, PredictiveConfig, PredictiveSignalConfig, LatencyLearningConfig } from './types.ts';
import { readHealthCheck } from './validate-health-check.ts';
import { checkToken } from './validate-overwatch.ts';
import type { SourceMap, SourceNode } from './yaml-source.ts';

export function readIdentity(map: SourceMap, mode: Mode, dataDir: string, hostname: string, problems: ProblemList): IdentityConfig {
  const tokenNode = field(map, 'service_token');
  let serviceToken: string | undefined;
  if (tokenNode !== undefined) {
    const token = asString(tokenNode, problems, { secret: true });
    if (token !== undefined && checkToken(tokenNode, token, problems)) serviceToken = token;
  } else if (mode === 'agent') {
    reportMissing(problems, map, 'service_token', "required in agent mode: the token of this agent's services (the Overwatch's agent_tokens entry)");
  }
  const identity: IdentityConfig = {
    nodeId: readString(map, 'node_id', problems, hostname),
    region: readString(map, 'region', problems, ''),
    certPath: readString(map, 'cert_path', problems, join(dataDir, 'agent.crt')),
    keyPath: readString(map, 'key_path', problems, join(dataDir, 'agent.key')),
  };
  if (serviceToken !== undefined) identity.serviceToken = serviceToken;
  return identity;
}

export function readBackends(node: SourceNode | undefined, at: { file: string; line?: number; path: string }, mode: Mode, problems: ProblemList): AgentBackendConfig[] {
  const items = (node && asList(node, problems, 'a list of backends')) ?? [];
  if (mode === 'agent' && items.length === 0 && (node === undefined || node.kind === 'seq')) {
    report(problems, node ?? at, 'required in agent mode: at least one backend (service, address, port)');
  }
  const backends: AgentBackendConfig[] = [];
  for (const item of items) {
    const map = asMap(item, problems, 'a backend (a map with service, address and port)');
    if (map === undefined) continue;
    let service = '';
    if (field(map, 'service') === undefined) reportMissing(problems, map, 'service', 'required: the service name this backend serves (an agent_tokens key)');
    else service = readString(map, 'service', problems, '');

    let address = '';
    const addressNode = field(map, 'address');
    if (addressNode === undefined) reportMissing(problems, map, 'address', 'required: the IP address or hostname of the service');
    else {
      const text = asString(addressNode, problems);
      if (text !== undefined && !isIpLiteral(text) && !isHostname(text)) report(problems, addressNode, `expected an IP address or hostname, got ${JSON.stringify(text)}`);
      else if (text !== undefined) address = text;
    }

    let port = 0;
    if (field(map, 'port') === undefined) reportMissing(problems, map, 'port', 'required: the port the service listens on (1-65535)');
    else port = readInt(map, 'port', problems, 0, { min: 1, max: 65535 });

    backends.push({
      service,
      address,
      port,
      // 0 is kept: a drained backend (the original turned 0 into 100).
      weight: readInt(map, 'weight', problems, 100, { min: 0, max: 1_000_000 }),
      healthCheck: readHealthCheck(readMap(map, 'health_check', problems), problems),
    });
  }
  return backends;
}

export function readHeartbeat(map: SourceMap, problems: ProblemList): HeartbeatConfig {
  return {
    intervalMs: readDuration(map, 'interval', problems, 10_000, { minMs: 1000 }),
    missedThreshold: readInt(map, 'missed_threshold', problems, 3, { min: 1, max: 1000 }),
  };
}

const PERCENT: NumberRangeOption = { min: 0, max: 100, isMinExclusive: true };

export function readPredictive(map: SourceMap, problems: ProblemList): PredictiveConfig {
  const signal = (name: 'cpu' | 'memory' | 'error_rate', fallback: number, range: NumberRangeOption): PredictiveSignalConfig & { nested: SourceMap } => {
    const nested = readMap(map, name, problems);
    const flatKey = `${name}_threshold`;
    const flat = field(map, flatKey);
    const nestedThreshold = field(nested, 'threshold');
    if (flat !== undefined && nestedThreshold !== undefined) {
      report(problems, flat, `also set as ${name}.threshold (line ${nestedThreshold.line ?? '?'}); set it in one place only`);
    }
    const threshold = flat !== undefined ? readNumber(map, flatKey, problems, fallback, range) : readNumber(nested, 'threshold', problems, fallback, range);
    return { threshold, bleedDurationMs: readDuration(nested, 'bleed_duration', problems, 30_000, { minMs: 0 }), nested };
  };
  const cpu = signal('cpu', 90, PERCENT);
  const memory = signal('memory', 85, PERCENT);
  const errorRate = signal('error_rate', 10, { min: 0, isMinExclusive: true });
  const endpoint = field(errorRate.nested, 'endpoint') === undefined ? undefined : readString(errorRate.nested, 'endpoint', problems, '');
  const errorRateConfig: PredictiveConfig['errorRate'] = {
    threshold: errorRate.threshold,
    bleedDurationMs: errorRate.bleedDurationMs,
    windowMs: readDuration(errorRate.nested, 'window', problems, 60_000, { minMs: 1000 }),
  };
  if (endpoint) errorRateConfig.endpoint = endpoint;
  return {
    enabled: readBool(map, 'enabled', problems, false),
    checkIntervalMs: readDuration(map, 'check_interval', problems, 10_000, { minMs: 1000 }),
    cpu: { threshold: cpu.threshold, bleedDurationMs: cpu.bleedDurationMs },
    memory: { threshold: memory.threshold, bleedDurationMs: memory.bleedDurationMs },
    errorRate: errorRateConfig,
  };
}

/** The original agent's latency learning: checked so its configs load and typos show; not applied yet. */
/** The original's `latency_learning` keys and defaults (min_connection_age is accepted; see agent/latency-learning). */
export function checkLatencyLearning(map: SourceMap, problems: ProblemList): LatencyLearningConfig {
  readDuration(map, 'min_connection_age', problems, 5000, { minMs: 0 });
  return {
    enabled: readBool(map, 'enabled', problems, false),
    pollIntervalMs: readDuration(map, 'poll_interval', problems, 10_000, { minMs: 100 }),
    ipv4PrefixLength: readInt(map, 'ipv4_prefix', problems, 24, { min: 0, max: 32 }),
    ipv6PrefixLength: readInt(map, 'ipv6_prefix', problems, 48, { min: 0, max: 128 }),
    ewmaAlpha: readNumber(map, 'ewma_alpha', problems, 0.3, { min: 0, max: 1, isMinExclusive: true }),
    maxSubnets: readInt(map, 'max_subnets', problems, 100_000, { min: 1 }),
    subnetTtlMs: readDuration(map, 'subnet_ttl', problems, 168 * 3_600_000, { minMs: 1000 }),
    minSamples: readInt(map, 'min_samples', problems, 5, { min: 1 }),
    reportIntervalMs: readDuration(map, 'report_interval', problems, 30_000, { minMs: 100 }),
  };
}
