import type { StatementSync } from 'node:sqlite';
import { FieldCheck } from './field-check.ts';
import type { StoreConnection } from './store-connection.ts';

/** Small string settings of the store itself (e.g. the node's generated identity). */
export class MetaRepository {
  readonly #conn: StoreConnection;
  readonly #get: StatementSync;
  readonly #set: StatementSync;
  readonly #delete: StatementSync;

  constructor(conn: StoreConnection) {
    this.#conn = conn;
    this.#get = conn.prepare('SELECT value FROM meta WHERE key = ?');
    this.#set = conn.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.#delete = conn.prepare('DELETE FROM meta WHERE key = ?');
  }

  get(key: string): string | undefined {
    return this.#conn.read(`reading meta ${key}`, () => this.#get.get(key)?.value as string | undefined);
  }

  set(key: string, value: string): void {
    const check = new FieldCheck(this.#conn.filePath, 'meta');
    check.text('key', key);
    check.text('value', value, true);
    this.#conn.write(`storing meta ${key}`, () => this.#set.run(key, value));
  }

  /** Removes a key; true if it existed. */
  delete(key: string): boolean {
    return this.#conn.write(`deleting meta ${key}`, () => Number(this.#delete.run(key).changes) > 0);
  }
}
