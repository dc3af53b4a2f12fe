/**
 * The pure threshold state machine behind every health check: consecutive results in, a verdict out.
 * Invariants: no I/O, no timers, no clock; inputs are never mutated; the same inputs give the same output.
 *
 * - `unknown`: no verdict yet. Fewer than `successThreshold` consecutive successes and fewer than
 *   `failureThreshold` consecutive failures have been seen since the target was added or its check
 *   definition changed (alternating results keep it unknown). This module does not decide whether an
 *   unknown backend is served: the owner does (the original Overwatch served static servers from the
 *   first query; the original agent started its backends unhealthy: use `initialStatus` for that).
 * - `healthy` / `unhealthy`: the last verdict reached by a full run of consecutive results.
 * A result opposite to the current run resets the other counter to 0; counters are not capped.
 */

export type HealthStatus = 'unknown' | 'healthy' | 'unhealthy';

export interface ThresholdState {
  readonly status: HealthStatus;
  readonly consecutiveSuccesses: number;
  readonly consecutiveFailures: number;
}

export interface Thresholds {
  /** Consecutive failures that make a target unhealthy; values below 1 act as 1. */
  readonly failureThreshold: number;
  /** Consecutive successes that make a target healthy; values below 1 act as 1. */
  readonly successThreshold: number;
}

export interface ThresholdStep {
  readonly state: ThresholdState;
  /** True when `state.status` differs from the status before this result. */
  readonly changed: boolean;
}

/** A fresh state with zero counters; `status` defaults to `unknown`. */
export function initialThresholdState(status: HealthStatus = 'unknown'): ThresholdState {
  return { status, consecutiveSuccesses: 0, consecutiveFailures: 0 };
}

/** Folds one check result into the state and says whether the status changed. */
export function applyCheckResult(state: ThresholdState, ok: boolean, thresholds: Thresholds): ThresholdStep {
  if (ok) {
    const consecutiveSuccesses = state.consecutiveSuccesses + 1;
    const status =
      state.status !== 'healthy' && consecutiveSuccesses >= Math.max(1, thresholds.successThreshold)
        ? 'healthy'
        : state.status;
    return { state: { status, consecutiveSuccesses, consecutiveFailures: 0 }, changed: status !== state.status };
  }
  const consecutiveFailures = state.consecutiveFailures + 1;
  const status =
    state.status !== 'unhealthy' && consecutiveFailures >= Math.max(1, thresholds.failureThreshold)
      ? 'unhealthy'
      : state.status;
  return { state: { status, consecutiveSuccesses: 0, consecutiveFailures }, changed: status !== state.status };
}
