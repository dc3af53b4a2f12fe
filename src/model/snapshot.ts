/**
 * The Snapshot: everything the DNS data plane needs to answer, built by the control plane on every
 * change and then only read. Wire fragments are pre-encoded so a query costs a Map lookup, a policy
 * pick and a few buffer copies. The only mutable part is each name's rotation counter.
 */
import type { RoutingAlgorithm } from '../config/types.ts';

export interface ZoneEntry {
  /** Lowercase apex without trailing dot. */
  apex: string;
  /** Wire key of the apex (see dns/wire/name.ts). */
  apexKey: string;
  serial: number;
  /** SOA record tail (TYPE onwards) with TTL = negative TTL (RFC 2308 §3). */
  soaTail: Buffer;
  /** NS record tails (TYPE onwards), one per name server. */
  nsTails: Buffer[];
  /** Digest of everything served in the zone: the serial changes exactly when this does. */
  contentSignature: string;
  /** Signed-zone data; absent when DNSSEC is off for the zone. */
  dnssec?: ZoneDnssec;
}

/** A record owned by a name the responder writes (a compression pointer), with its RRSIG. */
export interface SignedRecord {
  /** Record tail (TYPE onwards). */
  tail: Buffer;
  /** RRSIG record tail covering it, same owner. */
  rrsig: Buffer;
}

/**
 * What the responder asks the zone's signer for at query time: proofs for names that hold no
 * data (they are owned by the query name, so they cannot all be pre-signed) and, as a fallback, a
 * signature for an answer subset the Snapshot did not pre-sign. Both are cached by the signer.
 */
export interface ZoneDenial {
  /** NSEC + RRSIG owned by `qnameKey`: nonexistent name (compact denial) or empty non-terminal. */
  denial(qnameKey: string, isEmptyNonTerminal: boolean): SignedRecord;
  /** RRSIG tail for `count` records of `records` chosen by index in `picks`, owned by `ownerKey`. */
  rrsigForPicks(ownerKey: string, records: readonly Buffer[], picks: Int32Array, count: number): Buffer;
}

/** DNSSEC data of a zone, pre-signed when the Snapshot is built (DNSSEC.md §3). */
export interface ZoneDnssec {
  /** DNSKEY record tails, owner = apex. */
  dnskeyTails: Buffer[];
  /**
   * RRSIG tails over the DNSKEY RRset, one per key that signs it: the zone's signing key and
   * every other published key (so the DS of any of them validates: key sync, rollover).
   */
  dnskeyRrsigs: Buffer[];
  /** RRSIG tails over the SOA and NS RRsets as the zone entry serves them. */
  soaRrsig: Buffer;
  nsRrsig: Buffer;
  /** The apex NSEC (NODATA at the apex, DS queries): the apex types, never DS. */
  apexNsec: SignedRecord;
  denial: ZoneDenial;
}

/** The answerable records of one name and address family. */
export interface AnswerSet {
  /** Pointer-owned records (owner = question name at offset 12), one per served backend. */
  records: Buffer[];
  /** Weight of each record (weighted policy); 0 never appears here (weight 0 = drained). */
  weights: number[];
  totalWeight: number;
  /** Region of each record's backend (geolocation policy). */
  regions: string[];
  /** Backend id of each record, for logs and the API. */
  backendIds: string[];
  /** True when every backend is unhealthy and the last healthy set is served (dns.return_last_healthy). */
  isLastHealthy: boolean;
  /**
   * Pre-made RRSIG tails (DNSSEC): rrsigs[i] covers the `signedCount` records starting at index i
   * (wrapping), the subsets the routing policies choose; one shared entry when they are all the
   * same set. Absent when the zone is unsigned.
   */
  rrsigs?: Buffer[];
  signedCount?: number;
}

export interface NameEntry {
  name: string;
  key: string;
  zone: ZoneEntry;
  ttlSeconds: number;
  policy: RoutingAlgorithm;
  maxAnswers: number;
  /**
   * null = no backend of this family exists for the name (NODATA);
   * records.length 0 = backends exist but none is healthy (SERVFAIL).
   */
  a: AnswerSet | null;
  aaaa: AnswerSet | null;
  /** Round-robin position; shared by A and AAAA; the one thing queries mutate. */
  rotation: { next: number };
  /** NSEC (+RRSIG) at this name for NODATA answers: its types, RRSIG, NSEC. Absent when unsigned. */
  nsec?: SignedRecord;
}

export interface Snapshot {
  version: number;
  builtAtMs: number;
  /** Wire key of apex -> zone. */
  zones: Map<string, ZoneEntry>;
  /** Wire key of name -> entry. */
  names: Map<string, NameEntry>;
  /** Wire keys of names that exist only because a served name lies below them (RFC 8020: NODATA, not NXDOMAIN). */
  emptyNonTerminals: Set<string>;
}

export function emptySnapshot(): Snapshot {
  return { version: 0, builtAtMs: 0, zones: new Map(), names: new Map(), emptyNonTerminals: new Set() };
}
