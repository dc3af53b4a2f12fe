import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickAnswers, weightedIndex } from '../../src/routing/index.ts';
import type { AnswerSet } from '../../src/model/index.ts';

function set(weights: number[]): AnswerSet {
  return {
    records: weights.map((_, i) => Buffer.from([i])),
    weights,
    totalWeight: weights.reduce((a, b) => a + b, 0),
    cumulativeWeights: weights.map((_, i) => weights.slice(0, i + 1).reduce((a, b) => a + b, 0)),
    regions: weights.map(() => 'r'),
    backendIds: weights.map((_, i) => `b${i}`),
    isLastHealthy: false,
  };
}

test('round-robin returns every record, starting one further each call, capped at maxAnswers', () => {
  const out = new Int32Array(16);
  const rotation = { next: 0 };
  const s = set([1, 1, 1, 1]);
  assert.equal(pickAnswers('round-robin', s, 8, rotation, 0, out), 4);
  assert.deepEqual([...out.subarray(0, 4)], [0, 1, 2, 3]);
  pickAnswers('round-robin', s, 8, rotation, 0, out);
  assert.deepEqual([...out.subarray(0, 4)], [1, 2, 3, 0]);
  assert.equal(pickAnswers('round-robin', s, 2, rotation, 0, out), 2);
  assert.deepEqual([...out.subarray(0, 2)], [2, 3]);
});

test('failover returns only the first record', () => {
  const out = new Int32Array(4);
  assert.equal(pickAnswers('failover', set([1, 1, 1]), 8, { next: 5 }, 0.9, out), 1);
  assert.equal(out[0], 0);
});

test('weighted draws the first record in proportion to weight', () => {
  const counts = [0, 0, 0];
  const s = set([1, 3, 6]);
  const out = new Int32Array(4);
  for (let i = 0; i < 1000; i++) {
    pickAnswers('weighted', s, 3, { next: 0 }, (i + 0.5) / 1000, out);
    counts[out[0]!]!++;
  }
  assert.deepEqual(counts, [100, 300, 600]);
});

test('weightedIndex maps the draw onto cumulative weights by binary search', () => {
  assert.equal(weightedIndex([1, 2], 2, 0), 0);
  assert.equal(weightedIndex([1, 2], 2, 0.49), 0);
  assert.equal(weightedIndex([1, 2], 2, 0.5), 1);
  assert.equal(weightedIndex([1, 2], 2, 0.999), 1);
  // weights 5, 1, 4 -> sums 5, 6, 10
  const picks = [0, 0.49, 0.5, 0.59, 0.6, 0.99].map((r) => weightedIndex([5, 6, 10], 10, r));
  assert.deepEqual(picks, [0, 0, 1, 1, 2, 2]);
  const big = Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.equal(weightedIndex(big, 1000, 0.5), 500);
});

test('an empty set yields no answers', () => {
  assert.equal(pickAnswers('round-robin', set([]), 8, { next: 0 }, 0, new Int32Array(4)), 0);
});
