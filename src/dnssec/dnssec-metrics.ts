/**
 * Prometheus metrics of the signer, read from its counters at scrape time (nothing on the query
 * path but the latency observation of each signature actually made).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DnssecService } from './dnssec-service.ts';

export interface DnssecMetrics {
  signingSeconds: Histogram;
  keySyncFailures: Counter<'peer'>;
}

/** Registers the histogram first: the service reports each signature's time into it. */
export function createDnssecMetrics(registry: Registry): DnssecMetrics {
  return {
    signingSeconds: new Histogram({
      name: 'opengslb_dnssec_signing_seconds',
      help: 'Time to make one RRSIG (ECDSA P-256)',
      buckets: [0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.005],
      registers: [registry],
    }),
    keySyncFailures: new Counter({
      name: 'opengslb_dnssec_key_sync_failures_total',
      help: 'Failed key sync polls of a peer Overwatch (DNS keeps serving with the keys it has)',
      labelNames: ['peer'],
      registers: [registry],
    }),
  };
}

/** Counters and gauges that read the service when scraped. */
/** `elsewhereSignatures`: online signatures made outside this thread (DNS worker threads), counted in the total. */
export function registerDnssecReadouts(registry: Registry, service: DnssecService, nowMs: () => number, elsewhereSignatures: () => number = () => 0): void {
  let madeSeen = 0;
  let hitsSeen = 0;
  new Counter({
    name: 'opengslb_dnssec_signatures_total',
    help: 'RRSIGs made (pre-signing at snapshot builds, refreshes and proofs for nonexistent names)',
    registers: [registry],
    collect() {
      const t = service.totals().signaturesMade + elsewhereSignatures();
      this.inc(Math.max(0, t - madeSeen));
      madeSeen = Math.max(madeSeen, t);
    },
  });
  new Counter({
    name: 'opengslb_dnssec_signature_cache_hits_total',
    help: 'RRSIG requests answered from the signature cache',
    registers: [registry],
    collect() {
      const t = service.totals().cacheHits;
      this.inc(Math.max(0, t - hitsSeen));
      hitsSeen = Math.max(hitsSeen, t);
    },
  });
  new Gauge({
    name: 'opengslb_dnssec_key_age_seconds',
    help: 'Age of each published zone key (role ksk or zsk; signing: the key that signs the zone data)',
    labelNames: ['zone', 'key_tag', 'role', 'signing'],
    registers: [registry],
    collect() {
      this.reset();
      const now = nowMs();
      for (const z of service.status()) {
        for (const k of z.keys) {
          this.set({ zone: z.zone, key_tag: String(k.keyTag), role: k.role, signing: String(k.signing) }, Math.max(0, (now - k.createdAtMs) / 1000));
        }
      }
    },
  });
  new Gauge({
    name: 'opengslb_dnssec_signatures_cached',
    help: 'RRSIGs held in the signature cache',
    labelNames: ['zone'],
    registers: [registry],
    collect() {
      this.reset();
      for (const z of service.status()) this.set({ zone: z.zone }, z.signaturesCached);
    },
  });
}
