import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyCheckResult, initialThresholdState, type HealthStatus, type ThresholdState } from '../../src/health/index.ts';

/**
 * Independent model: after a sequence, the status is the verdict of the latest position where the run of
 * identical results ending there reached its threshold (healthy for passes, unhealthy for failures), else
 * the initial status; the counters are the length of the trailing run.
 */
function model(initial: HealthStatus, results: boolean[], failureThreshold: number, successThreshold: number): ThresholdState {
  let status = initial;
  for (let i = 0; i < results.length; i++) {
    let run = 0;
    for (let j = i; j >= 0 && results[j] === results[i]; j--) run++;
    if (results[i] && run >= successThreshold) status = 'healthy';
    if (!results[i] && run >= failureThreshold) status = 'unhealthy';
  }
  let trailing = 0;
  for (let j = results.length - 1; j >= 0 && results[j] === results[results.length - 1]; j--) trailing++;
  const last = results.at(-1);
  return {
    status,
    consecutiveSuccesses: last === true ? trailing : 0,
    consecutiveFailures: last === false ? trailing : 0,
  };
}

test('initial state has zero counters and defaults to unknown', () => {
  assert.deepEqual(initialThresholdState(), { status: 'unknown', consecutiveSuccesses: 0, consecutiveFailures: 0 });
  assert.equal(initialThresholdState('unhealthy').status, 'unhealthy');
  assert.equal(initialThresholdState('healthy').status, 'healthy');
});

test('matches the run-length model for every sequence up to 8 results, thresholds 1-4 and every initial status', () => {
  let cases = 0;
  for (const initial of ['unknown', 'healthy', 'unhealthy'] as const) {
    for (let failureThreshold = 1; failureThreshold <= 4; failureThreshold++) {
      for (let successThreshold = 1; successThreshold <= 4; successThreshold++) {
        const thresholds = { failureThreshold, successThreshold };
        for (let length = 0; length <= 8; length++) {
          for (let bits = 0; bits < 1 << length; bits++) {
            const results = Array.from({ length }, (_, i) => ((bits >> i) & 1) === 1);
            let state = initialThresholdState(initial);
            for (let i = 0; i < results.length; i++) {
              const before = state.status;
              const step = applyCheckResult(state, results[i], thresholds);
              assert.equal(step.changed, step.state.status !== before);
              state = step.state;
              assert.deepEqual(state, model(initial, results.slice(0, i + 1), failureThreshold, successThreshold));
            }
            cases++;
          }
        }
      }
    }
  }
  assert.equal(cases, 3 * 16 * 511);
});

test('with the defaults 3/2 an unknown target turns healthy on the second pass and unhealthy on the third failure', () => {
  const thresholds = { failureThreshold: 3, successThreshold: 2 };
  let step = applyCheckResult(initialThresholdState(), true, thresholds);
  assert.deepEqual(step, { state: { status: 'unknown', consecutiveSuccesses: 1, consecutiveFailures: 0 }, changed: false });
  step = applyCheckResult(step.state, true, thresholds);
  assert.deepEqual(step, { state: { status: 'healthy', consecutiveSuccesses: 2, consecutiveFailures: 0 }, changed: true });
  step = applyCheckResult(step.state, false, thresholds);
  step = applyCheckResult(step.state, false, thresholds);
  assert.equal(step.state.status, 'healthy');
  assert.equal(step.changed, false);
  step = applyCheckResult(step.state, false, thresholds);
  assert.deepEqual(step, { state: { status: 'unhealthy', consecutiveSuccesses: 0, consecutiveFailures: 3 }, changed: true });
});

test('a result opposite to the current run resets the other counter', () => {
  const thresholds = { failureThreshold: 3, successThreshold: 3 };
  let state = initialThresholdState('healthy');
  state = applyCheckResult(state, false, thresholds).state;
  state = applyCheckResult(state, false, thresholds).state;
  state = applyCheckResult(state, true, thresholds).state;
  assert.deepEqual(state, { status: 'healthy', consecutiveSuccesses: 1, consecutiveFailures: 0 });
  state = applyCheckResult(state, false, thresholds).state;
  state = applyCheckResult(state, false, thresholds).state;
  assert.equal(state.status, 'healthy', 'two failures after a reset are below the threshold of 3');
});

test('alternating results keep an unknown target unknown when both thresholds exceed 1', () => {
  let state = initialThresholdState();
  for (let i = 0; i < 20; i++) state = applyCheckResult(state, i % 2 === 0, { failureThreshold: 2, successThreshold: 2 }).state;
  assert.equal(state.status, 'unknown');
});

test('counters keep counting past the threshold and a repeated verdict is not a change', () => {
  let step = applyCheckResult(initialThresholdState('unhealthy'), false, { failureThreshold: 1, successThreshold: 1 });
  assert.equal(step.changed, false);
  step = applyCheckResult(step.state, false, { failureThreshold: 1, successThreshold: 1 });
  assert.deepEqual(step.state, { status: 'unhealthy', consecutiveSuccesses: 0, consecutiveFailures: 2 });
});

test('thresholds below 1 act as 1', () => {
  assert.equal(applyCheckResult(initialThresholdState(), true, { failureThreshold: 0, successThreshold: 0 }).state.status, 'healthy');
  assert.equal(applyCheckResult(initialThresholdState(), false, { failureThreshold: -1, successThreshold: 0 }).state.status, 'unhealthy');
});

test('never mutates the state it is given', () => {
  const state = Object.freeze(initialThresholdState());
  const step = applyCheckResult(state, true, { failureThreshold: 1, successThreshold: 1 });
  assert.notEqual(step.state, state);
  assert.deepEqual(state, { status: 'unknown', consecutiveSuccesses: 0, consecutiveFailures: 0 });
});
