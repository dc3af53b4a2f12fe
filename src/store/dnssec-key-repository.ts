import type { StatementSync } from 'node:sqlite';
import { FieldCheck } from './field-check.ts';
import { StoreError, StoreErrorCode } from './store-error.ts';
import type { StoreConnection } from './store-connection.ts';

/** 'local' for a key made here, 'peer:<url>' for one fetched from another Overwatch by key sync. */
export type DnssecKeySource = 'local' | `peer:${string}`;

/**
 * A DNSSEC signing key. `privateKeyPem` is secret: the file is 0600, and no caller may log it or put it
 * in an API response.
 */
export interface DnssecKeyRecord {
  /** Zone apex as the caller names it (the store does not normalise case or the trailing dot). */
  zone: string;
  keyTag: number;
  algorithm: number;
  /** DNSKEY flags: 257 for a KSK/CSK, 256 for a ZSK. */
  flags: number;
  /** The DNSKEY public key field, base64. */
  publicKey: string;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  createdAtMs: number;
  source: DnssecKeySource;
  active: boolean;
}

/**
 * DNSSEC keys keyed by (zone, key tag, algorithm). Re-putting a key updates its flags, source and
 * active flag; a different key under the same tag is refused (ERR_STORE_CONFLICT) so that a key-tag
 * collision can never silently replace a signing key.
 */
export class DnssecKeyRepository {
  readonly #conn: StoreConnection;
  readonly #find: StatementSync;
  readonly #upsert: StatementSync;
  readonly #delete: StatementSync;
  readonly #list: StatementSync;
  readonly #listForZone: StatementSync;

  constructor(conn: StoreConnection) {
    this.#conn = conn;
    this.#find = conn.prepare(
      'SELECT public_key FROM dnssec_keys WHERE zone = ? AND key_tag = ? AND algorithm = ?',
    );
    this.#upsert = conn.prepare(`
      INSERT INTO dnssec_keys
        (zone, key_tag, algorithm, flags, public_key, private_key_pem, created_at_ms, source, active)
      VALUES (:zone, :keyTag, :algorithm, :flags, :publicKey, :privateKeyPem, :createdAtMs, :source, :active)
      ON CONFLICT (zone, key_tag, algorithm) DO UPDATE SET
        flags = excluded.flags, private_key_pem = excluded.private_key_pem,
        source = excluded.source, active = excluded.active`);
    this.#delete = conn.prepare('DELETE FROM dnssec_keys WHERE zone = ? AND key_tag = ? AND algorithm = ?');
    this.#list = conn.prepare('SELECT * FROM dnssec_keys ORDER BY zone, key_tag, algorithm');
    this.#listForZone = conn.prepare('SELECT * FROM dnssec_keys WHERE zone = ? ORDER BY key_tag, algorithm');
  }

  /** Stores a key, or updates the stored key with the same public key. */
  put(input: DnssecKeyRecord): void {
    const check = new FieldCheck(this.#conn.filePath, 'dnssecKey');
    const k = check.record(input);
    const source = check.text('source', k.source);
    if (source !== 'local' && !(source.startsWith('peer:') && source.length > 'peer:'.length)) {
      check.fail('source', `'local' or 'peer:<url>'`, source);
    }
    const privateKeyPem = check.text('privateKeyPem', k.privateKeyPem);
    if (!/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(privateKeyPem)) {
      check.fail('privateKeyPem', 'a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----")', '<redacted>');
    }
    const params = {
      zone: check.text('zone', k.zone),
      keyTag: check.integer('keyTag', k.keyTag, 0, 65535),
      algorithm: check.integer('algorithm', k.algorithm, 0, 255),
      flags: check.integer('flags', k.flags, 0, 65535),
      publicKey: check.text('publicKey', k.publicKey),
      privateKeyPem,
      createdAtMs: check.timestampMs('createdAtMs', k.createdAtMs),
      source,
      active: check.boolean('active', k.active) ? 1 : 0,
    };
    this.#conn.write(`storing a DNSSEC key of ${params.zone}`, () => {
      const existing = this.#find.get(params.zone, params.keyTag, params.algorithm);
      if (existing !== undefined && existing.public_key !== params.publicKey) {
        throw new StoreError(
          StoreErrorCode.Conflict,
          this.#conn.filePath,
          `dnssecKey: zone ${params.zone} already has a different key with tag ${params.keyTag} and ` +
            `algorithm ${params.algorithm}; generate another key or delete the stored one first`,
        );
      }
      this.#upsert.run(params);
    });
  }

  /** The keys of one zone, ordered by key tag. */
  listForZone(zone: string): DnssecKeyRecord[] {
    return this.#conn.read(`listing the DNSSEC keys of ${zone}`, () => this.#listForZone.all(zone).map(toRecord));
  }

  /** Every key, ordered by zone and key tag. */
  list(): DnssecKeyRecord[] {
    return this.#conn.read('listing DNSSEC keys', () => this.#list.all().map(toRecord));
  }

  /** Removes a key; true if it existed. */
  delete(zone: string, keyTag: number, algorithm: number): boolean {
    return this.#conn.write(
      `deleting a DNSSEC key of ${zone}`,
      () => Number(this.#delete.run(zone, keyTag, algorithm).changes) > 0,
    );
  }
}

function toRecord(row: Record<string, unknown>): DnssecKeyRecord {
  return {
    zone: row.zone as string,
    keyTag: row.key_tag as number,
    algorithm: row.algorithm as number,
    flags: row.flags as number,
    publicKey: row.public_key as string,
    privateKeyPem: row.private_key_pem as string,
    createdAtMs: row.created_at_ms as number,
    source: row.source as DnssecKeySource,
    active: row.active === 1,
  };
}
