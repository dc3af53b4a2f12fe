/**
 * Builds the immutable Snapshot the DNS data plane reads, from the served names, the backends with
 * their effective health already decided, and the previous Snapshot (for SOA serials, rotation
 * counters and the last healthy set). Pure: no I/O; time comes in as nowMs. With a signer, every
 * RRset served is pre-signed here (the signer's cache makes unchanged RRsets free).
 *
 * Two ways to the same Snapshot:
 * - `buildSnapshot(input, previous)`: from every name's inputs (start, reload, settings changes).
 * - `updateSnapshot(previous, update)`: from the inputs of the names that changed; every other
 *   name keeps its entry and answer sets (the previous Snapshot's objects), an unsigned zone whose
 *   content did not change keeps its ZoneEntry, and the zone digest is updated by the changed names
 *   only. A health change then costs O(backends of its name) instead of O(all backends).
 *   test/overwatch/snapshot-incremental.test.ts checks on random change sequences that both give
 *   the same answers and SOA serials.
 *
 * The SOA serial changes exactly when a zone's content (its NS/SOA settings, its names, their TTL
 * and served records) changes: decided by comparing each built name with the previous Snapshot's
 * entry, not by comparing digests. `contentSignature` is the XOR of per-name SHA-256 digests, so it
 * can be maintained one name at a time.
 */
import { createHash } from 'node:crypto';
import type { RoutingAlgorithm } from '../config/types.ts';
import type { AnswerSet, NameEntry, Snapshot, ZoneEntry } from '../model/index.ts';
import { RRType, addressRdata, encodePointerRecord, encodeRecordTail, labelOffsets, nameRdata, soaRdata, wireKey } from '../dns/wire/index.ts';
import { signEntry, signZone, type SnapshotSigner, type ZoneSigner } from '../dnssec/index.ts';
export interface ZoneSpec {
  apex: string;
  /** Name servers of the zone (NS RRset); default ns1.<apex>. */
  nameservers: string[];
  /** SOA RNAME as a domain name; default hostmaster.<apex>. */
  hostmaster: string;
  soaTtlSeconds: number;
}

export interface NameSpec {
  name: string;
  policy: RoutingAlgorithm;
  ttlSeconds: number;
  maxAnswers: number;
  /** Geolocation composed with another policy within the chosen region. */
  withinRegion?: 'round-robin' | 'weighted' | 'failover' | 'latency';
}

export interface BackendView {
  id: string;
  /** The served name this backend answers for (lowercase, no trailing dot). */
  name: string;
  address: string;
  port: number;
  weight: number;
  region: string;
  /** The health authority's verdict: may DNS hand this backend out now? */
  serve: boolean;
}

export interface SnapshotInput {
  zones: ZoneSpec[];
  names: NameSpec[];
  /** In priority order (config order first): failover serves the first servable one. */
  backends: BackendView[];
  returnLastHealthy: boolean;
  nowMs: number;
  /** DNSSEC: signs the zones it has keys for (pre-signing every RRset the Snapshot serves). */
  signer?: SnapshotSigner;
}

/** One served name's inputs: its settings and its backends in priority order. */
export interface NameInput {
  spec: NameSpec;
  backends: BackendView[];
}

/** What changed since `previous` was built (updateSnapshot); zones and settings as in SnapshotInput. */
export interface SnapshotUpdate {
  zones: ZoneSpec[];
  returnLastHealthy: boolean;
  nowMs: number;
  signer?: SnapshotSigner;
  /**
   * Served names (lowercase, no trailing dot) whose spec or backends may differ from what
   * `previous` was built from, with their inputs now; null = no longer served. Every other name
   * must be unchanged.
   */
  changed: ReadonlyMap<string, NameInput | null>;
}

const SOA_REFRESH = 3600;
const SOA_RETRY = 600;
const SOA_EXPIRE = 1209600;

/** What a zone was built from, beside the Snapshot (the model has no room for builder state). */
interface ZoneMeta {
  /** NS, hostmaster and SOA TTL: a change of any is a change of content. */
  specKey: string;
  /** XOR of the spec's digest and every name's digest (contentSignature). */
  digest: Buffer;
  /** Names served in the zone. */
  names: number;
}
const zoneMeta = new WeakMap<ZoneEntry, ZoneMeta>();

/** The settings a Snapshot was built with: updateSnapshot needs the same ones. */
interface BuildContext {
  zonesKey: string;
  returnLastHealthy: boolean;
}
const builtWith = new WeakMap<Snapshot, BuildContext>();

type EntryContent = Omit<NameEntry, 'zone'>;

/** A zone being built: the previous entry and what this build found about it. */
interface ZoneWork {
  spec: ZoneSpec;
  key: string;
  specKey: string;
  prev: ZoneEntry | undefined;
  signer: ZoneSigner | undefined;
  digest: Buffer;
  names: number;
  changed: boolean;
}

export function buildSnapshot(input: SnapshotInput, previous: Snapshot | null): Snapshot {
  const work = new Map<string, ZoneWork>();
  for (const spec of input.zones) {
    const key = wireKey(spec.apex);
    const specKey = zoneSpecKey(spec);
    const prev = previous?.zones.get(key);
    const meta = prev && zoneMeta.get(prev);
    work.set(key, { spec, key, specKey, prev, signer: input.signer?.forZone(key), digest: digestOf(specKey), names: 0, changed: !meta || meta.specKey !== specKey });
  }

  const byName = new Map<string, BackendView[]>();
  for (const b of input.backends) {
    let list = byName.get(b.name);
    if (!list) byName.set(b.name, (list = []));
    list.push(b);
  }

  const built: EntryContent[] = [];
  const prevSeen = new Map<string, number>();
  for (const spec of input.names) {
    const key = wireKey(spec.name);
    const zoneKey = longestZone(work, key);
    if (zoneKey === undefined) continue; // the config loader guarantees a zone; skip rather than serve out of zone
    const zw = work.get(zoneKey)!;
    const prev = previous?.names.get(key);
    const samePrev = prev !== undefined && prev.zone.apexKey === zoneKey ? prev : undefined;
    const entry = buildEntry(key, spec, byName.get(spec.name) ?? [], prev, input.returnLastHealthy, samePrev !== undefined && !samePrev.zone.dnssec && !zw.signer);
    if (samePrev) prevSeen.set(zoneKey, (prevSeen.get(zoneKey) ?? 0) + 1);
    if (!samePrev || !sameContent(samePrev, entry)) zw.changed = true;
    xorInto(zw.digest, nameDigest(entry));
    zw.names++;
    built.push(entry);
  }
  for (const zw of work.values()) {
    const meta = zw.prev && zoneMeta.get(zw.prev);
    if (meta && meta.names !== (prevSeen.get(zw.key) ?? 0)) zw.changed = true; // names removed
  }

  const zones = finishZones(work, input.nowMs);
  const names = new Map<string, NameEntry>();
  for (const e of built) {
    const zone = zones.get(longestZone(work, e.key)!)!;
    const prev = previous?.names.get(e.key);
    names.set(e.key, reusable(prev, e, zone) ? prev! : { ...e, zone });
  }
  signAll(zones, names, work, previous);
  const snapshot: Snapshot = { version: (previous?.version ?? 0) + 1, builtAtMs: input.nowMs, zones, names, emptyNonTerminals: emptyNonTerminalsOf(names) };
  builtWith.set(snapshot, { zonesKey: zonesKey(input.zones), returnLastHealthy: input.returnLastHealthy });
  return snapshot;
}

/**
 * The Snapshot after `update`, reusing everything of `previous` the changed names do not touch;
 * null when `previous` was built with other zones or settings, or a zone was signed and is not
 * (or the reverse): build it whole then.
 */
export function updateSnapshot(previous: Snapshot, update: SnapshotUpdate): Snapshot | null {
  const ctx = builtWith.get(previous);
  if (!ctx || ctx.returnLastHealthy !== update.returnLastHealthy || ctx.zonesKey !== zonesKey(update.zones)) return null;
  const work = new Map<string, ZoneWork>();
  for (const spec of update.zones) {
    const key = wireKey(spec.apex);
    const prev = previous.zones.get(key);
    const meta = prev && zoneMeta.get(prev);
    const signer = update.signer?.forZone(key);
    if (!prev || !meta || (prev.dnssec !== undefined) !== (signer !== undefined)) return null;
    work.set(key, { spec, key, specKey: meta.specKey, prev, signer, digest: Buffer.from(meta.digest), names: meta.names, changed: false });
  }

  const built: EntryContent[] = [];
  const removed: string[] = [];
  for (const [name, input] of update.changed) {
    const key = wireKey(name);
    const prev = previous.names.get(key);
    const zoneKey = input === null ? undefined : longestZone(work, key);
    if (prev) {
      const zw = work.get(prev.zone.apexKey)!;
      if (input === null || zoneKey === undefined) {
        xorInto(zw.digest, nameDigest(prev));
        zw.names--;
        zw.changed = true;
        removed.push(key);
        continue;
      }
      const entry = buildEntry(key, input.spec, input.backends, prev, update.returnLastHealthy, !zw.signer);
      if (!sameContent(prev, entry)) {
        xorInto(zw.digest, nameDigest(prev));
        xorInto(zw.digest, nameDigest(entry));
        zw.changed = true;
      }
      built.push(entry);
    } else if (input !== null && zoneKey !== undefined) {
      const zw = work.get(zoneKey)!;
      const entry = buildEntry(key, input.spec, input.backends, undefined, update.returnLastHealthy, false);
      xorInto(zw.digest, nameDigest(entry));
      zw.names++;
      zw.changed = true;
      built.push(entry);
    }
  }

  const zones = finishZones(work, update.nowMs);
  const names = new Map(previous.names);
  for (const key of removed) names.delete(key);
  // Names of a zone with a new ZoneEntry point to it (their content is the previous entry's).
  const moved = new Set<string>();
  for (const [key, zone] of zones) if (zone !== previous.zones.get(key)) moved.add(key);
  if (moved.size > 0) {
    for (const [key, e] of names) if (moved.has(e.zone.apexKey)) names.set(key, { ...e, zone: zones.get(e.zone.apexKey)! });
  }
  for (const e of built) {
    const zone = zones.get(longestZone(work, e.key)!)!;
    const prev = previous.names.get(e.key);
    names.set(e.key, reusable(prev, e, zone) ? prev! : { ...e, zone });
  }
  signAll(zones, names, work, previous);
  const sameNames = removed.length === 0 && built.every((e) => previous.names.has(e.key));
  const snapshot: Snapshot = {
    version: previous.version + 1,
    builtAtMs: update.nowMs,
    zones,
    names,
    emptyNonTerminals: sameNames ? previous.emptyNonTerminals : emptyNonTerminalsOf(names),
  };
  builtWith.set(snapshot, ctx);
  return snapshot;
}

/** One name's entry (without its zone): answer sets from its backends, reusing the previous sets when equal. */
function buildEntry(key: string, spec: NameSpec, backends: BackendView[], prev: NameEntry | undefined, returnLastHealthy: boolean, reuseSets: boolean): EntryContent {
  let a = buildAnswerSet(RRType.A, spec, backends, prev?.a ?? null, returnLastHealthy);
  let aaaa = buildAnswerSet(RRType.AAAA, spec, backends, prev?.aaaa ?? null, returnLastHealthy);
  // Unchanged sets stay the previous objects (their routing data is re-attached on publish).
  if (reuseSets && prev && prev.policy === spec.policy) {
    if (sameSet(prev.a, a) && sameWeights(prev.a, a)) a = prev.a;
    if (sameSet(prev.aaaa, aaaa) && sameWeights(prev.aaaa, aaaa)) aaaa = prev.aaaa;
  }
  return {
    name: spec.name,
    key,
    ttlSeconds: spec.ttlSeconds,
    policy: spec.policy,
    withinRegion: spec.withinRegion,
    maxAnswers: spec.maxAnswers,
    a,
    aaaa,
    rotation: prev?.rotation ?? { next: 0 },
  };
}

/** The previous entry object can stand for `e` in a Snapshot whose zone entry is `zone`. */
function reusable(prev: NameEntry | undefined, e: EntryContent, zone: ZoneEntry): boolean {
  return (
    prev !== undefined &&
    prev.zone === zone &&
    zone.dnssec === undefined &&
    prev.a === e.a &&
    prev.aaaa === e.aaaa &&
    prev.name === e.name &&
    prev.ttlSeconds === e.ttlSeconds &&
    prev.policy === e.policy &&
    prev.withinRegion === e.withinRegion &&
    prev.maxAnswers === e.maxAnswers
  );
}

/** Zone entries: a zone whose content changed gets the next serial; an unchanged unsigned one is reused as is. */
function finishZones(work: Map<string, ZoneWork>, nowMs: number): Map<string, ZoneEntry> {
  const zones = new Map<string, ZoneEntry>();
  for (const zw of work.values()) {
    const prev = zw.prev;
    const signature = zw.digest.toString('hex');
    if (prev && !zw.changed && !zw.signer && !prev.dnssec) {
      zones.set(zw.key, prev);
      continue;
    }
    const nowSerial = Math.floor(nowMs / 1000) >>> 0;
    const serial = !prev ? nowSerial : zw.changed ? serialAfter(prev.serial, nowSerial) : prev.serial;
    const spec = zw.spec;
    const soaTail = encodeRecordTail(
      RRType.SOA,
      spec.soaTtlSeconds,
      soaRdata({
        mname: spec.nameservers[0] ?? `ns1.${spec.apex}`,
        rname: spec.hostmaster,
        serial,
        refreshSeconds: SOA_REFRESH,
        retrySeconds: SOA_RETRY,
        expireSeconds: SOA_EXPIRE,
        minimumSeconds: spec.soaTtlSeconds,
      }),
    );
    const nsTails = spec.nameservers.map((ns) => encodeRecordTail(RRType.NS, spec.soaTtlSeconds, nameRdata(ns)));
    const zone: ZoneEntry = { apex: spec.apex, apexKey: zw.key, serial, soaTail, nsTails, contentSignature: signature };
    zoneMeta.set(zone, { specKey: zw.specKey, digest: zw.digest, names: zw.names });
    zones.set(zw.key, zone);
  }
  return zones;
}

/**
 * Pre-signs the signed zones and every name in them. The signer drops what a build does not ask
 * for (ZoneSigner.sweep), so every name is visited: one whose signed content is the previous
 * entry's keeps its signed sets and NSEC (ZoneSigner.retain, a lookup per RRSIG), any other is
 * signed on copies of its sets (the previous Snapshot's stay as they were; unchanged RRsets are
 * signer cache hits).
 */
function signAll(zones: Map<string, ZoneEntry>, names: Map<string, NameEntry>, work: Map<string, ZoneWork>, previous: Snapshot | null): void {
  let any = false;
  for (const zone of zones.values()) {
    const zs = work.get(zone.apexKey)?.signer;
    if (!zs) continue;
    any = true;
    signZone(zone, zs, names.get(zone.apexKey));
  }
  if (!any) return;
  for (const [key, entry] of names) {
    const zs = entry.zone.dnssec ? work.get(entry.zone.apexKey)?.signer : undefined;
    if (!zs) continue;
    const prev = previous?.names.get(key);
    if (prev?.nsec && key !== entry.zone.apexKey && sameSigned(prev, entry, zs) && zs.retain(signatures(prev))) {
      names.set(key, { ...entry, a: prev.a, aaaa: prev.aaaa, nsec: prev.nsec });
      continue;
    }
    const copy: NameEntry = { ...entry, a: entry.a && { ...entry.a }, aaaa: entry.aaaa && { ...entry.aaaa } };
    signEntry(copy, zs);
    names.set(key, copy);
  }
}

/** `prev` was signed for exactly what `e` serves: same records in order, TTL, windows and NSEC TTL. */
function sameSigned(prev: NameEntry, e: NameEntry, zs: ZoneSigner): boolean {
  const signedSet = (x: AnswerSet | null, y: AnswerSet | null) => x === null || x.records.length === 0 || (x.rrsigs !== undefined && sameWeights(x, y));
  return (
    prev.zone.dnssec !== undefined &&
    prev.ttlSeconds === e.ttlSeconds &&
    prev.policy === e.policy &&
    prev.maxAnswers === e.maxAnswers &&
    sameSet(prev.a, e.a) &&
    sameSet(prev.aaaa, e.aaaa) &&
    signedSet(prev.a, e.a) &&
    signedSet(prev.aaaa, e.aaaa) &&
    prev.nsec!.tail.readUInt32BE(4) === zs.negativeTtlSeconds
  );
}

function signatures(e: NameEntry): Buffer[] {
  const out: Buffer[] = [e.nsec!.rrsig];
  if (e.a?.rrsigs) out.push(...e.a.rrsigs);
  if (e.aaaa?.rrsigs) out.push(...e.aaaa.rrsigs);
  return out;
}

/** Wire keys of the names that exist only because a served name lies below them (RFC 8020). */
function emptyNonTerminalsOf(names: Map<string, NameEntry>): Set<string> {
  const out = new Set<string>();
  for (const e of names.values()) {
    const zoneKey = e.zone.apexKey;
    for (const off of labelOffsets(e.key)) {
      if (off === 0) continue;
      const ancestor = e.key.slice(off);
      if (ancestor.length <= zoneKey.length) break;
      if (!names.has(ancestor)) out.add(ancestor);
    }
  }
  return out;
}

function zoneSpecKey(spec: ZoneSpec): string {
  return `${spec.nameservers.join(',')}|${spec.hostmaster}|${spec.soaTtlSeconds}`;
}

function zonesKey(zones: ZoneSpec[]): string {
  return zones.map((z) => `${z.apex}|${zoneSpecKey(z)}`).join('\n');
}

function digestOf(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function xorInto(acc: Buffer, d: Buffer): void {
  for (let i = 0; i < acc.length; i++) acc[i]! ^= d[i]!;
}

/** A name's served content: owner, TTL, records of each family and whether they are the last healthy set. */
function nameDigest(e: Pick<NameEntry, 'key' | 'ttlSeconds' | 'a' | 'aaaa'>): Buffer {
  const h = createHash('sha256');
  h.update(`${e.key}|${e.ttlSeconds}|`);
  h.update(e.a === null ? NO_SET : setDigest(e.a));
  h.update(e.aaaa === null ? NO_SET : setDigest(e.aaaa));
  return h.digest();
}

const NO_SET = Buffer.from('-');
/** Digest of a set's records, made once per set (a name with 10,000 records is not re-hashed per change elsewhere). */
const setDigests = new WeakMap<AnswerSet, Buffer>();

function setDigest(set: AnswerSet): Buffer {
  let d = setDigests.get(set);
  if (!d) {
    d = createHash('sha256').update(Buffer.concat(set.records)).update(set.isLastHealthy ? '|L' : '|').digest();
    setDigests.set(set, d);
  }
  return d;
}

/** Same served content (what the zone digest and serial cover). */
function sameContent(a: Pick<NameEntry, 'ttlSeconds' | 'a' | 'aaaa'>, b: Pick<NameEntry, 'ttlSeconds' | 'a' | 'aaaa'>): boolean {
  return a.ttlSeconds === b.ttlSeconds && sameSet(a.a, b.a) && sameSet(a.aaaa, b.aaaa);
}

function sameSet(x: AnswerSet | null, y: AnswerSet | null): boolean {
  if (x === y) return true;
  if (x === null || y === null || x.isLastHealthy !== y.isLastHealthy || x.records.length !== y.records.length) return false;
  for (let i = 0; i < x.records.length; i++) {
    const r = x.records[i]!;
    const s = y.records[i]!;
    if (r !== s && !r.equals(s)) return false;
  }
  return true;
}

/** Weights, regions and backend ids (served, though outside the zone digest): same means the set object can be reused. */
function sameWeights(x: AnswerSet | null, y: AnswerSet | null): boolean {
  if (x === y) return true;
  if (x === null || y === null) return false;
  for (let i = 0; i < x.weights.length; i++) {
    if (x.weights[i] !== y.weights[i] || x.regions[i] !== y.regions[i] || x.backendIds[i] !== y.backendIds[i]) return false;
  }
  return true;
}

/** RFC 1982 serial arithmetic: the next serial is later than `prev`, and follows the clock when it can. */
function serialAfter(prev: number, nowSerial: number): number {
  const diff = (nowSerial - prev) >>> 0;
  if (diff > 0 && diff < 0x80000000) return nowSerial;
  return (prev + 1) >>> 0;
}

function longestZone(zones: ReadonlyMap<string, unknown>, key: string): string | undefined {
  for (const off of labelOffsets(key)) {
    const candidate = off === 0 ? key : key.slice(off);
    if (zones.has(candidate)) return candidate;
  }
  return undefined;
}

function buildAnswerSet(
  type: number,
  spec: NameSpec,
  backends: BackendView[],
  previous: AnswerSet | null,
  returnLastHealthy: boolean,
): AnswerSet | null {
  const set: AnswerSet = { records: [], weights: [], totalWeight: 0, cumulativeWeights: [], regions: [], backendIds: [], isLastHealthy: false };
  const seen = new Set<string>();
  let configured = 0;
  for (const b of backends) {
    const rd = parsedAddress(b.address);
    if (!rd || rd.type !== type) continue;
    configured++;
    // weight 0 drains a backend (the original treated 0 as 1); two ports of one address are one A record
    if (!b.serve || b.weight <= 0) continue;
    if (seen.has(rd.key)) continue;
    seen.add(rd.key);
    set.records.push(pointerRecord(rd, spec.ttlSeconds));
    set.weights.push(b.weight);
    set.totalWeight += b.weight;
    set.cumulativeWeights.push(set.totalWeight);
    set.regions.push(b.region);
    set.backendIds.push(b.id);
  }
  if (configured === 0) return null;
  if (set.records.length === 0 && returnLastHealthy && previous && previous.records.length > 0) {
    return { ...previous, isLastHealthy: true };
  }
  return set;
}

/**
 * Parsed addresses and encoded records are reused across rebuilds (a rebuild re-derives every
 * name, and parsing + encoding dominated it at 10,000 backends). The records are immutable once
 * made; the caches are bounded and simply cleared when full.
 */
interface ParsedAddress {
  type: number;
  rdata: Buffer;
  /** Identity of the address in wire form (two spellings of one IPv6 address are one record). */
  key: string;
  recordsByTtl: Map<number, Buffer>;
}
const addressCache = new Map<string, ParsedAddress | null>();
const ADDRESS_CACHE_MAX = 200_000;

function parsedAddress(address: string): ParsedAddress | null {
  let p = addressCache.get(address);
  if (p !== undefined) return p;
  const rd = addressRdata(address);
  p = rd ? { type: rd.type, rdata: rd.rdata, key: rd.rdata.toString('latin1'), recordsByTtl: new Map() } : null;
  if (addressCache.size >= ADDRESS_CACHE_MAX) addressCache.clear();
  addressCache.set(address, p);
  return p;
}

function pointerRecord(p: ParsedAddress, ttlSeconds: number): Buffer {
  let r = p.recordsByTtl.get(ttlSeconds);
  if (!r) {
    r = encodePointerRecord(12, p.type, ttlSeconds, p.rdata);
    p.recordsByTtl.set(ttlSeconds, r);
  }
  return r;
}
