import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { DOCUMENT_NAMESPACES, StateStore, StoreErrorCode, type DocumentNamespace } from '../../src/store/index.ts';
import { tempDataDir } from './temp-data-dir.ts';

function openStore(t: TestContext): StateStore {
  const store = StateStore.open(tempDataDir(t));
  t.after(() => store.closeSync());
  return store;
}

test('put, get, list and delete round-trip JSON documents in every namespace', (t) => {
  const store = openStore(t);
  for (const ns of DOCUMENT_NAMESPACES) {
    store.documents.put(ns, 'b', { name: `${ns}-b`, nested: { list: [1, 'two', null, true] } });
    store.documents.put(ns, 'a', { name: `${ns}-a` });
  }
  for (const ns of DOCUMENT_NAMESPACES) {
    assert.deepEqual(store.documents.get(ns, 'b'), { name: `${ns}-b`, nested: { list: [1, 'two', null, true] } });
    assert.deepEqual(store.documents.list(ns), [{ id: 'a', body: { name: `${ns}-a` } }, { id: 'b', body: { name: `${ns}-b`, nested: { list: [1, 'two', null, true] } } }]);
  }
  assert.equal(store.documents.delete('servers', 'a'), true);
  assert.equal(store.documents.delete('servers', 'a'), false);
  assert.equal(store.documents.get('servers', 'a'), undefined);
  assert.equal(store.documents.list('domains').length, 2, 'namespaces are separate');
});

test('put replaces the body of an existing id', (t) => {
  const store = openStore(t);
  store.documents.put('regions', 'eu', { v: 1 });
  store.documents.put('regions', 'eu', { v: 2 });
  assert.deepEqual(store.documents.list('regions'), [{ id: 'eu', body: { v: 2 } }]);
});

test('refuses an unknown namespace, an empty id and a body that is not JSON', (t) => {
  const store = openStore(t);
  assert.throws(() => store.documents.put('users' as DocumentNamespace, 'x', {}), (err: { code?: string; message: string }) =>
    err.code === StoreErrorCode.Invalid && err.message.includes('namespace: expected one of servers, domains'));
  assert.throws(() => store.documents.put('servers', '', {}), /documents\.servers\.id/);
  assert.throws(() => store.documents.put('servers', 'x', undefined), /documents\.servers\.body: expected a JSON value/);
  assert.throws(() => store.documents.put('servers', 'x', { n: 1n }), /cannot be serialised/);
  assert.deepEqual(store.documents.list('servers'), []);
});
