/**
 * Response rate limiting for UDP (the idea of BIND's and Knot's RRL, simplified): a token bucket
 * per client prefix (/24 and /56 by default) refilled at `responses_per_second` with one second of
 * burst. Past the limit a response is dropped, except every `slip`-th one, which is sent truncated
 * (TC=1, no records) so a real client behind a spoofed flood still gets through over TCP, while the
 * server never amplifies. Exemption (loopback by default) is decided per prefix when its bucket is
 * made. The table is bounded: past `maxPrefixes` the oldest buckets are dropped.
 * Costs one Map lookup and a few arithmetic operations per response; no allocation for known
 * IPv4 prefixes.
 */
import { BlockList, isIPv6 } from 'node:net';
import type { RateLimitConfig } from '../config/types.ts';
import { formatIp, maskInPlace, parseIpInto } from '../geo/index.ts';

export const RateVerdict = { Send: 0, Drop: 1, Slip: 2 } as const;
export type RateVerdict = (typeof RateVerdict)[keyof typeof RateVerdict];

interface Bucket {
  tokens: number;
  lastMs: number;
  limited: number;
  exempt: boolean;
}

export interface RateLimiterStats {
  dropped: number;
  slipped: number;
}

/** IPv4 text (also `::ffff:a.b.c.d`) to a 32-bit number, or -1. No allocation. */
export function ipv4ToNumber(address: string): number {
  let i = address.startsWith('::ffff:') ? 7 : 0;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || octet > 255) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      digits++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return -1;
  return value * 256 + octet;
}

const v6Bytes = new Uint8Array(16);

/** Key of an IPv6 client's prefix (IPv6 clients are the rarer case, so a string key is fine). */
function ipv6PrefixKey(address: string, prefixLength: number): string {
  if (parseIpInto(address, v6Bytes) !== 6) return `raw:${address}`;
  maskInPlace(v6Bytes, 16, prefixLength);
  return formatIp(6, v6Bytes);
}

export class ResponseRateLimiter {
  readonly #rate: number;
  readonly #slip: number;
  readonly #v4Mask: number;
  readonly #v6Prefix: number;
  readonly #exempt = new BlockList();
  readonly #maxPrefixes: number;
  readonly #v4 = new Map<number, Bucket>();
  readonly #v6 = new Map<string, Bucket>();
  readonly stats: RateLimiterStats = { dropped: 0, slipped: 0 };

  constructor(config: RateLimitConfig, maxPrefixes = 100_000) {
    this.#rate = config.responsesPerSecond;
    this.#slip = config.slip;
    this.#v4Mask = config.ipv4PrefixLength === 0 ? 0 : (0xffffffff << (32 - config.ipv4PrefixLength)) >>> 0;
    this.#v6Prefix = config.ipv6PrefixLength;
    this.#maxPrefixes = maxPrefixes;
    for (const cidr of config.exempt) {
      const [net = '', len = ''] = cidr.split('/');
      this.#exempt.addSubnet(net, Number(len), isIPv6(net) ? 'ipv6' : 'ipv4');
    }
  }

  check(address: string, nowMs: number): RateVerdict {
    const v4 = ipv4ToNumber(address);
    let bucket: Bucket | undefined;
    if (v4 >= 0) {
      const key = (v4 & this.#v4Mask) >>> 0;
      bucket = this.#v4.get(key);
      if (!bucket) bucket = this.#add(this.#v4, key, address, 'ipv4', nowMs);
    } else {
      const key = ipv6PrefixKey(address, this.#v6Prefix);
      bucket = this.#v6.get(key);
      if (!bucket) bucket = this.#add(this.#v6, key, address, 'ipv6', nowMs);
    }
    if (bucket.exempt) return RateVerdict.Send;
    const elapsed = nowMs - bucket.lastMs;
    if (elapsed > 0) {
      bucket.tokens = Math.min(this.#rate, bucket.tokens + (elapsed * this.#rate) / 1000);
      bucket.lastMs = nowMs;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return RateVerdict.Send;
    }
    bucket.limited++;
    if (this.#slip > 0 && bucket.limited % this.#slip === 0) {
      this.stats.slipped++;
      return RateVerdict.Slip;
    }
    this.stats.dropped++;
    return RateVerdict.Drop;
  }

  #add<K>(map: Map<K, Bucket>, key: K, address: string, family: 'ipv4' | 'ipv6', nowMs: number): Bucket {
    if (map.size >= this.#maxPrefixes) {
      // Maps iterate in insertion order: drop the oldest tenth in one sweep.
      let n = Math.ceil(this.#maxPrefixes / 10);
      for (const k of map.keys()) {
        map.delete(k);
        if (--n === 0) break;
      }
    }
    const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
    const bucket: Bucket = { tokens: this.#rate, lastMs: nowMs, limited: 0, exempt: this.#exempt.check(plain, family) };
    map.set(key, bucket);
    return bucket;
  }

  get trackedPrefixes(): number {
    return this.#v4.size + this.#v6.size;
  }
}
