/**
 * Learned latency: the RTT real clients see to each backend, as agents measure it (TCP RTT of
 * established connections) and report it per client subnet in `latency_report`. Kept per client
 * prefix *and per backend* (the original kept one value per region, so the first server of a
 * region always won), with the prefix length the agent reported (the original forced /24 and /48).
 *
 * Bounded: at most `maxPrefixes` prefixes, least recently reported evicted first, and data older
 * than `ttlMs` dropped by purge(nowMs), which the runtime calls on a timer; a lookup never looks
 * at time. Lookups try each stored prefix length, longest first, with numeric keys: no allocation.
 * IPv6 prefixes are kept to at most /64 (clients beyond that are one site).
 * Scope (RFC 7871): the longest stored prefix length of the family, matched or not: a client in
 * a shorter or unknown prefix may sit next to a longer one with different data.
 */
import type { ClientLatencyTable, ClientSubnet, DecisionScope, LearnedLatency } from '../model/index.ts';
import { parseCidr } from '../geo/index.ts';

export interface LearnedSample extends LearnedLatency {
  updatedMs: number;
  /** The agent that reported it. */
  agentId: string;
}

export interface LearnedPrefix {
  /** Canonical network text, e.g. 198.51.100.0/24. */
  cidr: string;
  family: number;
  prefixLength: number;
  /** Backend id -> latest report. */
  backends: Map<string, LearnedSample>;
  updatedMs: number;
}

export interface LearnedLatencyOptions {
  maxPrefixes: number;
  ttlMs: number;
}

const MAX_V6_PREFIX = 64;

export class LearnedLatencyTable implements ClientLatencyTable {
  readonly #opts: LearnedLatencyOptions;
  /** v4[len]: prefix bits -> entry. */
  readonly #v4: (Map<number, LearnedPrefix> | undefined)[] = new Array(33);
  /** v6[len]: first 32 bits -> next 32 bits -> entry. */
  readonly #v6: (Map<number, Map<number, LearnedPrefix>> | undefined)[] = new Array(MAX_V6_PREFIX + 1);
  readonly #count4 = new Int32Array(33);
  readonly #count6 = new Int32Array(MAX_V6_PREFIX + 1);
  #lengths4: number[] = [];
  #lengths6: number[] = [];
  /** LRU order (least recently reported first), keyed by cidr text. */
  readonly #order = new Map<string, LearnedPrefix>();
  /** Bumped by every change (DNS worker threads get a fresh copy when it moves). */
  version = 0;

  constructor(opts: LearnedLatencyOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#order.size;
  }

  /**
   * Stores one agent's report for one backend and client subnet. Returns false (and stores
   * nothing) when `subnet` is no network or the numbers are unusable.
   */
  report(subnet: string, backendId: string, ewmaMs: number, samples: number, nowMs: number, agentId: string): boolean {
    if (!Number.isFinite(ewmaMs) || ewmaMs < 0 || !Number.isFinite(samples) || samples < 0) return false;
    const cidr = parseCidr(subnet.includes('/') ? subnet : `${subnet}/${subnet.includes(':') ? 48 : 24}`);
    if (!cidr) return false;
    let prefixLength = cidr.prefixLength;
    let text = cidr.text;
    if (cidr.family === 6 && prefixLength > MAX_V6_PREFIX) {
      prefixLength = MAX_V6_PREFIX;
      const narrowed = parseCidr(`${cidr.text.slice(0, cidr.text.indexOf('/'))}/${MAX_V6_PREFIX}`)!;
      text = narrowed.text;
    }
    this.version++;
    let entry = this.#order.get(text);
    if (entry === undefined) {
      entry = { cidr: text, family: cidr.family, prefixLength, backends: new Map(), updatedMs: nowMs };
      this.#insert(entry, cidr.bytes);
    } else {
      this.#order.delete(text);
    }
    this.#order.set(text, entry);
    entry.updatedMs = nowMs;
    entry.backends.set(backendId, { ewmaMs, samples, updatedMs: nowMs, agentId });
    while (this.#order.size > this.#opts.maxPrefixes) {
      const oldest = this.#order.values().next().value!;
      this.#remove(oldest);
    }
    return true;
  }

  #insert(entry: LearnedPrefix, bytes: Uint8Array): void {
    const len = entry.prefixLength;
    if (entry.family === 4) {
      const key = prefixKey(word(bytes, 0), len);
      let m = this.#v4[len];
      if (!m) this.#v4[len] = m = new Map();
      m.set(key, entry);
      if (this.#count4[len]!++ === 0) this.#lengths4 = lengthsOf(this.#count4);
    } else {
      const hi = prefixKey(word(bytes, 0), len < 32 ? len : 32);
      const lo = prefixKey(word(bytes, 4), len > 32 ? len - 32 : 0);
      let m = this.#v6[len];
      if (!m) this.#v6[len] = m = new Map();
      let inner = m.get(hi);
      if (!inner) m.set(hi, (inner = new Map()));
      inner.set(lo, entry);
      if (this.#count6[len]!++ === 0) this.#lengths6 = lengthsOf(this.#count6);
    }
  }

  #remove(entry: LearnedPrefix): void {
    this.version++;
    this.#order.delete(entry.cidr);
    const cidr = parseCidr(entry.cidr)!;
    const len = entry.prefixLength;
    if (entry.family === 4) {
      this.#v4[len]?.delete(prefixKey(word(cidr.bytes, 0), len));
      if (--this.#count4[len]! === 0) this.#lengths4 = lengthsOf(this.#count4);
    } else {
      const hi = prefixKey(word(cidr.bytes, 0), len < 32 ? len : 32);
      const inner = this.#v6[len]?.get(hi);
      inner?.delete(prefixKey(word(cidr.bytes, 4), len > 32 ? len - 32 : 0));
      if (inner && inner.size === 0) this.#v6[len]!.delete(hi);
      if (--this.#count6[len]! === 0) this.#lengths6 = lengthsOf(this.#count6);
    }
  }

  lookup(client: ClientSubnet, scope: DecisionScope): ReadonlyMap<string, LearnedLatency> | null {
    const a = client.address;
    if (client.family === 4) {
      const lengths = this.#lengths4;
      scope.prefixLength = lengths.length > 0 ? lengths[0]! : 0;
      const addr = word(a, 0);
      for (let i = 0; i < lengths.length; i++) {
        const len = lengths[i]!;
        const e = this.#v4[len]!.get(prefixKey(addr, len));
        if (e !== undefined) return e.backends;
      }
      return null;
    }
    if (client.family !== 6) {
      scope.prefixLength = 0;
      return null;
    }
    const lengths = this.#lengths6;
    scope.prefixLength = lengths.length > 0 ? lengths[0]! : 0;
    const w0 = word(a, 0);
    const w1 = word(a, 4);
    for (let i = 0; i < lengths.length; i++) {
      const len = lengths[i]!;
      const inner = this.#v6[len]!.get(prefixKey(w0, len < 32 ? len : 32));
      if (inner === undefined) continue;
      const e = inner.get(prefixKey(w1, len > 32 ? len - 32 : 0));
      if (e !== undefined) return e.backends;
    }
    return null;
  }

  /** Drops samples (and then prefixes) last reported before nowMs - ttlMs; returns prefixes removed. */
  purge(nowMs: number): number {
    const cutoff = nowMs - this.#opts.ttlMs;
    let removed = 0;
    for (const entry of [...this.#order.values()]) {
      for (const [id, s] of entry.backends) if (s.updatedMs < cutoff && entry.backends.delete(id)) this.version++;
      if (entry.backends.size === 0) {
        this.#remove(entry);
        removed++;
      }
    }
    return removed;
  }

  /** Forgets a backend everywhere (it was removed from the registry). */
  forgetBackend(backendId: string): void {
    for (const entry of [...this.#order.values()]) {
      if (!entry.backends.delete(backendId)) continue;
      this.version++;
      if (entry.backends.size === 0) this.#remove(entry);
    }
  }

  /** Every prefix, most recently reported last (the API lists them). */
  entries(): LearnedPrefix[] {
    return [...this.#order.values()];
  }
}

function word(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** The leading `len` bits of a 32-bit word as a number (`>>> 32` would be a no-op in JS). */
function prefixKey(w: number, len: number): number {
  return len === 0 ? 0 : w >>> (32 - len);
}

function lengthsOf(counts: Int32Array): number[] {
  const out: number[] = [];
  for (let len = counts.length - 1; len >= 0; len--) if (counts[len]! > 0) out.push(len);
  return out;
}
