/**
 * Transmit-limited broadcast queue (MEMBERLIST.md section 4.5, memberlist queue.go). Each queued
 * message is piggybacked on outgoing packets at most `retransmitMult x ceil(log10(n + 1))` times;
 * a newer broadcast about the same node replaces the queued one. Selection when filling a packet:
 * fewest transmissions first, then the largest that still fits, then the newest.
 * Pure: sizes in, byte slices out.
 */
import { ownBytes } from './own-bytes.ts';

/** memberlist's retransmitLimit. */
export function retransmitLimit(retransmitMult: number, numNodes: number): number {
  return retransmitMult * Math.ceil(Math.log10(numNodes + 1));
}

interface Item {
  transmits: number;
  id: number;
  msg: Buffer;
  name: string | undefined;
  onFinished: (() => void) | undefined;
}

/** Order inside a transmit-count bucket: largest first, then newest first (memberlist's btree order). */
function before(a: Item, b: Item): boolean {
  return a.msg.length > b.msg.length || (a.msg.length === b.msg.length && a.id > b.id);
}

export class TransmitLimitedQueue {
  readonly retransmitMult: number;
  /** Bucket t holds the items sent t times, each bucket in `before` order. */
  #buckets: Item[][] = [];
  #byName = new Map<string, Item>();
  #count = 0;
  #idGen = 0;

  constructor(retransmitMult: number) {
    this.retransmitMult = retransmitMult;
  }

  /**
   * Queues `msg`. With a `name` (the node a membership message is about) any queued message with the
   * same name is dropped and its `onFinished` called. `onFinished` runs once the message has been
   * sent its last time or was replaced (leave waits on this).
   */
  queue(msg: Buffer, name?: string, onFinished?: () => void): void {
    // Queued for many gossip rounds: a copy of its own, not a view pinning a 64 KiB pool slab.
    const item: Item = { transmits: 0, id: ++this.#idGen, msg: ownBytes(msg), name, onFinished };
    if (name !== undefined) {
      const old = this.#byName.get(name);
      if (old) {
        this.#remove(old);
        old.onFinished?.();
      }
      this.#byName.set(name, item);
    }
    this.#insert(item);
  }

  #insert(item: Item): void {
    const b = (this.#buckets[item.transmits] ??= []);
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(b[mid], item)) lo = mid + 1;
      else hi = mid;
    }
    b.splice(lo, 0, item);
    this.#count++;
  }

  #remove(item: Item): void {
    const b = this.#buckets[item.transmits];
    const i = b ? b.indexOf(item) : -1;
    if (i >= 0) {
      b.splice(i, 1);
      this.#count--;
    }
    if (item.name !== undefined && this.#byName.get(item.name) === item) this.#byName.delete(item.name);
    if (this.#count === 0) this.#idGen = 0;
  }

  /**
   * Takes messages that fit into `limit` bytes, counting `overhead` bytes per message, and counts a
   * transmission for each. `numNodes` is the cluster size estimate used for the retransmit limit.
   * Cost: O(taken x log n) searches plus the splices, not a sort of the whole queue per packet.
   */
  getBroadcasts(overhead: number, limit: number, numNodes: number): Buffer[] {
    if (this.#count === 0) return [];
    const maxTransmits = retransmitLimit(this.retransmitMult, numNodes);
    const out: Buffer[] = [];
    const reinsert: Item[] = [];
    let used = 0;
    outer: for (let t = 0; t < this.#buckets.length; t++) {
      const b = this.#buckets[t];
      if (!b || b.length === 0) continue;
      let from = 0;
      for (;;) {
        const free = limit - used - overhead;
        if (free <= 0) break outer;
        // Buckets are sorted by length, largest first: binary-search the first message that fits.
        let lo = from;
        let hi = b.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (b[mid].msg.length > free) lo = mid + 1;
          else hi = mid;
        }
        if (lo >= b.length) break;
        const item = b[lo];
        b.splice(lo, 1);
        this.#count--;
        from = lo;
        used += overhead + item.msg.length;
        out.push(item.msg);
        item.transmits++;
        if (item.transmits >= maxTransmits) {
          if (item.name !== undefined && this.#byName.get(item.name) === item) this.#byName.delete(item.name);
          item.onFinished?.();
        } else {
          reinsert.push(item);
        }
      }
    }
    for (const item of reinsert) this.#insert(item);
    if (this.#count === 0) this.#idGen = 0;
    return out;
  }

  /** Drops the most-sent (then smallest, oldest) broadcasts beyond `maxRetain` (memberlist's Prune). */
  prune(maxRetain: number): void {
    for (let t = this.#buckets.length - 1; t >= 0 && this.#count > maxRetain; t--) {
      const b = this.#buckets[t];
      while (b && b.length > 0 && this.#count > maxRetain) {
        const item = b[b.length - 1];
        this.#remove(item);
        item.onFinished?.();
      }
    }
  }

  /** Finishes and drops everything (shutdown). */
  reset(): void {
    const items = this.#buckets.flat();
    this.#buckets = [];
    this.#byName.clear();
    this.#count = 0;
    this.#idGen = 0;
    for (const item of items) item.onFinished?.();
  }

  get length(): number {
    return this.#count;
  }
}
