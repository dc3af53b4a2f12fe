import { test, before, after } from 'node:test';
import http from 'node:http';
import { once } from 'node:events';
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

const silent = createLogger({ level: 'error', format: 'json' }, new Writable({ write: (_c, _e, cb) => cb() }));
let backends: { list: TestBackend[]; close(): Promise<void> };
let dir: string;
before(async () => {
  backends = await startBackends(['127.0.0.71', '127.0.0.72', '127.0.0.73']);
  dir = mkdtempSync(path.join(tmpdir(), 'opengslb-comp-'));
});
after(async () => {
  await backends.close();
  rmSync(dir, { recursive: true, force: true });
});

function start(inner: string): Promise<RunningOverwatch> {
  const [a, b, c] = backends.list;
  const srv = (x: TestBackend, w: number) => `{ address: ${x.address}, port: ${x.port}, service: app.gslb.test, weight: ${w} }`;
  const text = `dns: { listen_address: "127.0.0.1:0", zones: [gslb.test] }
data_dir: ${path.join(dir, inner)}
dnssec: { enabled: false, security_acknowledgment: "I understand that disabling DNSSEC allows DNS spoofing attacks" }
geolocation:
  default_region: eu
  custom_mappings: [{ cidr: 127.0.0.0/8, region: us }]
regions:
  - name: us
    servers: [${srv(a!, 1)}, ${srv(b!, 1000)}]
    health_check: { type: tcp, interval: 1s, timeout: 300ms }
  - name: eu
    servers: [${srv(c!, 1)}]
    health_check: { type: tcp, interval: 1s, timeout: 300ms }
domains:
  - name: app.gslb.test
    routing_algorithm: { geolocation: ${inner} }
    regions: [us, eu]
`;
  return startOverwatchProcess(parseConfigText(text, { sourcePath: '' }), silent);
}

async function answers(ow: RunningOverwatch): Promise<string[]> {
  const res = decode(await udpExchange(ow.overwatch.dnsPort, encodeQuery('app.gslb.test', 'A')));
  return (res.answers ?? []).map((x) => (x as { data: string }).data);
}

test('{ geolocation: failover }: the client region (us, by custom CIDR) answers its first server only', async (t) => {
  const ow = await start('failover');
  t.after(() => ow.close());
  for (let i = 0; i < 5; i++) await eventually(async () => assert.deepEqual(await answers(ow), ['127.0.0.71']));
});

test('{ geolocation: weighted }: within the region the heavier server comes first almost always; the other region never appears', async (t) => {
  const ow = await start('weighted');
  t.after(() => ow.close());
  let heavyFirst = 0;
  for (let i = 0; i < 40; i++) {
    const list = await answers(ow);
    assert.ok(!list.includes('127.0.0.73'), 'eu is not in a us answer');
    if (list[0] === '127.0.0.72') heavyFirst++;
  }
  assert.ok(heavyFirst >= 36, `heavy first ${heavyFirst}/40`);
});

test('a nested routing_algorithm other than { geolocation: round-robin|weighted|failover } is refused with its line', () => {
  assert.throws(
    () => parseConfigText('regions: [{ name: r, servers: [{ address: 10.0.0.1, service: a.example.com }] }]\ndomains:\n  - name: a.example.com\n    routing_algorithm: { latency: weighted }\n    regions: [r]\n', { sourcePath: 'c.yaml' }),
    /c\.yaml:4: domains\[0\]\.routing_algorithm: expected a routing algorithm name, or \{ geolocation:/,
  );
});

test('{ geolocation: latency }: within the region the backend with the lowest measured check RTT comes first', async (t) => {
  const servers: http.Server[] = [];
  t.after(() => servers.forEach((s) => s.close()));
  const listen = async (address: string, delayMs: number) => {
    const s = http.createServer((_req, res) => setTimeout(() => res.end('ok'), delayMs));
    s.listen(0, address);
    await once(s, 'listening');
    servers.push(s);
    return (s.address() as { port: number }).port;
  };
  const slow = await listen('127.0.0.74', 80);
  const fast = await listen('127.0.0.75', 0);
  const text = `dns: { listen_address: "127.0.0.1:0", zones: [gslb.test] }
data_dir: ${path.join(dir, 'latency')}
dnssec: { enabled: false, security_acknowledgment: "I understand that disabling DNSSEC allows DNS spoofing attacks" }
geolocation:
  default_region: eu
  custom_mappings: [{ cidr: 127.0.0.0/8, region: us }]
regions:
  - name: us
    servers: [{ address: 127.0.0.74, port: ${slow}, service: app.gslb.test }, { address: 127.0.0.75, port: ${fast}, service: app.gslb.test }]
    health_check: { type: http, path: /, interval: 1s, timeout: 500ms, failure_threshold: 1, success_threshold: 1 }
  - name: eu
    servers: [{ address: ${backends.list[2]!.address}, port: ${backends.list[2]!.port}, service: app.gslb.test }]
    health_check: { type: tcp, interval: 1s, timeout: 300ms }
domains:
  - name: app.gslb.test
    routing_algorithm: { geolocation: latency }
    regions: [us, eu]
    latency_config: { min_samples: 1 }
`;
  const ow = await startOverwatchProcess(parseConfigText(text, { sourcePath: '' }), silent);
  t.after(() => ow.close());
  await eventually(async () => {
    const list = await answers(ow);
    assert.equal(list[0], '127.0.0.75');
    assert.ok(!list.includes(backends.list[2]!.address), 'eu is not in a us answer');
  }, 10_000);
});
