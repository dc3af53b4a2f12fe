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
  /**
   * Whether the proof for `qnameKey` is cached or a fresh online signature fits this second's
   * budget (taking it). Over UDP a query past the budget is answered TC instead, so a spoofed
   * random-name flood cannot spend the CPU on signatures; TCP (not spoofable) always signs.
   */
  mayDeny(qnameKey: string, isEmptyNonTerminal: boolean): boolean;
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
  /** Running sums of `weights` (cumulative[i] = weights[0..i]), for a binary-search weighted pick. */
  cumulativeWeights: number[];
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
  /** What the geolocation and latency policies need beyond the records (routing/ attaches it). */
  routing?: AnswerRouting;
}

/** Per answer set routing data, made once per Snapshot (or latency ranking change), never per query. */
export interface AnswerRouting {
  /** geolocation: record indices per region id of the Snapshot's locator, in configured order. */
  byRegion?: Int32Array[];
  /** latency: eligible records, lowest smoothed RTT first; empty = no measurements yet (round-robin). */
  latencyOrder?: Int32Array;
  /** { geolocation: latency }: per region id, the region's records with measurements, lowest RTT first. */
  byRegionLatency?: Int32Array[];
  /** learned_latency: the domain's latency_config thresholds. */
  minSamples: number;
  maxLatencyMs: number;
}

/** The client an answer may be tailored to: one reused object per responder, filled per query. */
export interface ClientSubnet {
  /** 4 or 6; 0 = no usable address (routing then ignores the client). */
  family: number;
  /** 16 bytes; IPv4 in the first 4. */
  address: Uint8Array;
  /** Leading bits of `address` that are the client's (ECS source prefix; 32/128 for a socket address). */
  prefixLength: number;
}

/** Out-parameter: how many leading address bits a decision depended on (RFC 7871 §7.2.1 scope). */
export interface DecisionScope {
  prefixLength: number;
}

/** Where a client is (geo/ implements it): custom CIDR > country > continent > default region. */
export interface ClientLocator {
  /** Id of the region named `name`, -1 when the locator does not know it. */
  regionId(name: string): number;
  /** Id of geolocation.default_region, -1 when none. */
  readonly defaultRegionId: number;
  /** The client's region id (-1 = no match and no default); the scope it depended on goes to `scope`. */
  locate(client: ClientSubnet, scope: DecisionScope): number;
}

/** Learned client-to-backend RTT: smoothed milliseconds and sample count per backend id. */
export interface LearnedLatency {
  ewmaMs: number;
  samples: number;
}

/** Agents' latency reports by client prefix (routing/ implements it). */
export interface ClientLatencyTable {
  /** Per backend id data of the longest stored prefix holding the client, or null; scope as above. */
  lookup(client: ClientSubnet, scope: DecisionScope): ReadonlyMap<string, LearnedLatency> | null;
}

/** Routing inputs shared by every name of a Snapshot. */
export interface SnapshotRouting {
  /** geolocation.ecs_enabled: an ECS option's address stands for the client. */
  ecsEnabled: boolean;
  geo: ClientLocator | null;
  learned: ClientLatencyTable | null;
}

export interface NameEntry {
  name: string;
  key: string;
  zone: ZoneEntry;
  ttlSeconds: number;
  policy: RoutingAlgorithm;
  /** Geolocation only: the policy within the client's region (round-robin when absent). */
  withinRegion?: 'round-robin' | 'weighted' | 'failover' | 'latency';
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
  /** Client-dependent routing (geolocation, learned_latency); absent = no name needs it. */
  routing?: SnapshotRouting;
}

export function emptySnapshot(): Snapshot {
  return { version: 0, builtAtMs: 0, zones: new Map(), names: new Map(), emptyNonTerminals: new Set() };
}
