import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StateStore } from '../../src/store/index.ts';
import { tempDataDir } from './temp-data-dir.ts';

test('set, get and delete small string values', (t) => {
  const store = StateStore.open(tempDataDir(t));
  t.after(() => store.closeSync());
  assert.equal(store.meta.get('node_id'), undefined);
  store.meta.set('node_id', 'overwatch-1');
  store.meta.set('node_id', 'overwatch-2');
  store.meta.set('empty', '');
  assert.equal(store.meta.get('node_id'), 'overwatch-2');
  assert.equal(store.meta.get('empty'), '');
  assert.equal(store.meta.delete('node_id'), true);
  assert.equal(store.meta.delete('node_id'), false);
  assert.equal(store.meta.get('node_id'), undefined);
});
