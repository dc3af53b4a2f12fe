/**
 * dns.workers: 2 over real sockets on 127.0.0.1. Each query below comes from a fresh client socket
 * (a new source port), so the kernel's SO_REUSEPORT hash spreads them over both workers; the
 * workers' own counters prove both answered. Answers are compared with the main thread's Snapshot
 * answering the same bytes in-process; DNSSEC answers are validated by delv.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { DnsServer, Responder, type DnsServerOptions } from '../../src/dns/index.ts';
import { ResponseWriter } from '../../src/dns/wire/index.ts';
import { buildSnapshot, type BackendView, type SnapshotInput } from '../../src/overwatch/index.ts';
import { GeoLocator } from '../../src/geo/index.ts';
import { attachRouting, LearnedLatencyTable } from '../../src/routing/index.ts';
import type { Snapshot } from '../../src/model/index.ts';
import { decode, encodeQuery, tcpExchange, udpExchange, udpGetsReply } from '../support/dns-client.ts';
import { eventually } from '../support/backend-servers.ts';
import { ZONE, startSignedServer, type SignedServer } from '../dnssec/signed-server.ts';
import { delv, hasTool, tempDir, writeDelvAnchor } from '../dnssec/validator-tools.ts';

const G = 'workers.example.net';
const errors: Error[] = [];
let counted = 0;
let timings = 0;

function input(foPrimaryServes: boolean): SnapshotInput {
  const b = (id: string, name: string, address: string, region: string, serve = true): BackendView => ({ id, name: `${name}.${G}`, address, port: 80, weight: 100, region, serve });
  return {
    zones: [{ apex: G, nameservers: [`ns1.${G}`], hostmaster: `hostmaster.${G}`, soaTtlSeconds: 60 }],
    names: [
      { name: `fo.${G}`, policy: 'failover', ttlSeconds: 30, maxAnswers: 8 },
      { name: `geo.${G}`, policy: 'geolocation', ttlSeconds: 30, maxAnswers: 8 },
      { name: `rr.${G}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 8 },
    ],
    backends: [
      b('fo-1', 'fo', '10.2.0.1', 'us', foPrimaryServes),
      b('fo-2', 'fo', '10.2.0.2', 'us'),
      b('g-us', 'geo', '10.3.0.1', 'us'),
      b('g-eu', 'geo', '10.3.0.2', 'eu'),
      b('rr-1', 'rr', '10.4.0.1', 'us'),
      b('rr-2', 'rr', '10.4.0.2', 'us'),
    ],
    returnLastHealthy: false,
    nowMs: Date.now(),
  };
}

const locator = new GeoLocator(
  {
    regions: [
      { name: 'us', countries: [], continents: [] },
      { name: 'eu', countries: [], continents: [] },
    ],
    defaultRegion: 'us',
    mappings: [{ cidr: '198.51.100.0/24', region: 'eu', source: 'config' }],
  },
  { current: null },
);

function snapshotOf(foPrimaryServes: boolean, previous: Snapshot | null): Snapshot {
  const s = buildSnapshot(input(foPrimaryServes), previous);
  attachRouting(s, { ecsEnabled: true, geo: locator, learned: null, latencyConfigOf: () => ({ smoothingFactor: 0.3, maxLatencyMs: 500, minSamples: 3 }), measured: () => undefined });
  return s;
}

let server: DnsServer;
let signed: SignedServer;

/** A started server with 2 workers on 127.0.0.1, answering the unsigned test zone. */
async function startWorkers(opts: Partial<DnsServerOptions> = {}): Promise<DnsServer> {
  const s = new DnsServer({ host: '127.0.0.1', port: 0, maxUdpPayload: 1232, tcpIdleTimeoutMs: 2000, tcpMaxConnections: 50, workers: 2, ...opts });
  s.publish(snapshotOf(true, null));
  await s.start();
  return s;
}

before(async () => {
  server = await startWorkers({
    onError: (err) => errors.push(err),
    onResponseCount: (_d, _t, _r, _tc, n) => (counted += n),
    onTiming: () => timings++,
  });
  signed = await startSignedServer({ server: { workers: 2, onError: (err) => errors.push(err) } });
});

after(async () => {
  await server.close();
  await signed.close();
});

/** The A records of one answer from a fresh client socket (so the kernel picks a worker anew). */
async function addresses(port: number, name: string, opts: Parameters<typeof encodeQuery>[2] = {}): Promise<string[]> {
  const res = decode(await udpExchange(port, encodeQuery(name, 'A', opts)));
  return (res.answers ?? []).filter((a) => a.type === 'A').map((a) => (a as { data: string }).data);
}

/** What the main thread's Snapshot answers to the same bytes (a fresh Responder: rotation-free names only). */
function mainAnswer(snapshot: Snapshot, query: Buffer): Buffer {
  const w = new ResponseWriter(Buffer.alloc(1232));
  const responder = new Responder({ maxUdpPayload: 1232 });
  responder.clientAddress = '127.0.0.1'; // the test client's socket address, as the listener sets it
  return Buffer.from(w.buf.subarray(0, responder.respond(snapshot, query, 'udp', w)));
}

test('queries are answered by both workers and counted by the main thread', async () => {
  await server.workerPool!.flushStats();
  const before = server.workers().map((w) => w.responses);
  const countedBefore = counted;
  const N = 64;
  for (let i = 0; i < N; i++) assert.deepEqual(await addresses(server.port, `fo.${G}`), ['10.2.0.1']);
  await server.workerPool!.flushStats();
  const delta = server.workers().map((w, i) => w.responses - before[i]!);
  assert.equal(delta.length, 2);
  assert.ok(delta.every((d) => d > 0), `both workers answered: ${delta.join(' + ')}`);
  assert.equal(delta[0]! + delta[1]!, N);
  assert.equal(counted - countedBefore, N, 'every worker answer reaches the metrics');
  assert.ok(timings > 0, 'sampled answer times reach the histogram');
});

test('a worker answers byte for byte what the main thread answers (geolocation with ECS, failover, NXDOMAIN, SOA)', async () => {
  const cases: [string, string, Parameters<typeof encodeQuery>[2]][] = [
    [`geo.${G}`, 'A', { edns: { ecs: { family: 1, sourcePrefix: 24, address: '198.51.100.0' } } }],
    [`geo.${G}`, 'A', { edns: { ecs: { family: 1, sourcePrefix: 24, address: '203.0.113.0' } } }],
    [`geo.${G}`, 'A', {}],
    [`fo.${G}`, 'A', { edns: {} }],
    [`nope.${G}`, 'A', {}],
    [G, 'SOA', { edns: {} }],
  ];
  for (const [name, type, opts] of cases) {
    const q = encodeQuery(name, type, opts);
    const expected = mainAnswer(server.snapshot, q);
    for (let i = 0; i < 8; i++) assert.deepEqual(await udpExchange(server.port, q), expected, `${name} ${type} ${JSON.stringify(opts)}`);
  }
  const tcp = await tcpExchange(server.port, [encodeQuery(`fo.${G}`, 'A')]);
  assert.equal((decode(tcp[0]!).answers![0] as { data: string }).data, '10.2.0.1', 'TCP is answered by the main thread');
});

test('a health change reaches the answers of every worker', async () => {
  await server.workerPool!.flushStats();
  const before = server.workers().map((w) => w.responses);
  const t0 = performance.now();
  server.publish(snapshotOf(false, server.snapshot));
  await server.workerPool!.whenReplicated();
  const ms = performance.now() - t0;
  for (let i = 0; i < 40; i++) assert.deepEqual(await addresses(server.port, `fo.${G}`), ['10.2.0.2'], `query ${i}`);
  await server.workerPool!.flushStats();
  assert.ok(server.workers().every((w, i) => w.responses > before[i]!), 'both workers answered after the change');
  assert.ok(server.workers().every((w) => w.version === server.snapshot.version));
  assert.ok(ms < 2000, `replicated in ${ms.toFixed(1)} ms`);
  server.publish(snapshotOf(true, server.snapshot));
  await server.workerPool!.whenReplicated();
});

test('rapid publishes are coalesced: the workers end on the last one', async () => {
  let s = server.snapshot;
  for (let i = 0; i < 50; i++) {
    s = snapshotOf(i % 2 === 0, s);
    server.publish(s);
  }
  await server.workerPool!.whenReplicated();
  assert.ok(server.workers().every((w) => w.version === s.version));
  for (let i = 0; i < 10; i++) assert.deepEqual(await addresses(server.port, `fo.${G}`), ['10.2.0.2']);
  server.publish(snapshotOf(true, server.snapshot));
  await server.workerPool!.whenReplicated();
});

const hasDelv = hasTool('delv');

test('signed answers from the workers validate with delv (positive, NODATA, nonexistent, empty non-terminal)', { skip: !hasDelv && 'delv not installed' }, async () => {
  const ds = signed.dnssec.ds(ZONE)!.dsRecords[0]!;
  const tmp = tempDir();
  try {
    const anchor = writeDelvAnchor(tmp.dir, ZONE, ds);
    for (const [name, type] of [[`www.${ZONE}`, 'A'], [`fo.${ZONE}`, 'A'], [ZONE, 'DNSKEY'], [`w.${ZONE}`, 'A']]) {
      const out = await delv(signed.port, anchor, ZONE, name!, type!);
      assert.match(out, /; fully validated/, out);
    }
    // Fresh names each time: the proofs are signed online by whichever worker the query reaches.
    for (const [name, type] of [[`nope-${Date.now()}.${ZONE}`, 'A'], [`www.${ZONE}`, 'AAAA'], [`eu.${ZONE}`, 'A'], [`x${Date.now()}.deeper.${ZONE}`, 'A']]) {
      const out = await delv(signed.port, anchor, ZONE, name!, type!);
      assert.match(out, /; negative response, fully validated/, out);
    }
  } finally {
    tmp.remove();
  }
  await signed.server.workerPool!.flushStats();
  assert.ok(signed.server.workers().every((w) => w.responses > 0), 'both workers answered delv');
  assert.ok(signed.server.workers().reduce((n, w) => n + w.signaturesMade, 0) >= 2, 'the fresh names were signed by the workers');
});

test('signed pre-made answers from a worker equal the main thread\'s (DO=1)', async () => {
  for (const [name, type] of [[`fo.${ZONE}`, 'A'], [ZONE, 'SOA'], [ZONE, 'DNSKEY'], [`www.${ZONE}`, 'AAAA'], [`svc.eu.${ZONE}`, 'A']] as const) {
    const q = encodeQuery(name, type, { edns: { dnssecOk: true } });
    const expected = mainAnswer(signed.server.snapshot, q);
    for (let i = 0; i < 6; i++) assert.deepEqual(await udpExchange(signed.port, q), expected, `${name} ${type}`);
  }
});

test('a killed worker is logged and replaced; the server keeps answering meanwhile', async () => {
  const pool = server.workerPool!;
  errors.length = 0;
  const killedThread = server.workers()[0]!.threadId;
  await pool.terminate(0);
  // While it restarts, the kernel hashes its clients to the surviving socket.
  for (let i = 0; i < 20; i++) assert.deepEqual(await addresses(server.port, `fo.${G}`), ['10.2.0.1']);
  await eventually(() => {
    const w = server.workers()[0]!;
    assert.equal(w.restarts, 1);
    assert.notEqual(w.threadId, killedThread);
    assert.equal(w.version, server.snapshot.version);
  }, 20_000);
  assert.ok(errors.some((e) => /dns worker 0 exited/.test(e.message)), errors.map((e) => e.message).join('\n'));
  await pool.flushStats();
  const before = server.workers().map((w) => w.responses);
  for (let i = 0; i < 48; i++) assert.deepEqual(await addresses(server.port, `fo.${G}`), ['10.2.0.1']);
  await pool.flushStats();
  assert.ok(server.workers().every((w, i) => w.responses > before[i]!), 'the new worker answers too');
});

test('rate limiting runs in each worker and its counts reach the main thread', async () => {
  const limited = await startWorkers({
    rateLimit: { enabled: true, responsesPerSecond: 5, slip: 0, ipv4PrefixLength: 24, ipv6PrefixLength: 56, exempt: ['192.0.2.1/32'] },
  });
  try {
    // One socket: one 4-tuple, so one worker sees all of it.
    const sock = dgram.createSocket('udp4');
    let replies = 0;
    sock.on('message', () => replies++);
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    for (let i = 0; i < 40; i++) sock.send(encodeQuery(`fo.${G}`, 'A', { id: i }), limited.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 300));
    sock.close();
    await limited.workerPool!.flushStats();
    assert.ok(replies < 40 && replies >= 5, `${replies} replies`);
    assert.equal(limited.rateLimitStats.dropped, 40 - replies);
  } finally {
    await limited.close();
  }
});

test('agents\' latency reports reach every worker between Snapshots (within a second or so)', async () => {
  const learned = new LearnedLatencyTable({ maxPrefixes: 100, ttlMs: 3_600_000 });
  const s = buildSnapshot(
    {
      ...input(true),
      names: [{ name: `ll.${G}`, policy: 'learned_latency', ttlSeconds: 30, maxAnswers: 8 }],
      backends: [1, 2, 3].map((i) => ({ id: `ll-${i}`, name: `ll.${G}`, address: `10.5.0.${i}`, port: 80, weight: 100, region: 'us', serve: true })),
    },
    null,
  );
  attachRouting(s, { ecsEnabled: true, geo: null, learned, latencyConfigOf: () => ({ smoothingFactor: 0.3, maxLatencyMs: 500, minSamples: 3 }), measured: () => undefined });
  const ll = new DnsServer({ host: '127.0.0.1', port: 0, maxUdpPayload: 1232, tcpIdleTimeoutMs: 2000, tcpMaxConnections: 50, workers: 2 });
  ll.publish(s);
  await ll.start();
  try {
    const ecs = { edns: { ecs: { family: 1 as const, sourcePrefix: 24, address: '198.51.100.0' } } };
    // No report yet: round-robin over all three.
    assert.equal((await addresses(ll.port, `ll.${G}`, ecs)).length, 3);
    learned.report('198.51.100.0/24', 'll-3', 5, 10, Date.now(), 'agent-a');
    learned.report('198.51.100.0/24', 'll-1', 50, 10, Date.now(), 'agent-a');
    // No rebuild: the rows travel on the pool's own timer.
    await eventually(async () => {
      for (let i = 0; i < 16; i++) assert.deepEqual(await addresses(ll.port, `ll.${G}`, ecs), ['10.5.0.3', '10.5.0.1']);
    }, 10_000);
  } finally {
    await ll.close();
  }
});

test('close() stops the workers and frees the port', async () => {
  const s = await startWorkers();
  const port = s.port;
  assert.ok(await udpGetsReply(port, encodeQuery(`fo.${G}`, 'A')));
  await s.close();
  assert.equal(await udpGetsReply(port, encodeQuery(`fo.${G}`, 'A')), null);
  // The port is free again: a plain socket can take it.
  const sock = dgram.createSocket('udp4');
  sock.bind(port, '127.0.0.1');
  await once(sock, 'listening');
  sock.close();
});
