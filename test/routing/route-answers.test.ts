import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attachRouting,
  fillClient,
  LatencyTracker,
  LearnedLatencyTable,
  latencyRankingChanged,
  newRouteState,
  routeAnswers,
  type RoutingInputs,
} from '../../src/routing/index.ts';
import { GeoLocator } from '../../src/geo/index.ts';
import { buildSnapshot, type BackendView } from '../../src/overwatch/index.ts';
import type { RoutingAlgorithm } from '../../src/config/types.ts';
import type { NameEntry, Snapshot } from '../../src/model/index.ts';

const ZONE = 'gslb.test';
const LATENCY = { smoothingFactor: 0.5, maxLatencyMs: 100, minSamples: 2 };

function snapshotFor(policy: RoutingAlgorithm, backends: Omit<BackendView, 'name' | 'port' | 'weight' | 'serve'>[]): { snap: Snapshot; entry: NameEntry } {
  const snap = buildSnapshot(
    {
      zones: [{ apex: ZONE, nameservers: [`ns1.${ZONE}`], hostmaster: `hostmaster.${ZONE}`, soaTtlSeconds: 60 }],
      names: [{ name: `app.${ZONE}`, policy, ttlSeconds: 30, maxAnswers: 8 }],
      backends: backends.map((b) => ({ ...b, name: `app.${ZONE}`, port: 80, weight: 100, serve: true })),
      returnLastHealthy: false,
      nowMs: 0,
    },
    null,
  );
  return { snap, entry: [...snap.names.values()][0]! };
}

const BACKENDS = [
  { id: 'us-1', address: '10.0.0.1', region: 'us' },
  { id: 'us-2', address: '10.0.0.2', region: 'us' },
  { id: 'eu-1', address: '10.0.1.1', region: 'eu' },
  { id: 'ap-1', address: '10.0.2.1', region: 'ap' },
];

const locator = new GeoLocator(
  {
    regions: [
      { name: 'us', countries: [], continents: [] },
      { name: 'eu', countries: [], continents: [] },
      { name: 'ap', countries: [], continents: [] },
    ],
    defaultRegion: 'us',
    mappings: [
      { cidr: '192.0.2.0/24', region: 'eu', source: 'config' },
      { cidr: '198.51.100.0/24', region: 'ap', source: 'config' },
      { cidr: '203.0.113.0/24', region: 'mars', source: 'config' },
    ],
  },
  { current: null },
);

function inputs(over: Partial<RoutingInputs> = {}): RoutingInputs {
  return { ecsEnabled: true, geo: locator, learned: null, latencyConfigOf: () => LATENCY, measured: () => undefined, ...over };
}

const NO_ECS = { hasEcs: false, ecsFamily: 0, ecsSourcePrefix: 0, ecsAddress: new Uint8Array(16) };
function ecs(ip: string, prefix: number) {
  const ecsAddress = new Uint8Array(16);
  ip.split('.').forEach((o, i) => (ecsAddress[i] = Number(o)));
  return { hasEcs: true, ecsFamily: 1, ecsSourcePrefix: prefix, ecsAddress };
}

function ask(snap: Snapshot, entry: NameEntry, query = NO_ECS, socket = '127.0.0.1') {
  const out = new Int32Array(256);
  const state = newRouteState();
  const n = routeAnswers(entry, entry.a!, 8, snap.routing, query, socket, 0.5, out, state);
  return { ids: [...out.subarray(0, n)].map((i) => entry.a!.backendIds[i]), state };
}

test('geolocation answers the client region, rotating inside it, with the mapping prefix as scope', () => {
  const { snap, entry } = snapshotFor('geolocation', BACKENDS);
  attachRouting(snap, inputs());
  const a = ask(snap, entry, ecs('192.0.2.0', 24));
  assert.deepEqual(a.ids, ['eu-1']);
  assert.equal(a.state.usedEcs, true);
  assert.equal(a.state.scopePrefix, 24);
  const first = ask(snap, entry, NO_ECS, '198.51.100.7');
  assert.deepEqual(first.ids, ['ap-1']);
  assert.equal(first.state.usedEcs, false);
  assert.equal(first.state.usedClient, true);
  const us1 = ask(snap, entry, ecs('10.9.0.0', 16)).ids;
  const us2 = ask(snap, entry, ecs('10.9.0.0', 16)).ids;
  assert.deepEqual(new Set([us1[0], us2[0]]), new Set(['us-1', 'us-2'])); // default region, rotated
});

test('a region with no backend here falls back to the default region, then to every backend', () => {
  const { snap, entry } = snapshotFor('geolocation', BACKENDS);
  attachRouting(snap, inputs());
  assert.deepEqual(ask(snap, entry, ecs('203.0.113.0', 24)).ids.sort(), ['us-1', 'us-2']); // region "mars"
  const noUs = snapshotFor('geolocation', BACKENDS.filter((b) => b.region !== 'us'));
  attachRouting(noUs.snap, inputs());
  assert.equal(ask(noUs.snap, noUs.entry, ecs('10.9.0.0', 16)).ids.length, 2); // default empty: all
});

test('with ecs_enabled false the socket address decides and the ECS option is not used', () => {
  const { snap, entry } = snapshotFor('geolocation', BACKENDS);
  attachRouting(snap, inputs({ ecsEnabled: false }));
  const a = ask(snap, entry, ecs('192.0.2.0', 24), '::ffff:198.51.100.9');
  assert.deepEqual(a.ids, ['ap-1']);
  assert.equal(a.state.usedEcs, false);
});

test('fillClient reads ECS (IPv4 and IPv4-mapped IPv6) and dual-stack socket addresses', () => {
  const client = { family: 0, address: new Uint8Array(16), prefixLength: 0 };
  assert.equal(fillClient(client, true, ecs('192.0.2.0', 24), '::1'), true);
  assert.deepEqual([client.family, client.prefixLength], [4, 24]);
  const mapped = new Uint8Array(16);
  mapped.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 0]);
  fillClient(client, true, { hasEcs: true, ecsFamily: 2, ecsSourcePrefix: 120, ecsAddress: mapped }, '');
  assert.deepEqual([client.family, client.prefixLength, client.address[0]], [4, 24, 192]);
  assert.equal(fillClient(client, true, ecs('0.0.0.0', 0), '::ffff:127.0.0.1'), false); // source /0: no tailoring
  assert.equal(fillClient(client, true, NO_ECS, '::ffff:127.0.0.1'), false);
  assert.deepEqual([client.family, client.prefixLength], [4, 32]);
  fillClient(client, true, NO_ECS, '');
  assert.equal(client.family, 0);
});

test('latency: lowest smoothed RTT first, servers above max_latency_ms dropped, min_samples honoured', () => {
  const { snap, entry } = snapshotFor('latency', BACKENDS);
  const tracker = new LatencyTracker();
  const feed = (id: string, ...ms: number[]) => ms.forEach((m) => tracker.record(id, m, LATENCY.smoothingFactor));
  feed('us-1', 40, 40);
  feed('us-2', 10, 30); // ewma 20
  feed('eu-1', 300, 300); // above 100 ms
  feed('ap-1', 1); // one sample < min_samples
  const inp = inputs({ measured: (id) => tracker.get(id) });
  attachRouting(snap, inp);
  assert.deepEqual(ask(snap, entry).ids, ['us-2', 'us-1']);
  assert.equal(latencyRankingChanged(snap, inp), false);
  feed('us-1', 0, 0, 0); // us-1 becomes faster
  assert.equal(latencyRankingChanged(snap, inp), true);
});

test('latency: all above max_latency_ms -> all, lowest first; no data -> round-robin over all', () => {
  const { snap, entry } = snapshotFor('latency', BACKENDS.slice(0, 2));
  const tracker = new LatencyTracker();
  for (const [id, ms] of [['us-1', 900], ['us-2', 600]] as const) for (let i = 0; i < 3; i++) tracker.record(id, ms, 0.3);
  attachRouting(snap, inputs({ measured: (id) => tracker.get(id) }));
  assert.deepEqual(ask(snap, entry).ids, ['us-2', 'us-1']);
  const bare = snapshotFor('latency', BACKENDS.slice(0, 2));
  attachRouting(bare.snap, inputs());
  const firsts = new Set([ask(bare.snap, bare.entry).ids[0], ask(bare.snap, bare.entry).ids[0]]);
  assert.equal(firsts.size, 2);
});

test('learned_latency: each client prefix gets its own lowest-RTT backend; unknown prefixes rotate', () => {
  const { snap, entry } = snapshotFor('learned_latency', BACKENDS.slice(0, 3));
  const table = new LearnedLatencyTable({ maxPrefixes: 100, ttlMs: 60_000 });
  table.report('192.0.2.0/24', 'us-1', 10, 5, 0, 'a');
  table.report('192.0.2.0/24', 'us-2', 50, 5, 0, 'a');
  table.report('198.51.100.0/24', 'us-1', 70, 5, 0, 'a');
  table.report('198.51.100.0/24', 'eu-1', 8, 5, 0, 'b');
  table.report('198.51.100.0/24', 'us-2', 5, 1, 0, 'a'); // too few samples (min 2)
  attachRouting(snap, inputs({ learned: table }));
  const a = ask(snap, entry, ecs('192.0.2.0', 24));
  assert.deepEqual(a.ids, ['us-1', 'us-2']);
  assert.equal(a.state.scopePrefix, 24);
  assert.deepEqual(ask(snap, entry, NO_ECS, '198.51.100.20').ids, ['eu-1', 'us-1']);
  const other = ask(snap, entry, ecs('10.0.0.0', 8));
  assert.equal(other.ids.length, 3); // no data: round-robin over all
  assert.equal(other.state.scopePrefix, 24); // a longer stored prefix could have matched
});

test('routing a query allocates nothing measurable (geolocation, 100k queries)', () => {
  const { snap, entry } = snapshotFor('geolocation', BACKENDS);
  attachRouting(snap, inputs());
  const out = new Int32Array(256);
  const state = newRouteState();
  const q = ecs('192.0.2.0', 24);
  for (let i = 0; i < 1000; i++) routeAnswers(entry, entry.a!, 8, snap.routing, q, '127.0.0.1', 0.5, out, state);
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 100_000; i++) routeAnswers(entry, entry.a!, 8, snap.routing, i & 1 ? q : NO_ECS, '127.0.0.1', 0.5, out, state);
  assert.ok(process.memoryUsage().heapUsed - before < 1_000_000);
});
