/**
 * The authoritative answer logic (the role of Knot's nameserver/ and NSD's query.c): one parsed
 * query and the current Snapshot in, one response out. Synchronous, allocation-free apart from the
 * qname key, never throws on query content. Listeners own the sockets; this owns the semantics:
 * REFUSED out of zone, NOTIMP for other opcodes, FORMERR/BADVERS for bad EDNS, NXDOMAIN/NODATA
 * with the zone SOA (RFC 2308), minimal ANY (RFC 8482), TC when the answer does not fit.
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
import { pickAnswers } from '../routing/index.ts';
import type { AnswerSet, NameEntry, Snapshot, ZoneEntry } from '../model/index.ts';

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
  readonly #edns: EdnsReply = { udpPayloadSize: 0, dnssecOk: false, ecsScopePrefix: -1 };
  readonly #picks = new Int32Array(MAX_ANSWER_INDICES);
  readonly outcome: ResponseOutcome = { rcode: 0, qtype: 0, entry: null, truncated: false };

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
      // RFC 7871 §7.2.1: an ECS-aware server echoes the option; scope 0 unless the answer depended on it.
      edns.ecsScopePrefix = q.hasEcs ? 0 : -1;
    }
    // RFC 6891 §6.1.3: an unsupported version gets BADVERS with our version (0) in the OPT.
    if (q.ednsVersion > 0) return this.#bare(msg, q, writer, RCode.BADVERS, limit, edns);
    if (q.opcode !== 0) return this.#bare(msg, q, writer, RCode.NOTIMP, limit, edns);
    if (q.qclass !== RRClass.IN) return this.#bare(msg, q, writer, RCode.REFUSED, limit, edns);

    const key = q.qnameKey;
    const entry = snapshot.names.get(key);
    const zone = entry ? entry.zone : findZone(snapshot, key);
    if (!zone) return this.#bare(msg, q, writer, RCode.REFUSED, limit, edns);
    if (q.qtype === RRType.AXFR || q.qtype === RRType.IXFR) return this.#bare(msg, q, writer, RCode.REFUSED, limit, edns);
    const apexOffset = HEADER_SIZE + key.length - zone.apexKey.length;
    const isApex = key.length === zone.apexKey.length;

    if (entry) {
      outcome.entry = entry;
      const qtype = q.qtype;
      let set: AnswerSet | null | undefined;
      if (qtype === RRType.A) set = entry.a;
      else if (qtype === RRType.AAAA) set = entry.aaaa;
      else if (qtype === RRType.ANY) set = entry.a ?? entry.aaaa; // RFC 8482 §4.2: one RRset is enough
      if (set !== undefined) {
        if (set === null) return this.#negative(msg, q, writer, RCode.NOERROR, limit, edns, zone, apexOffset);
        if (set.records.length === 0) return this.#bare(msg, q, writer, RCode.SERVFAIL, limit, edns);
        return this.#answerSet(msg, q, writer, limit, edns, entry, set);
      }
      if (!isApex) return this.#negative(msg, q, writer, RCode.NOERROR, limit, edns, zone, apexOffset);
    }
    if (isApex) return this.#apex(msg, q, writer, limit, edns, zone);
    if (snapshot.emptyNonTerminals.has(key)) return this.#negative(msg, q, writer, RCode.NOERROR, limit, edns, zone, apexOffset);
    return this.#negative(msg, q, writer, RCode.NXDOMAIN, limit, edns, zone, apexOffset);
  }

  #bare(msg: Buffer, q: ParsedQuery, writer: ResponseWriter, rcode: number, limit: number, edns: EdnsReply | null): number {
    this.outcome.rcode = rcode;
    writer.begin(msg, q, rcode, false, limit, edns);
    return writer.finish();
  }

  #answerSet(
    msg: Buffer,
    q: ParsedQuery,
    writer: ResponseWriter,
    limit: number,
    edns: EdnsReply | null,
    entry: NameEntry,
    set: AnswerSet,
  ): number {
    this.outcome.rcode = RCode.NOERROR;
    writer.begin(msg, q, RCode.NOERROR, true, limit, edns);
    const max = entry.maxAnswers < MAX_ANSWER_INDICES ? entry.maxAnswers : MAX_ANSWER_INDICES;
    const n = pickAnswers(entry.policy, set, max, entry.rotation, this.#random(), this.#picks);
    for (let i = 0; i < n; i++) {
      if (!writer.add(Section.Answer, set.records[this.#picks[i]!]!)) {
        this.outcome.truncated = true;
        writer.truncate();
        break;
      }
    }
    return writer.finish();
  }

  #negative(
    msg: Buffer,
    q: ParsedQuery,
    writer: ResponseWriter,
    rcode: number,
    limit: number,
    edns: EdnsReply | null,
    zone: ZoneEntry,
    apexOffset: number,
  ): number {
    this.outcome.rcode = rcode;
    writer.begin(msg, q, rcode, true, limit, edns);
    // RFC 2308 §3: the SOA in the authority section lets resolvers cache the negative answer.
    if (!writer.addWithPointer(Section.Authority, apexOffset, zone.soaTail)) {
      this.outcome.truncated = true;
      writer.truncate();
    }
    return writer.finish();
  }

  #apex(msg: Buffer, q: ParsedQuery, writer: ResponseWriter, limit: number, edns: EdnsReply | null, zone: ZoneEntry): number {
    const qtype = q.qtype;
    if (qtype === RRType.SOA || qtype === RRType.ANY) {
      this.outcome.rcode = RCode.NOERROR;
      writer.begin(msg, q, RCode.NOERROR, true, limit, edns);
      if (!writer.addWithPointer(Section.Answer, HEADER_SIZE, zone.soaTail)) {
        this.outcome.truncated = true;
        writer.truncate();
      }
      return writer.finish();
    }
    if (qtype === RRType.NS) {
      this.outcome.rcode = RCode.NOERROR;
      writer.begin(msg, q, RCode.NOERROR, true, limit, edns);
      for (const tail of zone.nsTails) {
        if (!writer.addWithPointer(Section.Answer, HEADER_SIZE, tail)) {
          this.outcome.truncated = true;
          writer.truncate();
          break;
        }
      }
      return writer.finish();
    }
    return this.#negative(msg, q, writer, RCode.NOERROR, limit, edns, zone, HEADER_SIZE);
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
