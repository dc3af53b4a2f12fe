/**
 * The gossip keyring: ordered AES keys, entry 0 the primary (MEMBERLIST.md section 6). Everything we
 * send is encrypted with the primary; everything received is tried against every key, so a key is
 * rotated without downtime by: add the new key everywhere, use it everywhere, remove the old one.
 * Also the parsing of `gossip.encryption_key` with the original OpenGSLB's error messages.
 * Pure: no I/O.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { OpenGslbError } from '../errors.ts';

export class GossipKeyError extends OpenGslbError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_GOSSIP_KEY', message, options);
  }
}

/** The original's start-up message when no key is configured (encryption is mandatory). */
export const MISSING_KEY_MESSAGE =
  'encryption_key is required. OpenGSLB requires encrypted gossip communication.\n' +
  '       Generate a key with: openssl rand -base64 32';

const VALID_LENGTHS = new Set([16, 24, 32]);

/**
 * Parses `gossip.encryption_key` (base64 of exactly 32 bytes) with the original's messages.
 * memberlist itself also takes 16/24-byte keys; OpenGSLB config insists on AES-256.
 */
export function parseGossipKey(base64: string | undefined): Buffer {
  if (base64 === undefined || base64.trim() === '') throw new GossipKeyError(MISSING_KEY_MESSAGE);
  const s = base64.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) {
    throw new GossipKeyError('encryption_key must be valid base64: illegal base64 data');
  }
  const key = Buffer.from(s, 'base64');
  if (key.length !== 32) {
    throw new GossipKeyError(
      `encryption_key must be exactly 32 bytes (got ${key.length}).\n` +
        "       Ensure you're using a 256-bit key. Generate with: openssl rand -base64 32",
    );
  }
  return key;
}

function checkKey(key: Uint8Array): Buffer {
  if (!VALID_LENGTHS.has(key.length)) {
    throw new GossipKeyError(`gossip key must be 16, 24 or 32 bytes (AES-128/192/256), got ${key.length}`);
  }
  return Buffer.from(key);
}

export class Keyring {
  #keys: Buffer[];
  #keyObjects: KeyObject[] = [];

  /** `keys[0]` becomes the primary. At least one key: no key, no gossip. */
  constructor(keys: readonly Uint8Array[]) {
    if (keys.length === 0) throw new GossipKeyError(MISSING_KEY_MESSAGE);
    this.#keys = [];
    for (const k of keys) {
      const c = checkKey(k);
      if (!this.#keys.some((x) => x.equals(c))) this.#keys.push(c);
    }
    this.#sync();
  }

  #sync(): void {
    this.#keyObjects = this.#keys.map((k) => createSecretKey(k));
  }

  /** The key everything outgoing is encrypted with. */
  get primary(): Buffer {
    return this.#keys[0];
  }

  /** All keys, primary first, in the order decryption tries them. Do not mutate. */
  get keys(): readonly Buffer[] {
    return this.#keys;
  }

  /** The same keys as KeyObjects, for the per-packet cipher calls. */
  get keyObjects(): readonly KeyObject[] {
    return this.#keyObjects;
  }

  get primaryKeyObject(): KeyObject {
    return this.#keyObjects[0];
  }

  /** Installs a secondary key (accepted on receipt, not yet used to send). No-op if present. */
  add(key: Uint8Array): void {
    const c = checkKey(key);
    if (!this.#keys.some((x) => x.equals(c))) this.#keys.push(c);
    this.#sync();
  }

  /** Makes an installed key the primary. */
  use(key: Uint8Array): void {
    const c = checkKey(key);
    const i = this.#keys.findIndex((x) => x.equals(c));
    if (i < 0) throw new GossipKeyError('requested key is not in the keyring');
    this.#keys.splice(i, 1);
    this.#keys.unshift(c);
    this.#sync();
  }

  /** Removes a secondary key; the primary cannot be removed (use another key first). */
  remove(key: Uint8Array): void {
    const c = checkKey(key);
    if (this.#keys[0].equals(c)) throw new GossipKeyError('removing the primary key is not allowed');
    this.#keys = this.#keys.filter((x) => !x.equals(c));
    this.#sync();
  }
}
