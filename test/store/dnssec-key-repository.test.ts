import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { StateStore, StoreError, StoreErrorCode, type DnssecKeyRecord } from '../../src/store/index.ts';
import { tempDataDir } from './temp-data-dir.ts';

function openStore(t: TestContext): StateStore {
  const store = StateStore.open(tempDataDir(t));
  t.after(() => store.closeSync());
  return store;
}

function key(zone: string, keyTag: number, extra: Partial<DnssecKeyRecord> = {}): DnssecKeyRecord {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    zone, keyTag, algorithm: 13, flags: 257,
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(-64).toString('base64'),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    createdAtMs: 1_700_000_000_000, source: 'local', active: true, ...extra,
  };
}

test('put then listForZone returns the key with its PKCS#8 private key intact', (t) => {
  const store = openStore(t);
  const k = key('gslb.example.', 4242);
  store.dnssecKeys.put(k);
  assert.deepEqual(store.dnssecKeys.listForZone('gslb.example.'), [k]);
  assert.deepEqual(store.dnssecKeys.listForZone('other.example.'), []);
});

test('list returns every zone\'s keys ordered by zone and key tag', (t) => {
  const store = openStore(t);
  const keys = [key('b.example.', 2), key('a.example.', 9, { source: 'peer:https://10.0.0.2:8080' }), key('b.example.', 1, { flags: 256, active: false })];
  for (const k of keys) store.dnssecKeys.put(k);
  assert.deepEqual(store.dnssecKeys.list().map((k) => `${k.zone} ${k.keyTag} ${k.source} ${k.active}`), [
    'a.example. 9 peer:https://10.0.0.2:8080 true',
    'b.example. 1 local false',
    'b.example. 2 local true',
  ]);
});

test('re-putting the same key updates its active flag', (t) => {
  const store = openStore(t);
  const k = key('gslb.example.', 7);
  store.dnssecKeys.put(k);
  store.dnssecKeys.put({ ...k, active: false });
  assert.equal(store.dnssecKeys.listForZone('gslb.example.')[0].active, false);
});

test('a different key with a stored key tag is refused with ERR_STORE_CONFLICT', (t) => {
  const store = openStore(t);
  const first = key('gslb.example.', 7);
  store.dnssecKeys.put(first);
  assert.throws(() => store.dnssecKeys.put(key('gslb.example.', 7)), (err: unknown) => err instanceof StoreError && err.code === StoreErrorCode.Conflict);
  assert.deepEqual(store.dnssecKeys.listForZone('gslb.example.'), [first]);
});

test('delete removes one key and reports whether it existed', (t) => {
  const store = openStore(t);
  store.dnssecKeys.put(key('gslb.example.', 7));
  assert.equal(store.dnssecKeys.delete('gslb.example.', 7, 13), true);
  assert.equal(store.dnssecKeys.delete('gslb.example.', 7, 13), false);
});

test('refuses a bad source or a private key that is not PEM, without echoing the key', (t) => {
  const store = openStore(t);
  assert.throws(() => store.dnssecKeys.put(key('z.', 1, { source: 'peer:' as 'local' })), /dnssecKey\.source/);
  assert.throws(() => store.dnssecKeys.put(key('z.', 1, { privateKeyPem: 'secret-bytes' })), (err: Error) =>
    /dnssecKey\.privateKeyPem: expected a PKCS#8 PEM/.test(err.message) && !err.message.includes('secret-bytes'));
  assert.deepEqual(store.dnssecKeys.list(), []);
});
