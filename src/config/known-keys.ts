/**
 * Unknown-key detection. The original ignored unknown keys silently, which hides typos such as
 * `regons:`; we report them, with a "did you mean" hint for close matches. So that configs written for
 * the original keep loading, a key counts as known when EITHER layout knows it at that place: the
 * guide's top-level keys, the original's `overwatch:` / `agent:` blocks, or keys that only one of them
 * spells (`encryption_keys`, flat `cpu_threshold`, ...). Only maps are walked here; values of the wrong
 * type are the validators' business. Pure.
 */
import type { ProblemList } from './config-error.ts';
import type { SourceMap, SourceNode } from './yaml-source.ts';

type Shape = 'leaf' | { keys: Readonly<Record<string, Shape>> } | { listOf: Shape } | { mapOf: Shape };

const leaf = 'leaf';
const obj = (keys: Record<string, Shape>): Shape => ({ keys });
const listOf = (shape: Shape): Shape => ({ listOf: shape });
const mapOf = (shape: Shape): Shape => ({ mapOf: shape });
const leaves = (...names: string[]): Record<string, Shape> => Object.fromEntries(names.map((n) => [n, leaf]));

const healthCheck = obj(leaves('type', 'path', 'host', 'interval', 'timeout', 'failure_threshold', 'success_threshold'));
const region = obj({
  ...leaves('name'),
  servers: listOf(obj(leaves('address', 'port', 'weight', 'service', 'host'))),
  health_check: healthCheck,
  countries: listOf(leaf),
  continents: listOf(leaf),
});
const domain = obj({
  ...leaves('name', 'routing_algorithm', 'ttl', 'max_answers'),
  regions: listOf(leaf),
  latency_config: obj(leaves('smoothing_factor', 'max_latency_ms', 'min_samples')),
});
const dns = obj({
  ...leaves('listen_address', 'default_ttl', 'return_last_healthy', 'max_udp_payload', 'tcp_idle_timeout', 'tcp_max_connections', 'tcp_max_connections_per_client', 'workers', 'udp_io'),
  zones: listOf(leaf),
  rate_limit: obj({ ...leaves('enabled', 'responses_per_second', 'slip', 'ipv4_prefix', 'ipv6_prefix'), exempt: listOf(leaf) }),
});
const identity = obj(leaves('node_id', 'region', 'service_token', 'cert_path', 'key_path'));
const gossip = obj({
  ...leaves('bind_address', 'encryption_key', 'probe_interval', 'probe_timeout', 'gossip_interval', 'allow_unsigned_agents'),
  encryption_keys: listOf(leaf),
  overwatch_nodes: listOf(leaf),
});
const validation = obj(leaves('enabled', 'check_interval', 'check_timeout'));
const stale = obj(leaves('threshold', 'remove_after'));
const dnssec = obj({
  ...leaves('enabled', 'algorithm', 'security_acknowledgment', 'signature_validity', 'zsk_lifetime', 'propagation_delay'),
  key_sync: obj({ peers: listOf(leaf), ...leaves('poll_interval', 'timeout', 'shared_secret') }),
});
const geolocation = obj({
  ...leaves('database_path', 'default_region', 'ecs_enabled'),
  custom_mappings: listOf(obj(leaves('cidr', 'region', 'comment'))),
});
const agentTokens = mapOf(leaf);
const backend = obj({ ...leaves('service', 'address', 'port', 'weight'), health_check: healthCheck });
const heartbeat = obj(leaves('interval', 'missed_threshold'));
const signal = obj(leaves('threshold', 'bleed_duration'));
const predictive = obj({
  ...leaves('enabled', 'check_interval', 'cpu_threshold', 'memory_threshold', 'error_rate_threshold'),
  cpu: signal,
  memory: signal,
  error_rate: obj(leaves('threshold', 'window', 'bleed_duration', 'endpoint')),
});
const latencyLearning = obj(
  leaves('enabled', 'poll_interval', 'min_connection_age', 'ipv4_prefix', 'ipv6_prefix', 'ewma_alpha', 'max_subnets', 'subnet_ttl', 'min_samples', 'report_interval'),
);

/** The original's `overwatch:` block. */
export const OVERWATCH_BLOCK_KEYS = ['identity', 'agent_tokens', 'gossip', 'validation', 'stale', 'dnssec', 'geolocation', 'data_dir'] as const;
/** The original's `agent:` block. */
export const AGENT_BLOCK_KEYS = ['identity', 'backends', 'gossip', 'heartbeat', 'predictive', 'latency_learning'] as const;

const sections: Record<string, Shape> = {
  identity,
  agent_tokens: agentTokens,
  gossip,
  validation,
  stale,
  dnssec,
  geolocation,
  data_dir: leaf,
  backends: listOf(backend),
  heartbeat,
  predictive,
  latency_learning: latencyLearning,
};

const pick = (names: readonly string[]): Record<string, Shape> => Object.fromEntries(names.map((n) => [n, sections[n]!]));

const root = obj({
  ...leaves('mode'),
  includes: listOf(leaf),
  dns,
  regions: listOf(region),
  domains: listOf(domain),
  api: obj({ ...leaves('enabled', 'address', 'trust_proxy_headers'), allowed_networks: listOf(leaf) }),
  metrics: obj(leaves('enabled', 'address')),
  logging: obj(leaves('level', 'format')),
  ...sections,
  overwatch: obj(pick(OVERWATCH_BLOCK_KEYS)),
  agent: obj(pick(AGENT_BLOCK_KEYS)),
});

/** Reports every key of one file's tree that neither layout knows. */
export function reportUnknownKeys(tree: SourceMap, problems: ProblemList): void {
  walk(tree, root, problems);
}

function walk(node: SourceNode, shape: Shape, problems: ProblemList): void {
  if (shape === 'leaf') return;
  if ('listOf' in shape) {
    if (node.kind === 'seq') for (const item of node.items) walk(item, shape.listOf, problems);
    return;
  }
  if (node.kind !== 'map') return;
  for (const entry of node.entries.values()) {
    if ('mapOf' in shape) {
      walk(entry.value, shape.mapOf, problems);
      continue;
    }
    const child = Object.hasOwn(shape.keys, entry.key) ? shape.keys[entry.key] : undefined;
    if (child === undefined) {
      const shown = redactKey(entry.key);
      const hint = closestKey(shown.name, Object.keys(shape.keys));
      const suggestion = shown.redacted
        ? shown.typo
        : hint === undefined
          ? ''
          : ` (did you mean ${JSON.stringify(hint)}?)`;
      problems.add({
        file: node.file,
        keyPath: shown.redacted ? entry.value.path.replace(entry.key, shown.text) : entry.value.path,
        line: entry.keyLine,
        message: `unknown key ${JSON.stringify(shown.text)}${suggestion}`,
      });
      continue;
    }
    walk(entry.value, child, problems);
  }
}

/**
 * `encryption_key:"..."` (no space after the colon) is one plain scalar in YAML, so the secret
 * ends up in the key; so does `service_token "..."` (no colon) folded into a multi-line key. Never
 * echo what follows a colon, an equals sign, a blank or a quote: no real key contains them.
 */
function redactKey(key: string): { text: string; name: string; redacted: boolean; typo: string } {
  const cut = key.search(/[:=\s"']/);
  if (cut < 0) return { text: key, name: key, redacted: false, typo: '' };
  const name = key.slice(0, cut);
  const mark = key[cut]!;
  if (mark === ':' || mark === '=') return { text: `${name}${mark}(redacted)`, name, redacted: true, typo: ` (a space is missing after "${name}:"?)` };
  return { text: `${name} (redacted)`, name, redacted: true, typo: ` (a colon is missing after "${name}"?)` };
}

/** The known key nearest to `key` by edit distance, if it is close enough to be a likely typo. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const wanted = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(wanted, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(key.length / 4));
  return bestDistance <= allowed ? best : undefined;
}

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions (`wieght` → `weight` is 1). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * Every key path either layout knows, in the guide's top-level form (`dns.rate_limit.slip`,
 * `regions[].servers[].address`, `agent_tokens.<service>`); the original's nested blocks are the
 * same keys under `overwatch.` / `agent.`. The configuration reference is checked against this.
 */
export function knownKeyPaths(): string[] {
  const out: string[] = [];
  const visit = (shape: Shape, path: string): void => {
    if (shape === 'leaf') {
      out.push(path);
      return;
    }
    if ('listOf' in shape) {
      visit(shape.listOf, `${path}[]`);
      return;
    }
    if ('mapOf' in shape) {
      visit(shape.mapOf, `${path}.<name>`);
      return;
    }
    for (const [key, child] of Object.entries(shape.keys)) {
      if (path === '' && (key === 'overwatch' || key === 'agent')) continue;
      visit(child, path === '' ? key : `${path}.${key}`);
    }
  };
  visit(root, '');
  return out;
}
