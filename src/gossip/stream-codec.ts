/**
 * TCP stream framing (MEMBERLIST.md section 3): one stream message per connection, sealed in an
 * `encryptMsg` frame `0x0a | u32be L | version | nonce | ciphertext | tag` whose 5 header bytes (plus
 * the label, memberlist 0.5) are the GCM additional data. Encryption is mandatory here: a plaintext
 * stream is refused, as Go does with a keyring and GossipVerifyIncoming.
 * Pure: the socket reading lives in the runtime (memberlist.ts); this file only (un)wraps bytes.
 */
import {
  MessageType,
  decodeAck,
  decodeCompress,
  decodeErr,
  decodePing,
  decodePushPull,
  decodeUserStream,
  type AckResp,
  type ErrResp,
  type Ping,
  type PushPull,
} from './codec.ts';
import { EncryptionVersion, decryptPayload, encryptPayload, encryptedLength, type AesKey } from './crypto.ts';
import { lzwDecompress } from './lzw.ts';

/** Go refuses encrypted frames larger than this. */
export const MAX_STREAM_FRAME = 20 * 1024 * 1024;
/** Bytes before the encrypted body: type byte and u32be length. */
export const STREAM_HEADER_SIZE = 5;

export function streamAad(frameLength: number, label: Uint8Array): Buffer {
  const aad = Buffer.allocUnsafe(STREAM_HEADER_SIZE + label.length);
  aad[0] = MessageType.Encrypt;
  aad.writeUInt32BE(frameLength, 1);
  aad.set(label, STREAM_HEADER_SIZE);
  return aad;
}

/** The complete encrypted frame for one stream message (the label header, if any, is sent apart). */
export function sealStream(msg: Uint8Array, key: AesKey, label: Uint8Array, nonce?: Uint8Array): Buffer {
  const L = encryptedLength(EncryptionVersion.V1, msg.length);
  const aad = streamAad(L, label);
  const enc = encryptPayload(EncryptionVersion.V1, key, msg, aad, nonce);
  return Buffer.concat([aad.subarray(0, STREAM_HEADER_SIZE), enc]);
}

/**
 * Parses the 5-byte frame header; returns the body length L, or a negative status:
 * -1 not an encrypted frame (plaintext stream), -2 length out of bounds.
 */
export function streamFrameLength(header: Uint8Array): number {
  if (header.length < STREAM_HEADER_SIZE || header[0] !== MessageType.Encrypt) return -1;
  const L = Buffer.from(header.buffer, header.byteOffset, header.byteLength).readUInt32BE(1);
  if (L < encryptedLength(EncryptionVersion.V1, 0) || L > MAX_STREAM_FRAME) return -2;
  return L;
}

/** Decrypts a frame body of length L read after its header. */
export function openStreamFrame(L: number, body: Uint8Array, keys: readonly AesKey[], label: Uint8Array): Buffer | undefined {
  return decryptPayload(keys, body, streamAad(L, label));
}

export type StreamMessage =
  | { type: typeof MessageType.PushPull; pushPull: PushPull }
  | { type: typeof MessageType.User; payload: Buffer }
  | { type: typeof MessageType.Ping; ping: Ping }
  | { type: typeof MessageType.AckResp; ack: AckResp }
  | { type: typeof MessageType.Err; err: ErrResp };

/** Decodes a decrypted stream message, first undoing one `compressMsg` wrapper as Go's readStream does. */
export function decodeStreamMessage(plain: Buffer, maxBytes = MAX_STREAM_FRAME): StreamMessage | undefined {
  let msg = plain;
  if (msg.length > 0 && msg[0] === MessageType.Compress) {
    const c = decodeCompress(msg.subarray(1));
    const inner = c && c.algo === 0 ? lzwDecompress(c.buf, maxBytes) : undefined;
    if (!inner) return undefined;
    msg = inner;
  }
  if (msg.length === 0) return undefined;
  const body = msg.subarray(1);
  switch (msg[0]) {
    case MessageType.PushPull: {
      const pushPull = decodePushPull(body);
      return pushPull && { type: MessageType.PushPull, pushPull };
    }
    case MessageType.User: {
      const payload = decodeUserStream(body);
      return payload && { type: MessageType.User, payload };
    }
    case MessageType.Ping: {
      const ping = decodePing(body);
      return ping && { type: MessageType.Ping, ping };
    }
    case MessageType.AckResp: {
      const ack = decodeAck(body);
      return ack && { type: MessageType.AckResp, ack };
    }
    case MessageType.Err: {
      const err = decodeErr(body);
      return err && { type: MessageType.Err, err };
    }
    default:
      return undefined;
  }
}
