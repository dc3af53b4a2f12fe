import type { StatementSync } from 'node:sqlite';
import { FieldCheck } from './field-check.ts';
import type { StoreConnection } from './store-connection.ts';

/** Identifies an override: one backend port, or every port of the address when `port` is null. */
export interface OverrideKey {
  service: string;
  address: string;
  /** null: the override applies to every port of `address` in `service`. */
  port: number | null;
}

export interface OverrideRecord extends OverrideKey {
  healthy: boolean;
  reason: string;
  /** 'api' for a manual override, else the external tool's name (e.g. 'cloudwatch'). */
  source: string;
  /** Who set it: the client address or the X-User header. */
  authority: string;
  createdAtMs: number;
}

export type OverrideInput = Omit<OverrideRecord, 'source'> & { source?: string };

const ALL_PORTS = 0;

/**
 * Operator and external-tool overrides, keyed by (service, address, port|null). Keys are stored as given:
 * the caller normalises service names and addresses.
 */
export class OverrideRepository {
  readonly #conn: StoreConnection;
  readonly #upsert: StatementSync;
  readonly #get: StatementSync;
  readonly #delete: StatementSync;
  readonly #deleteAll: StatementSync;
  readonly #list: StatementSync;

  constructor(conn: StoreConnection) {
    this.#conn = conn;
    this.#upsert = conn.prepare(`
      INSERT INTO overrides (service, address, port, healthy, reason, source, authority, created_at_ms)
      VALUES (:service, :address, :port, :healthy, :reason, :source, :authority, :createdAtMs)
      ON CONFLICT (service, address, port) DO UPDATE SET
        healthy = excluded.healthy, reason = excluded.reason, source = excluded.source,
        authority = excluded.authority, created_at_ms = excluded.created_at_ms`);
    this.#get = conn.prepare('SELECT * FROM overrides WHERE service = ? AND address = ? AND port = ?');
    this.#delete = conn.prepare('DELETE FROM overrides WHERE service = ? AND address = ? AND port = ?');
    this.#deleteAll = conn.prepare('DELETE FROM overrides');
    this.#list = conn.prepare('SELECT * FROM overrides ORDER BY service, address, port');
  }

  /** Creates or replaces one override; returns it as stored. */
  put(input: OverrideInput): OverrideRecord {
    return this.#conn.write('storing an override', () => this.#putOne(input, 'override'));
  }

  /** Creates or replaces every override in `inputs`, all or none. */
  putMany(inputs: readonly OverrideInput[]): OverrideRecord[] {
    return this.#conn.write(`storing ${inputs.length} overrides`, () =>
      inputs.map((input, i) => this.#putOne(input, `overrides[${i}]`)),
    );
  }

  /** Replaces the whole set of stored overrides with `inputs`, all or none. */
  replaceMany(inputs: readonly OverrideInput[]): OverrideRecord[] {
    return this.#conn.write(`replacing all overrides with ${inputs.length}`, () => {
      this.#deleteAll.run();
      return inputs.map((input, i) => this.#putOne(input, `overrides[${i}]`));
    });
  }

  get(key: OverrideKey): OverrideRecord | undefined {
    const k = this.#checkKey(key, 'override');
    return this.#conn.read('reading an override', () => {
      const row = this.#get.get(k.service, k.address, k.port);
      return row === undefined ? undefined : toRecord(row);
    });
  }

  /** Removes one override; true if it existed. */
  delete(key: OverrideKey): boolean {
    const k = this.#checkKey(key, 'override');
    return this.#conn.write(
      'deleting an override',
      () => Number(this.#delete.run(k.service, k.address, k.port).changes) > 0,
    );
  }

  /** Every override, ordered by service, address, port (the all-ports override first). */
  list(): OverrideRecord[] {
    return this.#conn.read('listing overrides', () => this.#list.all().map(toRecord));
  }

  #checkKey(key: OverrideKey, where: string): { service: string; address: string; port: number } {
    const check = new FieldCheck(this.#conn.filePath, where);
    const k = check.record(key);
    return {
      service: check.text('service', k.service),
      address: check.text('address', k.address),
      port: k.port === null || k.port === undefined ? ALL_PORTS : check.integer('port', k.port, 1, 65535),
    };
  }

  #putOne(input: OverrideInput, where: string): OverrideRecord {
    const check = new FieldCheck(this.#conn.filePath, where);
    const o = check.record(input);
    const { service, address, port } = this.#checkKey(input, where);
    const record: OverrideRecord = {
      service,
      address,
      port: port === ALL_PORTS ? null : port,
      healthy: check.boolean('healthy', o.healthy),
      reason: check.text('reason', o.reason, true),
      source: o.source === undefined ? 'api' : check.text('source', o.source),
      authority: check.text('authority', o.authority),
      createdAtMs: check.timestampMs('createdAtMs', o.createdAtMs),
    };
    this.#upsert.run({ ...record, port, healthy: record.healthy ? 1 : 0 });
    return record;
  }
}

function toRecord(row: Record<string, unknown>): OverrideRecord {
  return {
    service: row.service as string,
    address: row.address as string,
    port: row.port === ALL_PORTS ? null : (row.port as number),
    healthy: row.healthy === 1,
    reason: row.reason as string,
    source: row.source as string,
    authority: row.authority as string,
    createdAtMs: row.created_at_ms as number,
  };
}
