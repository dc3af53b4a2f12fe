/**
 * memberlist message bodies: one type byte followed by one msgpack map with Go's field names
 * (MEMBERLIST.md sections 1 and 9). Encoders write keys in Go's (sorted) order with Go's omitempty
 * rules, so our bytes equal a Go node's; decoders accept anything Go accepts (any key order, str or
 * bin for byte fields, unknown keys ignored) and return `undefined` instead of throwing.
 * Pure: no I/O, no time.
 */
import {
  GoWriter,
  asBool,
  asBytes,
  asMap,
  asString,
  asUint,
  decodeGoValue,
  msgpackValueEnd,
  type GoMap,
} from './go-msgpack.ts';

export const MessageType = {
  Ping: 0,
  IndirectPing: 1,
  AckResp: 2,
  Suspect: 3,
  Alive: 4,
  Dead: 5,
  PushPull: 6,
  Compound: 7,
  User: 8,
  Compress: 9,
  Encrypt: 10,
  NackResp: 11,
  HasCrc: 12,
  Err: 13,
  HasLabel: 244,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Names used for per-type counters and logs. */
export const messageTypeName: Readonly<Record<number, string>> = {
  0: 'ping',
  1: 'indirect_ping',
  2: 'ack',
  3: 'suspect',
  4: 'alive',
  5: 'dead',
  6: 'push_pull',
  7: 'compound',
  8: 'user',
  9: 'compress',
  10: 'encrypt',
  11: 'nack',
  12: 'crc',
  13: 'err',
  244: 'label',
};

/** `State` of a pushNodeState and of our own node records. */
export const NodeStateCode = { Alive: 0, Suspect: 1, Dead: 2, Left: 3 } as const;
export type NodeStateCode = (typeof NodeStateCode)[keyof typeof NodeStateCode];

const U16 = 0xffff;
const U32 = 0xffff_ffff;
const INT_MAX = Number.MAX_SAFE_INTEGER;

export interface Ping {
  seqNo: number;
  /** Name of the intended recipient; '' = anyone. */
  node: string;
  /** Sender's advertise IP bytes (4 or 16); empty = absent. */
  sourceAddr: Buffer;
  sourcePort: number;
  sourceNode: string;
}
export interface IndirectPingReq {
  seqNo: number;
  target: Buffer;
  port: number;
  node: string;
  nack: boolean;
  sourceAddr: Buffer;
  sourcePort: number;
  sourceNode: string;
}
export interface AckResp {
  seqNo: number;
  payload: Buffer;
}
export interface NackResp {
  seqNo: number;
}
export interface ErrResp {
  error: string;
}
/** suspect (type 3) and dead (type 5) share this body. */
export interface Accusation {
  incarnation: number;
  node: string;
  from: string;
}
export interface Alive {
  incarnation: number;
  node: string;
  addr: Buffer;
  port: number;
  meta: Buffer;
  /** [pMin, pMax, pCur, dMin, dMax, dCur]; Go crashes on 1-5 bytes, so we always send 6. */
  vsn: Buffer;
}
export interface PushPullHeader {
  nodes: number;
  userStateLen: number;
  join: boolean;
}
export interface PushNodeState {
  name: string;
  addr: Buffer;
  port: number;
  meta: Buffer;
  incarnation: number;
  state: number;
  vsn: Buffer;
}
export interface PushPull {
  join: boolean;
  nodes: PushNodeState[];
  userState: Buffer;
}
export interface CompressMsg {
  algo: number;
  buf: Buffer;
}

// ------------------------------------------------------------------------------------------------
// Encoders (type byte included). Key order = Go's output order (MEMBERLIST.md section 9).

function writeSource(w: GoWriter, addr: Buffer, port: number, node: string): void {
  if (addr.length > 0) w.str('SourceAddr').bytes(addr);
  if (node !== '') w.str('SourceNode').str(node);
  if (port !== 0) w.str('SourcePort').uint(port);
}
function sourceCount(addr: Buffer, port: number, node: string): number {
  return (addr.length > 0 ? 1 : 0) + (node !== '' ? 1 : 0) + (port !== 0 ? 1 : 0);
}

export function encodePing(p: Ping): Buffer {
  const w = new GoWriter(96).u8(MessageType.Ping);
  w.mapHeader(2 + sourceCount(p.sourceAddr, p.sourcePort, p.sourceNode));
  w.str('Node').str(p.node);
  w.str('SeqNo').uint(p.seqNo);
  writeSource(w, p.sourceAddr, p.sourcePort, p.sourceNode);
  return w.finish();
}

export function encodeIndirectPing(p: IndirectPingReq): Buffer {
  const w = new GoWriter(128).u8(MessageType.IndirectPing);
  w.mapHeader(5 + sourceCount(p.sourceAddr, p.sourcePort, p.sourceNode));
  w.str('Nack').bool(p.nack);
  w.str('Node').str(p.node);
  w.str('Port').uint(p.port);
  w.str('SeqNo').uint(p.seqNo);
  writeSource(w, p.sourceAddr, p.sourcePort, p.sourceNode);
  w.str('Target').bytes(p.target);
  return w.finish();
}

export function encodeAck(a: AckResp): Buffer {
  const w = new GoWriter(32).u8(MessageType.AckResp);
  w.mapHeader(2).str('Payload').bytes(a.payload).str('SeqNo').uint(a.seqNo);
  return w.finish();
}

export function encodeNack(n: NackResp): Buffer {
  return new GoWriter(16).u8(MessageType.NackResp).mapHeader(1).str('SeqNo').uint(n.seqNo).finish();
}

export function encodeErr(e: ErrResp): Buffer {
  return new GoWriter(32).u8(MessageType.Err).mapHeader(1).str('Error').str(e.error).finish();
}

function encodeAccusation(type: number, a: Accusation): Buffer {
  const w = new GoWriter(64).u8(type).mapHeader(3);
  w.str('From').str(a.from).str('Incarnation').uint(a.incarnation).str('Node').str(a.node);
  return w.finish();
}
export function encodeSuspect(s: Accusation): Buffer {
  return encodeAccusation(MessageType.Suspect, s);
}
export function encodeDead(d: Accusation): Buffer {
  return encodeAccusation(MessageType.Dead, d);
}

export function encodeAlive(a: Alive): Buffer {
  const w = new GoWriter(96 + a.meta.length).u8(MessageType.Alive).mapHeader(6);
  w.str('Addr').bytes(a.addr);
  w.str('Incarnation').uint(a.incarnation);
  w.str('Meta').bytes(a.meta);
  w.str('Node').str(a.node);
  w.str('Port').uint(a.port);
  w.str('Vsn').bytes(a.vsn);
  return w.finish();
}

export function encodeCompound(parts: readonly Uint8Array[]): Buffer {
  if (parts.length > 255) throw new RangeError(`compound: at most 255 parts, got ${parts.length}`);
  const w = new GoWriter(2 + parts.length * 2 + parts.reduce((n, p) => n + p.length, 0));
  w.u8(MessageType.Compound).u8(parts.length);
  for (const p of parts) {
    if (p.length > U16) throw new RangeError(`compound: part of ${p.length} bytes exceeds 65535`);
    w.u16be(p.length);
  }
  for (const p of parts) w.raw(p);
  return w.finish();
}

/** The TCP push/pull stream message (section 3.3): header, node states, raw user state. */
export function encodePushPull(pp: PushPull): Buffer {
  const w = new GoWriter(128 + pp.nodes.length * 96 + pp.userState.length).u8(MessageType.PushPull);
  w.mapHeader(3)
    .str('Join')
    .bool(pp.join)
    .str('Nodes')
    .uint(pp.nodes.length)
    .str('UserStateLen')
    .uint(pp.userState.length);
  for (const n of pp.nodes) {
    w.mapHeader(7);
    w.str('Addr').bytes(n.addr);
    w.str('Incarnation').uint(n.incarnation);
    w.str('Meta').bytes(n.meta);
    w.str('Name').str(n.name);
    w.str('Port').uint(n.port);
    w.str('State').uint(n.state);
    w.str('Vsn').bytes(n.vsn);
  }
  w.raw(pp.userState);
  return w.finish();
}

/** The TCP user message (section 3.4): type, userMsgHeader, raw bytes. */
export function encodeUserStream(payload: Uint8Array): Buffer {
  const w = new GoWriter(16 + payload.length).u8(MessageType.User);
  w.mapHeader(1).str('UserMsgLen').uint(payload.length).raw(payload);
  return w.finish();
}

/** A UDP user message: the type byte then the raw bytes, no header. */
export function encodeUserPacket(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(1 + payload.length);
  out[0] = MessageType.User;
  out.set(payload, 1);
  return out;
}

export function encodeCompress(c: CompressMsg): Buffer {
  return new GoWriter(16 + c.buf.length)
    .u8(MessageType.Compress)
    .mapHeader(2)
    .str('Algo')
    .uint(c.algo)
    .str('Buf')
    .bytes(c.buf)
    .finish();
}

// ------------------------------------------------------------------------------------------------
// Decoders: `body` is what follows the type byte. `undefined` = not decodable (Go would error).

function decodeMapBody(body: Uint8Array): GoMap | undefined {
  const v = decodeGoValue(body);
  if (Array.isArray(v)) return undefined; // array-form structs decode in Go; nobody sends them
  return asMap(v);
}

function req<T>(v: T | undefined, bag: { ok: boolean }): T {
  if (v === undefined) bag.ok = false;
  return v as T;
}

export function decodePing(body: Uint8Array): Ping | undefined {
  const m = decodeMapBody(body);
  if (!m) return undefined;
  const bag = { ok: true };
  const p: Ping = {
    seqNo: req(asUint(m.SeqNo, U32), bag),
    node: req(asString(m.Node), bag),
    sourceAddr: req(asBytes(m.SourceAddr), bag),
    sourcePort: req(asUint(m.SourcePort, U16), bag),
    sourceNode: req(asString(m.SourceNode), bag),
  };
  return bag.ok ? p : undefined;
}

export function decodeIndirectPing(body: Uint8Array): IndirectPingReq | undefined {
  const m = decodeMapBody(body);
  if (!m) return undefined;
  const bag = { ok: true };
  const p: IndirectPingReq = {
    seqNo: req(asUint(m.SeqNo, U32), bag),
    target: req(asBytes(m.Target), bag),
    port: req(asUint(m.Port, U16), bag),
    node: req(asString(m.Node), bag),
    nack: req(asBool(m.Nack), bag),
    sourceAddr: req(asBytes(m.SourceAddr), bag),
    sourcePort: req(asUint(m.SourcePort, U16), bag),
    sourceNode: req(asString(m.SourceNode), bag),
  };
  return bag.ok ? p : undefined;
}

export function decodeAck(body: Uint8Array): AckResp | undefined {
  const m = decodeMapBody(body);
  if (!m) return undefined;
  const bag = { ok: true };
  const a: AckResp = { seqNo: req(asUint(m.SeqNo, U32), bag), payload: req(asBytes(m.Payload), bag) };
  return bag.ok ? a : undefined;
}

export function decodeNack(body: Uint8Array): NackResp | undefined {
  const m = decodeMapBody(body);
  if (!m) return undefined;
  const seqNo = asUint(m.SeqNo, U32);
  return seqNo === undefined ? undefined : { seqNo };
}

export function decodeErr(body: Uint8Array): ErrResp | undefined {
  const m = decodeMapBody(body);
  if (!m) return undefined;
  const error = asString(m.Error);
  return error === undefined ? undefined : { error };
}

export function decodeAccusation(body: Uint8Array): Accusation | undefined {
  const m = decodeMapBody(body);
  if (!m) return undefined;
  const bag = { ok: true };
  const a: Accusation = {
    incarnation: req(asUint(m.Incarnation, U32), bag),
    node: req(asString(m.Node), bag),
    from: req(asString(m.From), bag),
  };
  return bag.ok ? a : undefined;
}

export function decodeAlive(body: Uint8Array): Alive | undefined {
  const m = decodeMapBody(body);
  if (!m) return undefined;
  const bag = { ok: true };
  const a: Alive = {
    incarnation: req(asUint(m.Incarnation, U32), bag),
    node: req(asString(m.Node), bag),
    addr: req(asBytes(m.Addr), bag),
    port: req(asUint(m.Port, U16), bag),
    meta: req(asBytes(m.Meta), bag),
    vsn: req(asBytes(m.Vsn), bag),
  };
  return bag.ok ? a : undefined;
}

export function decodeCompress(body: Uint8Array): CompressMsg | undefined {
  const m = decodeMapBody(body);
  if (!m) return undefined;
  const algo = asUint(m.Algo, 255);
  const buf = asBytes(m.Buf);
  return algo === undefined || buf === undefined ? undefined : { algo, buf };
}

export interface CompoundParts {
  parts: Buffer[];
  /** Parts announced in the header but cut off by the end of the buffer (Go keeps the rest). */
  truncated: number;
}

export function decodeCompound(body: Uint8Array): CompoundParts | undefined {
  if (body.length < 1) return undefined;
  const n = body[0];
  if (body.length < 1 + 2 * n) return undefined;
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const parts: Buffer[] = [];
  let off = 1 + 2 * n;
  let truncated = 0;
  for (let i = 0; i < n; i++) {
    const len = b.readUInt16BE(1 + 2 * i);
    if (off + len > b.length) {
      truncated = n - i;
      break;
    }
    parts.push(b.subarray(off, off + len));
    off += len;
  }
  return { parts, truncated };
}

function decodePushNodeState(m: GoMap): PushNodeState | undefined {
  const bag = { ok: true };
  const s: PushNodeState = {
    name: req(asString(m.Name), bag),
    addr: req(asBytes(m.Addr), bag),
    port: req(asUint(m.Port, U16), bag),
    meta: req(asBytes(m.Meta), bag),
    incarnation: req(asUint(m.Incarnation, U32), bag),
    state: req(asUint(m.State, INT_MAX), bag),
    vsn: req(asBytes(m.Vsn), bag),
  };
  return bag.ok ? s : undefined;
}

/** Parses a push/pull body (after the type byte). `maxNodes` bounds work on hostile input. */
export function decodePushPull(body: Uint8Array, maxNodes = 1 << 16): PushPull | undefined {
  let end = msgpackValueEnd(body, 0);
  if (end < 0) return undefined;
  const h = asMap(decodeGoValue(body.subarray(0, end)));
  if (!h) return undefined;
  const nodes = asUint(h.Nodes, INT_MAX);
  const userStateLen = asUint(h.UserStateLen, INT_MAX);
  const join = asBool(h.Join);
  if (nodes === undefined || userStateLen === undefined || join === undefined || nodes > maxNodes) return undefined;
  const out: PushNodeState[] = [];
  let off = end;
  for (let i = 0; i < nodes; i++) {
    end = msgpackValueEnd(body, off);
    if (end < 0) return undefined;
    const m = asMap(decodeGoValue(body.subarray(off, end)));
    if (!m) return undefined;
    const s = decodePushNodeState(m);
    if (!s) return undefined;
    out.push(s);
    off = end;
  }
  if (off + userStateLen > body.length) return undefined;
  const userState = Buffer.from(body.subarray(off, off + userStateLen));
  return { join, nodes: out, userState };
}

/** Parses a TCP user message body (after the type byte): header then exactly UserMsgLen bytes. */
export function decodeUserStream(body: Uint8Array): Buffer | undefined {
  const end = msgpackValueEnd(body, 0);
  if (end < 0) return undefined;
  const h = asMap(decodeGoValue(body.subarray(0, end)));
  if (!h) return undefined;
  const len = asUint(h.UserMsgLen, INT_MAX);
  if (len === undefined || end + len > body.length) return undefined;
  return Buffer.from(body.subarray(end, end + len));
}

// ------------------------------------------------------------------------------------------------
// Addresses: raw IP bytes on the wire, strings for sockets.

/** Raw IP bytes for a textual address: 4 bytes for IPv4, 16 for IPv6; undefined if not an IP. */
export function ipToBytes(host: string): Buffer | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const b = v4.slice(1).map(Number);
    return b.every((x) => x <= 255) ? Buffer.from(b) : undefined;
  }
  if (!host.includes(':')) return undefined;
  let h = host;
  let tail: number[] = [];
  const lastColon = h.lastIndexOf(':');
  const maybeV4 = h.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const t = ipToBytes(maybeV4);
    if (!t || t.length !== 4) return undefined;
    tail = [...t];
    h = h.slice(0, lastColon + 1) + '0:0';
  }
  const halves = h.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups = s.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = parse(halves[0]);
  const right = halves.length === 2 ? parse(halves[1]) : [];
  if (!left || !right) return undefined;
  const fill = 8 - left.length - right.length;
  if (halves.length === 1 ? fill !== 0 : fill < 0) return undefined;
  const groups = [...left, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

/** Textual address for raw IP bytes; IPv4-mapped IPv6 (Go's 16-byte IPv4) becomes dotted quad. */
export function bytesToIp(b: Uint8Array): string | undefined {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) return undefined;
  const isMapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (isMapped) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
  // Compress the longest run of zero groups (RFC 5952) so the string is the one sockets print.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}
