/**
 * The agent and the Overwatch as real `opengslb` processes, answers read with kdig: registration,
 * a backend stopping, SIGKILL of the agent (stale; validation keeps the healthy backend; removal),
 * SIGTERM (deregistered at once), and predictive drain/recovery driven by an error-rate endpoint.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { OpengslbProcess, TempConfigDir } from '../support/opengslb-process.ts';
import { startBackends, eventually, type TestBackend } from '../support/backend-servers.ts';
import { kdig } from '../support/dns-client.ts';

const ACK = 'I understand that disabling DNSSEC allows DNS spoofing attacks';
const KEY = randomBytes(32).toString('base64');
const TOKEN = randomBytes(24).toString('base64');
const tmp = new TempConfigDir();
let backends: { list: TestBackend[]; close(): Promise<void> };
let errorRate = 0;
let errorServer: http.Server;
let errorPort = 0;

before(async () => {
  backends = await startBackends(['127.0.0.51', '127.0.0.52']);
  errorServer = http.createServer((_req, res) => res.end(JSON.stringify({ error_rate: errorRate })));
  errorServer.listen(0, '127.0.0.1');
  await once(errorServer, 'listening');
  errorPort = (errorServer.address() as { port: number }).port;
});
after(async () => {
  await backends.close();
  await new Promise((r) => errorServer.close(r));
  tmp.cleanup();
});

function overwatchYaml(name: string, stale = { threshold: '3s', remove: '4s' }): string {
  return `mode: overwatch
identity: { node_id: ${name} }
dns: { listen_address: "127.0.0.1:0", zones: [gslb.test], default_ttl: 5 }
data_dir: ${path.join(tmp.dir, name)}
logging: { level: info, format: json }
dnssec: { enabled: false, security_acknowledgment: "${ACK}" }
agent_tokens: { myapp: "${TOKEN}" }
gossip: { bind_address: "127.0.0.1:0", encryption_key: "${KEY}", probe_interval: 200ms, probe_timeout: 100ms, gossip_interval: 50ms }
validation: { enabled: true, check_interval: 1s, check_timeout: 300ms }
stale: { threshold: ${stale.threshold}, remove_after: ${stale.remove} }
`;
}

function agentYaml(name: string, gossipPort: number, predictive = false): string {
  const list = backends.list
    .map((b) => `  - { service: myapp, address: ${b.address}, port: ${b.port}, weight: 100, health_check: { type: http, path: /health, interval: 1s, timeout: 300ms, failure_threshold: 1, success_threshold: 1 } }`)
    .join('\n');
  const pred = predictive
    ? `predictive:
  enabled: true
  check_interval: 1s
  cpu: { threshold: 100, bleed_duration: 1s }
  memory: { threshold: 100, bleed_duration: 1s }
  error_rate: { threshold: 5, window: 60s, bleed_duration: 1s, endpoint: "http://127.0.0.1:${errorPort}/errors" }
`
    : '';
  return `mode: agent
identity: { service_token: "${TOKEN}", region: us }
data_dir: ${path.join(tmp.dir, name)}
logging: { level: info, format: json }
gossip:
  encryption_key: "${KEY}"
  bind_address: "127.0.0.1:0"
  overwatch_nodes: ["127.0.0.1:${gossipPort}"]
  probe_interval: 200ms
  probe_timeout: 100ms
  gossip_interval: 50ms
heartbeat: { interval: 1s, missed_threshold: 3 }
${pred}backends:
${list}
`;
}

async function startOverwatch(name: string, stale?: { threshold: string; remove: string }): Promise<{ ow: OpengslbProcess; dns: number; gossip: number }> {
  const ow = new OpengslbProcess(['--config', tmp.write(`${name}.yaml`, overwatchYaml(name, stale))]);
  const dns = await ow.dnsPort();
  const line = await ow.waitForLog((l) => l.msg === 'gossip listening for agents');
  return { ow, dns, gossip: Number(String(line.gossip).split(':').pop()) };
}

async function ips(port: number): Promise<string[]> {
  const out = await kdig(port, ['myapp.gslb.test', 'A', '+short']);
  return out.split('\n').filter(Boolean).sort();
}

async function status(port: number): Promise<string> {
  const out = await kdig(port, ['myapp.gslb.test', 'A']);
  return /status: (\w+)/.exec(out)?.[1] ?? 'none';
}

test('agent SIGKILL: stale, validation keeps the healthy backend, the stopped one leaves, both are removed after remove_after', async (t) => {
  const { ow, dns, gossip } = await startOverwatch('ow-kill');
  t.after(() => ow.stop());
  const agent = new OpengslbProcess(['--config', tmp.write('agent-kill.yaml', agentYaml('agent-kill', gossip))]);
  t.after(() => agent.stop());
  await eventually(async () => assert.deepEqual(await ips(dns), ['127.0.0.51', '127.0.0.52']), 15_000);

  agent.child.kill('SIGKILL');
  await agent.exited;
  await ow.waitForLog((l) => l.msg === 'backend health changed' && l.to === 'healthy' && l.authority === 'validation' && String(l.backend).includes('127.0.0.51'), 10_000);
  // stale now, still served because validation passes
  assert.deepEqual(await ips(dns), ['127.0.0.51', '127.0.0.52']);
  backends.list[1]!.healthy = false;
  t.after(() => (backends.list[1]!.healthy = true));
  await eventually(async () => assert.deepEqual(await ips(dns), ['127.0.0.51']), 5000);
  await eventually(async () => assert.equal(await status(dns), 'NXDOMAIN'), 10_000);
  backends.list[1]!.healthy = true;
});

test('agent SIGTERM deregisters its backends at once', async (t) => {
  const { ow, dns, gossip } = await startOverwatch('ow-term', { threshold: '30s', remove: '5m' });
  t.after(() => ow.stop());
  const agent = new OpengslbProcess(['--config', tmp.write('agent-term.yaml', agentYaml('agent-term', gossip))]);
  await eventually(async () => assert.deepEqual(await ips(dns), ['127.0.0.51', '127.0.0.52']), 15_000);
  const started = Date.now();
  assert.equal(await agent.stop('SIGTERM'), 0);
  await agent.waitForLog((l) => l.msg === 'deregistered from every overwatch').catch(() => undefined);
  await eventually(async () => assert.equal(await status(dns), 'NXDOMAIN'), 2000);
  assert.ok(Date.now() - started < 5000, 'well before stale.threshold (30s)');
});

test('predictive drain removes the backends while the error rate is high, and recovery brings them back', async (t) => {
  const { ow, dns, gossip } = await startOverwatch('ow-pred', { threshold: '30s', remove: '5m' });
  t.after(() => ow.stop());
  errorRate = 0;
  const agent = new OpengslbProcess(['--config', tmp.write('agent-pred.yaml', agentYaml('agent-pred', gossip, true))]);
  t.after(() => agent.stop());
  await eventually(async () => assert.deepEqual(await ips(dns), ['127.0.0.51', '127.0.0.52']), 15_000);
  errorRate = 50;
  await agent.waitForLog((l) => l.msg === 'predictive health changed' && l.state === 'draining', 20_000);
  await eventually(async () => assert.equal(await status(dns), 'SERVFAIL'), 15_000);
  errorRate = 0;
  await eventually(async () => assert.deepEqual(await ips(dns), ['127.0.0.51', '127.0.0.52']), 15_000);
});
