/**
 * A DNS worker's counters between two reports to the main thread, which adds them to the server's
 * metrics (so Prometheus counts every worker's traffic). Per query: two Map lookups, the inner
 * one on a small integer key; allocation happens per report, not per query.
 */
import type { ResponseOutcome } from '../responder.ts';
import { responseCode, type WorkerStats } from './messages.ts';

const MAX_TIMINGS = 4096;

export class QueryTally {
  #byDomain = new Map<string | null, Map<number, number>>();
  #timings = new Float64Array(MAX_TIMINGS);
  #timingCount = 0;
  #responses = 0;
  /** Rate limiter totals at the last drain (the limiter counts totals; reports carry deltas). */
  #dropped = 0;
  #slipped = 0;
  signaturesMade = 0;

  record(outcome: ResponseOutcome): void {
    const domain = outcome.entry?.name ?? null;
    let codes = this.#byDomain.get(domain);
    if (codes === undefined) this.#byDomain.set(domain, (codes = new Map()));
    const code = responseCode(outcome.qtype, outcome.rcode, outcome.truncated);
    codes.set(code, (codes.get(code) ?? 0) + 1);
    this.#responses++;
  }

  /** A sampled answer time; past the buffer, samples wait for the next report (dropped). */
  timing(seconds: number): void {
    if (this.#timingCount < MAX_TIMINGS) this.#timings[this.#timingCount++] = seconds;
  }

  /** The counters since the last drain; `limited` are the rate limiter's totals. */
  drain(limited: { dropped: number; slipped: number }): WorkerStats {
    const counts: (string | number | null)[] = [];
    for (const [domain, codes] of this.#byDomain) for (const [code, n] of codes) counts.push(domain, code, n);
    this.#byDomain = new Map();
    const stats: WorkerStats = {
      counts,
      timings: this.#timings.slice(0, this.#timingCount),
      responses: this.#responses,
      rateLimitedDropped: limited.dropped - this.#dropped,
      rateLimitedSlipped: limited.slipped - this.#slipped,
      signaturesMade: this.signaturesMade,
    };
    this.#dropped = limited.dropped;
    this.#slipped = limited.slipped;
    this.#timingCount = 0;
    this.#responses = 0;
    this.signaturesMade = 0;
    return stats;
  }
}
