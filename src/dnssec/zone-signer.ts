/**
 * ZoneSigner: one zone's online signer and RRSIG cache.
 *
 * Signatures are cached by RRset content: (owner, type, TTL, RDATAs in canonical order). A
 * round-robin rotation or a different answer order is the same RRset and reuses the signature; a
 * subset chosen by max_answers is its own RRset with its own signature. Entries are made while a
 * Snapshot is built (pre-signing); after each build the entries the new Snapshot did not use are
 * dropped (`sweep`), so the cache holds what is served. A signature is re-made once it passes
 * half of its validity window (`refreshAtMs`); `nextRefreshMs()` tells the runtime when to rebuild.
 *
 * Names that do not exist cannot be pre-signed (the proof is owned by the query name, RFC 9824):
 * their NSEC + RRSIG are signed on the first query and kept in a bounded FIFO cache.
 *
 * Time: inception = now - skew (validators with slow clocks), expiration = now + validity
 * (RFC 4034 §3.1.5, wrapped modulo 2^32).
 */
import { RRType, encodeRecordTail } from '../dns/wire/index.ts';
import type { SignedRecord, ZoneDenial } from '../model/index.ts';
import { canonicalRdataOrder } from './canonical-order.ts';
import { compactDenialRdata, nsecRdata, successorKey } from './nsec.ts';
import { signRrsetTail } from './rrsig.ts';
import { isKeySigningKey, type SigningKey } from './signing-key.ts';

export interface ZoneSignerOptions {
  /** Wall-clock milliseconds (signature times are compared with validators' clocks). */
  nowMs: () => number;
  /** RRSIG validity window; signatures are re-made at half of it. */
  validityMs: number;
  /** How far inception is back-dated; 1 hour unless told. */
  inceptionSkewMs?: number;
  /** Most cached proofs for nonexistent names (oldest dropped first); 10 000 unless told. */
  maxDenials?: number;
  /** Called after each signature with the seconds it took (metrics). */
  onSign?: (seconds: number) => void;
}

export interface SignerStats {
  signaturesMade: number;
  cacheHits: number;
  /** Signatures held for the current Snapshot plus cached denial proofs. */
  cached: number;
  signSecondsTotal: number;
  /** UDP queries for unsigned proofs answered TC because the second's signing budget was spent. */
  overBudget: number;
}

interface CachedRrsig {
  id: string;
  tail: Buffer;
  refreshAtMs: number;
  generation: number;
}

interface CachedProof {
  record: SignedRecord;
  refreshAtMs: number;
}

const DEFAULT_SKEW_MS = 3_600_000;

const DEFAULT_MAX_DENIALS = 10_000;

export class ZoneSigner implements ZoneDenial {
  readonly apexKey: string;
  #negativeTtl: number;
  readonly #key: SigningKey;
  readonly #keys: SigningKey[];
  readonly #dnskeySigners: SigningKey[];
  readonly #published: Buffer[];
  readonly #opts: ZoneSignerOptions;
  readonly #skewMs: number;
  readonly #maxDenials: number;
  readonly #cache = new Map<string, CachedRrsig>();
  /** Cache entries by the tail they hold, for retain() (an incremental build reusing signed RRsets). */
  readonly #byTail = new WeakMap<Buffer, CachedRrsig>();
  /** Proofs for nonexistent names and for empty non-terminals, keyed by the query name's wire key. */
  readonly #nxProofs = new Map<string, CachedProof>();
  readonly #entProofs = new Map<string, CachedProof>();
  #generation = 0;
  readonly stats: SignerStats = { signaturesMade: 0, cacheHits: 0, cached: 0, signSecondsTotal: 0, overBudget: 0 };

  /**
   * `key` signs every RRset but the DNSKEY RRset: the active ZSK, or the KSK itself when there is
   * none (a CSK). `otherKeys` are published in the DNSKEY RRset beside it: KSKs adopted by key sync
   * or from an older start, and ZSKs being pre-published or retired (rollover.ts). Every published
   * key-signing key (SEP flag) signs the DNSKEY RRset, so a DS of any of them validates:
   * DS -> that KSK -> its RRSIG over the DNSKEY RRset -> the data-signing key -> everything else.
   */
  constructor(key: SigningKey, negativeTtlSeconds: number, opts: ZoneSignerOptions, otherKeys: readonly SigningKey[] = []) {
    this.#key = key;
    this.apexKey = key.apexKey;
    this.#negativeTtl = negativeTtlSeconds;
    this.#opts = opts;
    this.#skewMs = opts.inceptionSkewMs ?? DEFAULT_SKEW_MS;
    this.#maxDenials = opts.maxDenials ?? DEFAULT_MAX_DENIALS;
    const others = otherKeys.filter((k) => !k.dnskeyRdata.equals(key.dnskeyRdata));
    this.#keys = [key, ...others];
    this.#dnskeySigners = this.#keys.filter(isKeySigningKey);
    if (this.#dnskeySigners.length === 0) throw new TypeError(`DNSSEC keys of ${key.zone}: no key-signing key (flags 257) to sign the DNSKEY RRset`);
    this.#published = canonicalRdataOrder(this.#keys.map((k) => k.dnskeyRdata));
  }

  /** TTL of NSEC records: min(SOA TTL, SOA MINIMUM) (RFC 9077 §3). */
  get negativeTtlSeconds(): number {
    return this.#negativeTtl;
  }

  /** Follows the zone's SOA (a reload may change it); cached proofs with the old TTL are dropped. */
  set negativeTtlSeconds(ttl: number) {
    if (ttl === this.#negativeTtl) return;
    this.#negativeTtl = ttl;
    this.#nxProofs.clear();
    this.#entProofs.clear();
  }

  get key(): SigningKey {
    return this.#key;
  }

  /** The DNSKEY RRset's RDATAs in canonical order. */
  get dnskeyRdatas(): readonly Buffer[] {
    return this.#published;
  }

  /** Every key in the DNSKEY RRset, the data-signing key first. */
  get keys(): readonly SigningKey[] {
    return this.#keys;
  }

  /** The key-signing keys (SEP flag) in the order given: their DS records are the ones to publish. */
  get keySigningKeys(): readonly SigningKey[] {
    return this.#dnskeySigners;
  }

  /** The largest TTL of any RRset this signer has signed (a retired key stays published this much longer). */
  maxSignedTtlSeconds = 0;

  /** RRSIG tails over the DNSKEY RRset, one per key-signing key. */
  dnskeyRrsigs(ttlSeconds: number): Buffer[] {
    return this.#dnskeySigners.map((k) => this.rrsig(this.apexKey, RRType.DNSKEY, ttlSeconds, this.#published, k));
  }

  /** RRSIG record tail over an RRset (RDATAs in any order), from the cache when still fresh. */
  rrsig(ownerKey: string, type: number, ttlSeconds: number, rdatas: readonly Buffer[], key: SigningKey = this.#key): Buffer {
    if (ttlSeconds > this.maxSignedTtlSeconds) this.maxSignedTtlSeconds = ttlSeconds;
    const canonical = canonicalRdataOrder(rdatas);
    let id = `${key.keyTag}|${ownerKey}|${type}|${ttlSeconds}`;
    for (const r of canonical) id += `|${r.toString('latin1')}`;
    const now = this.#opts.nowMs();
    const hit = this.#cache.get(id);
    if (hit !== undefined && hit.refreshAtMs > now) {
      hit.generation = this.#generation;
      this.stats.cacheHits++;
      return hit.tail;
    }
    const tail = this.#sign(ownerKey, type, ttlSeconds, canonical, now, key);
    const entry = { id, tail, refreshAtMs: now + this.#opts.validityMs / 2, generation: this.#generation };
    this.#cache.set(id, entry);
    this.#byTail.set(tail, entry);
    return tail;
  }

  /**
   * For a Snapshot build that reuses RRsets signed by an earlier one (overwatch/snapshot-builder.ts
   * updateSnapshot): marks their RRSIGs as used by this build, so sweep() keeps them, without
   * re-deriving their cache keys (O(1) per RRSIG instead of sorting and concatenating RDATAs).
   * False when one is no longer cached by this signer or is due for refresh: sign the RRset again.
   */
  retain(tails: readonly Buffer[]): boolean {
    const now = this.#opts.nowMs();
    for (const tail of tails) {
      const e = this.#byTail.get(tail);
      if (e === undefined || e.refreshAtMs <= now || this.#cache.get(e.id) !== e) return false;
    }
    for (const tail of tails) {
      this.#byTail.get(tail)!.generation = this.#generation;
      this.stats.cacheHits++;
    }
    return true;
  }

  /** An NSEC at `ownerKey` with next name `\000.owner` and `types` (+ RRSIG NSEC), signed. */
  nsec(ownerKey: string, types: readonly number[]): SignedRecord {
    const rdata = nsecRdata(successorKey(ownerKey), types);
    const ttl = this.#negativeTtl;
    return { tail: encodeRecordTail(RRType.NSEC, ttl, rdata), rrsig: this.rrsig(ownerKey, RRType.NSEC, ttl, [rdata]) };
  }

  /**
   * The proof for a query name that holds no data (ZoneDenial): RFC 9824 compact denial, an NSEC
   * owned by the name with bitmap `RRSIG NSEC NXNAME` for a nonexistent name, `RRSIG NSEC` for an
   * empty non-terminal (§3.2). Signed on first use, cached (FIFO, bounded).
   */
  /** Online signatures for proofs, per second (about a tenth of a core: one proof costs ~50 µs of CPU). */
  static readonly ONLINE_SIGNATURES_PER_SECOND = 2000;
  #budgetSecond = -1;
  #budgetLeft = 0;

  mayDeny(qnameKey: string, isEmptyNonTerminal: boolean): boolean {
    const hit = (isEmptyNonTerminal ? this.#entProofs : this.#nxProofs).get(qnameKey);
    const now = this.#opts.nowMs();
    if (hit !== undefined && hit.refreshAtMs > now) return true;
    const second = Math.floor(now / 1000);
    if (second !== this.#budgetSecond) {
      this.#budgetSecond = second;
      this.#budgetLeft = ZoneSigner.ONLINE_SIGNATURES_PER_SECOND;
    }
    if (this.#budgetLeft <= 0) {
      this.stats.overBudget++;
      return false;
    }
    this.#budgetLeft--;
    return true;
  }

  denial(qnameKey: string, isEmptyNonTerminal: boolean): SignedRecord {
    // Query path: one Map lookup and a clock read when cached; no string is built.
    const proofs = isEmptyNonTerminal ? this.#entProofs : this.#nxProofs;
    const now = this.#opts.nowMs();
    const hit = proofs.get(qnameKey);
    if (hit !== undefined && hit.refreshAtMs > now) {
      this.stats.cacheHits++;
      return hit.record;
    }
    const rdata = compactDenialRdata(successorKey(qnameKey), !isEmptyNonTerminal);
    const ttl = this.#negativeTtl;
    const record = { tail: encodeRecordTail(RRType.NSEC, ttl, rdata), rrsig: this.#sign(qnameKey, RRType.NSEC, ttl, [rdata], now) };
    if (hit === undefined && proofs.size >= this.#maxDenials) proofs.delete(proofs.keys().next().value!);
    proofs.set(qnameKey, { record, refreshAtMs: now + this.#opts.validityMs / 2 });
    return record;
  }

  /**
   * RRSIG for an answer the Snapshot did not pre-sign: `count` pointer-owned records of
   * `records` picked by index (ZoneDenial's fallback for policies whose subsets are not windows).
   */
  rrsigForPicks(ownerKey: string, records: readonly Buffer[], picks: Int32Array, count: number): Buffer {
    const first = records[picks[0]!]!;
    const type = first.readUInt16BE(2);
    const ttl = first.readUInt32BE(6);
    const rdatas: Buffer[] = [];
    for (let i = 0; i < count; i++) rdatas.push(records[picks[i]!]!.subarray(12));
    return this.rrsig(ownerKey, type, ttl, rdatas);
  }

  /**
   * Ends a Snapshot build: drops RRSIGs the build did not ask for, and denial proofs past their
   * refresh time. Old Snapshots keep their own references, so nothing in flight breaks.
   */
  sweep(): void {
    const now = this.#opts.nowMs();
    for (const [id, e] of this.#cache) if (e.generation !== this.#generation) this.#cache.delete(id);
    for (const proofs of [this.#nxProofs, this.#entProofs]) {
      for (const [id, e] of proofs) if (e.refreshAtMs <= now) proofs.delete(id);
    }
    this.#generation++;
    this.stats.cached = this.cachedSignatures;
  }

  /** When the earliest cached RRSIG the Snapshot serves reaches its refresh time; Infinity if none. */
  nextRefreshMs(): number {
    let next = Infinity;
    for (const e of this.#cache.values()) if (e.refreshAtMs < next) next = e.refreshAtMs;
    return next;
  }

  get cachedSignatures(): number {
    return this.#cache.size + this.#nxProofs.size + this.#entProofs.size;
  }

  /** The RRSIG record tail over `rdatas`. */
  #sign(ownerKey: string, type: number, ttlSeconds: number, rdatas: readonly Buffer[], now: number, key: SigningKey = this.#key): Buffer {
    const started = performance.now();
    const tail = signRrsetTail(key, ownerKey, type, ttlSeconds, rdatas, {
      inceptionSec: Math.floor((now - this.#skewMs) / 1000),
      expirationSec: Math.floor((now + this.#opts.validityMs) / 1000),
    });
    const seconds = (performance.now() - started) / 1000;
    this.stats.signaturesMade++;
    this.stats.signSecondsTotal += seconds;
    this.#opts.onSign?.(seconds);
    return tail;
  }
}
