/**
 * Builds the immutable Snapshot the DNS data plane reads, from the served names, the backends with
 * their effective health already decided, and the previous Snapshot (for SOA serials, rotation
 * counters and the last healthy set). Pure: no I/O; time comes in as nowMs. With a signer, every
 * RRset served is pre-signed here (the signer's cache makes unchanged RRsets free).
 */
import { createHash } from 'node:crypto';
import type { RoutingAlgorithm } from '../config/types.ts';
import type { AnswerSet, NameEntry, Snapshot, ZoneEntry } from '../model/index.ts';
import { RRType, addressRdata, encodePointerRecord, encodeRecordTail, labelOffsets, nameRdata, soaRdata, wireKey } from '../dns/wire/index.ts';
import { signEntry, signZone, type SnapshotSigner } from '../dnssec/index.ts';

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

const SOA_REFRESH = 3600;
const SOA_RETRY = 600;
const SOA_EXPIRE = 1209600;

interface ZoneBuild {
  spec: ZoneSpec;
  key: string;
  content: ReturnType<typeof createHash>;
}

export function buildSnapshot(input: SnapshotInput, previous: Snapshot | null): Snapshot {
  const zoneBuilds = new Map<string, ZoneBuild>();
  for (const spec of input.zones) {
    const key = wireKey(spec.apex);
    const content = createHash('sha256');
    content.update(`${spec.nameservers.join(',')}|${spec.hostmaster}|${spec.soaTtlSeconds}\n`);
    zoneBuilds.set(key, { spec, key, content });
  }

  const byName = new Map<string, BackendView[]>();
  for (const b of input.backends) {
    let list = byName.get(b.name);
    if (!list) byName.set(b.name, (list = []));
    list.push(b);
  }

  const pending: { entry: Omit<NameEntry, 'zone'>; zoneKey: string }[] = [];
  const emptyNonTerminals = new Set<string>();
  for (const spec of input.names) {
    const key = wireKey(spec.name);
    const zoneKey = longestZone(zoneBuilds, key);
    if (zoneKey === undefined) continue; // the config loader guarantees a zone; skip rather than serve out of zone
    const prev = previous?.names.get(key);
    const backends = byName.get(spec.name) ?? [];
    const a = buildAnswerSet(RRType.A, spec, backends, prev?.a ?? null, input.returnLastHealthy);
    const aaaa = buildAnswerSet(RRType.AAAA, spec, backends, prev?.aaaa ?? null, input.returnLastHealthy);
    const zb = zoneBuilds.get(zoneKey)!;
    zb.content.update(`${key}|${spec.ttlSeconds}|`);
    digestSet(zb.content, a);
    digestSet(zb.content, aaaa);
    for (const off of labelOffsets(key)) {
      if (off === 0) continue;
      const ancestor = key.slice(off);
      if (ancestor.length <= zoneKey.length) break;
      emptyNonTerminals.add(ancestor);
    }
    pending.push({
      zoneKey,
      entry: {
        name: spec.name,
        key,
        ttlSeconds: spec.ttlSeconds,
        policy: spec.policy,
        withinRegion: spec.withinRegion,
        maxAnswers: spec.maxAnswers,
        a,
        aaaa,
        rotation: prev?.rotation ?? { next: 0 },
      },
    });
  }

  const zones = new Map<string, ZoneEntry>();
  for (const zb of zoneBuilds.values()) {
    const signature = zb.content.digest('hex');
    const prev = previous?.zones.get(zb.key);
    const nowSerial = Math.floor(input.nowMs / 1000) >>> 0;
    let serial: number;
    if (prev && prev.contentSignature === signature) serial = prev.serial;
    else if (prev) serial = serialAfter(prev.serial, nowSerial);
    else serial = nowSerial;
    const spec = zb.spec;
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
    const zone: ZoneEntry = { apex: spec.apex, apexKey: zb.key, serial, soaTail, nsTails, contentSignature: signature };
    zones.set(zb.key, zone);
  }

  const names = new Map<string, NameEntry>();
  for (const { entry, zoneKey } of pending) {
    names.set(entry.key, { ...entry, zone: zones.get(zoneKey)! });
    emptyNonTerminals.delete(entry.key);
  }
  if (input.signer) {
    for (const zone of zones.values()) {
      const zs = input.signer.forZone(zone.apexKey);
      if (zs) signZone(zone, zs, names.get(zone.apexKey));
    }
    for (const entry of names.values()) {
      const zs = entry.zone.dnssec ? input.signer.forZone(entry.zone.apexKey) : undefined;
      if (zs) signEntry(entry, zs);
    }
  }
  return { version: (previous?.version ?? 0) + 1, builtAtMs: input.nowMs, zones, names, emptyNonTerminals };
}

/** RFC 1982 serial arithmetic: the next serial is later than `prev`, and follows the clock when it can. */
function serialAfter(prev: number, nowSerial: number): number {
  const diff = (nowSerial - prev) >>> 0;
  if (diff > 0 && diff < 0x80000000) return nowSerial;
  return (prev + 1) >>> 0;
}

function longestZone(zones: Map<string, ZoneBuild>, key: string): string | undefined {
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

/** Feeds an answer set's content into the zone digest without building strings. */
function digestSet(hash: ReturnType<typeof createHash>, set: AnswerSet | null): void {
  if (set === null) {
    hash.update('-');
    return;
  }
  for (const r of set.records) hash.update(r);
  hash.update(set.isLastHealthy ? '|L' : '|');
}
