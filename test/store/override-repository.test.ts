import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { StateStore, StoreError, StoreErrorCode, type OverrideInput } from '../../src/store/index.ts';
import { tempDataDir } from './temp-data-dir.ts';

function openStore(t: TestContext): StateStore {
  const store = StateStore.open(tempDataDir(t));
  t.after(() => store.closeSync());
  return store;
}

function override(address: string, port: number | null = null, extra: Partial<OverrideInput> = {}): OverrideInput {
  return { service: 'web.gslb.example', address, port, healthy: false, reason: 'maintenance', authority: '10.1.2.3', createdAtMs: 1_700_000_000_000, ...extra };
}

test('put then get returns the override with source defaulting to api', (t) => {
  const store = openStore(t);
  const stored = store.overrides.put(override('10.0.0.1'));
  assert.deepEqual(stored, { ...override('10.0.0.1'), source: 'api' });
  assert.deepEqual(store.overrides.get({ service: 'web.gslb.example', address: '10.0.0.1', port: null }), stored);
});

test('keeps an all-ports override and a per-port override of one address apart', (t) => {
  const store = openStore(t);
  store.overrides.put(override('10.0.0.1', null, { healthy: false }));
  store.overrides.put(override('10.0.0.1', 8080, { healthy: true, source: 'cloudwatch' }));
  assert.equal(store.overrides.get({ service: 'web.gslb.example', address: '10.0.0.1', port: null })?.healthy, false);
  const perPort = store.overrides.get({ service: 'web.gslb.example', address: '10.0.0.1', port: 8080 });
  assert.equal(perPort?.healthy, true);
  assert.equal(perPort?.source, 'cloudwatch');
  assert.deepEqual(store.overrides.list().map((o) => o.port), [null, 8080]);
});

test('put replaces an existing override (upsert)', (t) => {
  const store = openStore(t);
  store.overrides.put(override('10.0.0.1'));
  store.overrides.put(override('10.0.0.1', null, { healthy: true, reason: 'back', authority: 'alice', createdAtMs: 5 }));
  assert.deepEqual(store.overrides.list(), [{ ...override('10.0.0.1', null, { healthy: true, reason: 'back', authority: 'alice', createdAtMs: 5 }), source: 'api' }]);
});

test('delete reports whether the override existed', (t) => {
  const store = openStore(t);
  store.overrides.put(override('10.0.0.1', 80));
  const key = { service: 'web.gslb.example', address: '10.0.0.1', port: 80 };
  assert.equal(store.overrides.delete(key), true);
  assert.equal(store.overrides.delete(key), false);
  assert.equal(store.overrides.get(key), undefined);
});

test('list orders by service, address and port', (t) => {
  const store = openStore(t);
  store.overrides.put(override('10.0.0.2', 443));
  store.overrides.put({ ...override('10.0.0.9'), service: 'api.gslb.example' });
  store.overrides.put(override('10.0.0.2', 80));
  assert.deepEqual(
    store.overrides.list().map((o) => `${o.service} ${o.address} ${o.port}`),
    ['api.gslb.example 10.0.0.9 null', 'web.gslb.example 10.0.0.2 80', 'web.gslb.example 10.0.0.2 443'],
  );
});

test('putMany writes every override in one go', (t) => {
  const store = openStore(t);
  const stored = store.overrides.putMany([override('10.0.0.1'), override('10.0.0.2', 80, { source: 'cloudwatch' })]);
  assert.equal(stored.length, 2);
  assert.equal(store.overrides.list().length, 2);
});

test('putMany with one invalid item writes none of them and names the item', (t) => {
  const store = openStore(t);
  store.overrides.put(override('10.0.0.100', null, { reason: 'before' }));
  const batch = [override('10.0.0.1'), override('10.0.0.2'), override('10.0.0.100', null, { reason: 'changed' }), override('10.0.0.3', 70_000)];
  assert.throws(
    () => store.overrides.putMany(batch),
    (err: unknown) =>
      err instanceof StoreError && err.code === StoreErrorCode.Invalid && /overrides\[3\]\.port: expected an integer 1-65535/.test(err.message),
  );
  assert.deepEqual(store.overrides.list().map((o) => `${o.address} ${o.reason}`), ['10.0.0.100 before']);
});

test('replaceMany makes the list the whole set, and a bad item leaves the old set intact', (t) => {
  const store = openStore(t);
  store.overrides.putMany([override('10.0.0.1'), override('10.0.0.2')]);
  store.overrides.replaceMany([override('10.0.0.3')]);
  assert.deepEqual(store.overrides.list().map((o) => o.address), ['10.0.0.3']);
  assert.throws(() => store.overrides.replaceMany([override('10.0.0.4'), { ...override('10.0.0.5'), healthy: 'yes' as unknown as boolean }]), /overrides\[1\]\.healthy: expected true or false, got "yes"/);
  assert.deepEqual(store.overrides.list().map((o) => o.address), ['10.0.0.3']);
  store.overrides.replaceMany([]);
  assert.deepEqual(store.overrides.list(), []);
});

test('refuses an override without an authority or with an empty service', (t) => {
  const store = openStore(t);
  assert.throws(() => store.overrides.put({ ...override('10.0.0.1'), authority: '' }), /override\.authority: expected a non-empty string/);
  assert.throws(() => store.overrides.put({ ...override('10.0.0.1'), service: '' }), /override\.service/);
  assert.throws(() => store.overrides.put({ ...override('10.0.0.1'), createdAtMs: -1 }), /override\.createdAtMs/);
  assert.deepEqual(store.overrides.list(), []);
});
