/**
 * A worker's replica answers exactly as the main thread's Snapshot does: the main Snapshot is
 * encoded (ReplicaPublisher), sent through a real MessageChannel (the serialisation worker threads
 * use: SharedArrayBuffer arena, KeyObjects), rebuilt (ReplicaReceiver), and the same queries go to a
 * Responder on each side with the same draw. Covered: every policy, DO=0 and DO=1 (pre-signed and
 * online-signed answers), geolocation by ECS and by socket address with the real country database,
 * learned latency, nonexistent names and empty non-terminals. Online signatures (ECDSA is
 * randomised) are compared with their signature bytes masked, and verified by delv in
 * dns-workers.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Responder } from '../../src/dns/index.ts';
import { ResponseWriter } from '../../src/dns/wire/index.ts';
import { GeoDatabaseFile, GeoLocator } from '../../src/geo/index.ts';
import { buildSnapshot, type BackendView } from '../../src/overwatch/index.ts';
import { attachRouting, LearnedLatencyTable } from '../../src/routing/index.ts';
import type { Snapshot } from '../../src/model/index.ts';
import { ReplicaPublisher, newReceiverState } from '../../src/dns/worker/replica-publisher.ts';
import { ReplicaReceiver } from '../../src/dns/worker/replica-receiver.ts';
import type { PublishMessage } from '../../src/dns/worker/messages.ts';
import { decode, encodeQuery } from '../support/dns-client.ts';
import { ZONE, startSignedServer } from '../dnssec/signed-server.ts';

const DB = path.join(path.dirname(createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/package.json')), 'geo-whois-asn-country.mmdb');

const signed = await startSignedServer();
const db = await GeoDatabaseFile.open(DB, { watch: false });
after(async () => {
  await db.close();
  await signed.close();
});

/** The signed fixture's names plus every client-dependent policy, in the same signed zone. */
function mainSnapshot(): { snapshot: Snapshot; learned: LearnedLatencyTable } {
  const b = (id: string, name: string, address: string, region: string, weight = 100): BackendView => ({ id, name: `${name}.${ZONE}`, address, port: 80, weight, region, serve: true });
  const extra: BackendView[] = [
    b('g-us', 'geo', '192.0.2.61', 'us'),
    b('g-eu', 'geo', '192.0.2.62', 'eu'),
    b('g-eu2', 'geo', '192.0.2.63', 'eu'),
    b('g-ap', 'geo', '192.0.2.64', 'ap'),
    b('gw-us', 'geow', '192.0.2.71', 'us', 10),
    b('gw-us2', 'geow', '192.0.2.72', 'us', 90),
    b('gf-eu', 'geofo', '192.0.2.81', 'eu'),
    b('gf-eu2', 'geofo', '192.0.2.82', 'eu'),
    b('l-1', 'lat', '192.0.2.91', 'us'),
    b('l-2', 'lat', '192.0.2.92', 'us'),
    b('ll-1', 'learned', '192.0.2.101', 'us'),
    b('ll-2', 'learned', '192.0.2.102', 'us'),
    b('ll-3', 'learned', '192.0.2.103', 'us'),
  ];
  const input = {
    zones: [{ apex: ZONE, nameservers: [`ns1.${ZONE}`, `ns2.${ZONE}`], hostmaster: `hostmaster.${ZONE}`, soaTtlSeconds: 60 }],
    names: [
      ...[...signed.snapshot.names.values()].map((e) => ({ name: e.name, policy: e.policy, ttlSeconds: e.ttlSeconds, maxAnswers: e.maxAnswers })),
      { name: `geo.${ZONE}`, policy: 'geolocation' as const, ttlSeconds: 30, maxAnswers: 8 },
      { name: `geow.${ZONE}`, policy: 'geolocation' as const, withinRegion: 'weighted' as const, ttlSeconds: 30, maxAnswers: 8 },
      { name: `geofo.${ZONE}`, policy: 'geolocation' as const, withinRegion: 'failover' as const, ttlSeconds: 30, maxAnswers: 8 },
      { name: `lat.${ZONE}`, policy: 'latency' as const, ttlSeconds: 30, maxAnswers: 8 },
      { name: `learned.${ZONE}`, policy: 'learned_latency' as const, ttlSeconds: 30, maxAnswers: 8 },
    ],
    backends: [...[...signed.snapshot.names.values()].flatMap((e) => backendsOf(e.name)), ...extra],
    returnLastHealthy: false,
    nowMs: Date.now(),
    signer: signed.dnssec,
  };
  const snapshot = buildSnapshot(input, null);
  const locator = new GeoLocator(
    {
      regions: [
        { name: 'us', countries: ['US'], continents: ['NA'] },
        { name: 'eu', countries: ['DE'], continents: ['EU'] },
        { name: 'ap', countries: [], continents: ['AS'] },
      ],
      defaultRegion: 'us',
      mappings: [{ cidr: '198.51.100.0/24', region: 'ap', source: 'config' }],
    },
    db,
  );
  const learned = new LearnedLatencyTable({ maxPrefixes: 100, ttlMs: 3_600_000 });
  learned.report('203.0.113.0/24', 'll-3', 12, 10, Date.now(), 'agent-a');
  learned.report('203.0.113.0/24', 'll-1', 40, 10, Date.now(), 'agent-a');
  learned.report('2001:db8:1::/48', 'll-2', 5, 10, Date.now(), 'agent-b');
  const measured = new Map([
    ['l-2', { ewmaMs: 3, samples: 5 }],
    ['l-1', { ewmaMs: 9, samples: 5 }],
  ]);
  attachRouting(snapshot, {
    ecsEnabled: true,
    geo: locator,
    learned,
    latencyConfigOf: () => ({ smoothingFactor: 0.3, maxLatencyMs: 500, minSamples: 3 }),
    measured: (id) => measured.get(id),
  });
  return { snapshot, learned };
}

/** The fixture's backends, recovered from its Snapshot (records carry the addresses). */
function backendsOf(name: string): BackendView[] {
  const e = signed.snapshot.names.get([...signed.snapshot.names.keys()].find((k) => signed.snapshot.names.get(k)!.name === name)!)!;
  const out: BackendView[] = [];
  for (const set of [e.a, e.aaaa]) {
    set?.records.forEach((r, i) => {
      const rdata = r.subarray(12);
      const address = rdata.length === 4 ? [...rdata].join('.') : [...Array(8).keys()].map((j) => rdata.readUInt16BE(j * 2).toString(16)).join(':');
      out.push({ id: set.backendIds[i]!, name, address, port: 80, weight: set.weights[i]!, region: set.regions[i]!, serve: true });
    });
  }
  return out;
}

/** Through a real MessageChannel: what a worker thread receives. */
async function transfer(m: PublishMessage): Promise<PublishMessage> {
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(m);
    const [received] = (await once(port2, 'message')) as [PublishMessage];
    return received;
  } finally {
    port1.close();
  }
}

/** The response with online-made signatures blanked (ECDSA signatures differ on every signing). */
function comparable(msg: Buffer): unknown {
  const p = decode(msg);
  const blank = (rs: unknown[] | undefined) =>
    (rs ?? []).map((r) => {
      const rec = r as { type: string; data?: { signature?: Buffer; inception?: number; expiration?: number } };
      return rec.type === 'RRSIG' ? { ...rec, data: { ...rec.data, signature: 'masked', inception: 0, expiration: 0 } } : rec;
    });
  return { ...p, answers: blank(p.answers), authorities: blank(p.authorities), additionals: p.additionals };
}

const QUERIES: [name: string, type: string, opts: Parameters<typeof encodeQuery>[2], client: string][] = [];
for (const dnssecOk of [false, true]) {
  const edns = (ecs?: { family: 1 | 2; sourcePrefix: number; address: string }) => ({ edns: { dnssecOk, ...(ecs ? { ecs } : {}) } });
  for (const name of ['www', 'app', 'fo', 'svc.eu', 'w', 'sub', 'big', 'lat']) for (const type of ['A', 'AAAA']) QUERIES.push([`${name}.${ZONE}`, type, edns(), '127.0.0.1']);
  for (const type of ['SOA', 'NS', 'DNSKEY', 'TXT', 'A', 'NSEC']) QUERIES.push([ZONE, type, edns(), '127.0.0.1']);
  for (const name of ['nope', 'deeper.nope', 'x.www', 'eu']) QUERIES.push([`${name}.${ZONE}`, 'A', edns(), '127.0.0.1']);
  for (const subnet of ['8.8.8.0', '5.9.0.0', '198.51.100.0', '1.0.16.0', '203.0.113.0']) {
    for (const name of ['geo', 'geow', 'geofo', 'learned']) QUERIES.push([`${name}.${ZONE}`, 'A', edns({ family: 1, sourcePrefix: 24, address: subnet }), '127.0.0.1']);
  }
  for (const client of ['8.8.4.4', '5.9.1.1', '198.51.100.7', '203.0.113.9', '2001:db8:1::1']) {
    for (const name of ['geo', 'geow', 'learned']) QUERIES.push([`${name}.${ZONE}`, 'A', edns(), client]);
  }
}

test('a replica rebuilt from the message answers every query as the main Snapshot does', async () => {
  const { snapshot } = mainSnapshot();
  const publisher = new ReplicaPublisher(7 * 86_400_000);
  const receiver = new ReplicaReceiver();
  after(() => receiver.close());
  const replica = await receiver.apply(await transfer(publisher.message(publisher.encode(snapshot), newReceiverState())));
  assert.equal(replica.version, snapshot.version);
  const draws = [0.05, 0.5, 0.95];
  let draw = 0;
  const random = () => draws[draw % draws.length]!;
  const main = new Responder({ maxUdpPayload: 1232, random });
  const worker = new Responder({ maxUdpPayload: 1232, random });
  const wa = new ResponseWriter(Buffer.alloc(1232));
  const wb = new ResponseWriter(Buffer.alloc(1232));
  let online = 0;
  for (let round = 0; round < 3; round++) {
    for (const [name, type, opts, client] of QUERIES) {
      draw++;
      const q = encodeQuery(name, type, opts);
      main.clientAddress = worker.clientAddress = client;
      const a = Buffer.from(wa.buf.subarray(0, main.respond(snapshot, q, 'udp', wa)));
      const b = Buffer.from(wb.buf.subarray(0, worker.respond(replica, q, 'udp', wb)));
      const what = `${name} ${type} ${JSON.stringify(opts)} from ${client} (round ${round})`;
      if (a.equals(b)) continue;
      online++;
      assert.deepEqual(comparable(b), comparable(a), what);
    }
  }
  // Some answers needed online signatures (denial proofs, region subsets): the masked comparison ran.
  assert.ok(online > 0);
});

test('later publishes send answer sets, keys and locators once, learned rows when they change, and keep rotation going', async () => {
  const { snapshot, learned } = mainSnapshot();
  const publisher = new ReplicaPublisher(7 * 86_400_000);
  const peer = newReceiverState();
  const receiver = new ReplicaReceiver();
  after(() => receiver.close());
  const first = publisher.message(publisher.encode(snapshot), peer);
  assert.equal(first.signers.length, 1);
  assert.equal(first.locators.length, 1);
  assert.ok(first.learned);
  const r1 = await receiver.apply(await transfer(first));
  const rr = [...r1.names.values()].find((e) => e.name === `www.${ZONE}`)!;
  rr.rotation.next = 7;
  const second = publisher.message(publisher.encode({ ...snapshot, version: snapshot.version + 1 }), peer);
  assert.ok(first.sets.length > 10);
  assert.deepEqual([second.sets.length, second.signers.length, second.locators.length, second.learned], [0, 0, 0, undefined], 'the same objects: nothing to send again');
  const r2 = await receiver.apply(await transfer(second));
  assert.equal([...r2.names.values()].find((e) => e.name === `www.${ZONE}`)!.rotation.next, 7, "a worker's rotation continues across Snapshots");
  learned.report('192.0.2.0/24', 'll-1', 1, 10, Date.now(), 'agent-c');
  const update = publisher.learnedUpdate(learned, peer);
  assert.ok(update);
  receiver.setLearned(update);
  assert.equal(publisher.learnedUpdate(learned, peer), undefined);
  const responder = new Responder({ maxUdpPayload: 1232 });
  const w = new ResponseWriter(Buffer.alloc(1232));
  const len = responder.respond(receiver.snapshot, encodeQuery(`learned.${ZONE}`, 'A', { edns: { ecs: { family: 1, sourcePrefix: 24, address: '192.0.2.0' } } }), 'udp', w);
  const answers = decode(Buffer.from(w.buf.subarray(0, len))).answers!.map((a) => (a as { data: string }).data);
  assert.equal(answers[0], '192.0.2.101', 'the fresh rows decide');
});

test('a receiver that missed a message fails to apply the next, and a reset plus a full message recovers it', async () => {
  const { snapshot } = mainSnapshot();
  const publisher = new ReplicaPublisher(7 * 86_400_000);
  const peer = newReceiverState();
  const receiver = new ReplicaReceiver();
  after(() => receiver.close());
  publisher.message(publisher.encode(snapshot), peer); // "sent" but never applied: lost
  const next = { ...snapshot, version: snapshot.version + 1 };
  await assert.rejects(receiver.apply(await transfer(publisher.message(publisher.encode(next), peer))), /never sent/);
  assert.equal(receiver.snapshot.version, 0, 'nothing half-applied');
  receiver.reset();
  const full = publisher.message(publisher.encode(next), newReceiverState());
  assert.equal((await receiver.apply(await transfer(full))).version, next.version);
});
