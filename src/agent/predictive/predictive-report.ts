/**
 * The predictive part of the agent's heartbeat: the original's `predictive` object (bleeding,
 * bleed_reason, bleeding_at, cpu_percent, mem_percent, error_rate) plus our `state` and
 * `weight_factor`. Pure.
 *
 * - `bleeding` is true while bleeding or draining, as the original's flag meant "take load away"; an
 *   Overwatch that reads `state` tells the two apart (lower the weight by `weight_factor` vs remove).
 * - `bleed_reason` and `bleeding_at` (RFC 3339, the episode's start) only while bleeding or draining.
 * - Figures are rounded to 0.01 and left out when the latest sample had none (e.g. CPU while priming).
 */
import type { PredictiveState } from './predictive-state.ts';

/** A type alias, not an interface, so it is assignable to `Record<string, unknown>` (the heartbeat's payload). */
export type PredictiveHealthReport = {
  bleeding: boolean;
  bleed_reason?: string;
  bleeding_at?: string;
  cpu_percent?: number;
  mem_percent?: number;
  error_rate?: number;
  state: PredictiveState['status'];
  weight_factor: number;
};

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export function predictiveHealthReport(state: PredictiveState): PredictiveHealthReport {
  const isOut = state.status === 'bleeding' || state.status === 'draining';
  const report: PredictiveHealthReport = { bleeding: isOut, state: state.status, weight_factor: state.weightFactor };
  if (isOut && state.reason !== undefined) report.bleed_reason = state.reason;
  if (isOut && state.bleedingSinceMs !== undefined) report.bleeding_at = new Date(state.bleedingSinceMs).toISOString();
  const { cpu, memory, errorRate } = state.signals;
  if (cpu.value !== undefined) report.cpu_percent = round2(cpu.value);
  if (memory.value !== undefined) report.mem_percent = round2(memory.value);
  if (errorRate.value !== undefined) report.error_rate = round2(errorRate.value);
  return report;
}
