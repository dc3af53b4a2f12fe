/**
 * Incremental rebuilds (Registry.snapshotUpdate + updateSnapshot) against whole builds
 * (Registry.snapshotInput + buildSnapshot): two Registries get the same random sequence of changes
 * (agent reports and heartbeats, check results, removals, overrides, API servers, time passing,
 * stale reaping, settings reloads), one rebuilt incrementally, one whole; after every step both
 * Snapshots must serve the same: zones, SOA serials, names, records, weights, regions, empty
 * non-terminals and, with a signer, the same signed RRsets. And in the whole-build chain the SOA
 * serial must change exactly when the zone's served content does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { HealthCheckConfig } from '../../src/config/types.ts';
import { DnssecService } from '../../src/dnssec/index.ts';
import { ManualClock } from '../../src/lifecycle/index.ts';
import type { AnswerSet, Snapshot } from '../../src/model/index.ts';
import { Registry, buildSnapshot, rebuildSnapshot, type RegistrySettings } from '../../src/overwatch/index.ts';
import { MemoryKeys, silentLog } from '../dnssec/signed-server.ts';

const Z1 = 'gslb.example.com';
const Z2 = 'gslb.example.net';
const check: HealthCheckConfig = { type: 'tcp', path: '/', intervalMs: 5000, timeoutMs: 1000, failureThreshold: 3, successThreshold: 2 };
const latencyConfig = { smoothingFactor: 0.3, maxLatencyMs: 500, minSamples: 3 };

function settings(returnLastHealthy: boolean, ttl: number): RegistrySettings {
  return {
    zones: [Z1, Z2],
    domains: [
      { name: `web.${Z1}`, routingAlgorithm: 'failover', regions: ['us'], ttlSeconds: 20, maxAnswers: 2, latencyConfig },
      { name: `w.deep.${Z1}`, routingAlgorithm: 'weighted', regions: ['us'], ttlSeconds: 30, maxAnswers: 3, latencyConfig },
      { name: `empty.${Z2}`, routingAlgorithm: 'round-robin', regions: ['us'], ttlSeconds: 30, maxAnswers: 3, latencyConfig },
    ],
    defaultTtlSeconds: ttl,
    returnLastHealthy,
    staleThresholdMs: 30_000,
    removeAfterMs: 60_000,
  };
}

const SERVICES = ['app', 'api', `web.${Z1}`, `w.deep.${Z1}`, `x.${Z2}`];
const ADDRESSES = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '192.0.2.7', '2001:db8::1', '2001:DB8::1', '2001:db8::2'];
const AGENTS = ['agent-a', 'agent-b', 'agent-c'];

type Op =
  | { op: 'report'; agent: number; service: number; address: number; port: number; weight: number; healthy: boolean; draining: boolean; region: number }
  | { op: 'heartbeat'; agent: number }
  | { op: 'rereport'; pick: number; weight: number; region: number }
  | { op: 'check'; pick: number; healthy: boolean }
  | { op: 'remove'; pick: number }
  | { op: 'removeAgent'; agent: number }
  | { op: 'override'; pick: number; healthy: boolean; anyPort: boolean }
  | { op: 'clearOverride'; pick: number }
  | { op: 'api'; service: number; address: number; weight: number; region: number }
  | { op: 'static'; count: number }
  | { op: 'reload'; ttl: number }
  | { op: 'time'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('report' as const),
      agent: fc.nat(AGENTS.length - 1),
      service: fc.nat(SERVICES.length - 1),
      address: fc.nat(ADDRESSES.length - 1),
      port: fc.constantFrom(80, 443),
      weight: fc.nat(3),
      healthy: fc.boolean(),
      draining: fc.boolean(),
      region: fc.nat(1),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('heartbeat' as const), agent: fc.nat(AGENTS.length - 1) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('rereport' as const), pick: fc.nat(), weight: fc.nat(3), region: fc.nat(1) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('check' as const), pick: fc.nat(), healthy: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeAgent' as const), agent: fc.nat(AGENTS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('override' as const), pick: fc.nat(), healthy: fc.boolean(), anyPort: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clearOverride' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('api' as const), service: fc.nat(SERVICES.length - 1), address: fc.nat(ADDRESSES.length - 1), weight: fc.nat(3), region: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('static' as const), count: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reload' as const), ttl: fc.constantFrom(30, 60) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 45_000 }) }) },
);

/** Applies one change to a Registry (both Registries get the same calls). */
function apply(r: Registry, op: Op, now: number, returnLastHealthy: boolean): void {
  const backends = r.backends().sort((a, b) => (a.id < b.id ? -1 : 1));
  const picked = (pick: number) => (backends.length === 0 ? undefined : backends[pick % backends.length]!);
  switch (op.op) {
    case 'report': {
      const service = SERVICES[op.service]!;
      const address = ADDRESSES[op.address]!;
      const existing = r.get(`${service}:${address}:${op.port}`);
      if (existing && existing.source !== 'agent') return; // as AgentRegistrations.report
      r.upsertAgentBackend(
        { service, address, port: op.port, weight: op.weight, region: `r${op.region}`, healthCheck: check, agentId: AGENTS[op.agent], healthy: op.healthy, draining: op.draining, staleAfterMs: 20_000 },
        now,
      );
      return;
    }
    case 'heartbeat':
      r.touchAgent(AGENTS[op.agent]!, now);
      return;
    case 'rereport': {
      // the same claim again, only weight and region may differ (a change nothing else marks)
      const agentOwned = backends.filter((b) => b.source === 'agent');
      const b = agentOwned[op.pick % Math.max(1, agentOwned.length)];
      if (b) r.upsertAgentBackend({ service: b.service, address: b.address, port: b.port, weight: op.weight, region: `r${op.region}`, healthCheck: check, agentId: b.agentId, healthy: b.agentHealthy ?? false, draining: b.draining, staleAfterMs: 20_000 }, now);
      return;
    }
    case 'check': {
      const b = picked(op.pick);
      if (b) r.setValidation(b.id, op.healthy, now);
      return;
    }
    case 'remove': {
      const b = picked(op.pick);
      if (b) r.remove(b.id);
      return;
    }
    case 'removeAgent':
      r.removeAgent(AGENTS[op.agent]!);
      return;
    case 'override': {
      const b = picked(op.pick);
      if (b) r.setOverride({ service: b.service, address: b.address, port: op.anyPort ? null : b.port, healthy: op.healthy, reason: 't', source: 'api', authority: 't', createdAtMs: now });
      return;
    }
    case 'clearOverride': {
      const o = r.overrides().sort((a, b) => (`${a.service}${a.address}${a.port}` < `${b.service}${b.address}${b.port}` ? -1 : 1))[op.pick % Math.max(1, r.overrides().length)];
      if (o) r.clearOverride(o.service, o.address, o.port);
      return;
    }
    case 'api': {
      const service = SERVICES[op.service]!;
      const address = ADDRESSES[op.address]!;
      const existing = r.get(`${service}:${address}:8443`);
      if (existing && existing.source !== 'api') return;
      r.upsertApiBackend({ service, address, port: 8443, weight: op.weight, region: `r${op.region}`, healthCheck: check }, now);
      return;
    }
    case 'static':
      r.setStatic(
        Array.from({ length: op.count }, (_, i) => ({ service: SERVICES[i % SERVICES.length]!, address: ADDRESSES[(i * 3) % ADDRESSES.length]!, port: 9000, weight: 1, region: 'r0', healthCheck: check })),
        now,
      );
      return;
    case 'reload':
      r.reconfigure(settings(returnLastHealthy, op.ttl));
      return;
    case 'time':
      return;
  }
}

const hex = (b: Buffer) => b.toString('hex');
/** An RRSIG tail without its signature (ECDSA signatures are randomised; the rest is deterministic). */
const rrsigShape = (b: Buffer) => hex(b.subarray(0, b.length - 64));

function canonSet(set: AnswerSet | null) {
  if (set === null) return null;
  return {
    records: set.records.map(hex),
    weights: set.weights,
    totalWeight: set.totalWeight,
    cumulativeWeights: set.cumulativeWeights,
    regions: set.regions,
    backendIds: set.backendIds,
    isLastHealthy: set.isLastHealthy,
    rrsigs: set.rrsigs?.map(rrsigShape),
    signedCount: set.signedCount,
  };
}

/** What a Snapshot serves, independent of Map order and object identity. */
function canon(s: Snapshot) {
  const byKey = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    zones: byKey(s.zones).map(([key, z]) => ({
      key,
      apex: z.apex,
      serial: z.serial,
      soa: hex(z.soaTail),
      ns: z.nsTails.map(hex),
      signature: z.contentSignature,
      dnssec: z.dnssec && {
        dnskeys: z.dnssec.dnskeyTails.map(hex),
        dnskeyRrsigs: z.dnssec.dnskeyRrsigs.map(rrsigShape),
        soaRrsig: rrsigShape(z.dnssec.soaRrsig),
        nsRrsig: rrsigShape(z.dnssec.nsRrsig),
        apexNsec: [hex(z.dnssec.apexNsec.tail), rrsigShape(z.dnssec.apexNsec.rrsig)],
      },
    })),
    names: byKey(s.names).map(([key, e]) => ({
      key,
      name: e.name,
      zone: e.zone.apexKey,
      zoneSerial: e.zone.serial,
      ttl: e.ttlSeconds,
      policy: e.policy,
      withinRegion: e.withinRegion,
      maxAnswers: e.maxAnswers,
      a: canonSet(e.a),
      aaaa: canonSet(e.aaaa),
      nsec: e.nsec && [hex(e.nsec.tail), rrsigShape(e.nsec.rrsig)],
    })),
    emptyNonTerminals: [...s.emptyNonTerminals].sort(),
  };
}

/** A zone's served content (what the serial covers), from the canonical form. */
type Canon = ReturnType<typeof canon>;

function zoneContent(c: Canon, zoneKey: string): string {
  const z = c.zones.find((x) => x.key === zoneKey)!;
  const names = c.names.filter((n) => n.zone === zoneKey).map((n) => [n.key, n.ttl, n.a?.records, n.a?.isLastHealthy, n.aaaa?.records, n.aaaa?.isLastHealthy]);
  return JSON.stringify([z.ns, names]);
}

function signer(clock: ManualClock, keys: MemoryKeys): DnssecService {
  const DAY = 86_400_000;
  const config = { enabled: true, algorithm: 'ECDSAP256SHA256' as const, keySync: { peers: [], pollIntervalMs: 3_600_000, timeoutMs: 30_000 }, signatureValidityMs: 7 * DAY, rollover: { zskLifetimeMs: 0, propagationDelayMs: 0 } };
  return new DnssecService({ config, keys, clock, log: silentLog, requestRebuild: () => {}, dnskeyTtlSeconds: 300 });
}

/** Every served RRSIG was made less than half its validity ago (ZoneSigner re-signs at half-life). */
function assertFresh(s: Snapshot, now: number, step: number): void {
  const halfLife = 3.5 * 86_400_000;
  const check = (tail: Buffer | undefined) => {
    if (!tail) return;
    const expirationMs = tail.readUInt32BE(18) * 1000; // TYPE CLASS TTL RDLENGTH, then type covered, algorithm, labels, original TTL
    assert.ok(expirationMs > now + halfLife - 1000, `step ${step}: an RRSIG expiring at ${new Date(expirationMs).toISOString()} is served at ${new Date(now).toISOString()}`);
  };
  for (const z of s.zones.values()) [z.dnssec?.soaRrsig, z.dnssec?.nsRrsig, z.dnssec?.apexNsec.rrsig, ...(z.dnssec?.dnskeyRrsigs ?? [])].forEach(check);
  for (const e of s.names.values()) [e.nsec?.rrsig, ...(e.a?.rrsigs ?? []), ...(e.aaaa?.rrsigs ?? [])].forEach(check);
}

function runSequence(ops: Op[], returnLastHealthy: boolean, signed: boolean): void {
  const T0 = 1_800_000_000_000;
  let now = T0;
  const clock = new ManualClock(T0);
  const inc = new Registry(settings(returnLastHealthy, 60));
  const full = new Registry(settings(returnLastHealthy, 60));
  const keys = new MemoryKeys(); // one key per zone, shared: the two chains' RRSIGs differ only in their random part
  const svcInc = signed ? signer(clock, keys) : undefined;
  const svcFull = signed ? signer(clock, keys) : undefined;
  const withSigner = (svc: DnssecService | undefined) => <T extends { zones: { apex: string }[]; signer?: unknown }>(input: T): T => {
    if (!svc) return input;
    svc.ensureZones(input.zones.map((z) => z.apex));
    return { ...input, signer: svc };
  };
  let sInc: Snapshot | null = null;
  let sFull: Snapshot | null = null;
  let prevCanon: Canon | null = null;
  for (const [step, op] of [...ops, { op: 'time', ms: 0 } as Op].entries()) {
    if (op.op === 'time') now += op.ms;
    else now += 1000;
    clock.advance(now - clock.nowMs());
    for (const r of [inc, full]) {
      apply(r, op, now, returnLastHealthy);
      r.reapStale(now);
      r.evaluate(now);
    }
    sInc = rebuildSnapshot(inc, sInc, now, withSigner(svcInc));
    svcInc?.afterBuild();
    sFull = buildSnapshot(withSigner(svcFull)(full.snapshotInput(now)), sFull);
    svcFull?.afterBuild();
    const a = canon(sInc);
    const b = canon(sFull);
    assert.deepEqual(a, b, `step ${step} (${JSON.stringify(op)}): incremental and whole builds differ`);
    if (signed) assertFresh(sInc, now, step);
    if (prevCanon) {
      for (const z of b.zones) {
        const before: { serial: number } = prevCanon.zones.find((x) => x.key === z.key)!;
        const changed: boolean = zoneContent(prevCanon, z.key) !== zoneContent(b, z.key);
        assert.equal(z.serial !== before.serial, changed, `step ${step} (${JSON.stringify(op)}): zone ${z.apex} serial ${before.serial} -> ${z.serial}, content changed: ${changed}`);
      }
    }
    prevCanon = b;
  }
}

test('incremental rebuilds serve exactly what whole rebuilds serve (random change sequences)', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), fc.boolean(), (ops, returnLastHealthy) => runSequence(ops, returnLastHealthy, false)),
    { numRuns: 300 },
  );
});

/** Past half the signature validity (7 days): reused RRsets must be signed anew, as a whole build does. */
const refreshArb: fc.Arbitrary<Op> = fc.constant({ op: 'time', ms: 4 * 86_400_000 });

test('with DNSSEC, incremental rebuilds sign the same RRsets as whole rebuilds', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof({ weight: 12, arbitrary: opArb }, { weight: 1, arbitrary: refreshArb }), { minLength: 1, maxLength: 25 }), fc.boolean(), (ops, returnLastHealthy) =>
      runSequence(ops, returnLastHealthy, true),
    ),
    { numRuns: 15 },
  );
});

test('an incremental rebuild re-encodes only the changed name: the others keep their entries and answer sets', () => {
  const r = new Registry(settings(false, 60));
  for (let i = 0; i < 20; i++) r.upsertApiBackend({ service: `s${i}`, address: `10.0.1.${i + 1}`, port: 80, weight: 1, region: 'r0', healthCheck: check }, 0);
  r.evaluate(0);
  const s1 = rebuildSnapshot(r, null, 0);
  r.setValidation('s3:10.0.1.4:80', false, 1000);
  r.evaluate(1000);
  const s2 = rebuildSnapshot(r, s1, 1000);
  let sameSets = 0;
  for (const [key, e] of s2.names) {
    const before = s1.names.get(key)!;
    if (e.name.startsWith('s3.')) assert.notEqual(e.a, before.a);
    else if (e.a !== null && e.a === before.a) sameSets++;
  }
  assert.equal(sameSets, 38, 'every other name keeps its answer set object');
  // nothing changed: the same zone entries, names and empty non-terminals
  r.evaluate(2000);
  const s3 = rebuildSnapshot(r, s2, 2000);
  for (const [key, z] of s3.zones) assert.equal(z, s2.zones.get(key));
  for (const [key, e] of s3.names) assert.equal(e, s2.names.get(key));
  assert.equal(s3.emptyNonTerminals, s2.emptyNonTerminals);
});
