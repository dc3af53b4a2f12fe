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

const silent = createLogger({ level: 'error', format: 'json' }, new Writable({ write: (_c, _e, cb) => cb() }));
let backends: { list: TestBackend[]; close(): Promise<void> };
let dir: string;
before(async () => {
  backends = await startBackends(['127.0.0.61', '127.0.0.62']);
  dir = mkdtempSync(path.join(tmpdir(), 'opengslb-dom-'));
});
after(async () => {
  await backends.close();
  rmSync(dir, { recursive: true, force: true });
});

function start(): Promise<RunningOverwatch> {
  const b = backends.list[0]!;
  const text = `dns: { listen_address: "127.0.0.1:0", zones: [gslb.test] }
data_dir: ${path.join(dir, 'data')}
dnssec: { enabled: false, security_acknowledgment: "I understand that disabling DNSSEC allows DNS spoofing attacks" }
api: { address: "127.0.0.1:0" }
regions:
  - name: us
    countries: [US]
    servers: [{ address: ${b.address}, port: ${b.port}, service: web.gslb.test }]
    health_check: { type: tcp, interval: 1s, timeout: 300ms }
domains:
  - { name: web.gslb.test, regions: [us] }
`;
  return startOverwatchProcess(parseConfigText(text, { sourcePath: '' }), silent);
}

async function call(ow: RunningOverwatch, method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${ow.api!.port}${p}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function aRecords(ow: RunningOverwatch, name: string): Promise<{ rcode: string; ips: string[] }> {
  const res = decode(await udpExchange(ow.overwatch.dnsPort, encodeQuery(name, 'A')));
  return { rcode: res.rcode!, ips: (res.answers ?? []).map((a) => (a as { data: string }).data).sort() };
}

test('a domain created through the API is served with its backends, survives a restart, and can be deleted', async () => {
  const ow = await start();
  try {
    const created = await call(ow, 'POST', '/api/v1/domains', { name: 'API.gslb.test', ttl: 17, routing_policy: 'failover' });
    assert.equal(created.status, 201);
    assert.equal(created.json.domain.name, 'api.gslb.test');
    assert.equal(created.json.domain.source, 'api');
    const b = backends.list[1]!;
    assert.equal((await call(ow, 'POST', '/api/v1/domains/api.gslb.test/backends', { address: b.address, port: b.port })).status, 201);
    await eventually(async () => assert.deepEqual((await aRecords(ow, 'api.gslb.test')).ips, ['127.0.0.62']));
    const listed = await call(ow, 'GET', '/api/v1/domains');
    assert.deepEqual(listed.json.domains.map((d: { name: string; source: string }) => [d.name, d.source]), [['web.gslb.test', 'config'], ['api.gslb.test', 'api']]);
  } finally {
    await ow.close();
  }
  const again = await start();
  try {
    await eventually(async () => assert.deepEqual((await aRecords(again, 'api.gslb.test')).ips, ['127.0.0.62']));
    const d = await call(again, 'GET', '/api/v1/domains/api.gslb.test');
    assert.equal(d.json.domain.ttl, 17);
    assert.equal(d.json.domain.routing_policy, 'failover');
    assert.equal((await call(again, 'DELETE', '/api/v1/domains/api.gslb.test')).status, 204);
    // the domain's API backends go with it: the name is no longer served
    await eventually(async () => assert.equal((await aRecords(again, 'api.gslb.test')).rcode, 'NXDOMAIN'));
    assert.equal((await call(again, 'GET', `/api/v1/servers/api.gslb.test:127.0.0.62:${backends.list[1]!.port}`)).status, 404);
  } finally {
    await again.close();
  }
});

test('config domains and regions are read-only through the API; bad input is 400 naming the field', async () => {
  const ow = await start();
  try {
    const put = await call(ow, 'PUT', '/api/v1/domains/web.gslb.test', { ttl: 5 });
    assert.equal(put.status, 409);
    assert.match(put.json.error, /configuration file/);
    assert.equal((await call(ow, 'DELETE', '/api/v1/regions/us')).status, 409);
    const outside = await call(ow, 'POST', '/api/v1/domains', { name: 'app.example.org' });
    assert.equal(outside.status, 400);
    assert.match(outside.json.error, /not inside any served zone/);
    assert.equal((await call(ow, 'POST', '/api/v1/domains', {})).json.error, 'name is required');
    const badPolicy = await call(ow, 'POST', '/api/v1/domains', { name: 'x.gslb.test', routing_policy: 'fastest' });
    assert.equal(badPolicy.status, 400);
    assert.match(badPolicy.json.error, /routing_policy/);
  } finally {
    await ow.close();
  }
});

test('regions can be created, changed and deleted; invalid codes are refused', async () => {
  const ow = await start();
  try {
    const r = await call(ow, 'POST', '/api/v1/regions', { name: 'eu', countries: ['de', 'FR'], continents: ['eu'] });
    assert.equal(r.status, 201);
    assert.deepEqual(r.json.region.countries, ['DE', 'FR']);
    assert.equal((await call(ow, 'POST', '/api/v1/regions', { name: 'x', countries: ['DEU'] })).status, 400);
    assert.equal((await call(ow, 'PATCH', '/api/v1/regions/eu', { continents: ['AF'] })).json.region.continents[0], 'AF');
    const all = await call(ow, 'GET', '/api/v1/regions');
    assert.deepEqual(all.json.regions.map((x: { name: string }) => x.name), ['us', 'eu']);
    assert.equal((await call(ow, 'DELETE', '/api/v1/regions/eu')).status, 204);
    assert.equal((await call(ow, 'GET', '/api/v1/regions/eu')).status, 404);
  } finally {
    await ow.close();
  }
});
