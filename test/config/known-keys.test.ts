import assert from 'node:assert/strict';
import test from 'node:test';
import { GOSSIP_KEY, parse, parseProblems } from './config-fixture.ts';

test('an unknown key is a problem with a "did you mean" hint when it is a likely typo', async () => {
  const text = 'regons: []\ndns:\n  listen_adress: ":53"\n  Zones: []\nfrobnicate: true\n';
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    'cfg.yaml:1: regons: unknown key "regons" (did you mean "regions"?)',
    'cfg.yaml:3: dns.listen_adress: unknown key "listen_adress" (did you mean "listen_address"?)',
    'cfg.yaml:4: dns.Zones: unknown key "Zones" (did you mean "zones"?)',
    'cfg.yaml:5: frobnicate: unknown key "frobnicate"',
  ]);
});

test('unknown keys are found inside lists and nested blocks', async () => {
  const text = `regions:
  - name: r
    servers:
      - { address: 10.0.0.1, service: a.example.com, wieght: 5 }
domains:
  - { name: a.example.com, regions: [r] }
overwatch:
  gossip:
    bindaddress: ":7946"
    encryption_key: "${GOSSIP_KEY}"
`;
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    'cfg.yaml:4: regions[0].servers[0].wieght: unknown key "wieght" (did you mean "weight"?)',
    'cfg.yaml:9: overwatch.gossip.bindaddress: unknown key "bindaddress" (did you mean "bind_address"?)',
  ]);
});

test("keys known to only one layout are accepted: the original's nested blocks, the guide's flat thresholds", () => {
  const config = parse(`overwatch:
  data_dir: /x
  gossip: { encryption_keys: ["${GOSSIP_KEY}"] }
predictive:
  cpu_threshold: 50
agent:
  latency_learning: { enabled: false }
`);
  assert.equal(config.dataDir, '/x');
  assert.equal(config.predictive.cpu.threshold, 50);
});

test('a key of one block is unknown in the other: agent-only keys are not accepted under overwatch:', async () => {
  const { lines } = await parseProblems('overwatch:\n  backends: []\n');
  assert.deepEqual(lines, ['cfg.yaml:2: overwatch.backends: unknown key "backends"']);
});

test('agent_tokens accepts any service name as a key', () => {
  const config = parse('agent_tokens:\n  some-service.v2: "0123456789abcdef"\n  __proto__: "0123456789abcdef"\n');
  assert.deepEqual(Object.keys(config.agentTokens), ['some-service.v2', '__proto__']);
  assert.equal(Object.getPrototypeOf(config.agentTokens), Object.prototype);
});
