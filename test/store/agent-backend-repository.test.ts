import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { StateStore, StoreError, StoreErrorCode, type AgentBackendRecord } from '../../src/store/index.ts';
import { tempDataDir } from './temp-data-dir.ts';

function openStore(t: TestContext): StateStore {
  const store = StateStore.open(tempDataDir(t));
  t.after(() => store.closeSync());
  return store;
}

function backend(address: string, port: number, agentId = 'a1', extra: Partial<AgentBackendRecord> = {}): AgentBackendRecord {
  return {
    service: 'web', address, port, agentId, region: 'eu-west', weight: 100,
    healthCheck: { type: 'http', path: '/health', host: 'web.example', thresholds: [2, 3] },
    lastSeenMs: 2_000, registeredAtMs: 1_000, draining: false, ...extra,
  };
}

test('upsert registers a backend with its health check definition and get returns it', (t) => {
  const store = openStore(t);
  const stored = store.agentBackends.upsert(backend('10.0.0.1', 80));
  assert.deepEqual(stored, backend('10.0.0.1', 80));
  assert.deepEqual(store.agentBackends.get({ service: 'web', address: '10.0.0.1', port: 80 }), stored);
  assert.equal(store.agentBackends.get({ service: 'web', address: '10.0.0.1', port: 81 }), undefined);
});

test('re-registration by the same agent keeps registered_at and updates the rest', (t) => {
  const store = openStore(t);
  store.agentBackends.upsert(backend('10.0.0.1', 80));
  const again = store.agentBackends.upsert(backend('10.0.0.1', 80, 'a1', { registeredAtMs: 9_000, lastSeenMs: 9_000, weight: 5, draining: true }));
  assert.equal(again.registeredAtMs, 1_000);
  assert.equal(again.lastSeenMs, 9_000);
  assert.equal(again.weight, 5);
  assert.equal(again.draining, true);
});

test('registration of the same backend by another agent takes it over with a new registered_at', (t) => {
  const store = openStore(t);
  store.agentBackends.upsert(backend('10.0.0.1', 80, 'a1'));
  const taken = store.agentBackends.upsert(backend('10.0.0.1', 80, 'a2', { registeredAtMs: 9_000 }));
  assert.equal(taken.agentId, 'a2');
  assert.equal(taken.registeredAtMs, 9_000);
  assert.equal(store.agentBackends.list().length, 1);
});

test('delete and deleteByAgent remove registrations and report what they removed', (t) => {
  const store = openStore(t);
  store.agentBackends.upsertMany([backend('10.0.0.1', 80, 'a1'), backend('10.0.0.1', 443, 'a1'), backend('10.0.0.2', 80, 'a2')]);
  assert.equal(store.agentBackends.delete({ service: 'web', address: '10.0.0.1', port: 443 }), true);
  assert.equal(store.agentBackends.delete({ service: 'web', address: '10.0.0.1', port: 443 }), false);
  assert.equal(store.agentBackends.deleteByAgent('a1'), 1);
  assert.equal(store.agentBackends.deleteByAgent('a1'), 0);
  assert.deepEqual(store.agentBackends.list().map((b) => b.agentId), ['a2']);
});

test('list orders by service, address and port; listByAgent filters by agent', (t) => {
  const store = openStore(t);
  store.agentBackends.upsertMany([backend('10.0.0.2', 80, 'a2'), backend('10.0.0.1', 443, 'a1'), backend('10.0.0.1', 80, 'a1')]);
  assert.deepEqual(store.agentBackends.list().map((b) => `${b.address}:${b.port}`), ['10.0.0.1:80', '10.0.0.1:443', '10.0.0.2:80']);
  assert.deepEqual(store.agentBackends.listByAgent('a1').map((b) => b.port), [80, 443]);
});

test('replaceForAgent makes the list the agent\'s whole set and leaves other agents alone', (t) => {
  const store = openStore(t);
  store.agentBackends.upsertMany([backend('10.0.0.1', 80, 'a1'), backend('10.0.0.1', 443, 'a1'), backend('10.0.0.2', 80, 'a2')]);
  store.agentBackends.replaceForAgent('a1', [backend('10.0.0.1', 443, 'a1'), backend('10.0.0.3', 80, 'a1')]);
  assert.deepEqual(store.agentBackends.list().map((b) => `${b.agentId} ${b.address}:${b.port}`), ['a1 10.0.0.1:443', 'a2 10.0.0.2:80', 'a1 10.0.0.3:80']);
});

test('a bad item in upsertMany or replaceForAgent writes nothing', (t) => {
  const store = openStore(t);
  store.agentBackends.upsert(backend('10.0.0.1', 80, 'a1'));
  assert.throws(() => store.agentBackends.upsertMany([backend('10.0.0.5', 80), backend('10.0.0.6', 80, 'a1', { healthCheck: { f: () => 1 }.f })]),
    (err: unknown) => err instanceof StoreError && err.code === StoreErrorCode.Invalid && err.message.includes('agentBackends[1].healthCheck'));
  assert.throws(() => store.agentBackends.replaceForAgent('a1', [backend('10.0.0.7', 80, 'a1'), backend('10.0.0.8', 80, 'someone-else')]),
    /agentBackends\[1\]\.agentId: expected "a1", got "someone-else"/);
  assert.deepEqual(store.agentBackends.list().map((b) => b.address), ['10.0.0.1']);
});

test('refuses a port outside 1-65535 and a negative weight', (t) => {
  const store = openStore(t);
  assert.throws(() => store.agentBackends.upsert(backend('10.0.0.1', 0)), /agentBackend\.port: expected an integer 1-65535, got 0/);
  assert.throws(() => store.agentBackends.upsert(backend('10.0.0.1', 80, 'a1', { weight: -1 })), /agentBackend\.weight/);
});
