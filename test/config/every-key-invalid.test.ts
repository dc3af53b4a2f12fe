/**
 * Every key of the configuration reference, given an invalid value, is refused with a message that
 * names the key (its full path as written), the line it is on, and what was expected. Table-driven:
 * the table must cover exactly knownKeyPaths(), so a new key without a case here fails this test.
 *
 * Each case sets one key, inside an otherwise valid Overwatch (or agent) configuration, to a
 * value on a line of its own; the problem reported must carry that key path and that line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocument, Scalar } from 'yaml';
import { knownKeyPaths, loadConfigFile } from '../../src/config/index.ts';
import { ENV, GOSSIP_KEY, TOKEN_A, makeTempDir, parse, parseProblems, problemsOf, writeConfig } from './config-fixture.ts';

const OVERWATCH_BASE = `mode: overwatch
identity: { node_id: ow-1, region: us }
dns:
  listen_address: "127.0.0.1:53"
  zones: [gslb.test]
  rate_limit: { exempt: [127.0.0.0/8] }
dnssec:
  enabled: true
  key_sync: { peers: ["https://127.0.0.1:9090"], shared_secret: "${'s'.repeat(32)}" }
agent_tokens: { myapp: "${TOKEN_A}" }
gossip: { encryption_key: "${GOSSIP_KEY}" }
regions:
  - name: us
    servers: [{ address: 127.0.0.1, port: 80, service: app.gslb.test, host: app.example }]
    health_check: { type: http, path: /health, host: app.example }
    countries: [US]
    continents: [NA]
domains:
  - name: app.gslb.test
    routing_algorithm: latency
    regions: [us]
    latency_config: { smoothing_factor: 0.3, max_latency_ms: 500, min_samples: 3 }
api: { address: "127.0.0.1:8080", allowed_networks: [127.0.0.0/8] }
geolocation:
  database_path: /nonexistent/geo.mmdb
  default_region: us
  custom_mappings: [{ cidr: 10.0.0.0/8, region: us, comment: office }]
data_dir: /var/lib/opengslb
`;

const AGENT_BASE = `mode: agent
identity: { service_token: "${TOKEN_A}", region: us }
backends:
  - { service: myapp, address: 127.0.0.1, port: 8080, health_check: { type: http, path: /health } }
gossip: { encryption_key: "${GOSSIP_KEY}", overwatch_nodes: ["127.0.0.1:7946"] }
predictive:
  enabled: true
  error_rate: { endpoint: "http://127.0.0.1:8080/errors" }
latency_learning: { enabled: true }
data_dir: /var/lib/opengslb
`;

/** Keys that only an agent reads (set in an agent configuration). */
const AGENT_KEYS = /^(identity\.(service_token|cert_path|key_path)|backends|heartbeat|predictive|latency_learning|gossip\.overwatch_nodes)/;

/** One invalid value per key (YAML text) and the expectation its message must state. */
interface Case {
  value: string;
  expect: RegExp;
  /** Keys removed from the base first (a key that conflicts with this one). */
  drop?: (string | number)[][];
  /** Keys set in the base first (the condition under which this key is read). */
  set?: [(string | number)[], unknown][];
}

const CASES: Record<string, Case> = {
  mode: { value: 'standalone', expect: /must be 'agent' or 'overwatch'/ },
  'includes[]': { value: '{ x: 1 }', expect: /expected/ },
  'dns.listen_address': { value: '"127.0.0.1:99999"', expect: /port|expected/ },
  'dns.default_ttl': { value: '-5', expect: /expected|at least|between/ },
  'dns.return_last_healthy': { value: 'maybe', expect: /expected (true|a boolean)/ },
  'dns.max_udp_payload': { value: '100', expect: /between|at least|expected/ },
  'dns.tcp_idle_timeout': { value: 'soon', expect: /duration|expected/ },
  'dns.tcp_max_connections': { value: '0', expect: /at least|between|expected/ },
  'dns.tcp_max_connections_per_client': { value: '-1', expect: /at least|between|expected/ },
  'dns.workers': { value: '1000', expect: /at most|between|expected/ },
  'dns.udp_io': { value: 'carrier-pigeon', expect: /one of|expected/ },
  'dns.zones[]': { value: '"bad..zone"', expect: /expected|name|label/ },
  'dns.rate_limit.enabled': { value: '2', expect: /expected (true|a boolean)/ },
  'dns.rate_limit.responses_per_second': { value: '0', expect: /at least|between|expected/ },
  'dns.rate_limit.slip': { value: '-1', expect: /at least|between|expected/ },
  'dns.rate_limit.ipv4_prefix': { value: '33', expect: /between|at most|expected/ },
  'dns.rate_limit.ipv6_prefix': { value: '129', expect: /between|at most|expected/ },
  'dns.rate_limit.exempt[]': { value: '10.0.0.0/33', expect: /CIDR|expected/ },
  'regions[].name': { value: '""', expect: /expected|empty/ },
  'regions[].servers[].address': { value: 'not-an-ip', expect: /IP|expected/ },
  'regions[].servers[].port': { value: '70000', expect: /between|expected/ },
  'regions[].servers[].weight': { value: '-3', expect: /between|at least|expected/ },
  'regions[].servers[].service': { value: '"bad service name!"', expect: /expected|name/ },
  'regions[].servers[].host': { value: '[1, 2]', expect: /expected/ },
  'regions[].health_check.type': { value: 'ping', expect: /one of|expected/ },
  'regions[].health_check.path': { value: 'no-leading-slash', expect: /expected|start/ },
  'regions[].health_check.host': { value: '[1, 2]', expect: /expected/ },
  'regions[].health_check.interval': { value: '0s', expect: /at least|expected|positive/ },
  'regions[].health_check.timeout': { value: 'fast', expect: /duration|expected/ },
  'regions[].health_check.failure_threshold': { value: '0', expect: /at least|between|expected/ },
  'regions[].health_check.success_threshold': { value: '1.5', expect: /integer|expected/ },
  'regions[].countries[]': { value: 'usa', expect: /country|expected/ },
  'regions[].continents[]': { value: 'ATLANTIS', expect: /continent|expected|one of/ },
  'domains[].name': { value: '[app]', expect: /expected/ },
  'domains[].routing_algorithm': { value: 'random', expect: /one of|expected/ },
  'domains[].ttl': { value: '-1', expect: /at least|between|expected/ },
  'domains[].max_answers': { value: '0', expect: /at least|between|expected/ },
  'domains[].regions[]': { value: 'mars', expect: /region|expected/ },
  'domains[].latency_config.smoothing_factor': { value: '2', expect: /between|at most|expected/ },
  'domains[].latency_config.max_latency_ms': { value: '-1', expect: /at least|between|expected/ },
  'domains[].latency_config.min_samples': { value: '0', expect: /at least|between|expected/ },
  'api.enabled': { value: 'yes please', expect: /expected (true|a boolean)/ },
  'api.address': { value: '"localhost"', expect: /expected|port/ },
  'api.trust_proxy_headers': { value: '3', expect: /expected (true|a boolean)/ },
  'api.allowed_networks[]': { value: 'corp-lan', expect: /CIDR|expected/ },
  'metrics.enabled': { value: '"sometimes"', expect: /expected (true|a boolean)/ },
  'metrics.address': { value: '":abc"', expect: /expected|port/ },
  'logging.level': { value: 'chatty', expect: /one of|expected/ },
  'logging.format': { value: 'xml', expect: /one of|expected/ },
  'identity.node_id': { value: '""', expect: /expected|empty/ },
  'identity.region': { value: '""', expect: /expected|empty/ },
  'identity.service_token': { value: 'short', expect: /at least|characters|expected/ },
  'identity.cert_path': { value: '[a]', expect: /expected/ },
  'identity.key_path': { value: '[a]', expect: /expected/ },
  'agent_tokens.<name>': { value: 'short', expect: /at least|characters|expected/ },
  'gossip.bind_address': { value: '"0.0.0.0:notaport"', expect: /expected|port/ },
  'gossip.encryption_key': { value: 'not-base64-32-bytes', expect: /expected|bytes|base64/ },
  'gossip.probe_interval': { value: 'often', expect: /duration|expected/ },
  'gossip.probe_timeout': { value: '-1s', expect: /duration|expected|positive|at least/ },
  'gossip.gossip_interval': { value: '0s', expect: /at least|expected|positive/ },
  'gossip.allow_unsigned_agents': { value: 'perhaps', expect: /expected (true|a boolean)/ },
  'gossip.encryption_keys[]': { value: 'short', expect: /expected|bytes|base64/, drop: [['gossip', 'encryption_key']] },
  'gossip.overwatch_nodes[]': { value: '"host:port"', expect: /expected|port/ },
  'validation.enabled': { value: '"on-tuesdays"', expect: /expected (true|a boolean)/ },
  'validation.check_interval': { value: '0s', expect: /at least|expected|positive/ },
  'validation.check_timeout': { value: 'never', expect: /duration|expected/ },
  'stale.threshold': { value: '0s', expect: /at least|expected|positive/ },
  'stale.remove_after': { value: 'later', expect: /duration|expected/ },
  'dnssec.enabled': { value: '"kind of"', expect: /expected (true|a boolean)/ },
  'dnssec.algorithm': { value: 'RSASHA1', expect: /expected|supported|one of/ },
  'dnssec.security_acknowledgment': { value: '"I know"', expect: /expected|exactly|acknowledg/, set: [[['dnssec', 'enabled'], false]] },
  'dnssec.signature_validity': { value: '1s', expect: /at least|expected/ },
  'dnssec.zsk_lifetime': { value: 'forever', expect: /duration|expected/ },
  'dnssec.propagation_delay': { value: '-1h', expect: /duration|expected|at least/ },
  'dnssec.key_sync.peers[]': { value: 'ftp://peer', expect: /expected|URL|http/ },
  'dnssec.key_sync.poll_interval': { value: '0s', expect: /at least|expected|positive/ },
  'dnssec.key_sync.timeout': { value: 'eventually', expect: /duration|expected/ },
  'dnssec.key_sync.shared_secret': { value: 'short', expect: /at least|characters|expected/ },
  'geolocation.database_path': { value: '[a, b]', expect: /expected/ },
  'geolocation.default_region': { value: 'mars', expect: /region|expected/ },
  'geolocation.ecs_enabled': { value: '7', expect: /expected (true|a boolean)/ },
  'geolocation.custom_mappings[].cidr': { value: '300.0.0.0/8', expect: /CIDR|expected/ },
  'geolocation.custom_mappings[].region': { value: 'mars', expect: /region|expected/ },
  'geolocation.custom_mappings[].comment': { value: '{ x: 1 }', expect: /expected/ },
  data_dir: { value: '""', expect: /expected|empty/ },
  'backends[].service': { value: '""', expect: /expected|empty/ },
  'backends[].address': { value: '{ x: 1 }', expect: /expected/ },
  'backends[].port': { value: '0', expect: /between|expected/ },
  'backends[].weight': { value: '-1', expect: /between|at least|expected/ },
  'backends[].health_check.type': { value: 'icmp', expect: /one of|expected/ },
  'backends[].health_check.path': { value: 'health', expect: /expected|start/ },
  'backends[].health_check.host': { value: '{ x: 1 }', expect: /expected/ },
  'backends[].health_check.interval': { value: 'hourly', expect: /duration|expected/ },
  'backends[].health_check.timeout': { value: '0s', expect: /at least|expected|positive/ },
  'backends[].health_check.failure_threshold': { value: '-2', expect: /at least|between|expected/ },
  'backends[].health_check.success_threshold': { value: '0', expect: /at least|between|expected/ },
  'heartbeat.interval': { value: '0s', expect: /at least|expected|positive/ },
  'heartbeat.missed_threshold': { value: '0', expect: /at least|between|expected/ },
  'predictive.enabled': { value: '"y"', expect: /expected (true|a boolean)/ },
  'predictive.check_interval': { value: 'sometimes', expect: /duration|expected/ },
  'predictive.cpu_threshold': { value: '150', expect: /between|at most|expected/ },
  'predictive.memory_threshold': { value: '-1', expect: /between|at least|expected/ },
  'predictive.error_rate_threshold': { value: '-1', expect: /between|at least|expected/ },
  'predictive.cpu.threshold': { value: '101', expect: /between|at most|expected/ },
  'predictive.cpu.bleed_duration': { value: 'a while', expect: /duration|expected/ },
  'predictive.memory.threshold': { value: '-5', expect: /between|at least|expected/ },
  'predictive.memory.bleed_duration': { value: '-1s', expect: /duration|expected|at least/ },
  'predictive.error_rate.threshold': { value: '-2', expect: /between|at least|expected/ },
  'predictive.error_rate.window': { value: 'wide', expect: /duration|expected/ },
  'predictive.error_rate.bleed_duration': { value: '0x', expect: /duration|expected/ },
  'predictive.error_rate.endpoint': { value: '{ x: 1 }', expect: /expected/ },
  'latency_learning.enabled': { value: '"?"', expect: /expected (true|a boolean)/ },
  'latency_learning.poll_interval': { value: '0s', expect: /at least|expected|positive/ },
  'latency_learning.min_connection_age': { value: 'old', expect: /duration|expected/ },
  'latency_learning.ipv4_prefix': { value: '40', expect: /between|at most|expected/ },
  'latency_learning.ipv6_prefix': { value: '200', expect: /between|at most|expected/ },
  'latency_learning.ewma_alpha': { value: '1.5', expect: /between|at most|expected/ },
  'latency_learning.max_subnets': { value: '0', expect: /at least|between|expected/ },
  'latency_learning.subnet_ttl': { value: 'long', expect: /duration|expected/ },
  'latency_learning.min_samples': { value: '-1', expect: /at least|between|expected/ },
  'latency_learning.report_interval': { value: '0s', expect: /at least|expected|positive/ },
};

/** `regions[].servers[].port` -> ['regions', 0, 'servers', 0, 'port']; `agent_tokens.<name>` -> a token name. */
function pathSegments(keyPath: string): (string | number)[] {
  return keyPath.split('.').flatMap((part) => {
    if (part === '<name>') return ['myapp'];
    const list = part.endsWith('[]');
    const name = list ? part.slice(0, -2) : part;
    return list ? [name, 0] : [name];
  });
}

function shownPath(segments: (string | number)[]): string {
  return segments.reduce<string>((out, s) => (typeof s === 'number' ? `${out}[${s}]` : out === '' ? s : `${out}.${s}`), '');
}

const SENTINEL = '__INVALID_VALUE__';

/** The base configuration with `keyPath` set to `value` (raw YAML) on a line of its own; and that line. */
function configWith(keyPath: string, { value, drop = [], set = [] }: Case): { text: string; line: number; shown: string } {
  const doc = parseDocument(AGENT_KEYS.test(keyPath) ? AGENT_BASE : OVERWATCH_BASE);
  for (const path of drop) doc.deleteIn(path);
  for (const [path, v] of set) doc.setIn(path, v);
  const segments = pathSegments(keyPath);
  doc.setIn(segments, new Scalar(SENTINEL));
  const lines = doc.toString({ lineWidth: 0, flowCollectionPadding: true }).split('\n');
  const line = lines.findIndex((l) => l.includes(SENTINEL));
  assert.ok(line >= 0, `${keyPath}: sentinel not written`);
  lines[line] = lines[line]!.replace(SENTINEL, value);
  return { text: lines.join('\n'), line: line + 1, shown: shownPath(segments) };
}

test('the table covers every key the loader knows', () => {
  const known = knownKeyPaths();
  assert.deepEqual(known.filter((k) => !(k in CASES)), [], 'keys without an invalid-value case');
  assert.deepEqual(Object.keys(CASES).filter((k) => !known.includes(k)), [], 'cases for keys the loader does not know');
});

test('the two base configurations load', () => {
  parse(OVERWATCH_BASE);
  parse(AGENT_BASE);
});

for (const [keyPath, c] of Object.entries(CASES)) {
  test(`${keyPath}: ${c.value}`, async (t) => {
    const { text, line, shown } = configWith(keyPath, c);
    // Includes are resolved against the file's directory: only a file on disk can have them.
    const { problems, lines } = keyPath === 'includes[]' ? await problemsOf(async () => loadConfigFile(await writeConfig(await makeTempDir(t), 'cfg.yaml', text), { env: ENV, hostname: 'h' })) : await parseProblems(text);
    const mine = problems.filter((p) => p.keyPath === shown || p.keyPath.startsWith(`${shown}.`) || p.keyPath.startsWith(`${shown}[`));
    assert.ok(mine.length > 0, `no problem names ${shown}; got:\n${lines.join('\n')}\n---\n${text}`);
    const p = mine[0]!;
    assert.equal(p.line, line, `${shown} reported at line ${p.line}, written at line ${line}: ${lines.join('\n')}`);
    assert.match(p.message, c.expect, `${shown}: ${p.message}`);
  });
}
