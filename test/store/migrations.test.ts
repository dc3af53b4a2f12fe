import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { applyMigrations, MIGRATIONS, readSchemaVersion, type Migration } from '../../src/store/migrations.ts';

const V1: Migration = { version: 1, description: 'items', sql: 'CREATE TABLE items (id TEXT PRIMARY KEY) STRICT' };
const V2: Migration = { version: 2, description: 'items.note', sql: "ALTER TABLE items ADD COLUMN note TEXT NOT NULL DEFAULT ''" };

function inTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

test('applies only the migrations above the recorded version, keeping existing rows', () => {
  const db = new DatabaseSync(':memory:');
  assert.equal(inTransaction(db, () => applyMigrations(db, 'mem', [V1])), 1);
  db.prepare("INSERT INTO items (id) VALUES ('x')").run();
  assert.equal(inTransaction(db, () => applyMigrations(db, 'mem', [V1, V2])), 2);
  assert.deepEqual({ ...db.prepare('SELECT id, note FROM items').get() }, { id: 'x', note: '' });
  assert.deepEqual(db.prepare('SELECT version FROM schema_version ORDER BY version').all().map((r) => r.version), [1, 2]);
  assert.equal(inTransaction(db, () => applyMigrations(db, 'mem', [V1, V2])), 2, 'a second run changes nothing');
  db.close();
});

test('a failing migration leaves the previous version intact', () => {
  const db = new DatabaseSync(':memory:');
  inTransaction(db, () => applyMigrations(db, 'mem', [V1]));
  const broken: Migration = { version: 2, description: 'broken', sql: 'CREATE TABLE t2 (a); THIS IS NOT SQL' };
  assert.throws(() => inTransaction(db, () => applyMigrations(db, 'mem', [V1, broken])));
  assert.equal(readSchemaVersion(db, 'mem'), 1);
  assert.equal(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 't2'").get()?.n, 0);
  db.close();
});

test('migration versions strictly increase from 1', () => {
  MIGRATIONS.forEach((m, i) => assert.equal(m.version, i + 1));
});
