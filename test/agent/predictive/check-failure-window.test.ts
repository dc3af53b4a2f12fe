import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CheckFailureWindow } from '../../../src/agent/predictive/index.ts';

test('counts failed checks within the window and all checks separately', () => {
  const w = new CheckFailureWindow(60_000);
  w.record(true, 0);
  w.record(false, 1_000);
  w.record(false, 2_000);
  w.record(true, 3_000);
  assert.equal(w.failures(3_000), 2);
  assert.equal(w.checks(3_000), 4);
});

test('a result stops counting exactly windowMs after it was recorded', () => {
  const w = new CheckFailureWindow(60_000);
  w.record(false, 10_000);
  assert.equal(w.failures(69_999), 1);
  assert.equal(w.failures(70_000), 0);
  assert.equal(w.checks(70_000), 0);
});

test('an empty window has no failures', () => {
  assert.equal(new CheckFailureWindow(1000).failures(5_000), 0);
});

test('results recorded out of time order still expire at the right time', () => {
  const w = new CheckFailureWindow(10_000);
  w.record(false, 5_000);
  w.record(false, 1_000);
  w.record(true, 3_000);
  assert.equal(w.failures(10_999), 2);
  assert.equal(w.failures(11_000), 1);
  assert.equal(w.checks(14_999), 1);
  assert.equal(w.failures(15_000), 0);
});

test('a steadily failing backend keeps adding to the rate (the original only counted transitions)', () => {
  const w = new CheckFailureWindow(60_000);
  for (let t = 0; t < 60_000; t += 5_000) w.record(false, t);
  assert.equal(w.failures(59_000), 12);
});

test('stays bounded when checks are recorded for a long time without reading the count', () => {
  const w = new CheckFailureWindow(1_000);
  for (let t = 0; t < 200_000; t++) w.record(t % 2 === 0, t);
  assert.equal(w.checks(199_999), 1_000);
  assert.equal(w.failures(199_999), 500);
});

test('rejects a window that is not a positive number', () => {
  assert.throws(() => new CheckFailureWindow(0), RangeError);
  assert.throws(() => new CheckFailureWindow(Number.NaN), RangeError);
});

test('property: matches a brute-force count for arbitrary results and query times', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5_000 }),
      fc.array(fc.record({ at: fc.integer({ min: 0, max: 20_000 }), ok: fc.boolean() }), { maxLength: 80 }),
      fc.array(fc.integer({ min: 0, max: 30_000 }), { maxLength: 10 }),
      (windowMs, results, queries) => {
        const sorted = [...results].sort((a, b) => a.at - b.at);
        const w = new CheckFailureWindow(windowMs);
        for (const r of sorted) w.record(r.ok, r.at);
        const newest = sorted.at(-1)?.at ?? 0;
        for (const q of [...queries].sort((a, b) => a - b)) {
          const now = Math.max(q, newest);
          const live = sorted.filter((r) => r.at <= now && now - r.at < windowMs);
          assert.equal(w.failures(now), live.filter((r) => !r.ok).length);
          assert.equal(w.checks(now), live.length);
        }
      },
    ),
  );
});
