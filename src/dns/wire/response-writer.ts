/**
 * Writes one response into a caller-owned buffer: header, the question echoed as sent, then
 * answer / authority / additional records in that order, then the OPT record. Records are appended
 * as pre-encoded bytes (built when the Snapshot is built); a record that does not fit within the
 * size limit is refused (returns false) so the responder can set TC instead of overflowing.
 */
import { EdnsOption, Flag, HEADER_SIZE, RRType } from './constants.ts';
import type { ParsedQuery } from './parse-query.ts';

export const Section = { Answer: 0, Authority: 1, Additional: 2 } as const;
export type Section = (typeof Section)[keyof typeof Section];

export interface EdnsReply {
  /** Our UDP payload size advertised in the OPT class field. */
  udpPayloadSize: number;
  dnssecOk: boolean;
  /** RFC 9824 §5.1: echo the CO flag (set only when the answer used it). */
  compactOk: boolean;
  /** ECS to echo, with the scope prefix the answer depended on; -1 = no ECS option. */
  ecsScopePrefix: number;
}

export class ResponseWriter {
  buf: Buffer;
  pos = 0;
  #limit = 0;
  #counts = [0, 0, 0];
  #section: Section = Section.Answer;
  #afterQuestion = 0;
  #query: ParsedQuery | null = null;
  #edns: EdnsReply | null = null;
  #rcode = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  /**
   * Starts a response to `query` (parsed from `msg`) of at most `limit` bytes. Copies the question
   * bytes as sent so the client sees its own case. `edns` null = no OPT in the reply.
   */
  begin(msg: Buffer, query: ParsedQuery, rcode: number, authoritative: boolean, limit: number, edns: EdnsReply | null): void {
    const buf = this.buf;
    this.#query = query;
    this.#edns = edns;
    this.#rcode = rcode;
    this.#counts[0] = this.#counts[1] = this.#counts[2] = 0;
    this.#section = Section.Answer;
    this.#limit = Math.min(limit, buf.length) - (edns ? this.#optSize(query, edns) : 0);
    buf.writeUInt16BE(query.id, 0);
    let flags = Flag.QR | (query.opcode << 11) | (query.flags & (Flag.RD | Flag.CD)) | (rcode & 0x0f);
    if (authoritative) flags |= Flag.AA;
    buf.writeUInt16BE(flags, 2);
    buf.writeUInt32BE(0, 4);
    buf.writeUInt32BE(0, 8);
    let pos = HEADER_SIZE;
    if (query.hasQuestion) {
      pos += msg.copy(buf, HEADER_SIZE, HEADER_SIZE, query.questionEnd);
      buf.writeUInt16BE(1, 4);
    }
    this.pos = pos;
    this.#afterQuestion = pos;
  }

  #optSize(query: ParsedQuery, edns: EdnsReply): number {
    let size = 11;
    if (edns.ecsScopePrefix >= 0 && query.hasEcs) size += 8 + ((query.ecsSourcePrefix + 7) >> 3);
    return size;
  }

  /** Appends a pre-encoded record; false (and nothing written) when it would exceed the limit. */
  add(section: Section, rr: Buffer): boolean {
    if (section < this.#section) throw new RangeError('sections must be written in order');
    if (this.pos + rr.length > this.#limit) return false;
    this.#section = section;
    this.pos += rr.copy(this.buf, this.pos);
    this.#counts[section]!++;
    return true;
  }

  /** Appends a record whose owner is a compression pointer to `ownerOffset`, followed by `tail` (TYPE onwards). */
  addWithPointer(section: Section, ownerOffset: number, tail: Buffer): boolean {
    if (section < this.#section) throw new RangeError('sections must be written in order');
    if (this.pos + 2 + tail.length > this.#limit) return false;
    this.#section = section;
    this.buf.writeUInt16BE(0xc000 | ownerOffset, this.pos);
    this.pos += 2;
    this.pos += tail.copy(this.buf, this.pos);
    this.#counts[section]!++;
    return true;
  }

  get answerCount(): number {
    return this.#counts[Section.Answer]!;
  }

  /** Drops every record and sets TC: the client retries over TCP (RFC 2181 §9, RFC 7766). */
  truncate(): void {
    this.pos = this.#afterQuestion;
    this.#counts[0] = this.#counts[1] = this.#counts[2] = 0;
    this.#section = Section.Answer;
    this.buf.writeUInt16BE(this.buf.readUInt16BE(2) | Flag.TC, 2);
  }

  /** Replaces the rcode (low 4 bits in the header; BADVERS's upper bits go in the OPT). */
  setRcode(rcode: number): void {
    this.#rcode = rcode;
    this.buf.writeUInt16BE((this.buf.readUInt16BE(2) & ~0x0f) | (rcode & 0x0f), 2);
  }

  /** Writes the counts and the OPT record; returns the message length. */
  finish(): number {
    const buf = this.buf;
    buf.writeUInt16BE(this.#counts[0]!, 6);
    buf.writeUInt16BE(this.#counts[1]!, 8);
    let arcount = this.#counts[2]!;
    const edns = this.#edns;
    const q = this.#query!;
    if (edns) {
      let p = this.pos;
      buf[p++] = 0; // root owner
      buf.writeUInt16BE(RRType.OPT, p);
      buf.writeUInt16BE(edns.udpPayloadSize, p + 2);
      buf[p + 4] = (this.#rcode >>> 4) & 0xff;
      buf[p + 5] = 0; // EDNS version 0
      buf.writeUInt16BE((edns.dnssecOk ? 0x8000 : 0) | (edns.compactOk ? 0x4000 : 0), p + 6);
      p += 8;
      const rdLenAt = p;
      p += 2;
      if (edns.ecsScopePrefix >= 0 && q.hasEcs) {
        const addrLen = (q.ecsSourcePrefix + 7) >> 3;
        buf.writeUInt16BE(EdnsOption.ECS, p);
        buf.writeUInt16BE(4 + addrLen, p + 2);
        buf.writeUInt16BE(q.ecsFamily, p + 4);
        buf[p + 6] = q.ecsSourcePrefix;
        buf[p + 7] = Math.min(edns.ecsScopePrefix, q.ecsFamily === 1 ? 32 : 128);
        p += 8;
        p += q.ecsAddress.copy(buf, p, 0, addrLen);
      }
      buf.writeUInt16BE(p - rdLenAt - 2, rdLenAt);
      this.pos = p;
      arcount++;
    }
    buf.writeUInt16BE(arcount, 10);
    return this.pos;
  }
}
