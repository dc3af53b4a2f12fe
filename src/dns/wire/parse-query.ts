/**
 * Query parser for an authoritative server: reads the header, the one question and the OPT record
 * (EDNS(0), with Client Subnet) into a reused ParsedQuery. Never throws on untrusted bytes: malformed
 * input is a status. Allocates only the qname key string.
 */
import { EdnsOption, Flag, HEADER_SIZE, MAX_LABEL_LENGTH, MAX_NAME_WIRE_LENGTH, RRType } from './constants.ts';

export const ParseStatus = {
  Ok: 0,
  /** Not answerable at all (shorter than a header, or a response): drop silently. */
  Drop: 1,
  /** Header readable but the message is malformed: answer FORMERR. */
  FormErr: 2,
} as const;
export type ParseStatus = (typeof ParseStatus)[keyof typeof ParseStatus];

export interface ParsedQuery {
  id: number;
  /** The raw flags word of the query header. */
  flags: number;
  opcode: number;
  /** True once the question was read: FORMERR/NOTIMP replies may then echo it. */
  hasQuestion: boolean;
  /** Lowercase wire form of the qname as latin1 (see name.ts); the lookup key. */
  qnameKey: string;
  /** Offset just past the question (header + question echoed as sent, case preserved). */
  questionEnd: number;
  qtype: number;
  qclass: number;
  hasEdns: boolean;
  ednsVersion: number;
  /** Requestor's UDP payload size as sent (0 without EDNS). */
  udpPayloadSize: number;
  dnssecOk: boolean;
  /** RFC 9824 §5.1: the CO ("Compact Answers OK") EDNS flag: NXDOMAIN may carry a compact denial. */
  compactOk: boolean;
  hasEcs: boolean;
  /** 1 = IPv4, 2 = IPv6 (RFC 7871 §6). */
  ecsFamily: number;
  ecsSourcePrefix: number;
  /** Address bytes, zero-padded to 16; only the first ceil(source/8) are from the query. */
  ecsAddress: Buffer;
  /** Why a FormErr was returned (for debug logs and tests). */
  error: string;
}

export function newParsedQuery(): ParsedQuery {
  return {
    id: 0,
    flags: 0,
    opcode: 0,
    hasQuestion: false,
    qnameKey: '',
    questionEnd: 0,
    qtype: 0,
    qclass: 0,
    hasEdns: false,
    ednsVersion: 0,
    udpPayloadSize: 0,
    dnssecOk: false,
    compactOk: false,
    hasEcs: false,
    ecsFamily: 0,
    ecsSourcePrefix: 0,
    ecsAddress: Buffer.alloc(16),
    error: '',
  };
}

function reset(out: ParsedQuery): void {
  out.hasQuestion = false;
  out.qnameKey = '';
  out.questionEnd = 0;
  out.qtype = 0;
  out.qclass = 0;
  out.hasEdns = false;
  out.ednsVersion = 0;
  out.udpPayloadSize = 0;
  out.dnssecOk = false;
  out.compactOk = false;
  out.hasEcs = false;
  out.ecsFamily = 0;
  out.ecsSourcePrefix = 0;
  out.error = '';
}

function formErr(out: ParsedQuery, why: string): ParseStatus {
  out.error = why;
  return ParseStatus.FormErr;
}

/**
 * End offset of the uncompressed name at `pos`, or -1 if it is malformed. The question may not use
 * compression: at offset 12 nothing precedes it that a pointer could sensibly reach.
 */
function readQuestionName(msg: Buffer, pos: number): number {
  const start = pos;
  for (;;) {
    if (pos >= msg.length) return -1;
    const len = msg[pos]!;
    if (len === 0) {
      pos += 1;
      return pos - start > MAX_NAME_WIRE_LENGTH ? -1 : pos;
    }
    if (len > MAX_LABEL_LENGTH) return -1; // pointers (0xC0) and reserved label types (0x40, 0x80)
    pos += len + 1;
    if (pos - start >= MAX_NAME_WIRE_LENGTH) return -1;
  }
}

/** End offset of a possibly compressed name (pointers are not followed, only validated), or -1. */
function skipName(msg: Buffer, pos: number): number {
  let length = 0;
  for (;;) {
    if (pos >= msg.length) return -1;
    const len = msg[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) return -1;
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      return target < pos ? pos + 2 : -1; // a pointer must point backwards (no loops)
    }
    if (len > MAX_LABEL_LENGTH) return -1;
    length += len + 1;
    if (length > MAX_NAME_WIRE_LENGTH) return -1;
    pos += len + 1;
  }
}

/** RFC 7871 §6 and §7.1.1: malformed ECS is FORMERR. Returns '' when valid. */
function readEcs(msg: Buffer, pos: number, len: number, out: ParsedQuery): string {
  if (len < 4) return 'ECS option shorter than 4 octets';
  const family = msg.readUInt16BE(pos);
  const source = msg[pos + 2]!;
  const scope = msg[pos + 3]!;
  const maxBits = family === 1 ? 32 : family === 2 ? 128 : 0;
  if (maxBits === 0) return `ECS family ${family} unknown`;
  if (source > maxBits) return `ECS source prefix ${source} too long for family ${family}`;
  if (scope !== 0) return 'ECS scope prefix must be 0 in a query';
  const addrLen = (source + 7) >> 3;
  if (len - 4 !== addrLen) return 'ECS address length does not match source prefix';
  out.ecsAddress.fill(0);
  msg.copy(out.ecsAddress, 0, pos + 4, pos + 4 + addrLen);
  if (source % 8 !== 0 && addrLen > 0) {
    const mask = 0xff >> (source % 8);
    if ((out.ecsAddress[addrLen - 1]! & mask) !== 0) return 'ECS address has bits set beyond source prefix';
  }
  out.hasEcs = true;
  out.ecsFamily = family;
  out.ecsSourcePrefix = source;
  return '';
}

function readOpt(msg: Buffer, pos: number, rdEnd: number, out: ParsedQuery): string {
  out.hasEdns = true;
  out.udpPayloadSize = msg.readUInt16BE(pos + 2);
  const ttl = msg.readUInt32BE(pos + 4);
  out.ednsVersion = (ttl >>> 16) & 0xff;
  out.dnssecOk = (ttl & 0x8000) !== 0;
  out.compactOk = (ttl & 0x4000) !== 0;
  let p = pos + 10;
  while (p < rdEnd) {
    if (p + 4 > rdEnd) return 'truncated EDNS option';
    const code = msg.readUInt16BE(p);
    const len = msg.readUInt16BE(p + 2);
    p += 4;
    if (p + len > rdEnd) return 'EDNS option longer than OPT RDATA';
    if (code === EdnsOption.ECS) {
      if (out.hasEcs) return 'duplicate ECS option';
      const why = readEcs(msg, p, len, out);
      if (why !== '') return why;
    }
    p += len;
  }
  return '';
}

/** Parses `msg` into `out` (reused across queries). */
export function parseQuery(msg: Buffer, out: ParsedQuery): ParseStatus {
  reset(out);
  if (msg.length < HEADER_SIZE) return ParseStatus.Drop;
  out.id = msg.readUInt16BE(0);
  out.flags = msg.readUInt16BE(2);
  if ((out.flags & Flag.QR) !== 0) return ParseStatus.Drop; // never answer a response (reflection loops)
  out.opcode = (out.flags >>> 11) & 0x0f;
  const qdcount = msg.readUInt16BE(4);
  const ancount = msg.readUInt16BE(6);
  const nscount = msg.readUInt16BE(8);
  const arcount = msg.readUInt16BE(10);
  if (qdcount !== 1) return formErr(out, `QDCOUNT ${qdcount}, expected 1`);

  const nameEnd = readQuestionName(msg, HEADER_SIZE);
  if (nameEnd < 0 || nameEnd + 4 > msg.length) return formErr(out, 'malformed question');
  out.qnameKey = msg.toString('latin1', HEADER_SIZE, nameEnd).toLowerCase();
  out.qtype = msg.readUInt16BE(nameEnd);
  out.qclass = msg.readUInt16BE(nameEnd + 2);
  out.questionEnd = nameEnd + 4;
  out.hasQuestion = true;

  let pos = out.questionEnd;
  const rrCount = ancount + nscount + arcount;
  for (let i = 0; i < rrCount; i++) {
    const nameEndAt = skipName(msg, pos);
    if (nameEndAt < 0 || nameEndAt + 10 > msg.length) return formErr(out, 'malformed resource record');
    const type = msg.readUInt16BE(nameEndAt);
    const rdLen = msg.readUInt16BE(nameEndAt + 8);
    const rdEnd = nameEndAt + 10 + rdLen;
    if (rdEnd > msg.length) return formErr(out, 'RDLENGTH past end of message');
    if (type === RRType.OPT) {
      // RFC 6891 §6.1.1: one OPT only, in the additional section, owned by the root.
      if (i < ancount + nscount) return formErr(out, 'OPT outside the additional section');
      if (out.hasEdns) return formErr(out, 'more than one OPT record');
      if (nameEndAt !== pos + 1) return formErr(out, 'OPT owner is not the root');
      const why = readOpt(msg, nameEndAt, rdEnd, out);
      if (why !== '') return formErr(out, why);
    }
    pos = rdEnd;
  }
  return ParseStatus.Ok;
}
