import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreError, StoreErrorCode } from '../../src/store/index.ts';
import { toStoreError } from '../../src/store/store-error.ts';

function sqliteError(errcode: number, errstr: string): Error {
  return Object.assign(new Error(errstr), { code: 'ERR_SQLITE_ERROR', errcode, errstr });
}

test('maps SQLite result codes, extended ones included, to store codes', () => {
  const cases: Array<[number, string]> = [
    [8, StoreErrorCode.ReadOnly], // SQLITE_READONLY
    [1032, StoreErrorCode.ReadOnly], // SQLITE_READONLY_DBMOVED
    [13, StoreErrorCode.Full], // SQLITE_FULL
    [10, StoreErrorCode.Io], // SQLITE_IOERR
    [778, StoreErrorCode.Io], // SQLITE_IOERR_WRITE
    [11, StoreErrorCode.Corrupt], // SQLITE_CORRUPT
    [26, StoreErrorCode.Corrupt], // SQLITE_NOTADB
    [5, StoreErrorCode.Locked], // SQLITE_BUSY
    [14, StoreErrorCode.Unavailable], // SQLITE_CANTOPEN
    [275, StoreErrorCode.Invalid], // SQLITE_CONSTRAINT_CHECK
  ];
  for (const [errcode, code] of cases) {
    const err = toStoreError(sqliteError(errcode, 'boom'), '/var/lib/opengslb/opengslb.db', 'storing an override');
    assert.equal(err.code, code, `errcode ${errcode}`);
    assert.equal(err.sqliteCode, errcode);
    assert.match(err.message, /^storing an override failed on \/var\/lib\/opengslb\/opengslb\.db: SQLite: boom/);
  }
});

test('maps file system errors by errno and keeps the cause', () => {
  const cases: Array<[string, string]> = [
    ['EACCES', StoreErrorCode.ReadOnly],
    ['EROFS', StoreErrorCode.ReadOnly],
    ['ENOSPC', StoreErrorCode.Full],
    ['EDQUOT', StoreErrorCode.Full],
    ['EIO', StoreErrorCode.Io],
    ['ENOTDIR', StoreErrorCode.Unavailable],
  ];
  for (const [errno, code] of cases) {
    const cause = Object.assign(new Error(`${errno}: failed`), { code: errno });
    const err = toStoreError(cause, '/d', 'creating data_dir');
    assert.equal(err.code, code, errno);
    assert.equal(err.cause, cause);
    assert.equal(err.name, 'StoreError');
  }
});

test('passes a StoreError through unchanged', () => {
  const original = new StoreError(StoreErrorCode.Conflict, '/f', 'x');
  assert.equal(toStoreError(original, '/g', 'y'), original);
});
