import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Awareness } from '../../src/gossip/awareness.ts';
import { Suspicion, expectedConfirmations, remainingSuspicionMs, suspicionTimeoutMs } from '../../src/gossip/suspicion.ts';

test('suspicion timeout follows MEMBERLIST.md 4.4: 4 s flat below 10 nodes, 8 s at 100 (LAN)', () => {
  assert.equal(suspicionTimeoutMs(4, 1, 1000), 4000);
  assert.equal(suspicionTimeoutMs(4, 3, 1000), 4000);
  assert.equal(suspicionTimeoutMs(4, 10, 1000), 4000);
  assert.equal(suspicionTimeoutMs(4, 100, 1000), 8000);
  assert.equal(suspicionTimeoutMs(4, 1000, 1000), 12000);
  assert.equal(suspicionTimeoutMs(4, 50, 1000), 4 * 1698);
});

test('expects SuspicionMult - 2 confirmations, or none in a cluster of fewer than 4', () => {
  assert.equal(expectedConfirmations(4, 3), 0);
  assert.equal(expectedConfirmations(4, 4), 2);
  assert.equal(expectedConfirmations(4, 100), 2);
});

test('remaining time matches memberlist suspicion_test.go table', () => {
  // From memberlist TestSuspicion_remainingSuspicionTime (min 2 s, max 30 s, k 3).
  const cases: [number, number, number, number][] = [
    [0, 3, 0, 30000],
    [1, 3, 2000, 14000],
    [2, 3, 3000, 4810],
    [3, 3, 4000, -2000],
    [4, 3, 5000, -3000],
    [5, 3, 10000, -8000],
  ];
  for (const [n, k, elapsed, want] of cases) assert.equal(remainingSuspicionMs(n, k, elapsed, 2000, 30000), want);
});

test('a suspicion counts each new accuser once, up to k, and never the original one', () => {
  const s = new Suspicion('a', 2, 4000, 24000, 0);
  assert.equal(s.initialTimeoutMs, 24000);
  assert.equal(s.confirm('a', 100), undefined);
  assert.equal(s.confirm('b', 1000), remainingSuspicionMs(1, 2, 1000, 4000, 24000));
  assert.equal(s.confirm('b', 1000), undefined);
  assert.ok(s.confirm('c', 2000)! <= 2000);
  assert.equal(s.confirm('d', 3000), undefined);
  assert.equal(new Suspicion('a', 0, 4000, 24000, 0).initialTimeoutMs, 4000);
});

test('awareness stays in [0, max-1] and scales the probe interval', () => {
  const a = new Awareness(8);
  a.applyDelta(-1);
  assert.equal(a.score, 0);
  a.applyDelta(20);
  assert.equal(a.score, 7);
  assert.equal(a.scaleTimeout(1000), 8000);
});
