import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { StateStore, StoreErrorCode, type AgentInput } from '../../src/store/index.ts';
import { tempDataDir } from './temp-data-dir.ts';

function openStore(t: TestContext, touchFlushIntervalMs = 5_000): { store: StateStore; dataDir: string } {
  const dataDir = tempDataDir(t);
  const store = StateStore.open(dataDir, { touchFlushIntervalMs });
  t.after(() => store.closeSync());
  return { store, dataDir };
}

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function agent(agentId: string, extra: Partial<AgentInput> = {}): AgentInput {
  return { agentId, service: 'web', region: 'eu-west', pin: `sha256:${agentId}`, certificatePem: CERT, firstSeenMs: 1_000, lastSeenMs: 2_000, ...extra };
}

/** Reads what is on disk, bypassing the pending heartbeat times of `store`'s own repository. */
function lastSeenOnDisk(dataDir: string, store: StateStore, agentId: string): number | undefined {
  store.closeSync();
  const again = StateStore.open(dataDir, { touchFlushIntervalMs: 0 });
  try {
    return again.agents.get(agentId)?.lastSeenMs;
  } finally {
    again.closeSync();
  }
}

test('upsert pins a new agent and get returns it', (t) => {
  const { store } = openStore(t);
  const stored = store.agents.upsert(agent('a1'));
  assert.deepEqual(stored, { ...agent('a1'), revoked: false, revokedAtMs: null, revokedReason: null });
  assert.deepEqual(store.agents.get('a1'), stored);
  assert.equal(store.agents.get('nope'), undefined);
});

test('upsert of a known agent keeps first_seen and never moves last_seen back', (t) => {
  const { store } = openStore(t);
  store.agents.upsert(agent('a1', { firstSeenMs: 1_000, lastSeenMs: 5_000 }));
  const updated = store.agents.upsert(agent('a1', { region: 'us-east', firstSeenMs: 4_000, lastSeenMs: 3_000, certificatePem: null }));
  assert.equal(updated.firstSeenMs, 1_000);
  assert.equal(updated.lastSeenMs, 5_000);
  assert.equal(updated.region, 'us-east');
  assert.equal(updated.certificatePem, null);
});

test('revoke marks the agent with time and reason, and upsert does not undo it', (t) => {
  const { store } = openStore(t);
  store.agents.upsert(agent('a1'));
  assert.equal(store.agents.revoke('a1', 'key leaked', 9_000), true);
  assert.equal(store.agents.revoke('ghost', 'x', 9_000), false);
  store.agents.upsert(agent('a1'));
  const a = store.agents.get('a1');
  assert.equal(a?.revoked, true);
  assert.equal(a?.revokedAtMs, 9_000);
  assert.equal(a?.revokedReason, 'key leaked');
});

test('delete forgets the agent and reports whether it existed', (t) => {
  const { store } = openStore(t);
  store.agents.upsert(agent('a1'));
  assert.equal(store.agents.delete('a1'), true);
  assert.equal(store.agents.delete('a1'), false);
  assert.deepEqual(store.agents.list(), []);
});

test('list returns every agent ordered by id', (t) => {
  const { store } = openStore(t);
  for (const id of ['c', 'a', 'b']) store.agents.upsert(agent(id));
  assert.deepEqual(store.agents.list().map((a) => a.agentId), ['a', 'b', 'c']);
});

test('touch is visible to reads at once but written only when the batch interval has passed', (t) => {
  const { store, dataDir } = openStore(t, 5_000);
  store.agents.upsert(agent('a1', { lastSeenMs: 10_000 }));
  store.agents.upsert(agent('a2', { lastSeenMs: 10_000 }));
  store.agents.touch('a1', 11_000);
  store.agents.touch('a2', 12_000);
  store.agents.touch('a1', 14_999);
  assert.equal(store.agents.pendingTouchCount, 2);
  assert.equal(store.agents.get('a1')?.lastSeenMs, 14_999);
  assert.deepEqual(store.agents.list().map((a) => a.lastSeenMs), [14_999, 12_000]);
  store.agents.touch('a2', 16_000); // 5 s after the batch began: flush
  assert.equal(store.agents.pendingTouchCount, 0);
  store.agents.touch('a1', 16_500); // starts a new batch, kept in memory
  assert.equal(store.agents.pendingTouchCount, 1);
});

test('flushTouches writes pending heartbeat times and close() flushes the rest', (t) => {
  const { store, dataDir } = openStore(t, 60_000);
  store.agents.upsert(agent('a1', { lastSeenMs: 10_000 }));
  store.agents.touch('a1', 20_000);
  assert.equal(store.agents.flushTouches(), 1);
  assert.equal(store.agents.flushTouches(), 0);
  store.agents.touch('a1', 30_000);
  assert.equal(lastSeenOnDisk(dataDir, store, 'a1'), 30_000);
});

test('touchFlushIntervalMs 0 makes every touch durable', (t) => {
  const { store } = openStore(t, 0);
  store.agents.upsert(agent('a1', { lastSeenMs: 10_000 }));
  store.agents.touch('a1', 10_500);
  assert.equal(store.agents.pendingTouchCount, 0);
});

test('touch of an unknown agent is harmless and a bad time is refused', (t) => {
  const { store } = openStore(t, 0);
  store.agents.touch('ghost', 10_000);
  assert.equal(store.agents.get('ghost'), undefined);
  assert.throws(() => store.agents.touch('a1', Number.NaN), (err: { code?: string }) => err.code === StoreErrorCode.Invalid);
});
