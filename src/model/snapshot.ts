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
