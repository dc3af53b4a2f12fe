import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { OpengslbProcess, TempConfigDir, BIN } from '../support/opengslb-process.ts';
import { startBackends, eventually, type TestBackend } from '../support/backend-servers.ts';
import { dig, encodeQuery, udpExchange, decode } from '../support/dns-client.ts';

const execFileAsync = promisify(execFile);
const ACK = 'I understand that disabling DNSSEC allows DNS spoofing attacks';

let started: { list: TestBackend[]; close(): Promise<void> };
let backends: TestBackend[] = [];
const tmp = new TempConfigDir();

before(async () => {
  started = await startBackends(['127.0.0.11', '127.0.0.12', '127.0.0.13']);
  backends = started.list;
});
after(async () => {
  await started.close();
  tmp.cleanup();
});

function config(extraDomains = ''): string {
  const servers = (service: string) =>
    backends.map((b) => `      - { address: ${b.address}, port: ${b.port}, service: ${service}, weight: 100 }`).join('\n');
  return `mode: overwatch
dns:
  listen_address: "127.0.0.1:0"
  zones: [gslb.test]
  default_ttl: 5
data_dir: ${path.join(tmp.dir, 'data')}
logging: { level: info, format: json }
dnssec:
  enabled: false
  security_acknowledgment: "${ACK}"
regions:
  - name: r1
    servers:
${servers('app.gslb.test')}
${servers('fo.gslb.test')}
${extraDomains ? servers('new.gslb.test') : ''}
    health_check: { type: http, path: /health, interval: 1s, timeout: 500ms, failure_threshold: 1, success_threshold: 1 }
domains:
  - { name: app.gslb.test, routing_algorithm: round-robin, regions: [r1], ttl: 7 }
  - { name: fo.gslb.test, routing_algorithm: failover, regions: [r1] }
${extraDomains}`;
}

async function aRecords(port: number, name: string): Promise<string[]> {
  const res = decode(await udpExchange(port, encodeQuery(name, 'A')));
  return (res.answers ?? []).map((a) => (a as { data: string }).data).sort();
}

test('serves health-checked static backends; a failing backend leaves the answer and comes back', async (t) => {
  const file = tmp.write('overwatch.yaml', config());
  const ow = new OpengslbProcess(['--config', file]);
  t.after(() => ow.stop());
  const port = await ow.dnsPort();

  assert.deepEqual(await aRecords(port, 'app.gslb.test'), ['127.0.0.11', '127.0.0.12', '127.0.0.13']);
  const out = await dig(port, ['app.gslb.test', 'A']);
  assert.match(out, /status: NOERROR/);
  assert.match(out, /app\.gslb\.test\.\s+7\s+IN\s+A\s+127\.0\.0\.1[123]/);
  assert.deepEqual(await aRecords(port, 'fo.gslb.test'), ['127.0.0.11']);

  backends[0]!.healthy = false;
  await eventually(async () => assert.deepEqual(await aRecords(port, 'app.gslb.test'), ['127.0.0.12', '127.0.0.13']));
  // failover moves to the next server in configured order
  await eventually(async () => assert.deepEqual(await aRecords(port, 'fo.gslb.test'), ['127.0.0.12']));
  await ow.waitForLog((l) => l.msg === 'backend health changed' && l.to === 'unhealthy' && String(l.backend).includes('127.0.0.11'));

  backends[0]!.healthy = true;
  await eventually(async () => assert.deepEqual(await aRecords(port, 'fo.gslb.test'), ['127.0.0.11']));
  assert.equal(await ow.stop(), 0);
});

test('answers SERVFAIL when every backend is down', async (t) => {
  const file = tmp.write('down.yaml', config());
  const ow = new OpengslbProcess(['--config', file]);
  t.after(() => ow.stop());
  const port = await ow.dnsPort();
  for (const b of backends) b.healthy = false;
  t.after(() => backends.forEach((b) => (b.healthy = true)));
  await eventually(async () => {
    const res = decode(await udpExchange(port, encodeQuery('app.gslb.test', 'A')));
    assert.equal(res.rcode, 'SERVFAIL');
  });
});

test('SIGHUP applies a good config and rejects a bad one while the old one keeps serving', async (t) => {
  const file = tmp.write('reload.yaml', config());
  const ow = new OpengslbProcess(['--config', file]);
  t.after(() => ow.stop());
  const port = await ow.dnsPort();

  tmp.write('reload.yaml', 'dns:\n  listen_address: "127.0.0.1:0"\n  default_ttl: -5\nregions: nope\n');
  ow.child.kill('SIGHUP');
  const failed = await ow.waitForLog((l) => l.msg.startsWith('configuration reload failed'));
  assert.match(String(failed.reason), /default_ttl/);
  assert.deepEqual(await aRecords(port, 'app.gslb.test'), ['127.0.0.11', '127.0.0.12', '127.0.0.13']);

  tmp.write('reload.yaml', config('  - { name: new.gslb.test, routing_algorithm: round-robin, regions: [r1] }\n'));
  ow.child.kill('SIGHUP');
  await ow.waitForLog((l) => l.msg === 'configuration reloaded successfully');
  await eventually(async () => assert.deepEqual(await aRecords(port, 'new.gslb.test'), ['127.0.0.11', '127.0.0.12', '127.0.0.13']));
  assert.equal(await ow.stop('SIGINT'), 0);
});

test('SIGHUP names settings that need a restart', async (t) => {
  const file = tmp.write('restart.yaml', config());
  const ow = new OpengslbProcess(['--config', file]);
  t.after(() => ow.stop());
  await ow.dnsPort();
  tmp.write('restart.yaml', config().replace('"127.0.0.1:0"', '"127.0.0.1:5399"'));
  ow.child.kill('SIGHUP');
  const line = await ow.waitForLog((l) => l.msg.includes('need a restart'));
  assert.match(JSON.stringify(line.settings), /dns\.listen_address/);
});

test('a bad config fails at start with exit 1, naming the key and the line', async () => {
  const file = tmp.write('bad.yaml', 'dns:\n  listen_address: "127.0.0.1:0"\n  default_ttl: 60\ndomains:\n  - name: app.gslb.test\n    routing_algorithm: fastest\n    regions: [r1]\n');
  const ow = new OpengslbProcess(['--config', file]);
  assert.equal(await ow.exited, 1);
  assert.match(ow.stderr, /routing_algorithm/);
  assert.match(ow.stderr, /fastest/);
  assert.match(ow.stderr, /line 6|:6:/);
});

test('a world-readable config file is refused with the chmod hint', async () => {
  const file = tmp.write('open.yaml', config(), 0o644);
  const ow = new OpengslbProcess(['--config', file]);
  assert.equal(await ow.exited, 1);
  assert.match(ow.stderr, /world-readable/);
  assert.match(ow.stderr, /chmod 640/);
});

test('a geolocation database that cannot be read stops the start, naming geolocation.database_path', async () => {
  const geo = config().replace('routing_algorithm: failover', 'routing_algorithm: geolocation') + '\ngeolocation:\n  database_path: /nonexistent/geo.mmdb\n';
  const file = tmp.write('geo.yaml', geo);
  const ow = new OpengslbProcess(['-config', file]);
  assert.equal(await ow.exited, 1);
  assert.match(ow.stderr, /geolocation\.database_path \/nonexistent\/geo\.mmdb: cannot read/);
});

test('validate exits 0 for a good config and 1 listing every error for a bad one', async () => {
  const good = tmp.write('v-good.yaml', config());
  const ok = await execFileAsync(BIN, ['validate', '--config', good]);
  assert.match(ok.stdout, /valid/);
  const bad = tmp.write('v-bad.yaml', 'mode: overwatch\ndns:\n  default_ttl: -1\nlogging:\n  level: loud\n');
  const res = await execFileAsync(BIN, ['validate', '--config', bad]).then(
    () => assert.fail('validate should fail'),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(res.code, 1);
  assert.match(res.stderr, /:3: dns\.default_ttl/);
  assert.match(res.stderr, /:5: logging\.level/);
  const badMode = tmp.write('v-mode.yaml', 'mode: sideways\n');
  const modeRes = await execFileAsync(BIN, ['validate', '--config', badMode]).then(
    () => assert.fail('validate should fail'),
    (err: { code: number; stderr: string }) => err,
  );
  assert.match(modeRes.stderr, /invalid mode "sideways": must be 'agent' or 'overwatch'/);
});

test('--version prints the version, also under a shell whose node is older (bin picks Node 24)', async () => {
  const env = { ...process.env, PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}` };
  const { stdout } = await execFileAsync(BIN, ['--version'], { env });
  assert.match(stdout, /^OpenGSLB \d+\.\d+\.\d+/);
  const goStyle = await execFileAsync(BIN, ['-version'], { env });
  assert.match(goStyle.stdout, /^OpenGSLB /);
});
