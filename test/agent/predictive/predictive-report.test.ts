import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyPredictiveSample,
  initialPredictiveState,
  predictiveHealthReport,
  type PredictiveState,
  type PredictiveThresholds,
} from '../../../src/agent/predictive/index.ts';

const config: PredictiveThresholds = {
  cpu: { threshold: 90, bleedDurationMs: 30_000 },
  memory: { threshold: 85, bleedDurationMs: 30_000 },
  errorRate: { threshold: 10, bleedDurationMs: 30_000, windowMs: 60_000 },
};
const t0 = Date.UTC(2025, 0, 2, 3, 4, 5);

function feed(values: Array<[number | undefined, number | undefined, number | undefined]>): PredictiveState {
  let s = initialPredictiveState();
  values.forEach(([c, m, e], i) => {
    s = applyPredictiveSample(s, { cpuPercent: c, memPercent: m, errorRate: e }, config, t0 + i * 10_000).state;
  });
  return s;
}

test('before any sample: not bleeding, normal, full weight, no figures', () => {
  assert.deepEqual(predictiveHealthReport(initialPredictiveState()), { bleeding: false, state: 'normal', weight_factor: 1 });
});

test('normal: the figures rounded to 0.01, no reason or bleeding_at', () => {
  assert.deepEqual(predictiveHealthReport(feed([[12.3456, 40.004, 2]])), {
    bleeding: false,
    state: 'normal',
    weight_factor: 1,
    cpu_percent: 12.35,
    mem_percent: 40,
    error_rate: 2,
  });
});

test('bleeding: the original fields with reason and RFC 3339 start, plus state and weight factor', () => {
  assert.deepEqual(predictiveHealthReport(feed([[95, 50, 0]])), {
    bleeding: true,
    state: 'bleeding',
    weight_factor: 0.5,
    bleed_reason: 'cpu_threshold_exceeded',
    bleeding_at: '2025-01-02T03:04:05.000Z',
    cpu_percent: 95,
    mem_percent: 50,
    error_rate: 0,
  });
});

test('draining reports bleeding true with weight factor 0 and the episode start', () => {
  const r = predictiveHealthReport(feed([[50, 90, 0], [50, 90, 0], [50, 90, 0], [50, 90, 0]]));
  assert.equal(r.bleeding, true);
  assert.equal(r.state, 'draining');
  assert.equal(r.weight_factor, 0);
  assert.equal(r.bleed_reason, 'memory_threshold_exceeded');
  assert.equal(r.bleeding_at, '2025-01-02T03:04:05.000Z');
});

test('a figure missing from the latest sample is left out (CPU while priming)', () => {
  const r = predictiveHealthReport(feed([[undefined, 50, 0]]));
  assert.equal('cpu_percent' in r, false);
  assert.equal(r.mem_percent, 50);
});

test('recovered is not bleeding and has no reason', () => {
  const r = predictiveHealthReport(feed([[95, 50, 0], [10, 50, 0], [10, 50, 0], [10, 50, 0]]));
  assert.deepEqual(r, { bleeding: false, state: 'recovered', weight_factor: 1, cpu_percent: 10, mem_percent: 50, error_rate: 0 });
});

test('the report fits a heartbeat payload typed Record<string, unknown>', () => {
  const payload: () => Record<string, unknown> | undefined = () => predictiveHealthReport(initialPredictiveState());
  assert.equal(payload()!.state, 'normal');
});

test('the report survives a JSON round trip unchanged (it rides in the heartbeat)', () => {
  const r = predictiveHealthReport(feed([[95, 50, 3]]));
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});
