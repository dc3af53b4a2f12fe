/**
 * Geolocation end to end: a real Overwatch (DNS, checks, API) with a database the test writes,
 * queried with dig +subnet from different prefixes: the right region's backends and the ECS scope
 * the decision depended on; custom CIDR beats country; unknown -> default_region; an unhealthy
 * region falls back; API mappings persist across a restart; the database replaced under load.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseConfigText } from '../../src/config/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { startOverwatchProcess, type RunningOverwatch } from '../../src/cli/overwatch-process.ts';
import { startBackends, eventually, type TestBackend } from '../support/backend-servers.ts';
import { dig, encodeQuery, udpExchange, decode, rcodeOf } from '../support/dns-client.ts';
import { writeMmdb, maxmindRecord, ipLocationRecord } from './support/mmdb-writer.ts';

const ACK = 'I understand that disabling DNSSEC allows DNS spoofing attacks';
const silent = createLogger({ level: 'error', format: 'json' }, new Writable({ write: (_c, _e, cb) => cb() }));
const NAME = 'geo.gslb.test';

let backends: { list: TestBackend[]; close(): Promise<void> };
let dir: string;

const DB_ENTRIES = [
  { cidr: '1.0.0.0/8', record: maxmindRecord('AU', 'OC') },
  { cidr: '2.0.0.0/8', record: maxmindRecord('FR', 'EU') },
  { cidr: '3.0.0.0/8', record: ipLocationRecord('DE') },
  { cidr: '4.0.0.0/8', record: maxmindRecord('US', 'NA') },
  { cidr: '198.51.0.0/16', record: maxmindRecord('US', 'NA') },
  { cidr: '2001:db8::/32', record: maxmindRecord('JP', 'AS') },
];

before(async () => {
  // us: .41 .42, eu: .43, ap: .44
  backends = await startBackends(['127.0.0.41', '127.0.0.42', '127.0.0.43', '127.0.0.44']);
  dir = mkdtempSync(path.join(tmpdir(), 'opengslb-geo-dns-'));
});
after(async () => {
  await backends.close();
  rmSync(dir, { recursive: true, force: true });
});

function configText(dataDir: string, dbPath: string, ecsEnabled = true): string {
  const [us1, us2, eu, ap] = backends.list;
  const hc = '{ type: http, path: /health, interval: 1s, timeout: 500ms, failure_threshold: 1, success_threshold: 1 }';
  const server = (b: TestBackend) => `      - { address: ${b.address}, port: ${b.port}, service: ${NAME} }`;
  return `dns:
  listen_address: "127.0.0.1:0"
  zones: [gslb.test]
data_dir: ${dataDir}
dnssec: { enabled: false, security_acknowledgment: "${ACK}" }
api:
  address: "127.0.0.1:0"
  allowed_networks: [127.0.0.0/8]
geolocation:
  database_path: ${dbPath}
  default_region: us
  ecs_enabled: ${ecsEnabled}
  custom_mappings:
    - { cidr: 198.51.100.0/24, region: ap, comment: partner network }
regions:
  - name: us
    countries: [US]
    continents: [NA]
    servers:
${server(us1!)}
${server(us2!)}
    health_check: ${hc}
  - name: eu
    countries: [FR]
    continents: [EU]
    servers:
${server(eu!)}
    health_check: ${hc}
  - name: ap
    continents: [AS, OC]
    servers:
${server(ap!)}
    health_check: ${hc}
domains:
  - { name: ${NAME}, routing_algorithm: geolocation, regions: [us, eu, ap], ttl: 5 }
`;
}

let seq = 0;
function setup(ecsEnabled = true): { dataDir: string; dbPath: string; start(): Promise<RunningOverwatch> } {
  const d = path.join(dir, `run-${++seq}`);
  const dataDir = path.join(d, 'data');
  const dbPath = path.join(d, 'geo.mmdb');
  return {
    dataDir,
    dbPath,
    start: async () => {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(d, { recursive: true });
      try {
        writeFileSync(dbPath, writeMmdb(DB_ENTRIES), { flag: 'wx' });
      } catch {
        // already written by an earlier start of this setup (restart test)
      }
      return startOverwatchProcess(parseConfigText(configText(dataDir, dbPath, ecsEnabled), { sourcePath: '' }), silent);
    },
  };
}

interface DigAnswer {
  addresses: string[];
  /** "source/scope" from the reply's CLIENT-SUBNET, or undefined when the reply has no ECS option. */
  ecs?: { source: number; scope: number };
  status: string;
}

async function digGeo(ow: RunningOverwatch, args: string[]): Promise<DigAnswer> {
  const out = await dig(ow.overwatch.dnsPort, [NAME, 'A', ...args]);
  const addresses = [...out.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]!).sort();
  const ecs = /CLIENT-SUBNET: [^/\s]+\/(\d+)\/(\d+)/.exec(out);
  const status = /status: (\w+)/.exec(out)?.[1] ?? '?';
  return { addresses, status, ...(ecs ? { ecs: { source: Number(ecs[1]), scope: Number(ecs[2]) } } : {}) };
}

function api(ow: RunningOverwatch, p: string, init?: RequestInit): Promise<Response> {
  return fetch(`http://127.0.0.1:${ow.api!.port}${p}`, init);
}

function jsonInit(method: string, body: unknown): RequestInit {
  return { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

test('ECS queries from different prefixes get their region and the scope the decision depended on', async (t) => {
  const ow = await setup().start();
  t.after(() => ow.close());
  const fr = await digGeo(ow, ['+subnet=2.1.2.0/24']);
  assert.deepEqual(fr.addresses, ['127.0.0.43']);
  assert.deepEqual(fr.ecs, { source: 24, scope: 8 }); // the database network 2.0.0.0/8
  const de = await digGeo(ow, ['+subnet=3.4.5.0/24']); // @ip-location-db schema, continent from the country
  assert.deepEqual(de.addresses, ['127.0.0.43']);
  const us = await digGeo(ow, ['+subnet=4.4.0.0/16']);
  assert.deepEqual(us.addresses, ['127.0.0.41', '127.0.0.42']);
  const au = await digGeo(ow, ['+subnet=1.1.1.0/24']);
  assert.deepEqual(au.addresses, ['127.0.0.44']); // continent OC -> ap
  const jp = await digGeo(ow, ['+subnet=2001:db8:5::/48']);
  assert.deepEqual(jp.addresses, ['127.0.0.44']);
  assert.deepEqual(jp.ecs, { source: 48, scope: 32 });
});

test('a custom CIDR mapping beats the database country, with its prefix as the scope', async (t) => {
  const ow = await setup().start();
  t.after(() => ow.close());
  const partner = await digGeo(ow, ['+subnet=198.51.100.0/24']);
  assert.deepEqual(partner.addresses, ['127.0.0.44']);
  assert.deepEqual(partner.ecs, { source: 24, scope: 24 });
  const neighbour = await digGeo(ow, ['+subnet=198.51.101.0/24']); // same /16 country US, outside the mapping
  assert.deepEqual(neighbour.addresses, ['127.0.0.41', '127.0.0.42']);
  assert.deepEqual(neighbour.ecs, { source: 24, scope: 24 }); // one bit from the mapping: /24 decides
});

test('an address the database does not know goes to default_region; the scope matches /geo/test', async (t) => {
  const ow = await setup().start();
  t.after(() => ow.close());
  const unknown = await digGeo(ow, ['+subnet=10.20.0.0/16']);
  assert.deepEqual(unknown.addresses, ['127.0.0.41', '127.0.0.42']);
  const test = (await (await api(ow, '/api/v1/geo/test?ip=10.20.0.0')).json()) as { region: string; match_type: string; ecs_scope_prefix: number };
  assert.equal(test.region, 'us');
  assert.equal(test.match_type, 'default');
  assert.equal(unknown.ecs?.scope, test.ecs_scope_prefix);
  // Without ECS the resolver's own address (127.0.0.1, unknown) decides, and the reply has no ECS option.
  const plain = await digGeo(ow, []);
  assert.deepEqual(plain.addresses, ['127.0.0.41', '127.0.0.42']);
  assert.equal(plain.ecs, undefined);
});

test('when the client region has no healthy backend, default_region answers', async (t) => {
  const ow = await setup().start();
  t.after(() => ow.close());
  const eu = backends.list[2]!;
  eu.healthy = false;
  t.after(() => (eu.healthy = true));
  await eventually(async () => assert.deepEqual((await digGeo(ow, ['+subnet=2.1.2.0/24'])).addresses, ['127.0.0.41', '127.0.0.42']));
});

test('with ecs_enabled false the ECS address is ignored and the reply scope is 0', async (t) => {
  const ow = await setup(false).start();
  t.after(() => ow.close());
  const r = await digGeo(ow, ['+subnet=2.1.2.0/24']);
  assert.deepEqual(r.addresses, ['127.0.0.41', '127.0.0.42']); // 127.0.0.1 -> default
  assert.deepEqual(r.ecs, { source: 24, scope: 0 });
});

test('API mappings change answers at once, persist in data_dir across a restart, and can be removed', async () => {
  const s = setup();
  const first = await s.start();
  try {
    const created = await api(first, '/api/v1/geo/mappings', jsonInit('PUT', { cidr: '2.1.0.0/16', region: 'ap', comment: 'moved' }));
    assert.equal(created.status, 201);
    assert.deepEqual(await created.json(), { cidr: '2.1.0.0/16', region: 'ap', comment: 'moved', source: 'api' });
    await eventually(async () => assert.deepEqual((await digGeo(first, ['+subnet=2.1.2.0/24'])).addresses, ['127.0.0.44']), 2000);
    assert.equal((await api(first, '/api/v1/geo/mappings', jsonInit('POST', { cidr: 'nope', region: 'ap' }))).status, 400);
    assert.equal((await api(first, '/api/v1/geo/mappings', jsonInit('POST', { cidr: '2.2.0.0/16', region: 'mars' }))).status, 400);
    assert.equal((await api(first, '/api/v1/geo/mappings', jsonInit('POST', { region: 'ap' }))).status, 400);
    assert.equal((await api(first, '/api/v1/geo/mappings/198.51.100.0%2F24', { method: 'DELETE' })).status, 409); // config mapping
  } finally {
    await first.close();
  }
  const second = await s.start();
  try {
    const list = (await (await api(second, '/api/v1/geo/mappings')).json()) as { mappings: { cidr: string; source: string }[] };
    assert.deepEqual(
      list.mappings.map((m) => `${m.cidr} ${m.source}`),
      ['198.51.100.0/24 config', '2.1.0.0/16 api'],
    );
    assert.deepEqual((await digGeo(second, ['+subnet=2.1.2.0/24'])).addresses, ['127.0.0.44']);
    assert.equal((await api(second, '/api/v1/geo/mappings/2.1.0.0%2F16', { method: 'DELETE' })).status, 204);
    assert.equal((await api(second, '/api/v1/geo/mappings/2.1.0.0/16', { method: 'DELETE' })).status, 404);
    await eventually(async () => assert.deepEqual((await digGeo(second, ['+subnet=2.1.2.0/24'])).addresses, ['127.0.0.43']), 2000);
  } finally {
    await second.close();
  }
});

test('POST /api/v1/routing/test explains the live answer step by step', async (t) => {
  const ow = await setup().start();
  t.after(() => ow.close());
  const res = await api(ow, '/api/v1/routing/test', jsonInit('POST', { domain: NAME, client_ip: '2.3.4.5' }));
  assert.equal(res.status, 200);
  const body = (await res.json()) as { policy: string; answers: { address: string; region: string }[]; ecs_scope_prefix: number; steps: { step: string; detail: string }[] };
  assert.equal(body.policy, 'geolocation');
  assert.deepEqual(body.answers.map((a) => a.address), ['127.0.0.43']);
  assert.equal(body.ecs_scope_prefix, 8);
  assert.ok(body.steps.some((s) => s.step === 'locate' && /country FR/.test(s.detail)), JSON.stringify(body.steps));
  assert.equal((await api(ow, '/api/v1/routing/test', jsonInit('POST', { domain: 'nope.gslb.test', client_ip: '2.3.4.5' }))).status, 404);
  assert.equal((await api(ow, '/api/v1/routing/test', jsonInit('POST', { domain: NAME }))).status, 400);
});

test('replacing the database under query load answers every query and switches regions', async (t) => {
  const s = setup();
  const ow = await s.start();
  t.after(() => ow.close());
  const query = encodeQuery(NAME, 'A', { edns: { ecs: { family: 1, sourcePrefix: 24, address: '2.1.2.0' } } });
  let stop = false;
  let answered = 0;
  const regions = new Set<string>();
  const load = (async () => {
    while (!stop) {
      const batch = await Promise.all(Array.from({ length: 8 }, () => udpExchange(ow.overwatch.dnsPort, query)));
      for (const msg of batch) {
        assert.equal(rcodeOf(msg), 0);
        const addrs = (decode(msg).answers ?? []).map((a) => (a as { data: string }).data);
        assert.ok(addrs.length > 0);
        regions.add(addrs.includes('127.0.0.44') ? 'ap' : 'eu');
        answered++;
      }
    }
  })();
  const jp = writeMmdb(DB_ENTRIES.map((e) => (e.cidr === '2.0.0.0/8' ? { cidr: e.cidr, record: maxmindRecord('JP', 'AS') } : e)));
  const tmp = `${s.dbPath}.new`;
  writeFileSync(tmp, jp);
  renameSync(tmp, s.dbPath); // atomic, as geoipupdate does
  await eventually(() => assert.ok(regions.has('ap')), 5000);
  stop = true;
  await load;
  assert.ok(answered > 0);
  assert.deepEqual([...regions].sort(), ['ap', 'eu']);
});
