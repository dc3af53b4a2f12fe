import assert from 'node:assert/strict';
import test from 'node:test';
import { DurationError, formatDuration, parseDuration } from '../../src/config/index.ts';

test('parseDuration reads Go-style durations into milliseconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('2m3s4ms'), 123_004);
  assert.equal(parseDuration('1500us'), 1.5);
  assert.equal(parseDuration('7d'), 604_800_000);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('-2s'), -2000);
});

test('parseDuration refuses numbers without a unit and unknown units', () => {
  for (const bad of ['30', '', 's', '5 m', '1y', '1h 30m', 'abc', '5mins', '1..5s']) {
    assert.throws(() => parseDuration(bad), (err: unknown) => {
      assert.ok(err instanceof DurationError);
      assert.equal(err.code, 'ERR_INVALID_DURATION');
      assert.match(err.message, new RegExp(`invalid duration ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: expected a number with a unit`));
      return true;
    }, bad);
  }
});

test('formatDuration writes milliseconds the way an operator would', () => {
  assert.equal(formatDuration(500), '500ms');
  assert.equal(formatDuration(30_000), '30s');
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(3_661_000), '1h1m1s');
  assert.equal(formatDuration(1500), '1500ms');
  assert.equal(formatDuration(0), '0s');
});
