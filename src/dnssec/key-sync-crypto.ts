/**
 * Sealing private keys for key sync. Peers exchange key material over the API, which may be plain
 * HTTP: every private key travels encrypted with AES-256-GCM under a key derived (HKDF-SHA256)
 * from a secret all Overwatches share, and the GCM tag also authenticates the key's metadata
 * (zone, tag, algorithm, flags, public key, creation time) given as additional data, so a peer
 * without the secret can neither read a key nor pass off a key or a creation time of its own.
 * Wire form of a sealed key: base64(12-octet nonce || ciphertext || 16-octet tag).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const SALT = Buffer.from('opengslb dnssec key sync');
const INFO = Buffer.from('v1 aes-256-gcm private key transport');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface SealedKeyMeta {
  zone: string;
  keyTag: number;
  algorithm: number;
  flags: number;
  publicKey: string;
  createdAtMs: number;
}

/** The 32-octet transport key for a shared secret (never the secret itself on the wire). */
export function deriveSyncKey(sharedSecret: Buffer): Buffer {
  if (sharedSecret.length < 16) throw new RangeError('key sync secret must be at least 16 octets');
  return Buffer.from(hkdfSync('sha256', sharedSecret, SALT, INFO, 32));
}

function aad(m: SealedKeyMeta): Buffer {
  return Buffer.from(`opengslb-dnssec-key/v1|${m.zone}|${m.keyTag}|${m.algorithm}|${m.flags}|${m.publicKey}|${m.createdAtMs}`);
}

export function sealPrivateKey(syncKey: Buffer, meta: SealedKeyMeta, privateKeyPem: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', syncKey, nonce);
  cipher.setAAD(aad(meta));
  const body = Buffer.concat([cipher.update(privateKeyPem, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
}

/** The PEM, or throws (wrong secret, tampered key or metadata). */
export function openPrivateKey(syncKey: Buffer, meta: SealedKeyMeta, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64');
  if (raw.length <= NONCE_BYTES + TAG_BYTES) throw new Error('sealed key too short');
  const decipher = createDecipheriv('aes-256-gcm', syncKey, raw.subarray(0, NONCE_BYTES));
  decipher.setAAD(aad(meta));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new Error('sealed key does not authenticate (different shared secret, or altered in transit)', { cause: err });
  }
}
