/**
 * DNS query counting without per-query metric lookups: the hot path bumps a slot in a typed array
 * (per served name, per query type, per rcode); Prometheus reads the arrays at scrape time.
 * Query types outside the common set share an "OTHER" slot and names outside every served name
 * share "" so that no query can create a new label value (bounded cardinality).
 */
import { typeName, rcodeName } from '../dns/wire/index.ts';

const TYPES = [1, 28, 6, 2, 255, 48, 43, 16, 15, 33, 5, 12] as const; // A AAAA SOA NS ANY DNSKEY DS TXT MX SRV CNAME PTR
const TYPE_SLOTS = TYPES.length + 1;
const RCODES = [0, 1, 2, 3, 4, 5, 16] as const;
const RCODE_SLOTS = RCODES.length + 1;
const SLOTS = TYPE_SLOTS * RCODE_SLOTS;

const typeSlot = new Int16Array(65536).fill(TYPES.length);
TYPES.forEach((t, i) => (typeSlot[t] = i));
const rcodeSlot = new Int16Array(4096).fill(RCODES.length);
RCODES.forEach((r, i) => (rcodeSlot[r] = i));

export interface QueryCount {
  domain: string;
  type: string;
  rcode: string;
  count: number;
}

export class DnsQueryStats {
  readonly #byDomain = new Map<string, Float64Array>();
  readonly #other = new Float64Array(SLOTS);
  refused = 0;
  truncated = 0;

  /** Counts `n` (one unless told: DNS worker threads report in batches) answered queries; `domain` is the served name or null. */
  record(domain: string | null, qtype: number, rcode: number, truncated: boolean, n = 1): void {
    let slots: Float64Array = this.#other;
    if (domain !== null) {
      slots = this.#byDomain.get(domain) ?? this.#newDomain(domain);
    }
    slots[typeSlot[qtype & 0xffff]! * RCODE_SLOTS + rcodeSlot[rcode & 0xfff]!]! += n;
    if (rcode === 5) this.refused += n;
    if (truncated) this.truncated += n;
  }

  #newDomain(domain: string): Float64Array {
    const slots = new Float64Array(SLOTS);
    this.#byDomain.set(domain, slots);
    return slots;
  }

  /** Non-zero counters with their labels. */
  counts(): QueryCount[] {
    const out: QueryCount[] = [];
    const emit = (domain: string, slots: Float64Array) => {
      for (let t = 0; t < TYPE_SLOTS; t++) {
        for (let r = 0; r < RCODE_SLOTS; r++) {
          const count = slots[t * RCODE_SLOTS + r]!;
          if (count === 0) continue;
          out.push({
            domain,
            type: t < TYPES.length ? typeName(TYPES[t]!) : 'OTHER',
            rcode: r < RCODES.length ? rcodeName(RCODES[r]!) : 'OTHER',
            count,
          });
        }
      }
    };
    for (const [domain, slots] of this.#byDomain) emit(domain, slots);
    emit('', this.#other);
    return out;
  }

  total(): number {
    let n = 0;
    for (const c of this.counts()) n += c.count;
    return n;
  }
}
