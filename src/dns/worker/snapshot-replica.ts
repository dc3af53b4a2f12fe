/**
 * The Snapshot as a message for DNS worker threads, and back. A Snapshot holds Buffers (which
 * structured clone turns into plain Uint8Arrays, copying each backing pool slab) and objects with
 * behaviour (signers, the geolocation locator, the learned-latency table) that cannot cross a
 * thread at all. The replica is plain data:
 *
 * - every distinct Buffer (by identity: the builder reuses records and signatures across names)
 *   is copied once into a SharedArrayBuffer arena, so N workers share the bytes instead of each
 *   getting a copy, and a worker's Buffers are views into it (no copy on the receiving side);
 * - answer sets, most of a Snapshot's data, are encoded once per AnswerSet object and named by id
 *   (SetEncoder): a set the builder kept from the previous Snapshot (the incremental builder keeps
 *   unchanged ones) is not encoded, sent or decoded again; a receiver is sent the sets it lacks;
 * - behaviour is named, not sent: a signed zone carries the id of its signer (the keys travel once
 *   per signer, see signer-transfer.ts), routing carries the locator's spec and database path and
 *   whether the learned-latency table applies (its rows travel when they change, routing-transfer.ts).
 *
 * The decoder builds a real Snapshot, so the worker runs the same Responder on the same shapes.
 * What only the control plane reads is left out (cloning strings per backend was most of the cost
 * at 10,000 backends): an answer set's regions (geolocation uses the per-region index lists made
 * by attachRouting) and its backend ids unless the name's policy is learned_latency.
 */
import type { AnswerRouting, AnswerSet, NameEntry, SignedRecord, Snapshot, ZoneDenial, ZoneEntry } from '../../model/index.ts';
import type { RoutingAlgorithm } from '../../config/types.ts';

/** Bytes of buffers: buffer i is arena[spans[2i] .. spans[2i] + spans[2i+1]). */
export interface Bytes {
  arena: SharedArrayBuffer;
  spans: Int32Array;
}

/** Index of a buffer in the Bytes of the structure that carries it. */
type BufRef = number;
type SignedRef = [tail: BufRef, rrsig: BufRef];

interface ZoneReplica {
  apex: string;
  apexKey: string;
  serial: number;
  soaTail: BufRef;
  nsTails: BufRef[];
  contentSignature: string;
  dnssec?: {
    dnskeyTails: BufRef[];
    dnskeyRrsigs: BufRef[];
    soaRrsig: BufRef;
    nsRrsig: BufRef;
    apexNsec: SignedRef;
    /** Which signer answers online denial for the zone (SignerSpec.id). */
    signerId: number;
  };
}

export interface AnswerSetReplica {
  id: number;
  /** Shared by the sets first encoded in the same publish. */
  bytes: Bytes;
  records: BufRef[];
  weights: number[];
  totalWeight: number;
  cumulativeWeights: number[];
  /** Empty unless the policy is learned_latency (the only query-time reader). */
  backendIds: string[];
  isLastHealthy: boolean;
  rrsigs?: BufRef[];
  signedCount?: number;
  /** Typed arrays and numbers only: cloned as is. */
  routing?: AnswerRouting;
}

interface NameReplica {
  name: string;
  key: string;
  /** Index into SnapshotReplica.zones. */
  zone: number;
  ttlSeconds: number;
  policy: RoutingAlgorithm;
  withinRegion?: NameEntry['withinRegion'];
  maxAnswers: number;
  /** AnswerSetReplica ids; null = no backend of the family (NODATA). */
  a: number | null;
  aaaa: number | null;
  /** The main thread's rotation position, used when the worker has no counter of its own yet. */
  rotation: number;
  nsec?: SignedRef;
}

export interface RoutingReplica {
  ecsEnabled: boolean;
  /** Locator id (LocatorSpec.id) or -1 when there is no locator. */
  geo: number;
  /** The Snapshot uses the learned-latency table (its rows come separately). */
  learned: boolean;
}

export interface SnapshotReplica {
  version: number;
  builtAtMs: number;
  /** Zone and NSEC bytes of this Snapshot (answer sets carry their own). */
  bytes: Bytes;
  zones: ZoneReplica[];
  names: NameReplica[];
  emptyNonTerminals: string[];
  routing?: RoutingReplica;
}

/** How the encoder names behaviour objects (the caller keeps the objects and sends them once). */
export interface BehaviourIds {
  signerId(denial: ZoneDenial): number;
  locatorId(routing: NonNullable<Snapshot['routing']>): number;
}

/** Collects distinct buffers by identity, then lays them out in one shared arena. */
class ArenaBuilder {
  readonly #index = new Map<Buffer, number>();
  readonly #buffers: Buffer[] = [];
  #bytes = 0;

  ref(buf: Buffer): BufRef {
    let i = this.#index.get(buf);
    if (i === undefined) {
      i = this.#buffers.length;
      this.#buffers.push(buf);
      this.#index.set(buf, i);
      this.#bytes += buf.length;
    }
    return i;
  }

  refs(bufs: readonly Buffer[]): BufRef[] {
    return bufs.map((b) => this.ref(b));
  }

  signed(r: SignedRecord): SignedRef {
    return [this.ref(r.tail), this.ref(r.rrsig)];
  }

  finish(): Bytes {
    const arena = new SharedArrayBuffer(this.#bytes);
    const bytes = new Uint8Array(arena);
    const spans = new Int32Array(this.#buffers.length * 2);
    let at = 0;
    this.#buffers.forEach((b, i) => {
      bytes.set(b, at);
      spans[2 * i] = at;
      spans[2 * i + 1] = b.length;
      at += b.length;
    });
    return { arena, spans };
  }
}

const NONE: string[] = [];
const NO_BYTES: Bytes = { arena: new SharedArrayBuffer(0), spans: new Int32Array(0) };

interface CachedSet {
  replica: AnswerSetReplica;
  /** Fields the builder and routing/ may replace on a kept set: the encoding holds only while they are the same. */
  routing: AnswerRouting | undefined;
  rrsigs: Buffer[] | undefined;
  needsIds: boolean;
}

/**
 * Answer sets by identity across publishes: a set encoded once keeps its id and its bytes for as
 * long as the Snapshots hold the same object with the same routing data and signatures.
 */
export class SetEncoder {
  readonly #cache = new WeakMap<AnswerSet, CachedSet>();
  #nextId = 1;
  #used = new Map<number, AnswerSetReplica>();
  /** Sets first encoded in this publish: cached only at finish(), so a failed encode caches nothing without its bytes. */
  #fresh: { set: AnswerSet; cached: CachedSet }[] = [];
  #arena = new ArenaBuilder();

  /** Starts a publish: the sets it references are collected from here on. */
  begin(): void {
    this.#used = new Map();
    this.#fresh = [];
    this.#arena = new ArenaBuilder();
  }

  ref(set: AnswerSet, needsIds: boolean): number {
    const c = this.#cache.get(set);
    if (c !== undefined && c.routing === set.routing && c.rrsigs === set.rrsigs && c.needsIds === needsIds) {
      this.#used.set(c.replica.id, c.replica);
      return c.replica.id;
    }
    const arena = this.#arena;
    const replica: AnswerSetReplica = {
      id: this.#nextId++,
      bytes: NO_BYTES,
      records: arena.refs(set.records),
      weights: set.weights,
      totalWeight: set.totalWeight,
      cumulativeWeights: set.cumulativeWeights,
      backendIds: needsIds ? set.backendIds : NONE,
      isLastHealthy: set.isLastHealthy,
    };
    if (set.rrsigs !== undefined) replica.rrsigs = arena.refs(set.rrsigs);
    if (set.signedCount !== undefined) replica.signedCount = set.signedCount;
    if (set.routing !== undefined) replica.routing = set.routing;
    this.#fresh.push({ set, cached: { replica, routing: set.routing, rrsigs: set.rrsigs, needsIds } });
    this.#used.set(replica.id, replica);
    return replica.id;
  }

  /** Ends a publish: the sets it references (the new ones now hold their bytes). */
  finish(): Map<number, AnswerSetReplica> {
    if (this.#fresh.length > 0) {
      const bytes = this.#arena.finish();
      for (const { set, cached } of this.#fresh) {
        cached.replica.bytes = bytes;
        this.#cache.set(set, cached);
      }
      this.#fresh = [];
    }
    return this.#used;
  }
}

/** The Snapshot's replica and every answer set it references (a receiver is sent those it lacks). */
export function encodeSnapshot(snapshot: Snapshot, ids: BehaviourIds, sets: SetEncoder): { replica: SnapshotReplica; sets: Map<number, AnswerSetReplica> } {
  const arena = new ArenaBuilder();
  sets.begin();
  const zoneIndex = new Map<ZoneEntry, number>();
  const zones: ZoneReplica[] = [];
  for (const z of snapshot.zones.values()) {
    zoneIndex.set(z, zones.length);
    const zr: ZoneReplica = {
      apex: z.apex,
      apexKey: z.apexKey,
      serial: z.serial,
      soaTail: arena.ref(z.soaTail),
      nsTails: arena.refs(z.nsTails),
      contentSignature: z.contentSignature,
    };
    const d = z.dnssec;
    if (d !== undefined) {
      zr.dnssec = {
        dnskeyTails: arena.refs(d.dnskeyTails),
        dnskeyRrsigs: arena.refs(d.dnskeyRrsigs),
        soaRrsig: arena.ref(d.soaRrsig),
        nsRrsig: arena.ref(d.nsRrsig),
        apexNsec: arena.signed(d.apexNsec),
        signerId: ids.signerId(d.denial),
      };
    }
    zones.push(zr);
  }
  const names: NameReplica[] = [];
  for (const e of snapshot.names.values()) {
    const needsIds = e.policy === 'learned_latency';
    const nr: NameReplica = {
      name: e.name,
      key: e.key,
      zone: zoneIndex.get(e.zone)!,
      ttlSeconds: e.ttlSeconds,
      policy: e.policy,
      maxAnswers: e.maxAnswers,
      a: e.a === null ? null : sets.ref(e.a, needsIds),
      aaaa: e.aaaa === null ? null : sets.ref(e.aaaa, needsIds),
      rotation: e.rotation.next,
    };
    if (e.withinRegion !== undefined) nr.withinRegion = e.withinRegion;
    if (e.nsec !== undefined) nr.nsec = arena.signed(e.nsec);
    names.push(nr);
  }
  const replica: SnapshotReplica = {
    version: snapshot.version,
    builtAtMs: snapshot.builtAtMs,
    bytes: arena.finish(),
    zones,
    names,
    emptyNonTerminals: [...snapshot.emptyNonTerminals],
  };
  const r = snapshot.routing;
  if (r !== undefined) replica.routing = { ecsEnabled: r.ecsEnabled, geo: r.geo === null ? -1 : ids.locatorId(r), learned: r.learned !== null };
  return { replica, sets: sets.finish() };
}

/** Buffer views of a Bytes block (no copy). */
function viewsOf(b: Bytes): Buffer[] {
  const spans = b.spans;
  const out = new Array<Buffer>(spans.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Buffer.from(b.arena, spans[2 * i]!, spans[2 * i + 1]!);
  return out;
}

/**
 * Decodes answer sets: `views` caches the Buffer views of each Bytes block, since the sets first
 * encoded in one publish share it.
 */
export function decodeSet(s: AnswerSetReplica, views: Map<SharedArrayBuffer, Buffer[]>): AnswerSet {
  let bufs = views.get(s.bytes.arena);
  if (bufs === undefined) views.set(s.bytes.arena, (bufs = viewsOf(s.bytes)));
  const b = bufs;
  const { id: _id, bytes: _bytes, records, rrsigs, ...rest } = s;
  const out: AnswerSet = { ...rest, records: records.map((i) => b[i]!), regions: NONE };
  if (rrsigs !== undefined) out.rrsigs = rrsigs.map((i) => b[i]!);
  return out;
}

/** The behaviour objects and answer sets a worker holds, looked up by the ids the replica names. */
export interface WorkerBehaviour {
  signer(id: number): ZoneDenial;
  routing(r: RoutingReplica): NonNullable<Snapshot['routing']>;
  answerSet(id: number): AnswerSet;
  /** The rotation counter the worker keeps for a name across Snapshots (created from `initial`). */
  rotation(key: string, initial: number): { next: number };
}

export function decodeSnapshot(replica: SnapshotReplica, behaviour: WorkerBehaviour): Snapshot {
  const buffers = viewsOf(replica.bytes);
  const buf = (ref: BufRef): Buffer => buffers[ref]!;
  const signed = (ref: SignedRef): SignedRecord => ({ tail: buf(ref[0]), rrsig: buf(ref[1]) });
  const zoneList = replica.zones.map((zr): ZoneEntry => {
    const z: ZoneEntry = {
      apex: zr.apex,
      apexKey: zr.apexKey,
      serial: zr.serial,
      soaTail: buf(zr.soaTail),
      nsTails: zr.nsTails.map(buf),
      contentSignature: zr.contentSignature,
    };
    const d = zr.dnssec;
    if (d !== undefined) {
      z.dnssec = {
        dnskeyTails: d.dnskeyTails.map(buf),
        dnskeyRrsigs: d.dnskeyRrsigs.map(buf),
        soaRrsig: buf(d.soaRrsig),
        nsRrsig: buf(d.nsRrsig),
        apexNsec: signed(d.apexNsec),
        denial: behaviour.signer(d.signerId),
      };
    }
    return z;
  });
  const zones = new Map<string, ZoneEntry>();
  for (const z of zoneList) zones.set(z.apexKey, z);
  const names = new Map<string, NameEntry>();
  for (const nr of replica.names) {
    const e: NameEntry = {
      name: nr.name,
      key: nr.key,
      zone: zoneList[nr.zone]!,
      ttlSeconds: nr.ttlSeconds,
      policy: nr.policy,
      maxAnswers: nr.maxAnswers,
      a: nr.a === null ? null : behaviour.answerSet(nr.a),
      aaaa: nr.aaaa === null ? null : behaviour.answerSet(nr.aaaa),
      rotation: behaviour.rotation(nr.key, nr.rotation),
    };
    if (nr.withinRegion !== undefined) e.withinRegion = nr.withinRegion;
    if (nr.nsec !== undefined) e.nsec = signed(nr.nsec);
    names.set(e.key, e);
  }
  const snapshot: Snapshot = {
    version: replica.version,
    builtAtMs: replica.builtAtMs,
    zones,
    names,
    emptyNonTerminals: new Set(replica.emptyNonTerminals),
  };
  if (replica.routing !== undefined) snapshot.routing = behaviour.routing(replica.routing);
  return snapshot;
}
