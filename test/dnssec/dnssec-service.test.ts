import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { DnssecService, SigningKey, planZoneKeys } from '../../src/dnssec/index.ts';
import { wireKey } from '../../src/dns/wire/index.ts';
import { ManualClock } from '../../src/lifecycle/index.ts';
import { StateStore } from '../../src/store/index.ts';
import { buildSnapshot } from '../../src/overwatch/index.ts';
import { tempDataDir } from '../store/temp-data-dir.ts';
import { MemoryKeys, silentLog, zoneInput, ZONE } from './signed-server.ts';

const T0 = Date.UTC(2026, 10, 27);
const DAY = 86_400_000;
const config = { enabled: true, algorithm: 'ECDSAP256SHA256' as const, keySync: { peers: [], pollIntervalMs: 3_600_000, timeoutMs: 30_000 }, signatureValidityMs: 7 * DAY, rollover: { zskLifetimeMs: 0, propagationDelayMs: 0 } };

function service(keys: ConstructorParameters<typeof DnssecService>[0]['keys'], clock = new ManualClock(T0), requestRebuild = () => {}): DnssecService {
  return new DnssecService({ config, keys, clock, log: silentLog, requestRebuild, dnskeyTtlSeconds: 300 });
}

test('first start generates a CSK per zone and stores it (PKCS#8 PEM, source local) in the 0600 database', (t) => {
  const dir = tempDataDir(t);
  const store = StateStore.open(dir);
  t.after(() => store.close());
  const svc = service(store.dnssecKeys);
  svc.ensureZones([ZONE, 'Other.Example.']);
  const stored = store.dnssecKeys.list();
  assert.deepEqual(stored.map((k) => k.zone), ['gslb.example.com', 'other.example']);
  for (const k of stored) {
    assert.equal(k.flags, 257);
    assert.equal(k.algorithm, 13);
    assert.equal(k.source, 'local');
    assert.equal(k.createdAtMs, T0);
    assert.match(k.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
  }
  const dbFile = path.join(dir, 'opengslb.db');
  assert.equal(statSync(dbFile).mode & 0o077, 0, 'database not readable by group or others');
});

test('a restart loads the stored key: same DNSKEY, same DS', async (t) => {
  const dir = tempDataDir(t);
  let store = StateStore.open(dir);
  const first = service(store.dnssecKeys);
  first.ensureZones([ZONE]);
  const ds = first.ds(ZONE);
  await store.close();
  store = StateStore.open(dir);
  t.after(() => store.close());
  const second = service(store.dnssecKeys, new ManualClock(T0 + DAY));
  second.ensureZones([ZONE]);
  assert.deepEqual(second.ds(ZONE), ds);
  assert.equal(store.dnssecKeys.list().length, 1, 'no second key generated');
});

test('the oldest active key signs when several are stored (deterministic across nodes)', () => {
  const keys = new MemoryKeys();
  const older = SigningKey.generate(ZONE, T0 - DAY);
  const newer = SigningKey.generate(ZONE, T0);
  for (const [k, source] of [[newer, 'local'], [older, 'peer:https://ow2.internal:8080']] as const) {
    keys.put({ zone: ZONE, keyTag: k.keyTag, algorithm: 13, flags: 257, publicKey: k.publicKeyBase64, privateKeyPem: k.privateKeyPem(), createdAtMs: k.createdAtMs, source, active: true });
  }
  assert.equal(planZoneKeys(keys.listForZone(ZONE), T0, { zskLifetimeMs: 0, prePublishMs: 0, retireMs: 0 }).ksk!.publicKey, older.publicKeyBase64);
  const svc = service(keys);
  svc.ensureZones([ZONE]);
  assert.equal(svc.forZone(wireKey(ZONE))!.key.keyTag, older.keyTag);
  const status = svc.status()[0]!;
  assert.deepEqual(status.keys.filter((k) => k.signing).map((k) => k.keyTag), [older.keyTag]);
});

test('a stored key that cannot be parsed is skipped and a usable one is made', () => {
  const keys = new MemoryKeys();
  keys.put({ zone: ZONE, keyTag: 1, algorithm: 13, flags: 257, publicKey: 'x', privateKeyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', createdAtMs: T0, source: 'local', active: true });
  const errors: string[] = [];
  const svc = new DnssecService({ config, keys, clock: new ManualClock(T0), log: { ...silentLog, error: (_o: object, m: string) => errors.push(m) }, requestRebuild: () => {}, dnskeyTtlSeconds: 300 });
  svc.ensureZones([ZONE]);
  assert.equal(errors.length, 1);
  assert.ok(svc.forZone(wireKey(ZONE)));
  assert.equal(keys.records.length, 2);
});

test('after a build the service asks for a rebuild when signatures reach half-life, and the rebuild re-signs', () => {
  const clock = new ManualClock(T0);
  let requested = 0;
  const svc = service(new MemoryKeys(), clock, () => requested++);
  const build = (prev: ReturnType<typeof buildSnapshot> | null) => {
    const input = zoneInput(clock.nowMs());
    svc.ensureZones(input.zones.map((z) => z.apex));
    const snap = buildSnapshot({ ...input, signer: svc }, prev);
    svc.afterBuild();
    return snap;
  };
  const s1 = build(null);
  const made = svc.totals().signaturesMade;
  assert.ok(made > 10);
  const s2 = build(s1);
  assert.equal(svc.totals().signaturesMade, made, 'an unchanged rebuild signs nothing');
  assert.equal(svc.status()[0]!.nextRefreshMs, T0 + 3.5 * DAY);
  clock.advance(3.5 * DAY - 1);
  assert.equal(requested, 0);
  clock.advance(1);
  assert.equal(requested, 1);
  const s3 = build(s2);
  assert.equal(svc.totals().signaturesMade, made * 2, 'every served signature re-made');
  const rrsig = s3.zones.get(wireKey(ZONE))!.dnssec!.soaRrsig;
  assert.equal(rrsig.readUInt32BE(10 + 8), Math.floor((T0 + 3.5 * DAY + 7 * DAY) / 1000));
  void svc.close();
});
