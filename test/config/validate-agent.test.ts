import assert from 'node:assert/strict';
import test from 'node:test';
import { GOSSIP_KEY, lineOf, parse, parseProblems } from './config-fixture.ts';

const AGENT = `mode: agent
identity:
  service_token: "0123456789abcdef"
gossip:
  encryption_key: "${GOSSIP_KEY}"
  overwatch_nodes: ["10.0.0.1:7946"]
`;

test('agent identity defaults: node id from the host name, certificate paths under data_dir', () => {
  const config = parse(`${AGENT}data_dir: /srv/gslb\nbackends: [{ service: s, address: 127.0.0.1, port: 80 }]\n`);
  assert.deepEqual(config.identity, {
    nodeId: 'test-host',
    region: '',
    serviceToken: '0123456789abcdef',
    certPath: '/srv/gslb/agent.crt',
    keyPath: '/srv/gslb/agent.key',
  });
});

test('a short service token is refused and never echoed', async () => {
  const text = 'mode: agent\nidentity:\n  service_token: "short-secret"\n';
  const { lines, error } = await parseProblems(text);
  assert.ok(lines.includes('cfg.yaml:3: identity.service_token: expected a token of at least 16 characters, got (redacted, 12 characters)'), lines.join('\n'));
  assert.ok(!error.message.includes('short-secret'));
});

test('backends: defaults, weight 0 kept (drained), hostnames accepted, health-check defaults', () => {
  const config = parse(`${AGENT}backends:
  - service: web
    address: app.internal
    port: 8080
    weight: 0
`);
  assert.deepEqual(config.backends, [
    {
      service: 'web',
      address: 'app.internal',
      port: 8080,
      weight: 0,
      healthCheck: { type: 'http', path: '/health', intervalMs: 30_000, timeoutMs: 5000, failureThreshold: 3, successThreshold: 2 },
    },
  ]);
});

test('a backend needs service, address and port', async () => {
  const text = `${AGENT}backends:
  - weight: 5
  - service: web
    address: "not an address"
    port: 70000
`;
  const { lines } = await parseProblems(text);
  const first = lineOf(text, 'weight: 5');
  assert.deepEqual(lines, [
    `cfg.yaml:${first}: backends[0].service: required: the service name this backend serves (an agent_tokens key)`,
    `cfg.yaml:${first}: backends[0].address: required: the IP address or hostname of the service`,
    `cfg.yaml:${first}: backends[0].port: required: the port the service listens on (1-65535)`,
    `cfg.yaml:${lineOf(text, 'not an address')}: backends[1].address: expected an IP address or hostname, got "not an address"`,
    `cfg.yaml:${lineOf(text, '70000')}: backends[1].port: expected an integer from 1 to 65535, got 70000`,
  ]);
});

test('heartbeat defaults 10s/3; an interval under 1s is refused', async () => {
  assert.deepEqual(parse('').heartbeat, { intervalMs: 10_000, missedThreshold: 3 });
  const { lines } = await parseProblems('heartbeat:\n  interval: 500ms\n');
  assert.deepEqual(lines, ['cfg.yaml:2: heartbeat.interval: expected a duration of at least 1s, got "500ms"']);
});

test("predictive defaults follow the original: cpu 90, memory 85, error rate 10 per 60s, 30s bleed, 10s checks, off", () => {
  assert.deepEqual(parse('').predictive, {
    enabled: false,
    checkIntervalMs: 10_000,
    cpu: { threshold: 90, bleedDurationMs: 30_000 },
    memory: { threshold: 85, bleedDurationMs: 30_000 },
    errorRate: { threshold: 10, bleedDurationMs: 30_000, windowMs: 60_000 },
  });
});

test("predictive reads the original's nested signals", () => {
  const { predictive } = parse(`predictive:
  enabled: true
  cpu: { threshold: 75, bleed_duration: 1m }
  memory: { threshold: 70 }
  error_rate: { threshold: 3, window: 2m, bleed_duration: 10s, endpoint: "http://127.0.0.1:8080/errors" }
`);
  assert.deepEqual(predictive, {
    enabled: true,
    checkIntervalMs: 10_000,
    cpu: { threshold: 75, bleedDurationMs: 60_000 },
    memory: { threshold: 70, bleedDurationMs: 30_000 },
    errorRate: { threshold: 3, bleedDurationMs: 10_000, windowMs: 120_000, endpoint: 'http://127.0.0.1:8080/errors' },
  });
});

test('a threshold set both flat and nested is a conflict; percentages stay within 0-100', async () => {
  const text = 'predictive:\n  cpu_threshold: 80\n  cpu:\n    threshold: 70\n  memory_threshold: 150\n';
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    'cfg.yaml:2: predictive.cpu_threshold: also set as cpu.threshold (line 4); set it in one place only',
    'cfg.yaml:5: predictive.memory_threshold: expected a number above 0 and at most 100, got 150',
  ]);
});

test("the original agent's latency_learning block loads and its values are checked", async () => {
  assert.equal(parse('agent:\n  latency_learning:\n    enabled: true\n    ipv4_prefix: 24\n    subnet_ttl: 168h\n').mode, 'overwatch');
  const { lines } = await parseProblems('mode: agent\nagent:\n  latency_learning:\n    ipv4_prefix: 40\n', {});
  assert.ok(lines.includes('cfg.yaml:4: agent.latency_learning.ipv4_prefix: expected an integer from 0 to 32, got 40'), lines.join('\n'));
});
