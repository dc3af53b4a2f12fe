import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseConfigText } from '../../src/config/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { startOverwatchProcess, type RunningOverwatch } from '../../src/cli/overwatch-process.ts';
import { startBackends, eventually, type TestBackend } from '../support/backend-servers.ts';
import { encodeQuery, udpExchange, decode } from '../support/dns-client.ts';

const ACK = 'I understand that disabling DNSSEC allows DNS spoofing attacks';
const silent = createLogger({ level: 'error', format: 'json' }, new Writable({ write: (_c, _e, cb) => cb() }));
let backends: { list: TestBackend[]; close(): Promise<void> };
const dirs: string[] = [];

before(async () => {
  backends = await startBackends(['127.0.0.31', '127.0.0.32']);
});
after(async () => {
  await backends.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function start(dataDir: string, stale = { threshold: '1s', remove: '2s' }): Promise<RunningOverwatch> {
  const text = `dns: { listen_address: "127.0.0.1:0", zones: [gslb.test], default_ttl: 5 }
data_dir: ${dataDir}
dnssec: { enabled: false, security_acknowledgment: "${ACK}" }
validation: { enabled: true, check_interval: 1s, check_timeout: 300ms }
stale: { threshold: ${stale.threshold}, remove_after: ${stale.remove} }
`;
  return startOverwatchProcess(parseConfigText(text, { sourcePath: '' }), silent);
}

function newDataDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'opengslb-agent-'));
  dirs.push(d);
  return path.join(d, 'data');
}

const check = { type: 'http' as const, path: '/health', intervalMs: 5000, timeoutMs: 1000, failureThreshold: 1, successThreshold: 1 };

function report(ow: RunningOverwatch, healthy: [boolean, boolean]) {
  ow.overwatch.agents.report({
    agentId: 'agent-a',
    region: 'us',
    backends: backends.list.map((b, i) => ({ service: 'myapp', address: b.address, port: b.port, weight: 100, healthy: healthy[i]!, healthCheck: check })),
  });
}

async function answer(ow: RunningOverwatch): Promise<{ rcode: string; ips: string[] }> {
  const res = decode(await udpExchange(ow.overwatch.dnsPort, encodeQuery('myapp.gslb.test', 'A')));
  return { rcode: res.rcode!, ips: (res.answers ?? []).map((a) => (a as { data: string }).data).sort() };
}

test("validation overrules a lying agent: a failing backend claimed healthy is not served", async (t) => {
  const ow = await start(newDataDir(), { threshold: '30s', remove: '5m' });
  t.after(() => ow.close());
  backends.list[1]!.healthy = false;
  t.after(() => (backends.list[1]!.healthy = true));
  report(ow, [true, true]);
  await eventually(async () => assert.deepEqual((await answer(ow)).ips, ['127.0.0.31']));
  const view = ow.overwatch.control.backends().find((b) => b.address === '127.0.0.32')!;
  assert.equal(view.authority, 'validation');
  assert.equal(view.agentHealthy, true);
  assert.equal(view.serve, false);
});

test('a stale agent backend is kept while validation passes, dropped when it fails, removed after remove_after', async (t) => {
  const ow = await start(newDataDir());
  t.after(() => ow.close());
  report(ow, [true, true]);
  await eventually(async () => assert.deepEqual((await answer(ow)).ips, ['127.0.0.31', '127.0.0.32']));
  // no more heartbeats: stale after 1s, but validation still passes for .31; .32 starts failing
  backends.list[1]!.healthy = false;
  t.after(() => (backends.list[1]!.healthy = true));
  await eventually(async () => {
    const views = ow.overwatch.control.backends();
    assert.ok(views.every((b) => b.isStale), 'stale');
    assert.deepEqual((await answer(ow)).ips, ['127.0.0.31']);
  });
  // removed 2s after turning stale: the name no longer exists
  await eventually(async () => assert.equal((await answer(ow)).rcode, 'NXDOMAIN'), 6000);
  assert.equal(ow.overwatch.control.backends().length, 0);
});

test('deregistration removes the agent backends at once', async (t) => {
  const ow = await start(newDataDir(), { threshold: '30s', remove: '5m' });
  t.after(() => ow.close());
  report(ow, [true, true]);
  await eventually(async () => assert.equal((await answer(ow)).ips.length, 2));
  // another agent cannot deregister them
  assert.equal(ow.overwatch.agents.deregister('agent-b', [{ service: 'myapp', address: '127.0.0.31', port: backends.list[0]!.port }]), 0);
  assert.equal(ow.overwatch.agents.deregister('agent-b'), 0);
  assert.equal(ow.overwatch.agents.deregister('agent-a'), 2);
  await eventually(async () => assert.equal((await answer(ow)).rcode, 'NXDOMAIN'), 1000);
});

test('agent registrations survive a restart and are validated before being served', async () => {
  const dataDir = newDataDir();
  const first = await start(dataDir, { threshold: '30s', remove: '5m' });
  report(first, [true, true]);
  await first.close();
  const second = await start(dataDir, { threshold: '30s', remove: '5m' });
  try {
    assert.equal(second.overwatch.control.backends().length, 2);
    await eventually(async () => assert.deepEqual((await answer(second)).ips, ['127.0.0.31', '127.0.0.32']));
  } finally {
    await second.close();
  }
});
