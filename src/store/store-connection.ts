import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { StoreError, StoreErrorCode, toStoreError } from './store-error.ts';

/**
 * The one DatabaseSync of a StateStore, shared by its repositories. `write()` runs a function in
 * BEGIN IMMEDIATE … COMMIT: with WAL and synchronous=FULL the COMMIT returns only once the WAL is
 * fsync'ed, so a write() that returns is durable; one that throws has changed nothing.
 */
export class StoreConnection {
  readonly db: DatabaseSync;
  readonly filePath: string;
  #closed = false;

  constructor(db: DatabaseSync, filePath: string) {
    this.db = db;
    this.filePath = filePath;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  prepare(sql: string): StatementSync {
    return this.db.prepare(sql);
  }

  /** Runs a read; errors become StoreErrors naming the file and `operation`. */
  read<T>(operation: string, fn: () => T): T {
    this.#assertOpen(operation);
    try {
      return fn();
    } catch (err) {
      throw toStoreError(err, this.filePath, operation);
    }
  }

  /** Runs `fn` in one write transaction: all of it is durable when this returns, none of it if it throws. */
  write<T>(operation: string, fn: () => T): T {
    this.#assertOpen(operation);
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      throw toStoreError(err, this.filePath, operation);
    }
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      const failure = toStoreError(err, this.filePath, operation);
      // SQLite may already have rolled back (e.g. after SQLITE_FULL or an I/O error during COMMIT).
      if (this.db.isTransaction) {
        try {
          this.db.exec('ROLLBACK');
        } catch (rollbackErr) {
          throw new StoreError(
            failure.code,
            this.filePath,
            `${failure.message}; the rollback failed too: ${(rollbackErr as Error).message}`,
            { cause: new AggregateError([err, rollbackErr]), sqliteCode: failure.sqliteCode },
          );
        }
      }
      throw failure;
    }
  }

  /** Closes the database; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.db.close();
    } catch (err) {
      throw toStoreError(err, this.filePath, 'closing the state store');
    }
  }

  #assertOpen(operation: string): void {
    if (this.#closed) {
      throw new StoreError(
        StoreErrorCode.Closed,
        this.filePath,
        `${operation} failed on ${this.filePath}: the store is closed`,
      );
    }
  }
}
