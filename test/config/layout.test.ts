import assert from 'node:assert/strict';
import test from 'node:test';
import { GOSSIP_KEY, TOKEN_A, parse, parseProblems } from './config-fixture.ts';

/** A config in the original's nested layout, carrying both blocks as the original's examples did. */
const ORIGINAL = `mode: overwatch
dns:
  listen_address: ":5353"
  default_ttl: 20
logging:
  level: debug
overwatch:
  identity:
    node_id: ow-1
    region: eu
  data_dir: /var/lib/ow
  agent_tokens:
    myapp: "${TOKEN_A}"
  gossip:
    bind_address: "10.0.0.1:7946"
    encryption_key: "${GOSSIP_KEY}"
    probe_interval: 2s
  validation:
    enabled: false
    check_interval: 15s
  stale:
    threshold: 45s
    remove_after: 10m
  dnssec:
    enabled: true
    algorithm: ECDSAP256SHA256
  geolocation:
    ecs_enabled: false
agent:
  identity:
    service_token: "${TOKEN_A}"
    region: eu
  backends:
    - { service: myapp, address: 127.0.0.1, port: 8080 }
  gossip:
    encryption_key: "${GOSSIP_KEY}"
    overwatch_nodes: ["10.0.0.1:7946"]
  heartbeat:
    interval: 5s
  predictive:
    enabled: true
    cpu: { threshold: 95 }
`;

test("the original's nested overwatch: block loads into the same Config", () => {
  const config = parse(ORIGINAL);
  assert.equal(config.mode, 'overwatch');
  assert.deepEqual(config.identity, { nodeId: 'ow-1', region: 'eu', certPath: '/var/lib/ow/agent.crt', keyPath: '/var/lib/ow/agent.key' });
  assert.equal(config.dataDir, '/var/lib/ow');
  assert.deepEqual(config.agentTokens, { myapp: TOKEN_A });
  assert.deepEqual(config.gossip.bind, { host: '10.0.0.1', port: 7946 });
  assert.equal(config.gossip.probeIntervalMs, 2000);
  assert.deepEqual(config.validation, { enabled: false, checkIntervalMs: 15_000, checkTimeoutMs: 5000 });
  assert.deepEqual(config.stale, { thresholdMs: 45_000, removeAfterMs: 600_000 });
  assert.equal(config.geolocation.ecsEnabled, false);
  assert.deepEqual(config.dns.listen, { host: '', port: 5353 });
  assert.equal(config.logging.level, 'debug');
  // the agent: block is not read in overwatch mode
  assert.deepEqual(config.backends, []);
  assert.equal(config.heartbeat.intervalMs, 10_000);
});

test("--mode agent reads the same file's agent: block", () => {
  const config = parse(ORIGINAL, { modeOverride: 'agent' });
  assert.equal(config.mode, 'agent');
  assert.equal(config.identity.serviceToken, TOKEN_A);
  assert.equal(config.identity.nodeId, 'test-host');
  assert.deepEqual(config.backends.map((b) => `${b.service}@${b.address}:${b.port}`), ['myapp@127.0.0.1:8080']);
  assert.deepEqual(config.gossip.overwatchNodes, ['10.0.0.1:7946']);
  assert.equal(config.gossip.bind, undefined);
  assert.equal(config.heartbeat.intervalMs, 5000);
  assert.equal(config.predictive.cpu.threshold, 95);
  assert.equal(config.dataDir, '/var/lib/opengslb'); // overwatch.data_dir belongs to the other block
});

test('the inactive block is not validated beyond unknown keys', () => {
  const config = parse('mode: overwatch\nagent:\n  heartbeat:\n    interval: 1ms\n  backends: "not a list"\n');
  assert.equal(config.mode, 'overwatch');
});

test('a section set both at the top level and in the active block is a conflict naming both lines', async () => {
  const text = `mode: overwatch
gossip:
  encryption_key: "${GOSSIP_KEY}"
overwatch:
  gossip:
    encryption_key: "${GOSSIP_KEY}"
`;
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, ['cfg.yaml:5: overwatch.gossip: also set at the top level as "gossip" (line 2); set it in one place only']);
});

test('a top-level section and the other mode\'s block do not conflict', () => {
  const config = parse(`mode: overwatch\ngossip:\n  encryption_key: "${GOSSIP_KEY}"\nagent:\n  gossip:\n    overwatch_nodes: ["10.0.0.1:7946"]\n`);
  assert.deepEqual(config.gossip.bind, { host: '0.0.0.0', port: 7946 });
});

test('mode: the override wins over the file; absent or empty means overwatch; anything else is refused', async () => {
  assert.equal(parse('mode: agent\n', { modeOverride: 'overwatch' }).mode, 'overwatch');
  assert.equal(parse('').mode, 'overwatch');
  assert.equal(parse('mode: ""\n').mode, 'overwatch');
  const fromFile = await parseProblems('dns: {}\nmode: standalone\n');
  assert.deepEqual(fromFile.lines, [`cfg.yaml:2: mode: invalid mode "standalone": must be 'agent' or 'overwatch'`]);
  const fromFlag = await parseProblems('', { modeOverride: 'master' });
  assert.deepEqual(fromFlag.lines, [`cfg.yaml: --mode: invalid mode "master": must be 'agent' or 'overwatch'`]);
});

test('a block that is not a map is a problem', async () => {
  const { lines } = await parseProblems('overwatch: yes\n');
  assert.deepEqual(lines, ['cfg.yaml:1: overwatch: expected a map of settings, got "yes"']);
});
