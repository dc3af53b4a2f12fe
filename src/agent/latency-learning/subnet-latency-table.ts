/**
 * Client RTT per (backend, client prefix): an EWMA of the kernel's smoothed RTT of established
 * connections, bounded (least recently seen evicted past max_subnets) and aged out after
 * subnet_ttl. Pure: time comes in as nowMs.
 */
import { formatIp, maskInPlace, parseClientIpInto } from '../../geo/index.ts';

export interface SubnetLatency {
  subnet: string;
  ewmaMs: number;
  samples: number;
  lastSeenMs: number;
}

/** `a.b.c.d` -> `a.b.c.0/24` (or the configured length); IPv6 -> its /48 (RFC 5952 text). undefined for garbage. */
export function clientPrefix(address: string, v4Len: number, v6Len: number): string | undefined {
  const bytes = new Uint8Array(16);
  const family = parseClientIpInto(address, bytes);
  if (family === 0) return undefined;
  const len = family === 4 ? v4Len : v6Len;
  maskInPlace(bytes, family === 4 ? 4 : 16, len);
  return `${formatIp(family, bytes)}/${len}`;
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
