import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { startOverwatchProcess, type RunningOverwatch } from '../../src/cli/overwatch-process.ts';
import { startBackends, eventually, type TestBackend } from '../support/backend-servers.ts';
import { encodeQuery, udpExchange, decode } from '../support/dns-client.ts';
import { Writable } from 'node:stream';

const ACK = 'I understand that disabling DNSSEC allows DNS spoofing attacks';
let backends: { list: TestBackend[]; close(): Promise<void> };
const dirs: string[] = [];

before(async () => {
  // .24 is not in the config: the API creates it
  backends = await startBackends(['127.0.0.21', '127.0.0.22', '127.0.0.23', '127.0.0.24']);
});
after(async () => {
  await backends.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const silent = createLogger({ level: 'error', format: 'json' }, new Writable({ write: (_c, _e, cb) => cb() }));

function configText(dataDir: string, allowed = ['127.0.0.0/8']): string {
  const servers = backends.list.slice(0, 3).map((b) => `      - { address: ${b.address}, port: ${b.port}, service: app.gslb.test }`).join('\n');
  return `dns:
  listen_address: "127.0.0.1:0"
  zones: [gslb.test]
data_dir: ${dataDir}
dnssec: { enabled: false, security_acknowledgment: "${ACK}" }
api:
  address: "127.0.0.1:0"
  allowed_networks: [${allowed.join(', ')}]
metrics:
  address: "127.0.0.1:0"
regions:
  - name: us
    servers:
${servers}
    health_check: { type: http, path: /health, interval: 1s, timeout: 500ms, failure_threshold: 1, success_threshold: 1 }
domains:
  - { name: app.gslb.test, routing_algorithm: round-robin, regions: [us], ttl: 5 }
`;
}

function newDataDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'opengslb-ow-'));
  dirs.push(d);
  return path.join(d, 'data');
}

async function start(dataDir: string, allowed?: string[]): Promise<RunningOverwatch> {
  return startOverwatchProcess(parseConfigText(configText(dataDir, allowed), { sourcePath: '' }), silent);
}

async function served(ow: RunningOverwatch): Promise<string[]> {
  const res = decode(await udpExchange(ow.overwatch.dnsPort, encodeQuery('app.gslb.test', 'A')));
  return (res.answers ?? []).map((a) => (a as { data: string }).data).sort();
}

function api(ow: RunningOverwatch, p: string, init?: RequestInit): Promise<Response> {
  return fetch(`http://127.0.0.1:${ow.api!.port}${p}`, init);
}

function put(ow: RunningOverwatch, p: string, body: unknown): Promise<Response> {
  return api(ow, p, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

test('an override marks a passing backend unhealthy in DNS, is listed, and clearing it brings the backend back', async (t) => {
  const ow = await start(newDataDir());
  t.after(() => ow.close());
  assert.deepEqual(await served(ow), ['127.0.0.21', '127.0.0.22', '127.0.0.23']);

  const res = await put(ow, '/api/v1/overrides/app.gslb.test/127.0.0.21', { healthy: false, reason: 'maintenance' });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { healthy: boolean; source: string };
  assert.equal(body.healthy, false);
  assert.equal(body.source, 'api');
  // the write is acknowledged once durable; DNS changes on the next event-loop turn
  await eventually(async () => assert.deepEqual(await served(ow), ['127.0.0.22', '127.0.0.23']), 1000);

  const list = (await (await api(ow, '/api/v1/overrides')).json()) as { overrides: { address: string }[] };
  assert.deepEqual(list.overrides.map((o) => o.address), ['127.0.0.21']);
  const backendsRes = (await (await api(ow, '/api/v1/backends')).json()) as { backends: { address: string; authority: string; healthy: boolean }[] };
  const b21 = backendsRes.backends.find((b) => b.address === '127.0.0.21')!;
  assert.equal(b21.authority, 'override');
  assert.equal(b21.healthy, false);

  assert.equal((await api(ow, '/api/v1/overrides/app.gslb.test/127.0.0.21', { method: 'DELETE' })).status, 204);
  await eventually(async () => assert.deepEqual(await served(ow), ['127.0.0.21', '127.0.0.22', '127.0.0.23']), 1000);
});

test('an override keeps a failing backend in DNS (override beats validation)', async (t) => {
  const ow = await start(newDataDir());
  t.after(() => ow.close());
  backends.list[2]!.healthy = false;
  t.after(() => (backends.list[2]!.healthy = true));
  await eventually(async () => assert.deepEqual(await served(ow), ['127.0.0.21', '127.0.0.22']));
  assert.equal((await put(ow, '/api/v1/overrides/app.gslb.test/127.0.0.23', { healthy: true, reason: 'known good' })).status, 200);
  await eventually(async () => assert.deepEqual(await served(ow), ['127.0.0.21', '127.0.0.22', '127.0.0.23']), 1000);
});

test('overrides and API-created servers survive a restart and are served before the first check', async () => {
  const dataDir = newDataDir();
  const first = await start(dataDir);
  assert.equal((await put(first, '/api/v1/overrides/app.gslb.test/127.0.0.22', { healthy: false, reason: 'drain', source: 'cloudwatch' })).status, 200);
  const created = await api(first, '/api/v1/servers', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'app.gslb.test', address: '127.0.0.24', port: backends.list[3]!.port, region: 'us' }),
  });
  assert.equal(created.status, 201);
  await first.close();

  const second = await start(dataDir);
  try {
    const overrides = (await (await api(second, '/api/v1/overrides')).json()) as { overrides: { address: string; source: string }[] };
    assert.deepEqual(overrides.overrides.map((o) => [o.address, o.source]), [['127.0.0.22', 'cloudwatch']]);
    const list = await served(second);
    assert.ok(!list.includes('127.0.0.22'), 'the override applies from the first answer');
    assert.ok(list.includes('127.0.0.24'), 'the API-created server is served');
  } finally {
    await second.close();
  }
});

test('an external tool cannot replace a manual override (409)', async (t) => {
  const ow = await start(newDataDir());
  t.after(() => ow.close());
  assert.equal((await put(ow, '/api/v1/overrides/app.gslb.test/127.0.0.21', { healthy: true, reason: 'operator' })).status, 200);
  const res = await put(ow, '/api/v1/overrides/app.gslb.test/127.0.0.21', { healthy: false, reason: 'alarm', source: 'cloudwatch' });
  assert.equal(res.status, 409);
  const body = (await res.json()) as { error: string; code: number };
  assert.equal(body.code, 409);
  assert.match(body.error, /manual override/);
});

test('the API refuses clients outside allowed_networks with 403 JSON; liveness stays open', async (t) => {
  const ow = await start(newDataDir(), ['10.0.0.0/8']);
  t.after(() => ow.close());
  const res = await api(ow, '/api/v1/backends');
  assert.equal(res.status, 403);
  assert.equal(((await res.json()) as { code: number }).code, 403);
  assert.equal((await api(ow, '/api/v1/live')).status, 200);
});

test('a bad override body gets 400 naming the field', async (t) => {
  const ow = await start(newDataDir());
  t.after(() => ow.close());
  const res = await put(ow, '/api/v1/overrides/app.gslb.test/127.0.0.21', { healthy: 'yes', reason: 'x' });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: string }).error, /healthy/);
});

test("every guide metric is exported and the query counter moves", async (t) => {
  const ow = await start(newDataDir());
  t.after(() => ow.close());
  const scrape = async () => (await fetch(`http://127.0.0.1:${ow.overwatch.metricsPort}/metrics`)).text();
  const before = await scrape();
  for (const name of [
    'opengslb_overwatch_agents_registered',
    'opengslb_overwatch_backends_total',
    'opengslb_overwatch_backends_healthy',
    'opengslb_overwatch_stale_agents_total',
    'opengslb_overwatch_validation_checks_total',
    'opengslb_dns_queries_total',
  ]) {
    assert.match(before, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  assert.match(before, /^opengslb_overwatch_backends_total 3$/m);
  assert.match(before, /^opengslb_overwatch_backends_healthy 3$/m);
  assert.match(before, /^opengslb_overwatch_validation_checks_total\{service="app\.gslb\.test",result="success"\} \d+/m);
  for (let i = 0; i < 5; i++) await served(ow);
  const afterText = await scrape();
  assert.match(afterText, /^opengslb_dns_queries_total\{domain="app\.gslb\.test",type="A",status="NOERROR"\} 5$/m);
});
