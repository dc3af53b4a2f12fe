export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  nowMs(): number;
  /** One-shot timer; the handle cancels it. Timers never keep the process alive on their own. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** Test clock: time moves only when advance() is called; due timers fire in order. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  constructor(startMs = 0) {
    this.#now = startMs;
  }
  nowMs(): number {
    return this.#now;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return { cancel: () => this.#timers.delete(id) };
  }
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, t] of this.#timers) {
        if (t.at <= target && t.at < nextAt) {
          nextAt = t.at;
          nextId = id;
        }
      }
      if (nextId < 0) break;
      const t = this.#timers.get(nextId)!;
      this.#timers.delete(nextId);
      this.#now = t.at;
      t.fn();
    }
    this.#now = target;
  }
  get pendingTimers(): number {
    return this.#timers.size;
  }
}
