/**
 * ZSK rollover (rollover.ts + DnssecService): the pure plan, and three real DnssecServices on one
 * simulated clock that sync keys the way KeySyncer does (adoptKey, then replanAll), checked against
 * what a validating resolver needs at every moment: whatever key signs data at one node is in every
 * node's DNSKEY RRset for a DNSKEY TTL before and for the largest signed TTL after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/lifecycle/index.ts';
import { DnssecService, FLAGS_CSK, FLAGS_ZSK, keyTag, planZoneKeys, type RolloverTiming } from '../../src/dnssec/index.ts';
import { buildSnapshot, type SnapshotInput } from '../../src/overwatch/index.ts';
import { wireKey } from '../../src/dns/wire/index.ts';
import type { DnssecKeyRecord } from '../../src/store/index.ts';
import { MemoryKeys, ZONE, silentLog } from './signed-server.ts';

const T0 = Date.UTC(2026, 10, 28);
const S = 1000;
const MIN = 60 * S;

function record(name: string, flags: number, createdAtMs: number): DnssecKeyRecord {
  return { zone: ZONE, keyTag: createdAtMs % 65536, algorithm: 13, flags, publicKey: name, privateKeyPem: 'x', createdAtMs, source: 'local', active: true };
}

const timing: RolloverTiming = { zskLifetimeMs: 60 * MIN, prePublishMs: 10 * MIN, retireMs: 5 * MIN };
const names = (keys: ({ record: DnssecKeyRecord } | DnssecKeyRecord)[]): string[] => keys.map((k) => ('record' in k ? k.record : k).publicKey);

test('plan: CSK mode without rollover; the oldest KSK wins and every KSK is published', () => {
  const keys = [record('b', FLAGS_CSK, T0), record('a', FLAGS_CSK, T0 + 1)];
  const plan = planZoneKeys(keys, T0 + MIN, { ...timing, zskLifetimeMs: 0 });
  assert.equal(plan.ksk!.publicKey, 'b');
  assert.equal(plan.zsk, undefined);
  assert.deepEqual(names(plan.published), ['b', 'a']);
  assert.deepEqual(plan.published.map((p) => p.state), ['active', 'published']);
  assert.equal(plan.generateZsk, false);
  assert.equal(plan.nextEventMs, Infinity);
});

test('plan: first ZSK is made at once and signs only after the pre-publication interval', () => {
  const ksk = record('k', FLAGS_CSK, T0);
  assert.equal(planZoneKeys([ksk], T0, timing).generateZsk, true);
  const zsk = record('z1', FLAGS_ZSK, T0);
  const before = planZoneKeys([ksk, zsk], T0 + 10 * MIN - 1, timing);
  assert.equal(before.zsk, undefined, 'pre-published, not signing');
  assert.deepEqual(names(before.published), ['k', 'z1']);
  assert.equal(before.nextEventMs, T0 + 10 * MIN);
  const after = planZoneKeys([ksk, zsk], T0 + 10 * MIN, timing);
  assert.equal(after.zsk!.publicKey, 'z1');
  assert.equal(after.generateZsk, false);
  assert.equal(after.nextEventMs, T0 + 60 * MIN, 'the successor is due one lifetime minus Ipub after activation');
});

test('plan: successor pre-published, takes over, the old key is retired and then removed', () => {
  const ksk = record('k', FLAGS_CSK, T0);
  const z1 = record('z1', FLAGS_ZSK, T0);
  assert.equal(planZoneKeys([ksk, z1], T0 + 60 * MIN, timing).generateZsk, true);
  const z2 = record('z2', FLAGS_ZSK, T0 + 60 * MIN);
  const prePub = planZoneKeys([ksk, z1, z2], T0 + 65 * MIN, timing);
  assert.equal(prePub.zsk!.publicKey, 'z1');
  assert.deepEqual(prePub.published.map((p) => [p.record.publicKey, p.state]), [['k', 'active'], ['z1', 'active'], ['z2', 'published']]);
  const switched = planZoneKeys([ksk, z1, z2], T0 + 70 * MIN, timing);
  assert.equal(switched.zsk!.publicKey, 'z2');
  const retiring = switched.published.find((p) => p.record.publicKey === 'z1')!;
  assert.equal(retiring.state, 'retiring');
  assert.equal(retiring.removeAtMs, T0 + 75 * MIN);
  const removed = planZoneKeys([ksk, z1, z2], T0 + 75 * MIN, timing);
  assert.deepEqual(names(removed.drop), ['z1']);
  assert.deepEqual(names(removed.published), ['k', 'z2']);
  const unknownTtl = planZoneKeys([ksk, z1, z2], T0 + 75 * MIN, { ...timing, retireMs: undefined });
  assert.deepEqual(unknownTtl.drop, [], 'nothing is removed before the largest signed TTL is known');
  assert.equal(unknownTtl.published.find((p) => p.record.publicKey === 'z1')!.removeAtMs, null);
});

test('plan: of successors made at once by several nodes only the oldest goes on; the rest are dropped', () => {
  const ksk = record('k', FLAGS_CSK, T0);
  const z1 = record('z1', FLAGS_ZSK, T0);
  const mine = record('zB', FLAGS_ZSK, T0 + 60 * MIN);
  const theirs = record('zA', FLAGS_ZSK, T0 + 60 * MIN);
  const later = record('zC', FLAGS_ZSK, T0 + 60 * MIN + 5);
  const plan = planZoneKeys([ksk, z1, mine, later, theirs], T0 + 61 * MIN, timing);
  assert.deepEqual(names(plan.drop).sort(), ['zB', 'zC']);
  assert.equal(plan.published.at(-1)!.record.publicKey, 'zA');
});

interface Sample {
  t: number;
  signer: number;
  published: Set<number>;
}

interface Node {
  name: string;
  keys: MemoryKeys;
  svc: DnssecService;
  rounds: number;
  rebuild: boolean;
  samples: Sample[];
}

function input(nowMs: number): SnapshotInput {
  return {
    zones: [{ apex: ZONE, nameservers: [`ns1.${ZONE}`], hostmaster: `hostmaster.${ZONE}`, soaTtlSeconds: 60 }],
    names: [{ name: `www.${ZONE}`, policy: 'round-robin', ttlSeconds: 300, maxAnswers: 8 }],
    backends: [{ id: 'w1', name: `www.${ZONE}`, address: '192.0.2.1', port: 80, weight: 100, region: 'us', serve: true }],
    returnLastHealthy: false,
    nowMs,
  };
}

/**
 * Three nodes, one clock, key sync every `poll` at each node's offset. Returns each node's samples
 * of (data-signing key, published key tags) every `step`.
 */
function simulate(o: { durationMs: number; stepMs: number; pollMs: number; offsetsMs: number[]; lifetimeMs: number; propagationMs: number }): Node[] {
  const clock = new ManualClock(T0);
  const nodes: Node[] = [];
  for (const [i] of o.offsetsMs.entries()) {
    const keys = new MemoryKeys();
    const node: Node = { name: `ow${i}`, keys, rounds: 0, rebuild: true, samples: [], svc: undefined as unknown as DnssecService };
    node.svc = new DnssecService({
      config: {
        enabled: true,
        algorithm: 'ECDSAP256SHA256',
        keySync: { peers: ['http://peer'], pollIntervalMs: o.pollMs, timeoutMs: S },
        signatureValidityMs: 7 * 86_400_000,
        rollover: { zskLifetimeMs: o.lifetimeMs, propagationDelayMs: o.propagationMs },
      },
      keys,
      clock,
      log: silentLog,
      requestRebuild: () => (node.rebuild = true),
      dnskeyTtlSeconds: 60,
      mayGenerateZsk: () => node.rounds > 0,
    });
    node.svc.ensureZones([ZONE]);
    nodes.push(node);
  }
  const syncRound = (node: Node): void => {
    for (const peer of nodes) {
      if (peer === node) continue;
      for (const { records } of peer.svc.keyRecords()) for (const r of records) node.svc.adoptKey({ ...r, source: `peer:${peer.name}` });
    }
    node.rounds++;
    node.svc.replanAll();
  };
  const nextPoll = o.offsetsMs.map((off) => T0 + off);
  for (let t = T0; t <= T0 + o.durationMs; t += o.stepMs) {
    clock.advance(t - clock.nowMs());
    for (const [i, node] of nodes.entries()) {
      if (t >= nextPoll[i]!) {
        syncRound(node);
        nextPoll[i]! += o.pollMs;
      }
    }
    for (const node of nodes) {
      if (node.rebuild) {
        node.rebuild = false;
        buildSnapshot({ ...input(t), signer: node.svc }, null);
        node.svc.afterBuild();
      }
      const signer = node.svc.forZone(wireKey(ZONE))!;
      node.samples.push({ t, signer: signer.key.keyTag, published: new Set(signer.dnskeyRdatas.map((r) => keyTag(r))) });
    }
  }
  return nodes;
}

/**
 * A resolver may hold a DNSKEY RRset fetched from any node up to its TTL ago, and an RRSIG made by
 * any node up to the largest signed TTL ago: the signing key must be in every such RRset.
 */
function assertAlwaysValidates(nodes: Node[], fromMs: number, dnskeyTtlMs: number, maxTtlMs: number): void {
  // Every node samples at the same instants, so sample i of one node is time-aligned with sample i of another.
  const stepMs = nodes[0]!.samples[1]!.t - nodes[0]!.samples[0]!.t;
  const before = Math.ceil(dnskeyTtlMs / stepMs);
  const after = Math.ceil(maxTtlMs / stepMs);
  for (const n of nodes) {
    for (const [i, s] of n.samples.entries()) {
      if (s.t < fromMs) continue;
      for (const m of nodes) {
        for (let j = Math.max(0, i - before); j <= Math.min(m.samples.length - 1, i + after); j++) {
          const other = m.samples[j]!;
          assert.ok(
            other.published.has(s.signer),
            `${n.name} signs with ${s.signer} at +${(s.t - T0) / S}s but ${m.name} publishes [${[...other.published]}] at +${(other.t - T0) / S}s`,
          );
        }
      }
    }
  }
}

test('three synced nodes roll the ZSK every lifetime and a validator never sees a signature without its key', () => {
  const nodes = simulate({ durationMs: 6 * 3600 * S + 20 * MIN, stepMs: 10 * S, pollMs: 60 * S, offsetsMs: [0, 20 * S, 40 * S], lifetimeMs: 60 * MIN, propagationMs: 130 * S });
  // Ends between rollover events, when every node should agree. From the moment every node has synced once (before that each signs with its own first key).
  assertAlwaysValidates(nodes, T0 + 60 * S + 60 * S, 60 * S, 300 * S);
  for (const n of nodes) {
    const signers = n.samples.map((s) => s.signer).filter((tag, i, all) => i === 0 || tag !== all[i - 1]);
    assert.ok(signers.length >= 6, `${n.name} rolled ${signers.length - 1} times in 6 h with a 1 h lifetime`);
    const kskTags = new Set(n.keys.records.filter((r) => r.flags === FLAGS_CSK).map((r) => r.keyTag));
    const mostZsks = Math.max(...n.samples.map((s) => [...s.published].filter((tag) => !kskTags.has(tag)).length));
    assert.ok(mostZsks <= 3, `at most three ZSKs published at once (saw ${mostZsks})`);
  }
  const last = nodes.map((n) => n.samples.at(-1)!);
  assert.ok(last.every((s) => s.signer === last[0]!.signer), 'all nodes sign with the same ZSK');
  assert.ok(last.every((s) => [...s.published].sort().join() === [...last[0]!.published].sort().join()), 'all nodes publish the same DNSKEY set');
});

test('nodes that make successors at the same instant converge on one and stay valid', () => {
  const nodes = simulate({ durationMs: 3 * 3600 * S + 10 * MIN, stepMs: 10 * S, pollMs: 60 * S, offsetsMs: [0, 0, 0], lifetimeMs: 30 * MIN, propagationMs: 150 * S });
  assertAlwaysValidates(nodes, T0 + 2 * 60 * S, 60 * S, 300 * S);
  const superseded = nodes.flatMap((n) => n.keys.records.filter((r) => !r.active && r.flags === FLAGS_ZSK));
  assert.ok(superseded.length > 0, 'the race happened: some successors were dropped');
  const last = nodes.map((n) => n.samples.at(-1)!.signer);
  assert.ok(last.every((tag) => tag === last[0]), 'one ZSK everywhere');
});

test('the check catches a propagation delay shorter than key sync needs (a node signs with a key a peer lacks)', () => {
  const nodes = simulate({ durationMs: 3 * 3600 * S, stepMs: 10 * S, pollMs: 5 * MIN, offsetsMs: [0, 100 * S, 200 * S], lifetimeMs: 30 * MIN, propagationMs: 10 * S });
  assert.throws(() => assertAlwaysValidates(nodes, T0 + 10 * MIN, 60 * S, 300 * S), /publishes/);
});

test('rollover off: the KSK signs everything and no ZSK is ever made', () => {
  const nodes = simulate({ durationMs: 2 * 3600 * S, stepMs: 60 * S, pollMs: 60 * S, offsetsMs: [0, 20 * S, 40 * S], lifetimeMs: 0, propagationMs: 130 * S });
  for (const n of nodes) assert.ok(n.keys.records.every((r) => r.flags === FLAGS_CSK));
  const signers = new Set(nodes.map((n) => n.samples.at(-1)!.signer));
  assert.equal(signers.size, 1, 'all nodes converged on the oldest KSK');
});

test('a restart in the middle of a rollover serves the same keys: the schedule lives in the stored keys', () => {
  const clock = new ManualClock(T0);
  const keys = new MemoryKeys();
  const open = () =>
    new DnssecService({
      config: { enabled: true, algorithm: 'ECDSAP256SHA256', keySync: { peers: [], pollIntervalMs: MIN, timeoutMs: S }, signatureValidityMs: 7 * 86_400_000, rollover: { zskLifetimeMs: 30 * MIN, propagationDelayMs: 5 * MIN } },
      keys,
      clock,
      log: silentLog,
      requestRebuild: () => {},
      dnskeyTtlSeconds: 60,
    });
  let svc = open();
  svc.ensureZones([ZONE]);
  clock.advance(30 * MIN + 10 * S); // the first ZSK signs; its successor is pre-published
  const before = svc.status()[0]!;
  assert.deepEqual(before.keys.map((k) => [k.role, k.state]), [['ksk', 'active'], ['zsk', 'active'], ['zsk', 'published']]);
  void svc.close();
  svc = open();
  svc.ensureZones([ZONE]);
  const after = svc.status()[0]!;
  assert.deepEqual(after.keys.map((k) => [k.keyTag, k.role, k.state, k.signing]), before.keys.map((k) => [k.keyTag, k.role, k.state, k.signing]));
  assert.equal(keys.records.length, 3, 'no key made on restart');
  void svc.close();
});

test('a peer key whose tag collides with one of our retired keys replaces it; an active twin is refused', () => {
  const keys = new MemoryKeys();
  const svc = new DnssecService({
    config: { enabled: true, algorithm: 'ECDSAP256SHA256', keySync: { peers: [], pollIntervalMs: MIN, timeoutMs: S }, signatureValidityMs: 7 * 86_400_000, rollover: { zskLifetimeMs: 0, propagationDelayMs: 5 * MIN } },
    keys,
    clock: new ManualClock(T0),
    log: silentLog,
    requestRebuild: () => {},
    dnskeyTtlSeconds: 60,
  });
  svc.ensureZones([ZONE]);
  const active = keys.records[0]!;
  const retired = { ...record('retired-key', FLAGS_ZSK, T0 - 86_400_000), keyTag: 4242, active: false };
  keys.put(retired);
  const peerKey = { ...record('peer-key', FLAGS_ZSK, T0), keyTag: 4242, privateKeyPem: active.privateKeyPem, source: 'peer:http://ow2' as const };
  // Only the store decision is under test: the fake peer key's PEM does not match it, so the
  // reload that follows skips it as unusable, as it would any broken stored key.
  assert.equal(svc.adoptKey(peerKey), true);
  assert.deepEqual(keys.records.filter((r) => r.keyTag === 4242).map((r) => r.publicKey), ['peer-key']);
  assert.throws(() => svc.adoptKey({ ...peerKey, publicKey: 'another-peer-key' }), /different key with tag 4242/);
});
