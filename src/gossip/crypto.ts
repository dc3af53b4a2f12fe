/**
 * memberlist's AES-GCM payload encryption (MEMBERLIST.md sections 2.5, 3.2 and 6), on byte slices
 * only: no keyring state, no I/O. Layout: `version u8 | nonce(12) | ciphertext | tag(16)`.
 * Version 1 (what we send, as Go nodes at protocol >= 2 do) encrypts the plaintext as-is; version 0
 * first pads it PKCS#7-style to 16 bytes. Both are accepted on receipt; anything else is refused.
 * Decryption tries every key in order and returns `undefined` when none verifies: callers count it,
 * they never log the bytes.
 */
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';

export const EncryptionVersion = { PaddedV0: 0, V1: 1 } as const;
export type EncryptionVersion = (typeof EncryptionVersion)[keyof typeof EncryptionVersion];

const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const BLOCK_SIZE = 16;
const EMPTY = Buffer.alloc(0);

/** Bytes added by encryption to a plaintext of `plainLength` bytes. */
export function encryptedLength(version: EncryptionVersion, plainLength: number): number {
  if (version === EncryptionVersion.V1) return 1 + NONCE_SIZE + plainLength + TAG_SIZE;
  const pad = BLOCK_SIZE - (plainLength % BLOCK_SIZE);
  return 1 + NONCE_SIZE + plainLength + pad + TAG_SIZE;
}

/** Worst-case overhead, used when sizing packets (29 for version 1). */
export function encryptionOverhead(version: EncryptionVersion): number {
  return version === EncryptionVersion.V1 ? 29 : 45;
}

/** A raw key or a secret KeyObject made from it (4x cheaper per packet: no key import each time). */
export type AesKey = Uint8Array | KeyObject;

function keyLength(key: AesKey): number {
  return key instanceof Uint8Array ? key.length : (key.symmetricKeySize ?? 0);
}

function algorithmFor(key: AesKey): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  const length = keyLength(key);
  switch (length) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new RangeError(`gossip key must be 16, 24 or 32 bytes, got ${length}`);
  }
}

/**
 * Encrypts `plaintext` with `key`. `aad` is the GCM additional data (UDP: the label or nothing;
 * TCP: the 5-byte encryptMsg header plus the label). `nonce` is injectable for test vectors only.
 */
export function encryptPayload(
  version: EncryptionVersion,
  key: AesKey,
  plaintext: Uint8Array,
  aad: Uint8Array = EMPTY,
  nonce: Uint8Array = randomBytes(NONCE_SIZE),
): Buffer {
  let body: Uint8Array = plaintext;
  if (version === EncryptionVersion.PaddedV0) {
    const pad = BLOCK_SIZE - (plaintext.length % BLOCK_SIZE);
    const padded = Buffer.alloc(plaintext.length + pad, pad);
    padded.set(plaintext, 0);
    body = padded;
  }
  const cipher = createCipheriv(algorithmFor(key), key, nonce, { authTagLength: TAG_SIZE });
  if (aad.length > 0) cipher.setAAD(aad);
  const ct = cipher.update(body);
  cipher.final();
  const tag = cipher.getAuthTag();
  const out = Buffer.allocUnsafe(1 + NONCE_SIZE + ct.length + TAG_SIZE);
  out[0] = version;
  out.set(nonce, 1);
  out.set(ct, 1 + NONCE_SIZE);
  out.set(tag, 1 + NONCE_SIZE + ct.length);
  return out;
}

function tryDecrypt(key: AesKey, msg: Uint8Array, aad: Uint8Array): Buffer | undefined {
  const version = msg[0];
  const nonce = msg.subarray(1, 1 + NONCE_SIZE);
  const ct = msg.subarray(1 + NONCE_SIZE, msg.length - TAG_SIZE);
  const tag = msg.subarray(msg.length - TAG_SIZE);
  try {
    const d = createDecipheriv(algorithmFor(key), key, nonce, { authTagLength: TAG_SIZE });
    if (aad.length > 0) d.setAAD(aad);
    d.setAuthTag(tag);
    const pt = Buffer.concat([d.update(ct), d.final()]);
    if (version === EncryptionVersion.PaddedV0) {
      // Go cuts the pad without validating it; we at least refuse a pad longer than the data.
      const pad = pt.length > 0 ? pt[pt.length - 1] : 0;
      if (pad === 0 || pad > pt.length) return undefined;
      return pt.subarray(0, pt.length - pad);
    }
    return pt;
  } catch {
    // node:crypto reports a failed GCM tag by throwing; for us it only means "not this key".
    return undefined;
  }
}

/** Decrypts with the first key whose tag verifies; `undefined` if the message is malformed or none does. */
export function decryptPayload(keys: readonly AesKey[], msg: Uint8Array, aad: Uint8Array = EMPTY): Buffer | undefined {
  if (msg.length === 0) return undefined;
  const version = msg[0];
  if (version !== EncryptionVersion.PaddedV0 && version !== EncryptionVersion.V1) return undefined;
  if (msg.length < encryptedLength(version, 0)) return undefined;
  for (const key of keys) {
    const pt = tryDecrypt(key, msg, aad);
    if (pt !== undefined) return pt;
  }
  return undefined;
}
