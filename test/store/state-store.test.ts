import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { LATEST_SCHEMA_VERSION, StateStore, StoreError, StoreErrorCode } from '../../src/store/index.ts';
import { tempDataDir } from './temp-data-dir.ts';

const isRoot = process.getuid?.() === 0;

function override(address: string, port: number | null = null) {
  return { service: 'web', address, port, healthy: false, reason: 'maintenance', authority: '127.0.0.1', createdAtMs: 1_700_000_000_000 };
}

function assertStoreError(fn: () => unknown, code: string, mentions: string): StoreError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof StoreError, `expected a StoreError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.message.includes(mentions), `message should name ${mentions}: ${caught.message}`);
  return caught;
}

/** Fills a fresh store with a few pages of data and closes it; returns the file path. */
function storeWithData(dataDir: string, count = 200): string {
  const store = StateStore.open(dataDir);
  store.overrides.putMany(Array.from({ length: count }, (_, i) => ({ ...override(`10.0.${i >> 8}.${i & 255}`), reason: 'x'.repeat(200) })));
  store.closeSync();
  return store.filePath;
}

test('creates data_dir 0750 and opengslb.db 0600 with the latest schema', (t) => {
  const dataDir = tempDataDir(t);
  const store = StateStore.open(dataDir);
  t.after(() => store.closeSync());
  assert.equal(store.filePath, path.join(dataDir, 'opengslb.db'));
  assert.equal(fs.statSync(dataDir).mode & 0o777, 0o750);
  assert.equal(fs.statSync(store.filePath).mode & 0o777, 0o600);
  assert.equal(store.schemaVersion, LATEST_SCHEMA_VERSION);
  store.meta.set('k', 'v');
  for (const name of fs.readdirSync(dataDir)) {
    assert.equal(fs.statSync(path.join(dataDir, name)).mode & 0o077, 0, `${name} must not be readable by others`);
  }
});

test('leaves the file in WAL mode with its schema version recorded', (t) => {
  const dataDir = tempDataDir(t);
  StateStore.open(dataDir).closeSync();
  const db = new DatabaseSync(path.join(dataDir, 'opengslb.db'), { readOnly: true });
  t.after(() => db.close());
  // WAL mode is persistent in the file; synchronous=FULL is per connection and not visible from here.
  assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
  assert.equal(db.prepare('SELECT max(version) v FROM schema_version').get()?.v, LATEST_SCHEMA_VERSION);
});

test('tightens an existing state file that is readable by others to 0600', (t) => {
  const dataDir = tempDataDir(t);
  const filePath = storeWithData(dataDir, 1);
  fs.chmodSync(filePath, 0o644);
  StateStore.open(dataDir).closeSync();
  assert.equal(fs.statSync(filePath).mode & 0o777, 0o600);
});

test('keeps everything across close and reopen', (t) => {
  const dataDir = tempDataDir(t);
  const store = StateStore.open(dataDir);
  store.overrides.put(override('10.0.0.1'));
  store.agents.upsert({ agentId: 'a1', service: 'web', region: 'eu', pin: 'sha256:aa', firstSeenMs: 1, lastSeenMs: 2 });
  store.agentBackends.upsert({
    service: 'web', address: '10.0.0.1', port: 80, agentId: 'a1', region: 'eu', weight: 100,
    healthCheck: { type: 'http', path: '/health' }, lastSeenMs: 2, registeredAtMs: 1, draining: false,
  });
  store.documents.put('servers', 's1', { address: '10.0.0.9' });
  store.dnssecKeys.put({
    zone: 'gslb.example.', keyTag: 12345, algorithm: 13, flags: 257, publicKey: 'AAAA',
    privateKeyPem: '-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n', createdAtMs: 5, source: 'local', active: true,
  });
  store.meta.set('node_id', 'n-1');
  store.agents.touch('a1', 10_000);
  store.closeSync();

  const again = StateStore.open(dataDir);
  t.after(() => again.closeSync());
  assert.equal(again.overrides.list().length, 1);
  assert.equal(again.agents.get('a1')?.lastSeenMs, 10_000, 'close() writes pending heartbeat times');
  assert.equal(again.agentBackends.list().length, 1);
  assert.deepEqual(again.documents.get('servers', 's1'), { address: '10.0.0.9' });
  assert.equal(again.dnssecKeys.listForZone('gslb.example.').length, 1);
  assert.equal(again.meta.get('node_id'), 'n-1');
});

test('close() is idempotent and later calls fail with ERR_STORE_CLOSED', async (t) => {
  const store = StateStore.open(tempDataDir(t));
  await store.close();
  await store.close();
  store.closeSync();
  assert.equal(store.isClosed, true);
  assertStoreError(() => store.overrides.list(), StoreErrorCode.Closed, store.filePath);
  assertStoreError(() => store.overrides.put(override('10.0.0.1')), StoreErrorCode.Closed, store.filePath);
  assertStoreError(() => store.agents.touch('a1', 1), StoreErrorCode.Closed, store.filePath);
});

test('a second open of the same data_dir fails with ERR_STORE_LOCKED', (t) => {
  const dataDir = tempDataDir(t);
  const store = StateStore.open(dataDir);
  t.after(() => store.closeSync());
  assertStoreError(() => StateStore.open(dataDir, { busyTimeoutMs: 50 }), StoreErrorCode.Locked, 'opengslb.db');
});

test('refuses a file of garbage bytes with ERR_STORE_CORRUPT naming it, and leaves it untouched', (t) => {
  const dataDir = tempDataDir(t);
  fs.mkdirSync(dataDir);
  const filePath = path.join(dataDir, 'opengslb.db');
  const garbage = Buffer.alloc(16_384);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
  fs.writeFileSync(filePath, garbage);
  assertStoreError(() => StateStore.open(dataDir), StoreErrorCode.Corrupt, filePath);
  assert.deepEqual(fs.readFileSync(filePath), garbage);
  assert.deepEqual(fs.readdirSync(dataDir), ['opengslb.db']);
});

test('refuses a database whose pages are damaged with ERR_STORE_CORRUPT', (t) => {
  const dataDir = tempDataDir(t);
  const filePath = storeWithData(dataDir);
  const pageSize = fs.readFileSync(filePath).readUInt16BE(16);
  const pages = fs.statSync(filePath).size / pageSize;
  assert.ok(pages > 4, `expected several pages, got ${pages}`);
  const fd = fs.openSync(filePath, 'r+');
  // Overwrite the b-tree page headers of the last pages (the override rows) with an invalid page type.
  for (let p = pages - 3; p < pages; p++) fs.writeSync(fd, Buffer.alloc(64, 0xee), 0, 64, p * pageSize);
  fs.closeSync(fd);
  const before = fs.readFileSync(filePath);
  assertStoreError(() => StateStore.open(dataDir), StoreErrorCode.Corrupt, filePath);
  assert.deepEqual(fs.readFileSync(filePath), before);
});

test("refuses another application's SQLite database with ERR_STORE_SCHEMA", (t) => {
  const dataDir = tempDataDir(t);
  fs.mkdirSync(dataDir);
  const db = new DatabaseSync(path.join(dataDir, 'opengslb.db'));
  db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
  db.close();
  const err = assertStoreError(() => StateStore.open(dataDir), StoreErrorCode.Schema, 'opengslb.db');
  assert.match(err.message, /not an OpenGSLB state file/);
});

test('refuses a schema newer than this build with ERR_STORE_SCHEMA and does not modify the file', (t) => {
  const dataDir = tempDataDir(t);
  const filePath = storeWithData(dataDir, 3);
  const db = new DatabaseSync(filePath);
  db.prepare('INSERT INTO schema_version (version, description) VALUES (?, ?)').run(LATEST_SCHEMA_VERSION + 1, 'future');
  db.close();
  const before = fs.readFileSync(filePath);
  const err = assertStoreError(() => StateStore.open(dataDir), StoreErrorCode.Schema, filePath);
  assert.match(err.message, new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 1}, newer than the ${LATEST_SCHEMA_VERSION}`));
  assert.deepEqual(fs.readFileSync(filePath), before);
});

test('reports a data_dir that is a file with ERR_STORE_UNAVAILABLE', (t) => {
  const dataDir = tempDataDir(t);
  fs.writeFileSync(dataDir, 'not a directory');
  assertStoreError(() => StateStore.open(dataDir), StoreErrorCode.Unavailable, dataDir);
});

test('reports a state file that is a directory with ERR_STORE_UNAVAILABLE', (t) => {
  const dataDir = tempDataDir(t);
  fs.mkdirSync(path.join(dataDir, 'opengslb.db'), { recursive: true });
  assertStoreError(() => StateStore.open(dataDir), StoreErrorCode.Unavailable, 'is not a regular file');
});

test('a read-only open reads everything and refuses writes with ERR_STORE_READ_ONLY', (t) => {
  const dataDir = tempDataDir(t);
  storeWithData(dataDir, 5);
  const store = StateStore.open(dataDir, { readOnly: true });
  t.after(() => store.closeSync());
  assert.equal(store.isReadOnly, true);
  assert.equal(store.overrides.list().length, 5);
  assertStoreError(() => store.overrides.put(override('10.9.9.9')), StoreErrorCode.ReadOnly, store.filePath);
  assertStoreError(() => store.meta.set('k', 'v'), StoreErrorCode.ReadOnly, store.filePath);
  assert.equal(store.overrides.list().length, 5);
});

test('a read-only open of a missing file fails with ERR_STORE_UNAVAILABLE instead of creating it', (t) => {
  const dataDir = tempDataDir(t);
  fs.mkdirSync(dataDir);
  assertStoreError(() => StateStore.open(dataDir, { readOnly: true }), StoreErrorCode.Unavailable, 'does not exist');
  assert.deepEqual(fs.readdirSync(dataDir), []);
});

/**
 * Makes `dir` unwritable for this process: chmod for an ordinary user; as root (which chmod does not
 * stop) the ext4 immutable attribute. Returns the undo function, or undefined when neither works here.
 */
function makeUnwritable(dir: string): (() => void) | undefined {
  if (!isRoot) {
    fs.chmodSync(dir, 0o500);
    return () => fs.chmodSync(dir, 0o750);
  }
  const result = spawnSync('chattr', ['+i', dir], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  return () => {
    spawnSync('chattr', ['-i', dir]);
  };
}

const NO_READ_ONLY_DIR =
  'running as root and chattr +i is not supported here: no way to make a directory read-only for root';

test('a read-only data_dir without a state file fails with ERR_STORE_READ_ONLY', (t) => {
  const dataDir = tempDataDir(t);
  fs.mkdirSync(dataDir, { mode: 0o750 });
  const undo = makeUnwritable(dataDir);
  if (undo === undefined) return t.skip(NO_READ_ONLY_DIR);
  try {
    assertStoreError(() => StateStore.open(dataDir), StoreErrorCode.ReadOnly, 'opengslb.db');
  } finally {
    undo();
  }
});

test('a read-only data_dir holding a state file fails with ERR_STORE_READ_ONLY', (t) => {
  const dataDir = tempDataDir(t);
  storeWithData(dataDir, 5);
  const undo = makeUnwritable(dataDir);
  if (undo === undefined) return t.skip(NO_READ_ONLY_DIR);
  try {
    const err = assertStoreError(() => StateStore.open(dataDir), StoreErrorCode.ReadOnly, 'opengslb.db');
    assert.match(err.message, /not writable/);
  } finally {
    undo();
  }
});
