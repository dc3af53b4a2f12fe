/**
 * The pure predictive-health state machine: one sample of (CPU %, memory %, error rate) in, a verdict
 * out. Invariants: no I/O, no timers, no clock (time is the `nowMs` argument); inputs are never mutated;
 * the same inputs always give the same output.
 *
 * Each signal runs its own episode:
 * - `normal` → `bleeding` on the first sample at or over its threshold (`value >= threshold`, as the
 *   original compared). The episode starts then (`overSinceMs`).
 * - `bleeding` → `draining` on a sample still at or over the threshold once `bleed_duration` has passed
 *   since the episode started (`nowMs - overSinceMs >= bleedDurationMs`). A bleed duration of 0 drains
 *   on the first sample over the threshold. Samples between the threshold and the recovery level
 *   neither drain nor recover: the signal keeps bleeding.
 * - Hysteresis (leaving `bleeding` or `draining`): the signal must be strictly below its recovery level,
 *   `threshold × (1 − recoveryMarginRatio)` (10% below by default: CPU 90 → 81, memory 85 → 76.5,
 *   error rate 10 → 9), for `recoverySamples` consecutive samples (3 by default, i.e. 30 s at the
 *   default 10 s check interval). Any sample at or above the recovery level restarts that count, so a
 *   value oscillating around the threshold stays in its episode (and drains once the bleed duration is
 *   over) instead of flapping in and out of DNS answers.
 * - A sample without a value for a signal (`undefined`, NaN: e.g. CPU on the priming sample, a stats file
 *   that could not be read) is no evidence either way: that signal's episode, timers and quiet-sample
 *   count are held unchanged.
 *
 * The overall status is the worst signal: `draining` if any signal drains, else `bleeding` if any
 * bleeds, else `recovered` on the one sample where the last episode ended, else `normal`. `recovered`
 * is served like `normal` (weight factor 1); it exists so the change is visible (onChange, logs,
 * metrics) and turns into `normal` on the next sample that starts no new episode.
 *
 * Weight factor (what the Overwatch multiplies the backend's weight by): 1 for normal/recovered, 0 for
 * draining (removed from answers), and a fixed `bleedWeightFactor` (0.5) while bleeding. Fixed rather
 * than proportional to how far over the threshold a signal is, so the weight does not move on every
 * sample (each change rebuilds the Overwatch's snapshot) and a bleed is easy to read and predict.
 */
import type { PredictiveConfig } from '../../config/types.ts';

export const predictiveSignals = ['cpu', 'memory', 'errorRate'] as const;
/** In this order when two signals started their episodes on the same sample (the original's order). */
export type PredictiveSignal = (typeof predictiveSignals)[number];

export const BleedReason = {
  Cpu: 'cpu_threshold_exceeded',
  Memory: 'memory_threshold_exceeded',
  ErrorRate: 'error_rate_threshold_exceeded',
} as const;
export type BleedReason = (typeof BleedReason)[keyof typeof BleedReason];

export const bleedReasonOf: Readonly<Record<PredictiveSignal, BleedReason>> = {
  cpu: BleedReason.Cpu,
  memory: BleedReason.Memory,
  errorRate: BleedReason.ErrorRate,
};

export type PredictiveStatus = 'normal' | 'bleeding' | 'draining' | 'recovered';
export type SignalPhase = 'normal' | 'bleeding' | 'draining';

/** One evaluation's inputs; `undefined` means no value this time (see the header). */
export interface PredictiveSample {
  readonly cpuPercent: number | undefined;
  readonly memPercent: number | undefined;
  /** Failed checks in the window, or the endpoint's figure when higher (see predictive-monitor.ts). */
  readonly errorRate: number | undefined;
}

/** The thresholds the state machine reads; a whole PredictiveConfig fits. */
export type PredictiveThresholds = Pick<PredictiveConfig, 'cpu' | 'memory' | 'errorRate'>;

export interface PredictiveTuning {
  /** Recovery level = threshold × (1 − this); in [0, 1). */
  readonly recoveryMarginRatio: number;
  /** Consecutive samples below the recovery level that end an episode; an integer ≥ 1. */
  readonly recoverySamples: number;
  /** Weight factor while bleeding; in (0, 1]. */
  readonly bleedWeightFactor: number;
}

export const defaultPredictiveTuning: PredictiveTuning = {
  recoveryMarginRatio: 0.1,
  recoverySamples: 3,
  bleedWeightFactor: 0.5,
};

export interface SignalState {
  readonly phase: SignalPhase;
  /** Time of the sample that started this signal's episode; undefined when `normal`. */
  readonly overSinceMs: number | undefined;
  /** Time of the sample that made it drain; undefined unless `draining`. */
  readonly drainingSinceMs: number | undefined;
  /** Consecutive samples below the recovery level within the current episode. */
  readonly quietSamples: number;
  /** The latest sample's value; undefined when that sample had none. */
  readonly value: number | undefined;
}

export interface PredictiveState {
  readonly status: PredictiveStatus;
  /** The signal behind `bleeding`/`draining` (see `reasonSignal`); undefined otherwise. */
  readonly reason: BleedReason | undefined;
  /** Time of the sample that entered `status`; undefined before the first change. */
  readonly sinceMs: number | undefined;
  /** Start of the current bleed/drain episode (the original's `bleeding_at`); undefined when serving normally. */
  readonly bleedingSinceMs: number | undefined;
  readonly weightFactor: number;
  readonly signals: Readonly<Record<PredictiveSignal, SignalState>>;
  /** Time of the latest sample; undefined before the first. */
  readonly lastSampleMs: number | undefined;
}

export interface PredictiveStep {
  readonly state: PredictiveState;
  /** True when `status` or `reason` differs from the state before this sample. */
  readonly changed: boolean;
}

const quietSignal: SignalState = {
  phase: 'normal',
  overSinceMs: undefined,
  drainingSinceMs: undefined,
  quietSamples: 0,
  value: undefined,
};

/** Before any sample: normal, weight factor 1, no values. */
export function initialPredictiveState(): PredictiveState {
  return {
    status: 'normal',
    reason: undefined,
    sinceMs: undefined,
    bleedingSinceMs: undefined,
    weightFactor: 1,
    signals: { cpu: quietSignal, memory: quietSignal, errorRate: quietSignal },
    lastSampleMs: undefined,
  };
}

/** The level a signal must stay strictly below to count towards recovery. */
export function recoveryLevel(threshold: number, tuning: PredictiveTuning = defaultPredictiveTuning): number {
  return threshold * (1 - tuning.recoveryMarginRatio);
}

/** Throws a RangeError naming the bad field; the monitor calls this once at construction. */
export function checkPredictiveTuning(tuning: PredictiveTuning): void {
  const { recoveryMarginRatio: m, recoverySamples: n, bleedWeightFactor: w } = tuning;
  if (!(Number.isFinite(m) && m >= 0 && m < 1)) throw new RangeError(`recoveryMarginRatio: expected a number in [0, 1), got ${m}`);
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`recoverySamples: expected an integer >= 1, got ${n}`);
  if (!(Number.isFinite(w) && w > 0 && w <= 1)) throw new RangeError(`bleedWeightFactor: expected a number in (0, 1], got ${w}`);
}

function stepSignal(
  s: SignalState,
  value: number | undefined,
  threshold: number,
  bleedDurationMs: number,
  nowMs: number,
  tuning: PredictiveTuning,
): SignalState {
  if (value === undefined || !Number.isFinite(value)) return s.value === undefined ? s : { ...s, value: undefined };
  const isOver = value >= threshold;
  if (s.phase === 'normal') {
    if (!isOver) return { ...quietSignal, value };
    const drainsAtOnce = bleedDurationMs <= 0;
    return {
      phase: drainsAtOnce ? 'draining' : 'bleeding',
      overSinceMs: nowMs,
      drainingSinceMs: drainsAtOnce ? nowMs : undefined,
      quietSamples: 0,
      value,
    };
  }
  if (value < recoveryLevel(threshold, tuning)) {
    const quietSamples = s.quietSamples + 1;
    if (quietSamples >= tuning.recoverySamples) return { ...quietSignal, value };
    return { ...s, quietSamples, value };
  }
  const overSinceMs = s.overSinceMs ?? nowMs;
  if (s.phase === 'bleeding' && isOver && nowMs - overSinceMs >= bleedDurationMs) {
    return { phase: 'draining', overSinceMs, drainingSinceMs: nowMs, quietSamples: 0, value };
  }
  return { ...s, quietSamples: 0, value };
}

/**
 * The signal a bleed or drain is reported for: among the signals in the worst phase, the one whose
 * episode (or drain) started first; ties go to cpu, then memory, then error rate.
 */
export function reasonSignal(signals: Readonly<Record<PredictiveSignal, SignalState>>): PredictiveSignal | undefined {
  let best: PredictiveSignal | undefined;
  let bestPhase = 0;
  let bestAt = Infinity;
  for (const name of predictiveSignals) {
    const s = signals[name];
    const phase = s.phase === 'draining' ? 2 : s.phase === 'bleeding' ? 1 : 0;
    if (phase === 0) continue;
    const at = (phase === 2 ? s.drainingSinceMs : s.overSinceMs) ?? Infinity;
    if (phase > bestPhase || (phase === bestPhase && at < bestAt)) {
      best = name;
      bestPhase = phase;
      bestAt = at;
    }
  }
  return best;
}

/** Folds one sample into the state; pure. */
export function applyPredictiveSample(
  state: PredictiveState,
  sample: PredictiveSample,
  config: PredictiveThresholds,
  nowMs: number,
  tuning: PredictiveTuning = defaultPredictiveTuning,
): PredictiveStep {
  const signals: Record<PredictiveSignal, SignalState> = {
    cpu: stepSignal(state.signals.cpu, sample.cpuPercent, config.cpu.threshold, config.cpu.bleedDurationMs, nowMs, tuning),
    memory: stepSignal(state.signals.memory, sample.memPercent, config.memory.threshold, config.memory.bleedDurationMs, nowMs, tuning),
    errorRate: stepSignal(
      state.signals.errorRate,
      sample.errorRate,
      config.errorRate.threshold,
      config.errorRate.bleedDurationMs,
      nowMs,
      tuning,
    ),
  };
  const worst = reasonSignal(signals);
  const wasOut = state.status === 'bleeding' || state.status === 'draining';
  let status: PredictiveStatus;
  if (worst !== undefined) status = signals[worst].phase === 'draining' ? 'draining' : 'bleeding';
  else status = wasOut ? 'recovered' : 'normal';
  const isOut = status === 'bleeding' || status === 'draining';
  const reason = worst === undefined ? undefined : bleedReasonOf[worst];
  let bleedingSinceMs: number | undefined;
  if (isOut) {
    bleedingSinceMs = wasOut ? state.bleedingSinceMs : nowMs;
  }
  const next: PredictiveState = {
    status,
    reason,
    sinceMs: status === state.status ? state.sinceMs : nowMs,
    bleedingSinceMs,
    weightFactor: status === 'draining' ? 0 : status === 'bleeding' ? tuning.bleedWeightFactor : 1,
    signals,
    lastSampleMs: nowMs,
  };
  return { state: next, changed: status !== state.status || reason !== state.reason };
}
