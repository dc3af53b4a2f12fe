/**
 * UDP packet layering (MEMBERLIST.md section 2): what wraps a message on the way out and how a
 * received datagram is peeled back into messages.
 *
 *   out: message | compound  ->  [CRC 0x0c]  ->  AES-GCM v1 (aad = label)  ->  [label 0xf4 header]
 *   in:  [label]  ->  decrypt (every key)  ->  [CRC]  ->  compound / compress, recursively
 *
 * We never compress what we send (Go accepts plain packets) but decompress what Go sends. Every
 * function is pure and total: malformed input gives a status, never an exception.
 */
import { crc32 } from 'node:zlib';
import {
  MessageType,
  decodeAccusation,
  decodeAck,
  decodeAlive,
  decodeCompound,
  decodeCompress,
  decodeErr,
  decodeIndirectPing,
  decodeNack,
  decodePing,
  type AckResp,
  type Accusation,
  type Alive,
  type ErrResp,
  type IndirectPingReq,
  type NackResp,
  type Ping,
} from './codec.ts';
import { EncryptionVersion, decryptPayload, encryptPayload, type AesKey } from './crypto.ts';
import { lzwDecompress } from './lzw.ts';

/** Go's UDPBufferSize: we never send a datagram larger than this. */
export const UDP_PACKET_MAX = 1400;
/** Compound framing: 2 bytes of header plus 2 bytes per part. */
export const COMPOUND_HEADER_OVERHEAD = 2;
export const COMPOUND_PART_OVERHEAD = 2;
/** Nesting of compound/compress we follow before calling a packet malformed (Go has no limit). */
const MAX_NESTING = 8;
/** Largest decompressed UDP payload we accept; Go reads into 64 KiB buffers. */
const MAX_DECOMPRESSED = 1 << 20;
const EMPTY = Buffer.alloc(0);

// ------------------------------------------------------------------------------------------------
// Labels (memberlist 0.5): `0xf4 | len | label`, outside encryption, bound into the GCM aad.

export function labelHeader(label: Uint8Array): Buffer {
  if (label.length === 0) return EMPTY;
  if (label.length > 255) throw new RangeError(`gossip label must be at most 255 bytes, got ${label.length}`);
  return Buffer.concat([Buffer.from([MessageType.HasLabel, label.length]), label]);
}

export interface LabelSplit {
  label: Buffer;
  rest: Buffer;
}

/** Splits a label header off `buf`; undefined when the header is present but malformed. */
export function splitLabel(buf: Buffer): LabelSplit | undefined {
  if (buf.length === 0 || buf[0] !== MessageType.HasLabel) return { label: EMPTY, rest: buf };
  if (buf.length < 2) return undefined;
  const size = buf[1];
  if (size < 1 || buf.length < 2 + size) return undefined;
  return { label: buf.subarray(2, 2 + size), rest: buf.subarray(2 + size) };
}

// ------------------------------------------------------------------------------------------------
// Sealing (send side)

export interface SealOptions {
  /** Primary key. */
  key: AesKey;
  /** Local label; empty for none. */
  label: Uint8Array;
  /** Add the CRC wrapper (only for peers advertising protocol max >= 5). */
  crc: boolean;
  /** For test vectors only. */
  nonce?: Uint8Array;
}

export function crcWrap(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out[0] = MessageType.HasCrc;
  out.writeUInt32BE(crc32(payload), 1);
  out.set(payload, 5);
  return out;
}

/** Wraps one message (or compound) into the datagram that goes on the wire. */
export function sealPacket(msg: Uint8Array, opts: SealOptions): Buffer {
  const inner = opts.crc ? crcWrap(msg) : msg;
  const enc = encryptPayload(EncryptionVersion.V1, opts.key, inner, opts.label, opts.nonce);
  return opts.label.length > 0 ? Buffer.concat([labelHeader(opts.label), enc]) : enc;
}

// ------------------------------------------------------------------------------------------------
// Opening (receive side)

export const OpenStatus = {
  Ok: 0,
  Empty: 1,
  BadLabel: 2,
  LabelMismatch: 3,
  DecryptFailed: 4,
  CrcMismatch: 5,
} as const;
export type OpenStatus = (typeof OpenStatus)[keyof typeof OpenStatus];

export interface OpenResult {
  status: OpenStatus;
  /** The decrypted, CRC-checked payload when status is Ok. */
  payload: Buffer;
}

/** Label check, decryption with every key, CRC check (section 2.1, receiving steps 1-3). */
export function openPacket(buf: Buffer, keys: readonly AesKey[], label: Uint8Array): OpenResult {
  if (buf.length === 0) return { status: OpenStatus.Empty, payload: EMPTY };
  const split = splitLabel(buf);
  if (!split) return { status: OpenStatus.BadLabel, payload: EMPTY };
  if (!split.label.equals(label)) return { status: OpenStatus.LabelMismatch, payload: EMPTY };
  const plain = decryptPayload(keys, split.rest, label);
  if (!plain) return { status: OpenStatus.DecryptFailed, payload: EMPTY };
  if (plain.length >= 5 && plain[0] === MessageType.HasCrc) {
    const body = plain.subarray(5);
    if (plain.readUInt32BE(1) !== crc32(body)) return { status: OpenStatus.CrcMismatch, payload: EMPTY };
    return { status: OpenStatus.Ok, payload: body };
  }
  return { status: OpenStatus.Ok, payload: plain };
}

export interface Exploded {
  /** Complete messages (type byte first), compound and compress already unwrapped. */
  messages: Buffer[];
  /** Compound/compress wrappers that could not be decoded, and truncated compound parts. */
  malformed: number;
}

/** Unwraps compound and compress messages recursively into the plain messages they carry. */
export function explodePacket(payload: Buffer, out: Exploded = { messages: [], malformed: 0 }, depth = 0): Exploded {
  if (payload.length === 0) {
    out.malformed++;
    return out;
  }
  const type = payload[0];
  if (type !== MessageType.Compound && type !== MessageType.Compress) {
    out.messages.push(payload);
    return out;
  }
  if (depth >= MAX_NESTING) {
    out.malformed++;
    return out;
  }
  const body = payload.subarray(1);
  if (type === MessageType.Compound) {
    const c = decodeCompound(body);
    if (!c) {
      out.malformed++;
      return out;
    }
    out.malformed += c.truncated;
    for (const part of c.parts) explodePacket(part, out, depth + 1);
    return out;
  }
  const c = decodeCompress(body);
  const plain = c && c.algo === 0 ? lzwDecompress(c.buf, MAX_DECOMPRESSED) : undefined;
  if (!plain) {
    out.malformed++;
    return out;
  }
  return explodePacket(plain, out, depth + 1);
}

// ------------------------------------------------------------------------------------------------
// Typed decoding of one message

export type DecodedMessage =
  | { type: typeof MessageType.Ping; ping: Ping }
  | { type: typeof MessageType.IndirectPing; req: IndirectPingReq }
  | { type: typeof MessageType.AckResp; ack: AckResp }
  | { type: typeof MessageType.NackResp; nack: NackResp }
  | { type: typeof MessageType.Suspect; accusation: Accusation }
  | { type: typeof MessageType.Dead; accusation: Accusation }
  | { type: typeof MessageType.Alive; alive: Alive }
  | { type: typeof MessageType.User; payload: Buffer }
  | { type: typeof MessageType.Err; err: ErrResp };

/**
 * Decodes one packet message (type byte + body). `undefined` for bodies that do not decode and for
 * types that are not valid on UDP (push/pull, encrypt, compound/compress left unexploded).
 */
export function decodePacketMessage(msg: Buffer): DecodedMessage | undefined {
  if (msg.length === 0) return undefined;
  const body = msg.subarray(1);
  switch (msg[0]) {
    case MessageType.Ping: {
      const ping = decodePing(body);
      return ping && { type: MessageType.Ping, ping };
    }
    case MessageType.IndirectPing: {
      const req = decodeIndirectPing(body);
      return req && { type: MessageType.IndirectPing, req };
    }
    case MessageType.AckResp: {
      const ack = decodeAck(body);
      return ack && { type: MessageType.AckResp, ack };
    }
    case MessageType.NackResp: {
      const nack = decodeNack(body);
      return nack && { type: MessageType.NackResp, nack };
    }
    case MessageType.Suspect: {
      const accusation = decodeAccusation(body);
      return accusation && { type: MessageType.Suspect, accusation };
    }
    case MessageType.Dead: {
      const accusation = decodeAccusation(body);
      return accusation && { type: MessageType.Dead, accusation };
    }
    case MessageType.Alive: {
      const alive = decodeAlive(body);
      return alive && { type: MessageType.Alive, alive };
    }
    case MessageType.User:
      return { type: MessageType.User, payload: Buffer.from(body) };
    case MessageType.Err: {
      const err = decodeErr(body);
      return err && { type: MessageType.Err, err };
    }
    default:
      return undefined;
  }
}
