/**
 * Lifeguard suspicion timing (MEMBERLIST.md section 4.4), as in memberlist's suspicion.go: the maths
 * are pure functions of (n, k, elapsed, min, max); `Suspicion` is the per-node record of who has
 * accused the node. Timers belong to the runtime, which asks `confirm()` for the new deadline.
 */

/** Minimum suspicion timeout: SuspicionMult x max(1, log10(n)) x ProbeInterval, scale kept to ms precision. */
export function suspicionTimeoutMs(suspicionMult: number, n: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  // Go: time.Duration(mult) * time.Duration(nodeScale*1000) * interval / 1000 (integer nanoseconds).
  return (suspicionMult * Math.trunc(nodeScale * 1000) * probeIntervalMs) / 1000;
}

/** Time left before a suspect is declared dead after `confirmations` independent accusers. */
export function remainingSuspicionMs(confirmations: number, k: number, elapsedMs: number, minMs: number, maxMs: number): number {
  const frac = Math.log(confirmations + 1) / Math.log(k + 1);
  const raw = maxMs / 1000 - frac * (maxMs / 1000 - minMs / 1000);
  let timeout = Math.floor(1000 * raw);
  if (timeout < minMs) timeout = minMs;
  return timeout - elapsedMs;
}

/** Expected independent confirmations: SuspicionMult - 2, or 0 when the cluster is too small. */
export function expectedConfirmations(suspicionMult: number, n: number): number {
  const k = suspicionMult - 2;
  return n - 2 < k ? 0 : k;
}

export class Suspicion {
  readonly k: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly startMs: number;
  #confirmations = 0;
  #from = new Set<string>();

  constructor(from: string, k: number, minMs: number, maxMs: number, startMs: number) {
    this.k = k;
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.startMs = startMs;
    this.#from.add(from);
  }

  /** Initial timeout: max when confirmations are expected, else min. */
  get initialTimeoutMs(): number {
    return this.k < 1 ? this.minMs : this.maxMs;
  }

  get confirmations(): number {
    return this.#confirmations;
  }

  /**
   * Registers an accusation from `from`. Returns the new remaining time (ms, may be <= 0 = now) when
   * it was a new, counted confirmation (the caller re-gossips it), or undefined when not.
   */
  confirm(from: string, nowMs: number): number | undefined {
    if (this.#confirmations >= this.k) return undefined;
    if (this.#from.has(from)) return undefined;
    this.#from.add(from);
    this.#confirmations++;
    return remainingSuspicionMs(this.#confirmations, this.k, nowMs - this.startMs, this.minMs, this.maxMs);
  }
}
