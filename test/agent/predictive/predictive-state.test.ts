import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  applyPredictiveSample,
  checkPredictiveTuning,
  defaultPredictiveTuning,
  initialPredictiveState,
  recoveryLevel,
  type PredictiveSample,
  type PredictiveState,
  type PredictiveStatus,
  type PredictiveThresholds,
  type PredictiveTuning,
} from '../../../src/agent/predictive/index.ts';

/** The original's defaults: CPU 90 %, memory 85 %, error rate 10 per window; bleed_duration 30 s each. */
const config: PredictiveThresholds = {
  cpu: { threshold: 90, bleedDurationMs: 30_000 },
  memory: { threshold: 85, bleedDurationMs: 30_000 },
  errorRate: { threshold: 10, bleedDurationMs: 30_000, windowMs: 60_000 },
};
const intervalMs = 10_000;

function sample(cpuPercent?: number, memPercent?: number, errorRate?: number): PredictiveSample {
  return { cpuPercent, memPercent, errorRate };
}
const cpu = (v: number | undefined): PredictiveSample => sample(v, 50, 0);

/** Feeds samples one check interval apart, starting at `startMs`; returns every state. */
function run(
  samples: PredictiveSample[],
  options: { cfg?: PredictiveThresholds; tuning?: PredictiveTuning; startMs?: number; from?: PredictiveState } = {},
): PredictiveState[] {
  let state = options.from ?? initialPredictiveState();
  const out: PredictiveState[] = [];
  samples.forEach((s, i) => {
    state = applyPredictiveSample(state, s, options.cfg ?? config, (options.startMs ?? 0) + i * intervalMs, options.tuning).state;
    out.push(state);
  });
  return out;
}
const statuses = (states: PredictiveState[]): PredictiveStatus[] => states.map((s) => s.status);

test('initial state is normal with weight factor 1 and no reason or values', () => {
  const s = initialPredictiveState();
  assert.equal(s.status, 'normal');
  assert.equal(s.weightFactor, 1);
  assert.equal(s.reason, undefined);
  assert.equal(s.sinceMs, undefined);
  assert.equal(s.bleedingSinceMs, undefined);
  assert.equal(s.lastSampleMs, undefined);
  assert.equal(s.signals.cpu.value, undefined);
});

test('stays normal, unchanged, while every signal is under its threshold', () => {
  let state = initialPredictiveState();
  for (let i = 0; i < 5; i++) {
    const step = applyPredictiveSample(state, sample(89.9, 84.9, 9), config, i * intervalMs);
    assert.equal(step.changed, false);
    state = step.state;
  }
  assert.equal(state.status, 'normal');
  assert.equal(state.signals.cpu.value, 89.9);
  assert.equal(state.lastSampleMs, 40_000);
});

test('a signal at exactly its threshold starts bleeding with its reason, half weight and since-when', () => {
  const step = applyPredictiveSample(initialPredictiveState(), cpu(90), config, 5_000);
  assert.equal(step.changed, true);
  assert.equal(step.state.status, 'bleeding');
  assert.equal(step.state.reason, 'cpu_threshold_exceeded');
  assert.equal(step.state.weightFactor, 0.5);
  assert.equal(step.state.sinceMs, 5_000);
  assert.equal(step.state.bleedingSinceMs, 5_000);
  assert.equal(step.state.signals.cpu.overSinceMs, 5_000);
});

test('each signal reports its own reason', () => {
  const at = (s: PredictiveSample) => applyPredictiveSample(initialPredictiveState(), s, config, 0).state.reason;
  assert.equal(at(sample(95, 10, 0)), 'cpu_threshold_exceeded');
  assert.equal(at(sample(10, 85, 0)), 'memory_threshold_exceeded');
  assert.equal(at(sample(10, 10, 10)), 'error_rate_threshold_exceeded');
});

test('signals over their thresholds together on the same sample report cpu, then memory, then error rate', () => {
  const at = (s: PredictiveSample) => applyPredictiveSample(initialPredictiveState(), s, config, 0).state.reason;
  assert.equal(at(sample(95, 95, 50)), 'cpu_threshold_exceeded');
  assert.equal(at(sample(10, 95, 50)), 'memory_threshold_exceeded');
});

test('the reason is the signal whose episode started first, not the one listed first', () => {
  const states = run([sample(50, 90, 0), sample(95, 90, 0)]);
  assert.equal(states[1]!.reason, 'memory_threshold_exceeded');
  assert.equal(states[1]!.bleedingSinceMs, 0);
});

test('does not drain before bleed_duration has passed since the episode started', () => {
  // 0 s, 10 s, 20 s over the threshold: still bleeding; 30 s: draining.
  const states = run([cpu(95), cpu(95), cpu(95), cpu(95)]);
  assert.deepEqual(statuses(states), ['bleeding', 'bleeding', 'bleeding', 'draining']);
  const drained = states[3]!;
  assert.equal(drained.reason, 'cpu_threshold_exceeded');
  assert.equal(drained.weightFactor, 0);
  assert.equal(drained.sinceMs, 30_000);
  assert.equal(drained.bleedingSinceMs, 0, 'bleeding_at stays the start of the episode');
  assert.equal(drained.signals.cpu.drainingSinceMs, 30_000);
});

test('bleed_duration is measured in time, not samples', () => {
  const slow = { ...config, cpu: { threshold: 90, bleedDurationMs: 25_000 } };
  let state = applyPredictiveSample(initialPredictiveState(), cpu(95), slow, 0).state;
  state = applyPredictiveSample(state, cpu(95), slow, 24_999).state;
  assert.equal(state.status, 'bleeding');
  state = applyPredictiveSample(state, cpu(95), slow, 25_000).state;
  assert.equal(state.status, 'draining');
});

test('each signal uses its own bleed_duration', () => {
  const cfg: PredictiveThresholds = {
    cpu: { threshold: 90, bleedDurationMs: 60_000 },
    memory: { threshold: 85, bleedDurationMs: 10_000 },
    errorRate: config.errorRate,
  };
  const states = run([sample(95, 90, 0), sample(95, 90, 0)], { cfg });
  assert.deepEqual(statuses(states), ['bleeding', 'draining']);
  assert.equal(states[1]!.reason, 'memory_threshold_exceeded');
});

test('a second signal starting later gets its own full bleed_duration', () => {
  // CPU over from 0 s and dips under (not enough to recover); memory over from 20 s.
  const states = run([sample(95, 50, 0), sample(85, 50, 0), sample(85, 90, 0), sample(85, 90, 0), sample(85, 90, 0), sample(85, 90, 0)]);
  assert.deepEqual(statuses(states), ['bleeding', 'bleeding', 'bleeding', 'bleeding', 'bleeding', 'draining']);
  assert.equal(states[5]!.reason, 'memory_threshold_exceeded');
  assert.equal(states[5]!.sinceMs, 50_000);
});

test('a bleed_duration of 0 drains on the first sample over the threshold', () => {
  const cfg = { ...config, errorRate: { ...config.errorRate, bleedDurationMs: 0 } };
  const step = applyPredictiveSample(initialPredictiveState(), sample(10, 10, 12), cfg, 0);
  assert.equal(step.state.status, 'draining');
  assert.equal(step.state.reason, 'error_rate_threshold_exceeded');
  assert.equal(step.state.bleedingSinceMs, 0);
});

test('does not drain at the bleed deadline unless the signal is still at or over the threshold', () => {
  // Over at 0 s, then between the recovery level (81) and the threshold: keeps bleeding past 30 s.
  const states = run([cpu(95), cpu(88), cpu(88), cpu(88), cpu(88), cpu(91)]);
  assert.deepEqual(statuses(states), ['bleeding', 'bleeding', 'bleeding', 'bleeding', 'bleeding', 'draining']);
});

test('recovers only after three consecutive samples below threshold minus 10 percent, passing through recovered', () => {
  assert.equal(recoveryLevel(90), 81);
  const states = run([cpu(95), cpu(80), cpu(80), cpu(80), cpu(80)]);
  assert.deepEqual(statuses(states), ['bleeding', 'bleeding', 'bleeding', 'recovered', 'normal']);
  const recovered = states[3]!;
  assert.equal(recovered.weightFactor, 1);
  assert.equal(recovered.reason, undefined);
  assert.equal(recovered.bleedingSinceMs, undefined);
  assert.equal(recovered.sinceMs, 30_000);
  assert.equal(states[4]!.sinceMs, 40_000);
});

test('a value exactly at the recovery level does not count towards recovery', () => {
  const states = run([cpu(95), cpu(81), cpu(81), cpu(81), cpu(81)]);
  assert.ok(states.every((s) => s.status === 'bleeding' || s.status === 'draining'));
});

test('recovers from draining with the same rule', () => {
  const states = run([cpu(95), cpu(95), cpu(95), cpu(95), cpu(10), cpu(10), cpu(10), cpu(10)]);
  assert.deepEqual(statuses(states), ['bleeding', 'bleeding', 'bleeding', 'draining', 'draining', 'draining', 'recovered', 'normal']);
});

test('a value oscillating around the threshold does not flap: it bleeds, then drains, and stays drained', () => {
  const values = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 91 : 89));
  const states = run(values.map(cpu));
  const changes = states.filter((s, i) => i === 0 || s.status !== states[i - 1]!.status).map((s) => s.status);
  assert.deepEqual(changes, ['bleeding', 'draining']);
  assert.equal(states.at(-1)!.status, 'draining');
});

test('a value alternating between well under and over the threshold never gets three quiet samples in a row', () => {
  const values = Array.from({ length: 30 }, (_, i) => (i % 3 === 2 ? 95 : 50));
  const states = run(values.map(cpu));
  const changes = states.filter((s, i) => i === 0 || s.status !== states[i - 1]!.status).map((s) => s.status);
  assert.deepEqual(changes, ['normal', 'bleeding', 'draining']);
});

test('the original would have flapped on every sample; the count of status changes here stays bounded', () => {
  // Over, quiet, over, quiet ...: the original's bleeding flag would flip 39 times.
  const values = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 95 : 10));
  const states = run(values.map(cpu));
  let changes = 0;
  for (let i = 1; i < states.length; i++) if (states[i]!.status !== states[i - 1]!.status) changes++;
  assert.ok(changes <= 2, `status changed ${changes} times`);
});

test('a dip that breaks the quiet run restarts the count', () => {
  const states = run([cpu(95), cpu(70), cpu(70), cpu(85), cpu(70), cpu(70), cpu(70)], {
    cfg: { ...config, cpu: { threshold: 90, bleedDurationMs: 600_000 } },
  });
  assert.deepEqual(statuses(states), ['bleeding', 'bleeding', 'bleeding', 'bleeding', 'bleeding', 'bleeding', 'recovered']);
  assert.equal(states[3]!.signals.cpu.quietSamples, 0);
  assert.equal(states[5]!.signals.cpu.quietSamples, 2);
});

test('a new episode after recovery starts its bleed_duration from scratch', () => {
  const states = run([cpu(95), cpu(95), cpu(95), cpu(95), cpu(10), cpu(10), cpu(10), cpu(95), cpu(95), cpu(95), cpu(95)]);
  assert.deepEqual(statuses(states).slice(6), ['recovered', 'bleeding', 'bleeding', 'bleeding', 'draining']);
  assert.equal(states[7]!.bleedingSinceMs, 70_000);
  assert.equal(states[7]!.sinceMs, 70_000);
});

test('going over again on the sample after recovered starts bleeding at once', () => {
  const states = run([cpu(95), cpu(10), cpu(10), cpu(10), cpu(95)]);
  assert.deepEqual(statuses(states), ['bleeding', 'bleeding', 'bleeding', 'recovered', 'bleeding']);
});

test('stays out of service until every signal has recovered', () => {
  const states = run([sample(95, 90, 0), sample(10, 90, 0), sample(10, 90, 0), sample(10, 90, 0), sample(10, 10, 0), sample(10, 10, 0), sample(10, 10, 0)]);
  assert.equal(states[3]!.signals.cpu.phase, 'normal');
  assert.equal(states[3]!.status, 'draining');
  assert.equal(states[3]!.reason, 'memory_threshold_exceeded');
  assert.deepEqual(statuses(states).slice(4), ['draining', 'draining', 'recovered']);
});

test('draining outranks bleeding in the status and the reason', () => {
  const cfg: PredictiveThresholds = { ...config, errorRate: { ...config.errorRate, bleedDurationMs: 0 } };
  const states = run([sample(95, 50, 0), sample(95, 50, 20)], { cfg });
  assert.equal(states[1]!.status, 'draining');
  assert.equal(states[1]!.reason, 'error_rate_threshold_exceeded');
  assert.equal(states[1]!.bleedingSinceMs, 0);
});

test('changed reports a reason change within the same status', () => {
  const cfg: PredictiveThresholds = { ...config, cpu: { threshold: 90, bleedDurationMs: 30_000 }, memory: { threshold: 85, bleedDurationMs: 30_000 } };
  let state = applyPredictiveSample(initialPredictiveState(), sample(95, 10, 0), cfg, 0).state;
  state = applyPredictiveSample(state, sample(95, 90, 0), cfg, 10_000).state;
  // CPU recovers over three samples while memory keeps bleeding: the reason moves to memory.
  let step = applyPredictiveSample(state, sample(10, 90, 0), cfg, 11_000);
  step = applyPredictiveSample(step.state, sample(10, 88, 0), cfg, 12_000);
  assert.equal(step.changed, false);
  step = applyPredictiveSample(step.state, sample(10, 88, 0), cfg, 13_000);
  assert.equal(step.state.status, 'bleeding');
  assert.equal(step.state.reason, 'memory_threshold_exceeded');
  assert.equal(step.changed, true);
  assert.equal(step.state.sinceMs, 0, 'the status itself did not change');
});

test('a missing value holds that signal: no start, no drain, no recovery progress', () => {
  let states = run([cpu(undefined), cpu(undefined)]);
  assert.deepEqual(statuses(states), ['normal', 'normal']);
  states = run([cpu(95), cpu(undefined), cpu(undefined), cpu(undefined), cpu(undefined)]);
  assert.ok(states.every((s) => s.status === 'bleeding'), 'never drains without a value over the threshold');
  assert.equal(states[4]!.signals.cpu.value, undefined);
  states = run([cpu(95), cpu(10), cpu(undefined), cpu(10), cpu(undefined), cpu(10)], {
    cfg: { ...config, cpu: { threshold: 90, bleedDurationMs: 600_000 } },
  });
  assert.deepEqual(statuses(states), ['bleeding', 'bleeding', 'bleeding', 'bleeding', 'bleeding', 'recovered']);
});

test('NaN and infinite values count as missing', () => {
  const states = run([cpu(Number.NaN), cpu(Number.POSITIVE_INFINITY)]);
  assert.deepEqual(statuses(states), ['normal', 'normal']);
});

test('tuning changes the margin, the quiet sample count and the bleed weight', () => {
  const tuning: PredictiveTuning = { recoveryMarginRatio: 0.5, recoverySamples: 1, bleedWeightFactor: 0.25 };
  assert.equal(recoveryLevel(90, tuning), 45);
  const states = run([cpu(95), cpu(50), cpu(44)], { tuning });
  assert.equal(states[0]!.weightFactor, 0.25);
  assert.deepEqual(statuses(states), ['bleeding', 'bleeding', 'recovered']);
});

test('checkPredictiveTuning accepts the defaults and names a bad field', () => {
  checkPredictiveTuning(defaultPredictiveTuning);
  assert.throws(() => checkPredictiveTuning({ ...defaultPredictiveTuning, recoveryMarginRatio: 1 }), /recoveryMarginRatio/);
  assert.throws(() => checkPredictiveTuning({ ...defaultPredictiveTuning, recoverySamples: 0 }), /recoverySamples/);
  assert.throws(() => checkPredictiveTuning({ ...defaultPredictiveTuning, recoverySamples: 1.5 }), /recoverySamples/);
  assert.throws(() => checkPredictiveTuning({ ...defaultPredictiveTuning, bleedWeightFactor: 0 }), /bleedWeightFactor/);
});

test('inputs are never mutated', () => {
  const before = run([cpu(95), cpu(95)]).at(-1)!;
  const copy = structuredClone(before);
  const s = sample(10, 10, 0);
  applyPredictiveSample(before, s, config, 20_000);
  assert.deepEqual(before, copy);
  assert.deepEqual(s, sample(10, 10, 0));
});

// Properties over arbitrary sample sequences (values 0-100, irregular spacing, missing values).
// Values cluster at the thresholds and recovery levels (and the quiet end), so episodes both start and end.
const arbValue = fc.option(
  fc.oneof(
    { arbitrary: fc.constantFrom(5, 10, 10, 10, 76, 80, 81, 84, 85, 89, 90, 95), weight: 4 },
    { arbitrary: fc.double({ min: 0, max: 100, noNaN: true }), weight: 1 },
  ),
  { nil: undefined, freq: 8 },
);
const arbErr = fc.option(fc.constantFrom(0, 0, 0, 1, 8, 9, 10, 12, 30), { nil: undefined, freq: 8 });
// Runs of 1-5 identical samples, so quiet stretches long enough to recover occur often.
const arbSteps = fc
  .array(
    fc.record({ repeat: fc.integer({ min: 1, max: 5 }), gapMs: fc.integer({ min: 1, max: 40_000 }), cpu: arbValue, mem: arbValue, err: arbErr }),
    { maxLength: 30 },
  )
  .map((runs) => runs.flatMap(({ repeat, ...step }) => Array.from({ length: repeat }, () => step)));

function replay(steps: Array<{ gapMs: number; cpu?: number; mem?: number; err?: number }>, onStep: (prev: PredictiveState, next: PredictiveState, nowMs: number, s: PredictiveSample) => void): void {
  let state = initialPredictiveState();
  let now = 0;
  for (const st of steps) {
    now += st.gapMs;
    const s = sample(st.cpu, st.mem, st.err);
    const next = applyPredictiveSample(state, s, config, now).state;
    onStep(state, next, now, s);
    state = next;
  }
}

test('property: a drain never starts before bleed_duration has passed since the bleed began', () => {
  fc.assert(
    fc.property(arbSteps, (steps) => {
      replay(steps, (prev, next, now) => {
        if (next.status === 'draining' && prev.status !== 'draining') {
          assert.ok(prev.status === 'bleeding' || config.cpu.bleedDurationMs === 0, 'drains only from bleeding');
          assert.ok(now - next.bleedingSinceMs! >= 30_000);
        }
        for (const name of ['cpu', 'memory', 'errorRate'] as const) {
          if (next.signals[name].phase === 'draining' && prev.signals[name].phase !== 'draining') {
            assert.equal(prev.signals[name].phase, 'bleeding', `${name} drains only from bleeding`);
            assert.ok(now - prev.signals[name].overSinceMs! >= 30_000, `${name} drained early`);
          }
        }
      });
    }),
  );
});

test('property: reason, weight factor and bleeding_at follow the status', () => {
  fc.assert(
    fc.property(arbSteps, (steps) => {
      replay(steps, (_prev, next) => {
        const isOut = next.status === 'bleeding' || next.status === 'draining';
        assert.equal(next.reason !== undefined, isOut);
        assert.equal(next.bleedingSinceMs !== undefined, isOut);
        assert.equal(next.weightFactor, next.status === 'draining' ? 0 : next.status === 'bleeding' ? 0.5 : 1);
      });
    }),
  );
});

test('property: once out of service, it returns only after three consecutive quiet samples of every active signal', () => {
  fc.assert(
    fc.property(arbSteps, (steps) => {
      const history: PredictiveSample[] = [];
      replay(steps, (prev, next, _now, s) => {
        history.push(s);
        if (next.status === 'recovered') {
          assert.ok(prev.status === 'bleeding' || prev.status === 'draining');
          // The signal(s) that were active before must each have had three values below their recovery level.
          for (const [name, key, threshold] of [
            ['cpu', 'cpuPercent', 90],
            ['memory', 'memPercent', 85],
            ['errorRate', 'errorRate', 10],
          ] as const) {
            if (prev.signals[name].phase === 'normal') continue;
            const values = history.map((h) => h[key]).filter((v): v is number => v !== undefined);
            assert.ok(values.length >= 3 && values.slice(-3).every((v) => v < threshold * 0.9), `${name} recovered early`);
          }
        }
      });
    }),
  );
});

test('property: once out of service, values at or above the recovery level keep it out', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 81, max: 100, noNaN: true }), { minLength: 1, maxLength: 50 }), (values) => {
      const states = run([cpu(95), ...values.map(cpu)]);
      assert.ok(states.every((s) => s.status === 'bleeding' || s.status === 'draining'));
    }),
  );
});
