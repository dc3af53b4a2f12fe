/**
 * A Clock for large simulations: same contract as lifecycle's ManualClock (time moves only in
 * advance(), due timers fire in order, timers added while advancing fire in the same call when
 * due) but with a binary heap, so thousands of timers cost O(log n) each instead of O(n).
 */
import type { Clock, TimerHandle } from '../../src/lifecycle/index.ts';

const noop = (): void => {};

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class HeapClock implements Clock {
  #now: number;
  #seq = 0;
  #heap: Entry[] = [];

  constructor(startMs = 0) {
    this.#now = startMs;
  }
  nowMs(): number {
    return this.#now;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const e: Entry = { at: this.#now + Math.max(0, ms), seq: ++this.#seq, fn, cancelled: false };
    this.#push(e);
    return {
      cancel: () => {
        // Drop the closure now (it may hold sockets and buffers); the entry leaves the heap when due.
        e.cancelled = true;
        e.fn = noop;
      },
    };
  }
  advance(ms: number): void {
    const target = this.#now + ms;
    while (this.#heap.length > 0 && this.#heap[0].at <= target) {
      const e = this.#pop();
      if (e.cancelled) continue;
      this.#now = e.at;
      e.fn();
    }
    this.#now = target;
  }
  #less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  #push(e: Entry): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  #pop(): Entry {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l], h[m])) m = l;
        if (r < h.length && this.#less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
