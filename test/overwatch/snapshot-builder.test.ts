import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSnapshot, type SnapshotInput } from '../../src/overwatch/snapshot-builder.ts';
import { wireKey } from '../../src/dns/wire/index.ts';

const Z = 'gslb.example.com';
function input(serve: boolean[], returnLastHealthy = false, nowMs = 1_800_000_000_000): SnapshotInput {
  return {
    zones: [{ apex: Z, nameservers: [`ns1.${Z}`], hostmaster: `hostmaster.${Z}`, soaTtlSeconds: 60 }],
    names: [{ name: `app.${Z}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 8 }],
    backends: serve.map((s, i) => ({ id: `b${i}`, name: `app.${Z}`, address: `10.0.0.${i + 1}`, port: 80, weight: 1, region: 'r', serve: s })),
    returnLastHealthy,
    nowMs,
  };
}

test('the SOA serial stays while content is unchanged and moves forward when it changes', () => {
  const s1 = buildSnapshot(input([true, true]), null);
  const serial1 = s1.zones.get(wireKey(Z))!.serial;
  const s2 = buildSnapshot(input([true, true], false, 1_800_000_100_000), s1);
  assert.equal(s2.zones.get(wireKey(Z))!.serial, serial1);
  const s3 = buildSnapshot(input([true, false], false, 1_800_000_100_000), s2);
  assert.ok(s3.zones.get(wireKey(Z))!.serial > serial1);
  // a change within the same second still moves the serial
  const s4 = buildSnapshot(input([true, true], false, 1_800_000_100_000), s3);
  assert.equal(s4.zones.get(wireKey(Z))!.serial, s3.zones.get(wireKey(Z))!.serial + 1);
});

test('keeps the rotation counter across rebuilds', () => {
  const s1 = buildSnapshot(input([true, true]), null);
  s1.names.get(wireKey(`app.${Z}`))!.rotation.next = 7;
  const s2 = buildSnapshot(input([true, false]), s1);
  assert.equal(s2.names.get(wireKey(`app.${Z}`))!.rotation.next, 7);
});

test('all unhealthy gives an empty set, or the last healthy set with return_last_healthy', () => {
  const healthy = buildSnapshot(input([true, false], true), null);
  const down = buildSnapshot(input([false, false], false), healthy);
  assert.equal(down.names.get(wireKey(`app.${Z}`))!.a!.records.length, 0);
  const limp = buildSnapshot(input([false, false], true), healthy);
  const a = limp.names.get(wireKey(`app.${Z}`))!.a!;
  assert.equal(a.isLastHealthy, true);
  assert.deepEqual(a.backendIds, ['b0']);
  // still limping on the next rebuild
  const limp2 = buildSnapshot(input([false, false], true), limp);
  assert.deepEqual(limp2.names.get(wireKey(`app.${Z}`))!.a!.backendIds, ['b0']);
});

test('a name with no backend of a family has a null set (NODATA), and two ports of one address give one record', () => {
  const inp = input([true]);
  inp.backends.push({ ...inp.backends[0]!, id: 'b0-8443', port: 8443 });
  const s = buildSnapshot(inp, null);
  const e = s.names.get(wireKey(`app.${Z}`))!;
  assert.equal(e.aaaa, null);
  assert.equal(e.a!.records.length, 1);
});

test('intermediate names between the apex and a served name are empty non-terminals', () => {
  const inp = input([true]);
  inp.names = [{ name: `a.b.c.${Z}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 8 }];
  inp.backends = inp.backends.map((b) => ({ ...b, name: `a.b.c.${Z}` }));
  const s = buildSnapshot(inp, null);
  assert.deepEqual([...s.emptyNonTerminals].sort(), [wireKey(`b.c.${Z}`), wireKey(`c.${Z}`)].sort());
});

test('without a signer the Snapshot carries no DNSSEC data', () => {
  const s = buildSnapshot(input([true, true]), null);
  assert.equal(s.zones.get(wireKey(Z))!.dnssec, undefined);
  assert.equal(s.names.get(wireKey(`app.${Z}`))!.a!.rrsigs, undefined);
});

test('with a signer every zone RRset, answer window and NODATA NSEC is pre-signed', async () => {
  const { DnssecService } = await import('../../src/dnssec/index.ts');
  const { ManualClock } = await import('../../src/lifecycle/index.ts');
  const { MemoryKeys, silentLog } = await import('../dnssec/signed-server.ts');
  const svc = new DnssecService({
    config: { enabled: true, algorithm: 'ECDSAP256SHA256', keySync: { peers: [], pollIntervalMs: 3_600_000, timeoutMs: 30_000 }, signatureValidityMs: 7 * 86_400_000, rollover: { zskLifetimeMs: 0, propagationDelayMs: 0 } },
    dnskeyTtlSeconds: 300,
    keys: new MemoryKeys(),
    clock: new ManualClock(1_800_000_000_000),
    log: silentLog,
    requestRebuild: () => {},
  });
  svc.ensureZones([Z]);
  const base = input([true, true, true]);
  const s = buildSnapshot({ ...base, names: [{ ...base.names[0]!, maxAnswers: 2 }], signer: svc }, null);
  const zone = s.zones.get(wireKey(Z))!;
  assert.ok(zone.dnssec);
  assert.equal(zone.dnssec.dnskeyTails.length, 1);
  const app = s.names.get(wireKey(`app.${Z}`))!;
  assert.equal(app.a!.signedCount, 2);
  assert.equal(app.a!.rrsigs!.length, 3, 'one per window start');
  assert.equal(new Set(app.a!.rrsigs!).size, 3);
  assert.ok(app.nsec, 'NODATA NSEC at the name');
  assert.equal(app.aaaa, null);
  // SOA, NS, DNSKEY, apex NSEC, 3 windows, app NSEC
  assert.equal(svc.totals().signaturesMade, 8);
  void svc.close();
});
