import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Closeable } from '../lifecycle/index.ts';
import { AgentBackendRepository } from './agent-backend-repository.ts';
import { AgentRepository } from './agent-repository.ts';
import { DnssecKeyRepository } from './dnssec-key-repository.ts';
import { DocumentRepository } from './document-repository.ts';
import { MetaRepository } from './meta-repository.ts';
import {
  LATEST_SCHEMA_VERSION,
  applyMigrations,
  assertSchemaNotNewer,
  readSchemaVersion,
} from './migrations.ts';
import { OverrideRepository } from './override-repository.ts';
import { StoreConnection } from './store-connection.ts';
import { StoreError, StoreErrorCode, storeCodeForErrno, toStoreError } from './store-error.ts';

export interface StateStoreOptions {
  /**
   * Open an existing file without writing to it (inspection tools). Every write then fails with
   * ERR_STORE_READ_ONLY. The directory must be writable or hold the -wal and -shm files already.
   */
  readOnly?: boolean;
  /** How long to wait for a lock held by another connection before failing with ERR_STORE_LOCKED. */
  busyTimeoutMs?: number;
  /** See AgentRepository: how long heartbeat times may stay in memory before being written. */
  touchFlushIntervalMs?: number;
}

const FILE_NAME = 'opengslb.db';
const DIR_MODE = 0o750;
const FILE_MODE = 0o600;
const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
const DEFAULT_TOUCH_FLUSH_INTERVAL_MS = 5_000;
const OPENING = 'opening the state store';

/**
 * The Overwatch's persistent state in `<data_dir>/opengslb.db`. One process owns the file: the
 * read-write connection holds SQLite's exclusive lock until close(), so a second OpenGSLB pointed at
 * the same data_dir fails with ERR_STORE_LOCKED instead of interleaving writes.
 */
export class StateStore implements Closeable {
  static readonly FILE_NAME = FILE_NAME;

  readonly filePath: string;
  readonly schemaVersion: number;
  readonly isReadOnly: boolean;
  readonly overrides: OverrideRepository;
  readonly agents: AgentRepository;
  readonly agentBackends: AgentBackendRepository;
  readonly documents: DocumentRepository;
  readonly dnssecKeys: DnssecKeyRepository;
  readonly meta: MetaRepository;
  readonly #conn: StoreConnection;

  private constructor(conn: StoreConnection, schemaVersion: number, isReadOnly: boolean, touchFlushIntervalMs: number) {
    this.#conn = conn;
    this.filePath = conn.filePath;
    this.schemaVersion = schemaVersion;
    this.isReadOnly = isReadOnly;
    this.overrides = new OverrideRepository(conn);
    this.agents = new AgentRepository(conn, touchFlushIntervalMs);
    this.agentBackends = new AgentBackendRepository(conn);
    this.documents = new DocumentRepository(conn);
    this.dnssecKeys = new DnssecKeyRepository(conn);
    this.meta = new MetaRepository(conn);
  }

  /**
   * Opens (creating if needed) `<dataDir>/opengslb.db`: data_dir 0750, file 0600, WAL, synchronous=FULL,
   * integrity check, forward migrations. Throws StoreError naming the file: ERR_STORE_CORRUPT for a
   * damaged or foreign file (never discarded or recreated), ERR_STORE_SCHEMA for a newer schema,
   * ERR_STORE_READ_ONLY / ERR_STORE_FULL / ERR_STORE_UNAVAILABLE / ERR_STORE_LOCKED otherwise.
   */
  static open(dataDir: string, options: StateStoreOptions = {}): StateStore {
    if (typeof dataDir !== 'string' || dataDir.trim() === '') {
      throw new StoreError(
        StoreErrorCode.Unavailable,
        String(dataDir),
        `data_dir: expected a directory path, got ${JSON.stringify(dataDir)}`,
      );
    }
    const readOnly = options.readOnly ?? false;
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    const touchFlushIntervalMs = options.touchFlushIntervalMs ?? DEFAULT_TOUCH_FLUSH_INTERVAL_MS;
    const dir = path.resolve(dataDir);
    const filePath = path.join(dir, FILE_NAME);
    prepareFile(dir, filePath, readOnly);

    let db: DatabaseSync;
    try {
      db = new DatabaseSync(filePath, {
        readOnly,
        timeout: busyTimeoutMs,
        enableDoubleQuotedStringLiterals: false,
        defensive: true,
      });
    } catch (err) {
      throw diagnoseOpenFailure(err, dir, filePath, readOnly);
    }
    const conn = new StoreConnection(db, filePath);
    try {
      configure(db, filePath, readOnly);
      checkIntegrity(db, filePath);
      const version = readOnly ? checkSchemaReadOnly(db, filePath) : migrate(conn, filePath);
      return new StateStore(conn, version, readOnly, touchFlushIntervalMs);
    } catch (err) {
      const failure = diagnoseOpenFailure(err, dir, filePath, readOnly);
      try {
        conn.close();
      } catch (closeErr) {
        throw new StoreError(failure.code, filePath, failure.message, {
          cause: new AggregateError([failure, closeErr]),
          sqliteCode: failure.sqliteCode,
        });
      }
      throw failure;
    }
  }

  get isClosed(): boolean {
    return this.#conn.isClosed;
  }

  /**
   * Writes pending heartbeat times, then closes the file. Idempotent. The file is closed even when the
   * final write fails; that failure is then thrown.
   */
  closeSync(): void {
    if (this.#conn.isClosed) return;
    let flushError: unknown;
    if (!this.isReadOnly) {
      try {
        this.agents.flushTouches();
      } catch (err) {
        flushError = err;
      }
    }
    this.#conn.close();
    if (flushError !== undefined) throw flushError;
  }

  /** Closeable for Lifecycle: closeSync() as a promise. */
  close(): Promise<void> {
    try {
      this.closeSync();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
}

/**
 * Creates data_dir and an empty 0600 file, so that SQLite (whose -wal and -shm copy the file's mode)
 * never creates a looser one.
 */
function prepareFile(dir: string, filePath: string, readOnly: boolean): void {
  if (!readOnly) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    } catch (err) {
      throw toStoreError(err, dir, 'creating data_dir');
    }
  }
  let dirStat: fs.Stats;
  try {
    dirStat = fs.statSync(dir);
  } catch (err) {
    throw toStoreError(err, dir, 'reading data_dir');
  }
  if (!dirStat.isDirectory()) {
    throw new StoreError(StoreErrorCode.Unavailable, dir, `data_dir ${dir} is not a directory`);
  }

  let fileStat: fs.Stats | undefined;
  try {
    fileStat = fs.statSync(filePath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw toStoreError(err, filePath, OPENING);
  }
  if (fileStat === undefined) {
    if (readOnly) {
      throw new StoreError(StoreErrorCode.Unavailable, filePath, `${OPENING} failed: ${filePath} does not exist`);
    }
    try {
      fs.closeSync(fs.openSync(filePath, 'wx', FILE_MODE));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw toStoreError(err, filePath, 'creating the state file');
      }
    }
    return;
  }
  if (!fileStat.isFile()) {
    throw new StoreError(StoreErrorCode.Unavailable, filePath, `${OPENING} failed: ${filePath} is not a regular file`);
  }
  // The file holds DNSSEC private keys: tighten a group/world-readable file we own.
  if (!readOnly && (fileStat.mode & 0o077) !== 0 && fileStat.uid === process.getuid?.()) {
    try {
      fs.chmodSync(filePath, FILE_MODE);
    } catch (err) {
      throw toStoreError(err, filePath, 'restricting the state file to mode 0600');
    }
  }
}

function configure(db: DatabaseSync, filePath: string, readOnly: boolean): void {
  if (readOnly) {
    // No exclusive lock: a read-only descriptor cannot take SQLite's write lock on the file.
    db.prepare('PRAGMA query_only = ON').run();
    return;
  }
  // Set before WAL is entered, so the WAL index lives in heap memory (no -shm) and the lock is held until close.
  db.prepare('PRAGMA locking_mode = EXCLUSIVE').get();
  const mode = db.prepare('PRAGMA journal_mode = WAL').get()?.journal_mode;
  if (mode !== 'wal') {
    throw new StoreError(
      StoreErrorCode.Unavailable,
      filePath,
      `${OPENING} failed on ${filePath}: SQLite refused write-ahead logging (journal_mode is ${String(mode)})`,
    );
  }
  // In WAL mode FULL fsyncs the WAL at every COMMIT: a returned write survives power loss.
  db.exec('PRAGMA synchronous = FULL');
}

/** quick_check reads every page: a damaged file is refused at start rather than discovered mid-write. */
function checkIntegrity(db: DatabaseSync, filePath: string): void {
  const problems = db
    .prepare('PRAGMA quick_check(5)')
    .all()
    .map((row) => String(row.quick_check));
  if (problems.length === 1 && problems[0] === 'ok') return;
  throw new StoreError(
    StoreErrorCode.Corrupt,
    filePath,
    `${filePath} failed SQLite's integrity check (${problems.join('; ')}); the file was left untouched: ` +
      'restore a backup, or move it aside to start with an empty state',
  );
}

function migrate(conn: StoreConnection, filePath: string): number {
  const current = readSchemaVersion(conn.db, filePath);
  assertSchemaNotNewer(current, LATEST_SCHEMA_VERSION, filePath);
  if (current === LATEST_SCHEMA_VERSION) return current;
  return conn.write(`migrating schema ${current} → ${LATEST_SCHEMA_VERSION}`, () =>
    applyMigrations(conn.db, filePath),
  );
}

function checkSchemaReadOnly(db: DatabaseSync, filePath: string): number {
  const version = readSchemaVersion(db, filePath);
  assertSchemaNotNewer(version, LATEST_SCHEMA_VERSION, filePath);
  if (version < LATEST_SCHEMA_VERSION) {
    throw new StoreError(
      StoreErrorCode.Schema,
      filePath,
      `${filePath} has schema version ${version}, older than this build's ${LATEST_SCHEMA_VERSION}; ` +
        'open it read-write once to upgrade it',
    );
  }
  return version;
}

/**
 * SQLite reports an unwritable directory as a bare "unable to open database file" (it cannot create
 * the -wal file); ask the file system which it is so the error says ERR_STORE_READ_ONLY and why.
 */
function diagnoseOpenFailure(err: unknown, dir: string, filePath: string, readOnly: boolean): StoreError {
  const failure = toStoreError(err, filePath, OPENING);
  if (failure.code !== StoreErrorCode.Unavailable || readOnly) return failure;
  for (const [target, what] of [
    [dir, 'data_dir'],
    [filePath, 'the state file'],
  ] as const) {
    try {
      fs.accessSync(target, fs.constants.R_OK | fs.constants.W_OK);
    } catch (accessErr) {
      const errno = (accessErr as NodeJS.ErrnoException).code;
      const code = storeCodeForErrno(errno);
      if (code === StoreErrorCode.Unavailable) continue;
      const sqliteSays = err instanceof Error ? err.message : String(err);
      return new StoreError(
        code,
        filePath,
        `${OPENING} failed on ${filePath}: ${what} ${target} is not writable (${errno}; SQLite: ${sqliteSays}) ` +
          '(data_dir and the file must be writable by the OpenGSLB process)',
        { cause: err, sqliteCode: failure.sqliteCode },
      );
    }
  }
  return failure;
}
