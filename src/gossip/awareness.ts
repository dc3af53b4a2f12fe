/**
 * Lifeguard local health (MEMBERLIST.md section 4.7): a score in [0, max - 1] that stretches our
 * probe interval when we seem to be the slow one (failed probes without nacks, refutations).
 * Pure.
 */
export class Awareness {
  readonly max: number;
  #score = 0;
  constructor(max = 8) {
    this.max = max;
  }
  applyDelta(delta: number): void {
    this.#score = Math.min(this.max - 1, Math.max(0, this.#score + delta));
  }
  get score(): number {
    return this.#score;
  }
  scaleTimeout(timeoutMs: number): number {
    return timeoutMs * (this.#score + 1);
  }
}
