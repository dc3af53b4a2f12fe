import { OpenGslbError } from '../errors.ts';

/**
 * Stable codes of every failure the store reports. The API maps them once, at its boundary:
 * Full → 507; ReadOnly, Io, Unavailable, Locked, Closed → 503; Invalid → 400; Conflict → 409;
 * Corrupt and Schema stop the process at start with the message (it names the file).
 */
export const StoreErrorCode = {
  /** The file is not a SQLite database, or its pages fail the integrity check. */
  Corrupt: 'ERR_STORE_CORRUPT',
  /** The file or data_dir cannot be opened or read (missing parent, not a regular file, …). */
  Unavailable: 'ERR_STORE_UNAVAILABLE',
  /** data_dir or the file cannot be written (permissions, read-only mount, read-only open). */
  ReadOnly: 'ERR_STORE_READ_ONLY',
  /** The disk (or quota) is full. */
  Full: 'ERR_STORE_FULL',
  /** The operating system reported an I/O error while reading or writing. */
  Io: 'ERR_STORE_IO',
  /** Another process holds the file (two OpenGSLB processes on one data_dir). */
  Locked: 'ERR_STORE_LOCKED',
  /** The schema is newer than this build, or the file is some other application's database. */
  Schema: 'ERR_STORE_SCHEMA',
  /** A record failed validation; nothing was written. */
  Invalid: 'ERR_STORE_INVALID',
  /** The write contradicts a stored record (e.g. a DNSSEC key tag reused by another key). */
  Conflict: 'ERR_STORE_CONFLICT',
  /** The store was closed. */
  Closed: 'ERR_STORE_CLOSED',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** Every failure of the store. `filePath` is the database file (or data_dir when the file was never reached). */
export class StoreError extends OpenGslbError {
  declare readonly code: StoreErrorCode;
  readonly filePath: string;
  /** SQLite's (extended) result code when SQLite reported the failure. */
  readonly sqliteCode: number | undefined;
  constructor(
    code: StoreErrorCode,
    filePath: string,
    message: string,
    options?: ErrorOptions & { sqliteCode?: number },
  ) {
    super(code, message, options);
    this.filePath = filePath;
    this.sqliteCode = options?.sqliteCode;
  }
}

// SQLite primary result codes (https://www.sqlite.org/rescode.html); extended codes carry them in the low byte.
const SQLITE_PERM = 3;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_CONSTRAINT = 19;
const SQLITE_AUTH = 23;
const SQLITE_NOTADB = 26;

interface SqliteErrorShape {
  code: 'ERR_SQLITE_ERROR';
  errcode: number;
  errstr: string;
  message: string;
}

function isSqliteError(err: unknown): err is SqliteErrorShape {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { code?: unknown }).code === 'ERR_SQLITE_ERROR' &&
    typeof (err as { errcode?: unknown }).errcode === 'number'
  );
}

function errnoCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** Store code for a SQLite result code (primary or extended). */
export function storeCodeForSqlite(errcode: number): StoreErrorCode {
  switch (errcode & 0xff) {
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return StoreErrorCode.ReadOnly;
    case SQLITE_FULL:
      return StoreErrorCode.Full;
    case SQLITE_IOERR:
      return StoreErrorCode.Io;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StoreErrorCode.Corrupt;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StoreErrorCode.Locked;
    case SQLITE_CONSTRAINT:
      return StoreErrorCode.Invalid;
    default:
      return StoreErrorCode.Unavailable;
  }
}

/** Store code for a Node.js fs error code (errno name). */
export function storeCodeForErrno(code: string | undefined): StoreErrorCode {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return StoreErrorCode.ReadOnly;
    case 'ENOSPC':
    case 'EDQUOT':
      return StoreErrorCode.Full;
    case 'EIO':
      return StoreErrorCode.Io;
    default:
      return StoreErrorCode.Unavailable;
  }
}

const HINTS: Partial<Record<StoreErrorCode, string>> = {
  [StoreErrorCode.Corrupt]:
    'the file was left untouched; restore a backup, or move it aside to start with an empty state',
  [StoreErrorCode.ReadOnly]: 'data_dir and the file must be writable by the OpenGSLB process',
  [StoreErrorCode.Full]: 'free space on the file system that holds data_dir',
  [StoreErrorCode.Locked]: 'is another OpenGSLB process using the same data_dir?',
};

/**
 * Wraps any error thrown by node:sqlite or node:fs into a StoreError naming the file and the operation,
 * keeping the original as `cause`. A StoreError passes through unchanged.
 */
export function toStoreError(err: unknown, filePath: string, operation: string): StoreError {
  if (err instanceof StoreError) return err;
  let code: StoreErrorCode;
  let detail: string;
  let sqliteCode: number | undefined;
  if (isSqliteError(err)) {
    code = storeCodeForSqlite(err.errcode);
    sqliteCode = err.errcode;
    detail = `SQLite: ${err.errstr || err.message} (code ${err.errcode})`;
  } else if (errnoCode(err) === 'ERR_INVALID_STATE') {
    // node:sqlite throws ERR_INVALID_STATE for any call on a closed DatabaseSync.
    code = StoreErrorCode.Closed;
    detail = 'the store is closed';
  } else {
    code = storeCodeForErrno(errnoCode(err));
    detail = err instanceof Error ? err.message : String(err);
  }
  const hint = HINTS[code];
  return new StoreError(code, filePath, `${operation} failed on ${filePath}: ${detail}${hint ? ` (${hint})` : ''}`, {
    cause: err,
    sqliteCode,
  });
}
