/** The guide's examples, loaded from real files as an operator would. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { loadConfigFile } from '../../src/config/index.ts';
import { ENV, GOSSIP_KEY, TOKEN_A, TOKEN_B, makeTempDir, problemsOf, writeConfig } from './config-fixture.ts';
import { GUIDE_AGENT, GUIDE_DNSSEC_DISABLE, GUIDE_MULTI_BACKEND_AGENT, GUIDE_OVERWATCH } from './guide-examples.ts';

test("the guide's Overwatch example loads with its variables set and gives the values it shows", async (t) => {
  const dir = await makeTempDir(t);
  const path = await writeConfig(dir, 'overwatch.yaml', GUIDE_OVERWATCH);
  const config = await loadConfigFile(path, { env: ENV, hostname: 'ignored' });

  assert.equal(config.sourcePath, path);
  assert.equal(config.mode, 'overwatch');
  assert.deepEqual(config.identity, {
    nodeId: 'overwatch-us-east-1',
    region: 'us-east',
    certPath: '/var/lib/opengslb/agent.crt',
    keyPath: '/var/lib/opengslb/agent.key',
  });
  assert.deepEqual(config.dns.listen, { host: '0.0.0.0', port: 53 });
  assert.deepEqual(config.dns.zones, ['gslb.example.com']);
  assert.equal(config.dns.defaultTtlSeconds, 30);
  assert.equal(config.dnssec.enabled, true);
  assert.deepEqual(config.dnssec.keySync, {
    peers: ['https://overwatch-2.internal:9090', 'https://overwatch-3.internal:9090'],
    pollIntervalMs: 3_600_000,
    timeoutMs: 30_000,
  });
  assert.deepEqual(config.agentTokens, { myapp: TOKEN_A, otherapp: TOKEN_B });
  assert.deepEqual(config.gossip.bind, { host: '0.0.0.0', port: 7946 });
  assert.deepEqual(config.gossip.encryptionKeys, [Buffer.from(GOSSIP_KEY, 'base64')]);
  assert.deepEqual(config.validation, { enabled: true, checkIntervalMs: 30_000, checkTimeoutMs: 5000 });
  assert.deepEqual(config.stale, { thresholdMs: 30_000, removeAfterMs: 300_000 });
  assert.deepEqual(config.api, {
    enabled: true, // present without `enabled:` counts as enabled
    listen: { host: '127.0.0.1', port: 8080 },
    allowedNetworks: ['10.0.0.0/8', '192.168.0.0/16'],
    trustProxyHeaders: false,
  });
  assert.deepEqual(config.metrics, { enabled: true, listen: { host: '0.0.0.0', port: 9090 } });
  assert.equal(config.dataDir, '/var/lib/opengslb');
  assert.deepEqual(config.logging, { level: 'info', format: 'json' });
  assert.deepEqual(config.regions, []);
  assert.deepEqual(config.domains, []);
});

test("the guide's agent example loads with its flat predictive thresholds and backend health check", async (t) => {
  const dir = await makeTempDir(t);
  const path = await writeConfig(dir, 'agent.yaml', GUIDE_AGENT);
  const config = await loadConfigFile(path, { env: ENV, hostname: 'app-server-7' });

  assert.equal(config.mode, 'agent');
  assert.equal(config.identity.nodeId, 'app-server-7'); // defaults to the host name
  assert.equal(config.identity.serviceToken, TOKEN_A);
  assert.equal(config.identity.region, 'us-east');
  assert.deepEqual(config.backends, [
    {
      service: 'myapp',
      address: '127.0.0.1',
      port: 8080,
      weight: 100,
      healthCheck: { type: 'http', path: '/health', intervalMs: 5000, timeoutMs: 2000, failureThreshold: 3, successThreshold: 2 },
    },
  ]);
  assert.deepEqual(config.predictive, {
    enabled: true,
    checkIntervalMs: 10_000,
    cpu: { threshold: 85, bleedDurationMs: 30_000 },
    memory: { threshold: 90, bleedDurationMs: 30_000 },
    errorRate: { threshold: 5, bleedDurationMs: 30_000, windowMs: 60_000 },
  });
  assert.deepEqual(config.gossip.encryptionKeys, [Buffer.from(GOSSIP_KEY, 'base64')]);
  assert.deepEqual(config.gossip.overwatchNodes, ['overwatch-1.internal:7946', 'overwatch-2.internal:7946', 'overwatch-3.internal:7946']);
  assert.equal(config.gossip.bind, undefined); // agent without bind_address: ephemeral
  assert.deepEqual(config.heartbeat, { intervalMs: 10_000, missedThreshold: 3 });
  assert.deepEqual(config.metrics, { enabled: true, listen: { host: '127.0.0.1', port: 9100 } });
  assert.equal(config.api.enabled, false);
});

test("the guide's multi-backend agent example loads three backends with their check types", async (t) => {
  const dir = await makeTempDir(t);
  const path = await writeConfig(dir, 'agent.yaml', GUIDE_MULTI_BACKEND_AGENT);
  const config = await loadConfigFile(path, { env: ENV, hostname: 'h' });
  assert.deepEqual(
    config.backends.map((b) => [b.service, b.port, b.healthCheck.type, b.healthCheck.path, b.healthCheck.intervalMs, b.healthCheck.timeoutMs]),
    [
      ['web', 8080, 'http', '/health', 5000, 2000],
      ['api', 9090, 'http', '/api/health', 5000, 2000],
      ['grpc', 50051, 'tcp', '/health', 10_000, 3000],
    ],
  );
  assert.deepEqual(config.gossip.overwatchNodes, ['overwatch-1.internal:7946']);
});

test("the guide's DNSSEC-disable example is accepted with its acknowledgement sentence", async (t) => {
  const dir = await makeTempDir(t);
  const path = await writeConfig(dir, 'overwatch.yaml', GUIDE_DNSSEC_DISABLE);
  const config = await loadConfigFile(path, { env: ENV, hostname: 'h' });
  assert.equal(config.dnssec.enabled, false);
});

test("the guide's Overwatch example without its variables set names each unset variable, key and line", async (t) => {
  const dir = await makeTempDir(t);
  const path = await writeConfig(dir, 'overwatch.yaml', GUIDE_OVERWATCH);
  const { lines } = await problemsOf(() => loadConfigFile(path, { env: { MYAPP_TOKEN: TOKEN_A }, hostname: 'h' }));
  assert.deepEqual(lines, [
    `${path}:24: agent_tokens.otherapp: environment variable OTHERAPP_TOKEN is not set`,
    `${path}:28: gossip.encryption_key: environment variable GOSSIP_KEY is not set`,
  ]);
});

test('a configuration file that does not exist is reported with the reason', async (t) => {
  const dir = await makeTempDir(t);
  const { lines } = await problemsOf(() => loadConfigFile(`${dir}/missing.yaml`, { env: ENV }));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /missing\.yaml: failed to read file: ENOENT/);
});
