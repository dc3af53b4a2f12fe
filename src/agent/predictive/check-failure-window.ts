/**
 * The error-rate signal from the agent's own backend checks: how many checks failed within the last
 * `windowMs` (a count per window, the unit of `predictive.error_rate.threshold`; the original counted
 * backend-became-unhealthy transitions instead, which a backend failing steadily never adds to).
 * Every check result of every backend counts once.
 *
 * Pure: time is passed in. A result recorded at `atMs` counts while `nowMs - atMs < windowMs`.
 * Memory is bounded by the number of checks in one window; old entries are dropped as time passes.
 * Results recorded out of time order are accepted (they are kept sorted).
 */
export class CheckFailureWindow {
  readonly windowMs: number;
  /** Times of results inside the window, oldest first, with whether each failed. */
  #times: number[] = [];
  #failed: boolean[] = [];
  #head = 0;
  #failures = 0;

  constructor(windowMs: number) {
    if (!(Number.isFinite(windowMs) && windowMs > 0)) throw new RangeError(`windowMs: expected a positive number, got ${windowMs}`);
    this.windowMs = windowMs;
  }

  /** Records one check result. */
  record(ok: boolean, atMs: number): void {
    let i = this.#times.length;
    while (i > this.#head && this.#times[i - 1]! > atMs) i--;
    this.#times.splice(i, 0, atMs);
    this.#failed.splice(i, 0, !ok);
    if (!ok) this.#failures++;
    this.#expire(this.#times[this.#times.length - 1]!); // bounded even if nobody reads the count
  }

  /** Failed checks within the window ending at `nowMs`. */
  failures(nowMs: number): number {
    this.#expire(nowMs);
    return this.#failures;
  }

  /** All checks (failed or not) within the window ending at `nowMs`. */
  checks(nowMs: number): number {
    this.#expire(nowMs);
    return this.#times.length - this.#head;
  }

  #expire(nowMs: number): void {
    const oldest = nowMs - this.windowMs;
    while (this.#head < this.#times.length && this.#times[this.#head]! <= oldest) {
      if (this.#failed[this.#head]) this.#failures--;
      this.#head++;
    }
    // Compact once the dead prefix dominates, so the arrays stay O(checks per window).
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#failed = this.#failed.slice(this.#head);
      this.#head = 0;
    }
  }
}
