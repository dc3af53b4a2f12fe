/**
 * Geolocation and latency routing against round-robin, through Responder.respond (parse, look up,
 * route, write one answer; no sockets), and GeoLocator.locate alone. The database is the real
 * @ip-location-db country database the demo uses (7.8 MB, 1.3M tree nodes): lookups walk a real
 * tree. Geolocated queries carry ECS from 4,096 different /24s of public address space (and, in
 * one case, none: the resolver's socket address is parsed instead).
 *   node bench/geo/geo-routing.bench.ts [timeMs=500]
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Bench } from 'tinybench';
import { Responder } from '../../src/dns/index.ts';
import { ResponseWriter } from '../../src/dns/wire/index.ts';
import { GeoLocator, MmdbDatabase, parseClientIpInto } from '../../src/geo/index.ts';
import { buildSnapshot, type BackendView } from '../../src/overwatch/index.ts';
import { attachRouting, LearnedLatencyTable } from '../../src/routing/index.ts';
import type { RoutingAlgorithm } from '../../src/config/types.ts';
import { encodeQuery } from '../../test/support/dns-client.ts';

const ZONE = 'gslb.example.com';
const require = createRequire(import.meta.url);
const dbFile = require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
const db = new MmdbDatabase(readFileSync(dbFile), dbFile);

const locator = new GeoLocator(
  {
    regions: [
      { name: 'us', countries: ['US', 'CA'], continents: ['NA', 'SA'] },
      { name: 'eu', countries: [], continents: ['EU', 'AF'] },
      { name: 'ap', countries: [], continents: ['AS', 'OC'] },
    ],
    defaultRegion: 'us',
    mappings: [
      { cidr: '10.0.0.0/8', region: 'us', source: 'config' },
      { cidr: '172.16.0.0/12', region: 'eu', source: 'config' },
      { cidr: '203.0.113.0/24', region: 'ap', source: 'config' },
    ],
  },
  { current: db },
);

const names: [string, RoutingAlgorithm][] = [
  ['rr', 'round-robin'],
  ['geo', 'geolocation'],
  ['learned', 'learned_latency'],
];
const backends: BackendView[] = [];
for (const [label] of names) {
  ['us', 'us', 'eu', 'eu', 'ap', 'ap'].forEach((region, i) =>
    backends.push({ id: `${label}-${i}`, name: `${label}.${ZONE}`, address: `10.1.${names.findIndex((n) => n[0] === label)}.${i + 1}`, port: 80, weight: 100, region, serve: true }),
  );
}
const snapshot = buildSnapshot(
  {
    zones: [{ apex: ZONE, nameservers: [`ns1.${ZONE}`], hostmaster: `hostmaster.${ZONE}`, soaTtlSeconds: 60 }],
    names: names.map(([label, policy]) => ({ name: `${label}.${ZONE}`, policy, ttlSeconds: 30, maxAnswers: 3 })),
    backends,
    returnLastHealthy: false,
    nowMs: Date.now(),
  },
  null,
);

// 4,096 public /24s spread over the IPv4 space (deterministic), each a client subnet.
const subnets: string[] = [];
let x = 0x9e3779b9;
while (subnets.length < 4096) {
  x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
  const a = (x >>> 24) & 0xff;
  if (a === 0 || a === 10 || a === 127 || a >= 224) continue;
  subnets.push(`${a}.${(x >>> 16) & 0xff}.${(x >>> 8) & 0xff}.0`);
}
const learned = new LearnedLatencyTable({ maxPrefixes: 100_000, ttlMs: 3600_000 });
for (const [i, s] of subnets.entries()) for (let b = 0; b < 6; b++) learned.report(`${s}/24`, `learned-${b}`, 5 + ((i * 7 + b * 13) % 90), 10, 0, 'bench');
attachRouting(snapshot, {
  ecsEnabled: true,
  geo: locator,
  learned,
  latencyConfigOf: () => ({ smoothingFactor: 0.3, maxLatencyMs: 500, minSamples: 3 }),
  measured: () => undefined,
});

const ecsQueries = (label: string) => subnets.map((s) => encodeQuery(`${label}.${ZONE}`, 'A', { edns: { ecs: { family: 1, sourcePrefix: 24, address: s } } }));
const plain = (label: string) => encodeQuery(`${label}.${ZONE}`, 'A', { edns: {} });
const rrEcs = ecsQueries('rr');
const geoEcs = ecsQueries('geo');
const learnedEcs = ecsQueries('learned');
const rrPlain = plain('rr');
const geoPlain = plain('geo');

const responder = new Responder({ maxUdpPayload: 1232 });
responder.clientAddress = '::ffff:192.0.2.53';
const writer = new ResponseWriter(Buffer.alloc(1232));
let i = 0;
const cycle = (list: Buffer[]) => list[i++ & 4095]!;

const cases: [string, () => Buffer][] = [
  ['round-robin, EDNS', () => rrPlain],
  ['round-robin, ECS (ignored: scope 0)', () => cycle(rrEcs)],
  ['geolocation, ECS from 4,096 /24s', () => cycle(geoEcs)],
  ['geolocation, no ECS (socket address)', () => geoPlain],
  ['learned_latency, ECS, 4,096 /24s in the table', () => cycle(learnedEcs)],
];
for (const [name, next] of cases) if (responder.respond(snapshot, next(), 'udp', writer) === 0) throw new Error(`no answer for ${name}`);

const clientBytes = subnets.map((s) => {
  const address = new Uint8Array(16);
  const family = parseClientIpInto(s, address);
  return { family, address, prefixLength: 24 };
});
const scope = { prefixLength: 0 };

const bench = new Bench({ time: Number(process.argv[2] ?? 500) });
for (const [name, next] of cases) bench.add(`respond: ${name}`, () => void responder.respond(snapshot, next(), 'udp', writer));
bench.add('GeoLocator.locate (real database, 4,096 /24s)', () => void locator.locate(clientBytes[i++ & 4095]!, scope));
await bench.run();
console.table(bench.table());
