/**
 * Smoothed RTT of the Overwatch's own validation checks per backend, for the `latency` policy:
 * an EWMA with the domain's latency_config.smoothing_factor (the first sample is taken as is),
 * counting samples so min_samples can be honoured. Only successful checks are samples (a failed
 * check's time is a timeout, not a latency). Pure state: the runtime feeds it results.
 */
import type { LearnedLatency } from '../model/index.ts';

export class LatencyTracker {
  readonly #stats = new Map<string, LearnedLatency>();

  /** Adds one RTT sample (ms) with smoothing factor `alpha` in (0, 1]. */
  record(backendId: string, sampleMs: number, alpha: number): LearnedLatency {
    let s = this.#stats.get(backendId);
    if (s === undefined) {
      s = { ewmaMs: sampleMs, samples: 1 };
      this.#stats.set(backendId, s);
      return s;
    }
    s.ewmaMs = alpha * sampleMs + (1 - alpha) * s.ewmaMs;
    s.samples++;
    return s;
  }

  get(backendId: string): LearnedLatency | undefined {
    return this.#stats.get(backendId);
  }

  /** Drops backends no longer registered. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#stats.keys()) if (!ids.has(id)) this.#stats.delete(id);
  }

  get size(): number {
    return this.#stats.size;
  }
}

/**
 * Records eligible for `latency`, lowest smoothed RTT first: those with at least `minSamples`
 * samples; of them, those within `maxLatencyMs`, unless none is (then all, lowest first: a slow
 * answer beats none). Empty when no record has enough samples (the policy then rotates).
 */
export function latencyOrder(
  backendIds: readonly string[],
  stats: (id: string) => LearnedLatency | undefined,
  minSamples: number,
  maxLatencyMs: number,
): Int32Array {
  const eligible: { i: number; ms: number }[] = [];
  for (let i = 0; i < backendIds.length; i++) {
    const s = stats(backendIds[i]!);
    if (s !== undefined && s.samples >= minSamples) eligible.push({ i, ms: s.ewmaMs });
  }
  const under = eligible.filter((e) => e.ms <= maxLatencyMs);
  const chosen = under.length > 0 ? under : eligible;
  chosen.sort((a, b) => a.ms - b.ms || a.i - b.i);
  return Int32Array.from(chosen, (e) => e.i);
}
