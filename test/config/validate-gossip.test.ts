import assert from 'node:assert/strict';
import test from 'node:test';
import { GOSSIP_KEY, lineOf, parse, parseProblems } from './config-fixture.ts';

const KEY_REQUIRED =
  'encryption_key is required. OpenGSLB requires encrypted gossip communication.\n       Generate a key with: openssl rand -base64 32';

test('an Overwatch without any gossip section runs standalone: gossip off, no bind address', () => {
  const { gossip } = parse('mode: overwatch\n');
  assert.equal(gossip.bind, undefined);
  assert.deepEqual(gossip.encryptionKeys, []);
  assert.equal(gossip.probeIntervalMs, 1000);
  assert.equal(gossip.probeTimeoutMs, 500);
  assert.equal(gossip.gossipIntervalMs, 200);
});

test('an Overwatch gossip section binds 0.0.0.0:7946 by default', () => {
  const { gossip } = parse(`gossip:\n  encryption_key: "${GOSSIP_KEY}"\n`);
  assert.deepEqual(gossip.bind, { host: '0.0.0.0', port: 7946 });
  assert.deepEqual(gossip.encryptionKeys, [Buffer.from(GOSSIP_KEY, 'base64')]);
});

test("an Overwatch gossip section without a key gets the original's text", async () => {
  const text = 'mode: overwatch\ngossip:\n  bind_address: "0.0.0.0:7946"\n';
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [`cfg.yaml:2: gossip: ${KEY_REQUIRED}`]);
});

test('a key that is not base64 is refused without echoing it', async () => {
  const secret = 'not*base64*at*all';
  const text = `gossip:\n  encryption_key: "${secret}"\n`;
  const { lines, error } = await parseProblems(text);
  assert.deepEqual(lines, ['cfg.yaml:2: gossip.encryption_key: encryption_key must be valid base64']);
  assert.ok(!error.message.includes(secret));
});

test('a key of the wrong length says how many bytes it has', async () => {
  const short = Buffer.alloc(16, 1).toString('base64');
  const text = `gossip:\n  encryption_key: "${short}"\n`;
  const { lines, error } = await parseProblems(text);
  assert.deepEqual(lines, [
    "cfg.yaml:2: gossip.encryption_key: encryption_key must be exactly 32 bytes (got 16).\n       Ensure you're using a 256-bit key. Generate with: openssl rand -base64 32",
  ]);
  assert.ok(!error.message.includes(short));
});

test('encryption_keys is a keyring: the first key is the primary', () => {
  const second = Buffer.alloc(32, 2);
  const { gossip } = parse(`gossip:\n  encryption_keys:\n    - "${GOSSIP_KEY}"\n    - "${second.toString('base64')}"\n`);
  assert.deepEqual(gossip.encryptionKeys, [Buffer.from(GOSSIP_KEY, 'base64'), second]);
});

test('encryption_key and encryption_keys together are ambiguous', async () => {
  const text = `gossip:\n  encryption_key: "${GOSSIP_KEY}"\n  encryption_keys: ["${GOSSIP_KEY}"]\n`;
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, ['cfg.yaml:3: gossip.encryption_keys: set either encryption_key or encryption_keys (a keyring whose first key is the primary), not both']);
});

test('an agent needs a key, an Overwatch address, a service token and a backend: all reported at once', async () => {
  const { lines } = await parseProblems('mode: agent\n');
  assert.deepEqual(lines.toSorted(), [
    `cfg.yaml: gossip: ${KEY_REQUIRED}`,
    'cfg.yaml: gossip.overwatch_nodes: required: at least one Overwatch address (host:port)',
    "cfg.yaml: identity.service_token: required in agent mode: the token of this agent's services (the Overwatch's agent_tokens entry)",
    'cfg.yaml: backends: required in agent mode: at least one backend (service, address, port)',
  ].toSorted());
});

test('agent overwatch_nodes must be host:port each', async () => {
  const text = `mode: agent
identity: { service_token: "0123456789abcdef" }
backends: [{ service: s, address: 127.0.0.1, port: 80 }]
gossip:
  encryption_key: "${GOSSIP_KEY}"
  overwatch_nodes:
    - overwatch-1.internal
    - "[fd00::1]:7946"
`;
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [`cfg.yaml:${lineOf(text, 'overwatch-1.internal')}: gossip.overwatch_nodes[0]: expected host:port with port 1-65535, got "overwatch-1.internal"`]);
});

test('an agent may set bind_address; gossip timing keys are durations', () => {
  const config = parse(`mode: agent
identity: { service_token: "0123456789abcdef" }
backends: [{ service: s, address: 127.0.0.1, port: 80 }]
gossip:
  encryption_key: "${GOSSIP_KEY}"
  overwatch_nodes: ["10.0.0.1:7946"]
  bind_address: "10.0.0.5:7947"
  probe_interval: 2s
  probe_timeout: 1s
  gossip_interval: 100ms
`);
  assert.deepEqual(config.gossip.bind, { host: '10.0.0.5', port: 7947 });
  assert.deepEqual([config.gossip.probeIntervalMs, config.gossip.probeTimeoutMs, config.gossip.gossipIntervalMs], [2000, 1000, 100]);
});
