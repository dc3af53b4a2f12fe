/**
 * Geolocation in a signed zone: the answer is a region's subset of the name's records, not the
 * rotation window the Snapshot pre-signed, so its RRSIG must cover exactly what was answered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import { DnssecService, rrsigHeader, signingInput } from '../../src/dnssec/index.ts';
import { Responder } from '../../src/dns/index.ts';
import { ResponseWriter, wireKey } from '../../src/dns/wire/index.ts';
import { GeoLocator } from '../../src/geo/index.ts';
import { buildSnapshot } from '../../src/overwatch/index.ts';
import { attachRouting } from '../../src/routing/index.ts';
import { systemClock } from '../../src/lifecycle/index.ts';
import { encodeQuery, decode } from '../support/dns-client.ts';
import { MemoryKeys, silentLog } from '../dnssec/signed-server.ts';

const ZONE = 'geo.example.com';
const NAME = `www.${ZONE}`;

test('a signed geolocation answer carries an RRSIG over exactly the region records it holds', async (t) => {
  const dnssec = new DnssecService({
    config: { enabled: true, algorithm: 'ECDSAP256SHA256', keySync: { peers: [], pollIntervalMs: 3_600_000, timeoutMs: 30_000 }, signatureValidityMs: 86_400_000, rollover: { zskLifetimeMs: 0, propagationDelayMs: 0 } },
    dnskeyTtlSeconds: 300,
    keys: new MemoryKeys(),
    clock: systemClock,
    log: silentLog,
    requestRebuild: () => {},
  });
  t.after(() => dnssec.close());
  dnssec.ensureZones([ZONE]);
  const regions = ['us', 'us', 'eu', 'ap', 'eu'];
  const snapshot = buildSnapshot(
    {
      zones: [{ apex: ZONE, nameservers: [`ns1.${ZONE}`], hostmaster: `hostmaster.${ZONE}`, soaTtlSeconds: 60 }],
      names: [{ name: NAME, policy: 'geolocation', ttlSeconds: 30, maxAnswers: 2 }], // pre-signed windows of 2: a region pair is no window
      backends: regions.map((region, i) => ({ id: `b${i}`, name: NAME, address: `192.0.2.${10 + i}`, port: 80, weight: 100, region, serve: true })),
      returnLastHealthy: false,
      nowMs: Date.now(),
      signer: dnssec,
    },
    null,
  );
  const locator = new GeoLocator(
    {
      regions: ['us', 'eu', 'ap'].map((name) => ({ name, countries: [], continents: [] })),
      defaultRegion: 'us',
      mappings: [{ cidr: '198.51.100.0/24', region: 'eu', source: 'config' }],
    },
    { current: null },
  );
  attachRouting(snapshot, { ecsEnabled: true, geo: locator, learned: null, latencyConfigOf: () => ({ smoothingFactor: 0.3, maxLatencyMs: 500, minSamples: 3 }), measured: () => undefined });
  const key = dnssec.forZone(wireKey(ZONE))!.key;
  const responder = new Responder({ maxUdpPayload: 1232 });
  const writer = new ResponseWriter(Buffer.alloc(1232));
  for (const [subnet, expected] of [
    ['198.51.100.0', ['192.0.2.12', '192.0.2.14']],
    ['203.0.113.0', ['192.0.2.10', '192.0.2.11']],
  ] as const) {
    for (let round = 0; round < 2; round++) {
      const q = encodeQuery(NAME, 'A', { edns: { dnssecOk: true, ecs: { family: 1, sourcePrefix: 24, address: subnet } } });
      const len = responder.respond(snapshot, q, 'udp', writer);
      const res = decode(Buffer.from(writer.buf.subarray(0, len)));
      const answers = (res.answers ?? []) as { type: string; data: unknown; ttl: number }[];
      const addrs = answers.filter((a) => a.type === 'A').map((a) => a.data as string);
      assert.deepEqual([...addrs].sort(), expected);
      const sig = answers.find((a) => a.type === 'RRSIG')!.data as { originalTTL: number; inception: number; expiration: number; signature: Buffer };
      const header = rrsigHeader(key, key.apexKey, wireKey(NAME), 1, sig.originalTTL, { inceptionSec: sig.inception, expirationSec: sig.expiration });
      const input = signingInput(header, wireKey(NAME), 1, 30, addrs.map((a) => Buffer.from(a.split('.').map(Number))));
      assert.ok(verify('sha256', input, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, sig.signature), `${subnet} round ${round}`);
    }
  }
});
