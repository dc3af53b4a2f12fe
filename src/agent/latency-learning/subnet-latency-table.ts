/**
 * Client RTT per (backend, client prefix): an EWMA of the kernel's smoothed RTT of established
 * connections, bounded (least recently seen evicted past max_subnets) and aged out after
 * subnet_ttl. Pure: time comes in as nowMs.
 */
import { isIPv4 } from 'node:net';

export interface SubnetLatency {
  subnet: string;
  ewmaMs: number;
  samples: number;
  lastSeenMs: number;
}

/** `a.b.c.d` -> `a.b.c.0/24` (or the configured length); IPv6 -> its /48. undefined for garbage. */
export function clientPrefix(address: string, v4Len: number, v6Len: number): string | undefined {
  if (isIPv4(address)) {
    const n = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const mask = v4Len === 0 ? 0 : (0xffffffff << (32 - v4Len)) >>> 0;
    const net = (n & mask) >>> 0;
    return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${v4Len}`;
  }
  if (!address.includes(':')) return undefined;
  const [head = '', tail] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...new Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t].map((g) => parseInt(g, 16) || 0);
  let bits = v6Len;
  const kept = groups.map((g) => {
    const keep = bits >= 16 ? g : bits <= 0 ? 0 : g & (0xffff << (16 - bits));
    bits -= 16;
    return keep.toString(16);
  });
  return `${kept.join(':')}/${v6Len}`;
}

export class SubnetLatencyTable {
  readonly #alpha: number;
  readonly #max: number;
  readonly #ttlMs: number;
  /** backend key -> subnet -> entry (Map insertion order doubles as recency). */
  readonly #byBackend = new Map<string, Map<string, SubnetLatency>>();
  #size = 0;

  constructor(alpha: number, maxSubnets: number, ttlMs: number) {
    this.#alpha = alpha;
    this.#max = maxSubnets;
    this.#ttlMs = ttlMs;
  }

  observe(backend: string, subnet: string, rttMs: number, nowMs: number): void {
    let subnets = this.#byBackend.get(backend);
    if (!subnets) this.#byBackend.set(backend, (subnets = new Map()));
    const e = subnets.get(subnet);
    if (e) {
      e.ewmaMs = this.#alpha * rttMs + (1 - this.#alpha) * e.ewmaMs;
      e.samples++;
      e.lastSeenMs = nowMs;
      subnets.delete(subnet);
      subnets.set(subnet, e);
      return;
    }
    subnets.set(subnet, { subnet, ewmaMs: rttMs, samples: 1, lastSeenMs: nowMs });
    if (++this.#size > this.#max) this.#evictOldest();
  }

  #evictOldest(): void {
    let oldest: { backend: string; subnet: string; at: number } | undefined;
    for (const [backend, subnets] of this.#byBackend) {
      const first = subnets.values().next().value as SubnetLatency | undefined;
      if (first && (!oldest || first.lastSeenMs < oldest.at)) oldest = { backend, subnet: first.subnet, at: first.lastSeenMs };
    }
    if (oldest) {
      this.#byBackend.get(oldest.backend)!.delete(oldest.subnet);
      this.#size--;
    }
  }

  /** Entries with at least minSamples, dropping those older than the TTL. */
  report(backend: string, minSamples: number, nowMs: number): SubnetLatency[] {
    const subnets = this.#byBackend.get(backend);
    if (!subnets) return [];
    const out: SubnetLatency[] = [];
    for (const [k, e] of subnets) {
      if (nowMs - e.lastSeenMs > this.#ttlMs) {
        subnets.delete(k);
        this.#size--;
        continue;
      }
      if (e.samples >= minSamples) out.push({ ...e });
    }
    return out;
  }

  get size(): number {
    return this.#size;
  }
}
