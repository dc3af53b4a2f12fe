/**
 * The latency policies end to end on a real Overwatch:
 * - latency: backends whose /health answers slowly or quickly; the validation checks' smoothed
 *   RTT orders the answer, and the order follows when the delays swap;
 * - learned_latency: a simulated agent (a memberlist node with a pinned identity, speaking the
 *   signed envelope protocol over encrypted gossip) reports per-subnet RTTs for its two backends;
 *   two client subnets are steered to two different backends; the table is visible in the API.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { parseConfigText } from '../../src/config/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { startOverwatchProcess } from '../../src/cli/overwatch-process.ts';
import { loadOrCreateIdentity } from '../../src/agent/index.ts';
import { Memberlist, encodeEnvelope, encodeNodeMeta, signEnvelope, type Envelope } from '../../src/gossip/index.ts';
import { eventually, startBackends } from '../support/backend-servers.ts';
import { dig } from '../support/dns-client.ts';

const ACK = 'I understand that disabling DNSSEC allows DNS spoofing attacks';
const silent = createLogger({ level: 'error', format: 'json' }, new Writable({ write: (_c, _e, cb) => cb() }));
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'opengslb-lat-'));
  dirs.push(d);
  return d;
}

async function slowBackend(address: string, delayMs: { value: number }): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    setTimeout(() => res.writeHead(200).end(), delayMs.value);
  });
  server.listen(0, address);
  await once(server, 'listening');
  return { port: (server.address() as { port: number }).port, close: () => new Promise((r) => server.close(() => r())) };
}

async function firstAnswers(port: number, name: string, args: string[] = []): Promise<string[]> {
  const out = await dig(port, [name, 'A', ...args]);
  return [...out.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]!);
}

test('latency: the lowest smoothed validation RTT answers first, and the order follows the measurements', async (t) => {
  const fastDelay = { value: 0 };
  const slowDelay = { value: 120 };
  const a = await slowBackend('127.0.0.61', slowDelay);
  const b = await slowBackend('127.0.0.62', fastDelay);
  t.after(async () => {
    await a.close();
    await b.close();
  });
  const text = `dns: { listen_address: "127.0.0.1:0", zones: [gslb.test] }
data_dir: ${tempDir()}
dnssec: { enabled: false, security_acknowledgment: "${ACK}" }
regions:
  - name: us
    servers:
      - { address: 127.0.0.61, port: ${a.port}, service: fast.gslb.test }
      - { address: 127.0.0.62, port: ${b.port}, service: fast.gslb.test }
    health_check: { type: http, path: /health, interval: 1s, timeout: 900ms, failure_threshold: 1, success_threshold: 1 }
domains:
  - name: fast.gslb.test
    routing_algorithm: latency
    regions: [us]
    ttl: 5
    latency_config: { smoothing_factor: 0.7, max_latency_ms: 500, min_samples: 2 }
`;
  const ow = await startOverwatchProcess(parseConfigText(text, { sourcePath: '' }), silent);
  t.after(() => ow.close());
  const port = ow.overwatch.dnsPort;
  await eventually(async () => assert.deepEqual(await firstAnswers(port, 'fast.gslb.test'), ['127.0.0.62', '127.0.0.61']), 8000);
  slowDelay.value = 0;
  fastDelay.value = 150;
  await eventually(async () => assert.deepEqual(await firstAnswers(port, 'fast.gslb.test'), ['127.0.0.61', '127.0.0.62']), 8000);
  // Above max_latency_ms is dropped while another one is within it.
  fastDelay.value = 700;
  await eventually(async () => assert.deepEqual(await firstAnswers(port, 'fast.gslb.test'), ['127.0.0.61']), 10000);
});

test('learned_latency: a simulated agent report steers two client subnets to two different backends', async (t) => {
  const key = randomBytes(32);
  const token = randomBytes(24).toString('base64');
  const dir = tempDir();
  const servers = await startBackends(['127.0.0.70', '127.0.0.71', '127.0.0.72']);
  t.after(() => servers.close());
  const [p70, p71, p72] = servers.list.map((b) => b.port);
  const text = `identity: { node_id: ow-latency }
dns: { listen_address: "127.0.0.1:0", zones: [gslb.test] }
data_dir: ${path.join(dir, 'data')}
dnssec: { enabled: false, security_acknowledgment: "${ACK}" }
agent_tokens: { "app.gslb.test": "${token}" }
gossip: { bind_address: "127.0.0.1:0", encryption_keys: ["${key.toString('base64')}"], probe_interval: 200ms, probe_timeout: 100ms, gossip_interval: 50ms }
api: { address: "127.0.0.1:0" }
regions:
  - name: us
    servers:
      - { address: 127.0.0.70, port: ${p70}, service: app.gslb.test }
    health_check: { type: http, path: /health, interval: 1s, timeout: 500ms, failure_threshold: 1, success_threshold: 1 }
domains:
  - { name: app.gslb.test, routing_algorithm: learned_latency, regions: [us], ttl: 5 }
`;
  const ow = await startOverwatchProcess(parseConfigText(text, { sourcePath: '' }), silent);
  t.after(() => ow.close());

  // The simulated agent: an identity pinned by the token, two backends, signed envelopes.
  const id = await loadOrCreateIdentity(path.join(dir, 'agent.key'), path.join(dir, 'agent.crt'), 'us');
  const ml = await Memberlist.create({
    name: id.agentId,
    bindHost: '127.0.0.1',
    bindPort: 0,
    keyring: [key],
    probeIntervalMs: 200,
    probeTimeoutMs: 100,
    gossipIntervalMs: 50,
    meta: encodeNodeMeta({ role: 'agent', region: 'us', version: 'test', timestamp: new Date().toISOString(), agent_id: id.agentId }),
    logger: silent,
  });
  t.after(() => ml.close());
  assert.equal(await ml.join([`127.0.0.1:${ow.overwatch.gossipPort}`]), 1);
  const overwatch = ml.members().find((m) => m.name === 'ow-latency')!;
  let seq = Date.now() * 1000;
  const send = (type: Envelope['type'], payload: unknown) =>
    ml.sendReliable(
      overwatch,
      encodeEnvelope(signEnvelope({ type, agent_id: id.agentId, region: 'us', timestamp: new Date().toISOString(), payload } as Envelope, id.privateKey, 'app.gslb.test', ++seq)),
    );
  await send('agent_auth', { certificate_pem: id.certificatePem, service_token: token, fingerprint: id.keyId });
  await send('heartbeat', {
    backends: [
      { service: 'app.gslb.test', address: '127.0.0.71', port: p71, weight: 100, healthy: true, health_check: { type: 'http', path: '/health' } },
      { service: 'app.gslb.test', address: '127.0.0.72', port: p72, weight: 100, healthy: true, health_check: { type: 'http', path: '/health' } },
    ],
  });
  const port = ow.overwatch.dnsPort;
  await eventually(async () => assert.equal((await firstAnswers(port, 'app.gslb.test')).length, 3), 5000);

  const ns = (ms: number) => ms * 1e6;
  const seen = new Date().toISOString();
  await send('latency_report', {
    backend: `app.gslb.test:127.0.0.71:${p71}`,
    subnets: [
      { subnet: '203.0.113.0/24', ewma_ns: ns(8), sample_count: 12, last_seen: seen },
      { subnet: '198.51.100.0/24', ewma_ns: ns(90), sample_count: 12, last_seen: seen },
    ],
  });
  await send('latency_report', {
    backend: `127.0.0.72:${p72}`, // address:port form
    subnets: [
      { subnet: '203.0.113.0/24', ewma_ns: ns(70), sample_count: 12, last_seen: seen },
      { subnet: '198.51.100.0/24', ewma_ns: ns(6), sample_count: 12, last_seen: seen },
    ],
  });

  await eventually(async () => assert.deepEqual(await firstAnswers(port, 'app.gslb.test', ['+subnet=203.0.113.0/24']), ['127.0.0.71', '127.0.0.72']), 5000);
  assert.deepEqual(await firstAnswers(port, 'app.gslb.test', ['+subnet=198.51.100.0/24']), ['127.0.0.72', '127.0.0.71']);
  const scope = /CLIENT-SUBNET: [^/\s]+\/24\/(\d+)/.exec(await dig(port, ['app.gslb.test', 'A', '+subnet=198.51.100.0/24']))?.[1];
  assert.equal(scope, '24');
  // No report for this subnet: round-robin over all three.
  assert.equal((await firstAnswers(port, 'app.gslb.test', ['+subnet=192.0.2.0/24'])).length, 3);

  const table = (await (await fetch(`http://127.0.0.1:${ow.api!.port}/api/v1/overwatch/latency`)).json()) as {
    entries: { subnet: string; backend: string; ewma_ms: number; source: string }[];
    count: number;
    subnet_count: number;
  };
  assert.equal(table.count, 4);
  assert.equal(table.subnet_count, 2);
  assert.ok(table.entries.every((e) => e.source === id.agentId));
  assert.ok(table.entries.some((e) => e.subnet === '198.51.100.0/24' && e.backend === `app.gslb.test:127.0.0.72:${p72}` && e.ewma_ms === 6));
});
