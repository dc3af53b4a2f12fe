/**
 * The authoritative answer logic (the role of Knot's nameserver/ and NSD's query.c): one parsed
 * query and the current Snapshot in, one response out. Synchronous, allocation-free apart from the
 * qname key, never throws on query content. Listeners own the sockets; this owns the semantics:
 * REFUSED out of zone, NOTIMP for other opcodes, FORMERR/BADVERS for bad EDNS, NXDOMAIN/NODATA
 * with the zone SOA (RFC 2308), minimal ANY (RFC 8482), TC when the answer does not fit.
 *
 * DNSSEC (signed zones, DO=1 only, RFC 4035 §3.1): each answer RRset is followed by its RRSIG,
 * pre-made when the Snapshot was built; negative answers carry SOA + RRSIG and one NSEC + RRSIG
 * owned by the query name (RFC 9824 compact denial: a nonexistent name answers NOERROR with an
 * NXNAME bitmap, NXDOMAIN only to clients that sent CO). DO=0 gets exactly the unsigned answer.
 * AD is never set (RFC 4035 §3.1.6); a signed answer that does not fit is truncated whole (TC),
 * never sent with its signatures dropped.
 */
import {
  CLASSIC_UDP_SIZE,
  HEADER_SIZE,
  ParseStatus,
  RCode,
  RRClass,
  RRType,
  ResponseWriter,
  Section,
  newParsedQuery,
  parseQuery,
  type EdnsReply,
  type ParsedQuery,
} from './wire/index.ts';
import { newRouteState, routeAnswers } from '../routing/index.ts';
import type { AnswerSet, NameEntry, SignedRecord, Snapshot, SnapshotRouting, ZoneDnssec, ZoneEntry } from '../model/index.ts';

/** RFC 9824 §2: NXNAME, a meta type: explicit queries for it are FORMERR (§3.5). */
const NXNAME_TYPE = 128;

export type Transport = 'udp' | 'tcp';

export interface ResponderOptions {
  /** Largest UDP response, whatever the client offers (RFC 6891 §6.2.5; 1232 avoids fragmentation). */
  maxUdpPayload: number;
  /** Uniform draw in [0, 1) for weighted choice; injectable for tests. */
  random?: () => number;
}

/** What the last respond() did, for metrics; overwritten by each call. */
export interface ResponseOutcome {
  rcode: number;
  qtype: number;
  /** The served name's entry when the query hit one (per-domain metrics), else null. */
  entry: NameEntry | null;
  truncated: boolean;
}

const MAX_ANSWER_INDICES = 256;

export class Responder {
  readonly #maxUdpPayload: number;
  readonly #random: () => number;
  readonly #query: ParsedQuery = newParsedQuery();
  readonly #edns: EdnsReply = { udpPayloadSize: 0, dnssecOk: false, compactOk: false, ecsScopePrefix: -1 };
  readonly #picks = new Int32Array(MAX_ANSWER_INDICES);
  /** Reused one-element lists, so single-record RRsets go through #apexRrset without allocating. */
  readonly #oneTail: Buffer[] = [Buffer.alloc(0)];
  readonly #oneRrsig: Buffer[] = [Buffer.alloc(0)];
  readonly outcome: ResponseOutcome = { rcode: 0, qtype: 0, entry: null, truncated: false };
  /** The resolver's address (socket peer), set by the listener before respond(); '' = unknown. */
  clientAddress = '';
  readonly #route = newRouteState();
  #routing: SnapshotRouting | undefined;

  constructor(options: ResponderOptions) {
    this.#maxUdpPayload = Math.max(CLASSIC_UDP_SIZE, options.maxUdpPayload);
    this.#random = options.random ?? Math.random;
  }

  /**
   * Answers `msg` into `writer.buf`; returns the response length, or 0 when the message must be
   * dropped without reply (too short to carry a header, or itself a response).
   */
  respond(snapshot: Snapshot, msg: Buffer, transport: Transport, writer: ResponseWriter): number {
    const q = this.#query;
    const outcome = this.outcome;
    outcome.entry = null;
    outcome.truncated = false;
    const status = parseQuery(msg, q);
    outcome.qtype = q.qtype;
    if (status === ParseStatus.Drop) return 0;

    const limit =
      transport === 'tcp'
        ? 65535
        : q.hasEdns
          ? Math.min(Math.max(q.udpPayloadSize, CLASSIC_UDP_SIZE), this.#maxUdpPayload)
          : CLASSIC_UDP_SIZE;

    if (status === ParseStatus.FormErr) return this.#bare(msg, q, writer, RCode.FORMERR, limit, null);

    const edns = q.hasEdns ? this.#edns : null;
    if (edns) {
      edns.udpPayloadSize = this.#maxUdpPayload;
      edns.dnssecOk = q.dnssecOk;
      edns.compactOk = false;
      // RFC 7871 §7.2.1: an ECS-aware server echoes the option; scope 0 unless the answer depended on it.
      edns.ecsScopePrefix = q.hasEcs ? 0 : -1;
    }
    // RFC 6891 §6.1.3: an unsupported version gets BADVERS with our version (0) in the OPT.
    if (q.ednsVersion > 0) return this.#bare(msg, q, writer, RCode.BADVERS, limit, edns);
    if (q.opcode !== 0) return this.#bare(msg, q, writer, RCode.NOTIMP, limit, edns);
    if (q.qclass !== RRClass.IN) return this.#bare(msg, q, writer, RCode.REFUSED, limit, edns);
    if (q.qtype === NXNAME_TYPE) return this.#bare(msg, q, writer, RCode.FORMERR, limit, edns);

    const key = q.qnameKey;
    this.#routing = snapshot.routing;
    const entry = snapshot.names.get(key);
    const zone = entry ? entry.zone : findZone(snapshot, key);
    if (!zone) return this.#bare(msg, q, writer, RCode.REFUSED, limit, edns);
    if (q.qtype === RRType.AXFR || q.qtype === RRType.IXFR) return this.#bare(msg, q, writer, RCode.REFUSED, limit, edns);
    const apexOffset = HEADER_SIZE + key.length - zone.apexKey.length;
    const isApex = key.length === zone.apexKey.length;
    // Signed answers only to DO=1 clients of a signed zone (RFC 3225 §3, RFC 4035 §3.1).
    const dz = q.dnssecOk && zone.dnssec !== undefined ? zone.dnssec : null;

    if (entry) {
      outcome.entry = entry;
      const qtype = q.qtype;
      let set: AnswerSet | null | undefined;
      if (qtype === RRType.A) set = entry.a;
      else if (qtype === RRType.AAAA) set = entry.aaaa;
      else if (qtype === RRType.ANY) set = entry.a ?? entry.aaaa; // RFC 8482 §4.2: one RRset is enough
      if (set !== undefined) {
        if (set === null) return this.#negative(msg, q, writer, RCode.NOERROR, limit, edns, zone, apexOffset, dz ? entry.nsec : undefined);
        if (set.records.length === 0) return this.#bare(msg, q, writer, RCode.SERVFAIL, limit, edns);
        return this.#answerSet(msg, q, writer, limit, edns, entry, set, dz);
      }
      if (qtype === RRType.NSEC && dz && entry.nsec) return this.#single(msg, q, writer, limit, edns, HEADER_SIZE, entry.nsec);
      // RRSIG exists at every signed name; answering NODATA would contradict the NSEC bitmap. Like
      // ANY (RFC 8482), one RRSIG is enough: the one over the name's NSEC.
      if (qtype === RRType.RRSIG && zone.dnssec && entry.nsec) return this.#apexRrset(msg, q, writer, limit, edns, this.#oneSig(entry.nsec.rrsig), undefined);
      if (!isApex) return this.#negative(msg, q, writer, RCode.NOERROR, limit, edns, zone, apexOffset, dz ? entry.nsec : undefined);
    }
    if (isApex) return this.#apex(msg, q, writer, limit, edns, zone, dz);
    if (snapshot.emptyNonTerminals.has(key)) {
      if (dz && transport === 'udp' && !dz.denial.mayDeny(key, true)) return this.#overBudget(msg, q, writer, limit, edns);
      return this.#negative(msg, q, writer, RCode.NOERROR, limit, edns, zone, apexOffset, dz ? dz.denial.denial(key, true) : undefined);
    }
    if (dz === null) return this.#negative(msg, q, writer, RCode.NXDOMAIN, limit, edns, zone, apexOffset, undefined);
    // RFC 9824 §3.1: compact denial answers NOERROR, unless the client said it understands NXDOMAIN with it (CO).
    const rcode = q.compactOk ? RCode.NXDOMAIN : RCode.NOERROR;
    if (transport === 'udp' && !dz.denial.mayDeny(key, false)) return this.#overBudget(msg, q, writer, limit, edns);
    if (q.compactOk) edns!.compactOk = true;
    return this.#negative(msg, q, writer, rcode, limit, edns, zone, apexOffset, dz.denial.denial(key, false));
  }

  /**
   * The online signing budget of this second is spent (a random-name flood, usually spoofed): answer
   * TC with no records, so a real resolver retries over TCP, where the proof is signed.
   */
  #overBudget(msg: Buffer, q: ParsedQuery, writer: ResponseWriter, limit: number, edns: EdnsReply | null): number {
    this.outcome.rcode = RCode.NOERROR;
    this.outcome.truncated = true;
    writer.begin(msg, q, RCode.NOERROR, true, limit, edns);
    writer.truncate();
    return writer.finish();
  }

  #bare(msg: Buffer, q: ParsedQuery, writer: ResponseWriter, rcode: number, limit: number, edns: EdnsReply | null): number {
    this.outcome.rcode = rcode;
    writer.begin(msg, q, rcode, false, limit, edns);
    return writer.finish();
  }

  /** Appends a pointer-owned record; on overflow truncates the whole response (TC) and says so. */
  #put(writer: ResponseWriter, section: Section, ownerOffset: number, tail: Buffer): boolean {
    if (writer.addWithPointer(section, ownerOffset, tail)) return true;
    this.outcome.truncated = true;
    writer.truncate();
    return false;
  }

  #answerSet(
    msg: Buffer,
    q: ParsedQuery,
    writer: ResponseWriter,
    limit: number,
    edns: EdnsReply | null,
    entry: NameEntry,
    set: AnswerSet,
    dz: ZoneDnssec | null,
  ): number {
    this.outcome.rcode = RCode.NOERROR;
    writer.begin(msg, q, RCode.NOERROR, true, limit, edns);
    const max = entry.maxAnswers < MAX_ANSWER_INDICES ? entry.maxAnswers : MAX_ANSWER_INDICES;
    const picks = this.#picks;
    const route = this.#route;
    const n = routeAnswers(entry, set, max, this.#routing, q, this.clientAddress, this.#random(), picks, route);
    // RFC 7871 §7.2.1: the scope is the prefix the answer depended on (0 when it is the same for all).
    if (edns !== null && route.usedEcs) edns.ecsScopePrefix = route.scopePrefix;
    for (let i = 0; i < n; i++) {
      if (!writer.add(Section.Answer, set.records[picks[i]!]!)) {
        this.outcome.truncated = true;
        writer.truncate();
        return writer.finish();
      }
    }
    if (dz !== null && n > 0) {
      // The pre-made signature covers the window starting at picks[0]; any other subset is signed (and cached) now.
      const rrsig =
        route.isWindow && set.rrsigs !== undefined && n === set.signedCount ? set.rrsigs[picks[0]!]! : dz.denial.rrsigForPicks(entry.key, set.records, picks, n);
      this.#put(writer, Section.Answer, HEADER_SIZE, rrsig);
    }
    return writer.finish();
  }

  /** One record owned by the query name (and its RRSIG when signed) as the whole answer. */
  #single(msg: Buffer, q: ParsedQuery, writer: ResponseWriter, limit: number, edns: EdnsReply | null, ownerOffset: number, rec: SignedRecord): number {
    this.outcome.rcode = RCode.NOERROR;
    writer.begin(msg, q, RCode.NOERROR, true, limit, edns);
    if (this.#put(writer, Section.Answer, ownerOffset, rec.tail)) this.#put(writer, Section.Answer, ownerOffset, rec.rrsig);
    return writer.finish();
  }

  /**
   * NXDOMAIN/NODATA (RFC 2308 §2): the zone SOA in authority; when signed, its RRSIG and the
   * denial `proof` (an NSEC owned by the query name, RFC 4035 §3.1.3) with its RRSIG.
   */
  #negative(
    msg: Buffer,
    q: ParsedQuery,
    writer: ResponseWriter,
    rcode: number,
    limit: number,
    edns: EdnsReply | null,
    zone: ZoneEntry,
    apexOffset: number,
    proof: SignedRecord | undefined,
  ): number {
    this.outcome.rcode = rcode;
    writer.begin(msg, q, rcode, true, limit, edns);
    // RFC 2308 §3: the SOA in the authority section lets resolvers cache the negative answer.
    if (!this.#put(writer, Section.Authority, apexOffset, zone.soaTail)) return writer.finish();
    if (proof !== undefined && zone.dnssec !== undefined) {
      if (!this.#put(writer, Section.Authority, apexOffset, zone.dnssec.soaRrsig)) return writer.finish();
      if (!this.#put(writer, Section.Authority, HEADER_SIZE, proof.tail)) return writer.finish();
      this.#put(writer, Section.Authority, HEADER_SIZE, proof.rrsig);
    }
    return writer.finish();
  }

  #apex(msg: Buffer, q: ParsedQuery, writer: ResponseWriter, limit: number, edns: EdnsReply | null, zone: ZoneEntry, dz: ZoneDnssec | null): number {
    const qtype = q.qtype;
    if (qtype === RRType.SOA || qtype === RRType.ANY) return this.#apexRrset(msg, q, writer, limit, edns, this.#one(zone.soaTail), dz ? this.#oneSig(dz.soaRrsig) : undefined);
    if (qtype === RRType.NS) return this.#apexRrset(msg, q, writer, limit, edns, zone.nsTails, dz ? this.#oneSig(dz.nsRrsig) : undefined);
    // The DNSKEY RRset is served to every client; its RRSIG only with DO (RFC 4035 §3.1.1).
    if (qtype === RRType.DNSKEY && zone.dnssec) return this.#apexRrset(msg, q, writer, limit, edns, zone.dnssec.dnskeyTails, dz?.dnskeyRrsigs);
    if (qtype === RRType.NSEC && dz) return this.#single(msg, q, writer, limit, edns, HEADER_SIZE, dz.apexNsec);
    if (qtype === RRType.RRSIG && zone.dnssec) return this.#apexRrset(msg, q, writer, limit, edns, this.#oneSig(zone.dnssec.apexNsec.rrsig), undefined);
    // Everything else at the apex is NODATA, DS included: the DS RRset lives in the parent zone and
    // we serve no child (RFC 4035 §3.1.4.1); the apex NSEC never lists DS.
    return this.#negative(msg, q, writer, RCode.NOERROR, limit, edns, zone, HEADER_SIZE, dz?.apexNsec);
  }

  #one(tail: Buffer): Buffer[] {
    this.#oneTail[0] = tail;
    return this.#oneTail;
  }

  #oneSig(rrsig: Buffer): Buffer[] {
    this.#oneRrsig[0] = rrsig;
    return this.#oneRrsig;
  }

  #apexRrset(msg: Buffer, q: ParsedQuery, writer: ResponseWriter, limit: number, edns: EdnsReply | null, tails: Buffer[], rrsigs: Buffer[] | undefined): number {
    this.outcome.rcode = RCode.NOERROR;
    writer.begin(msg, q, RCode.NOERROR, true, limit, edns);
    for (const tail of tails) if (!this.#put(writer, Section.Answer, HEADER_SIZE, tail)) return writer.finish();
    if (rrsigs !== undefined) for (const rrsig of rrsigs) if (!this.#put(writer, Section.Answer, HEADER_SIZE, rrsig)) return writer.finish();
    return writer.finish();
  }
}

/** The longest zone containing `key`, walking label boundaries from the left. */
export function findZone(snapshot: Snapshot, key: string): ZoneEntry | undefined {
  let i = 0;
  while (i < key.length) {
    const zone = snapshot.zones.get(i === 0 ? key : key.slice(i));
    if (zone) return zone;
    const len = key.charCodeAt(i);
    if (len === 0) return undefined;
    i += len + 1;
  }
  return undefined;
}
