/**
 * A signed zone's online signer, moved to a DNS worker thread. Pre-signed RRsets travel in the
 * Snapshot replica as bytes; what cannot be pre-signed (compact-denial proofs for names that do
 * not exist, signatures for answer subsets chosen per client) is signed where the query is
 * answered, so each worker rebuilds the zone's ZoneSigner from the same keys.
 *
 * The private keys travel as KeyObjects inside this process (structured clone copies the key
 * between threads; it is never exported to text here, logged or written anywhere), once per
 * signer: a signer is identified by the main thread's ZoneSigner object, which DnssecService
 * replaces when the zone's keys change.
 *
 * The one place that knows ZoneSigner's constructor on the worker side: when key rollover changes
 * it, adapt `buildWorkerSigner`.
 */
import type { KeyObject } from 'node:crypto';
import { SigningKey, ZoneSigner } from '../../dnssec/index.ts';
import type { ZoneDenial } from '../../model/index.ts';

export interface SignerSpec {
  id: number;
  zone: string;
  /** Every published key, the data-signing key first (ZoneSigner.keys order). */
  keys: { privateKey: KeyObject; flags: number; createdAtMs: number }[];
  validityMs: number;
}

/** The spec of the main thread's signer; TypeError for a ZoneDenial that is no ZoneSigner (nothing to rebuild from). */
export function signerSpecOf(id: number, denial: ZoneDenial, validityMs: number): SignerSpec {
  if (!(denial instanceof ZoneSigner)) throw new TypeError('dns.workers > 1 needs the zone signer to be a ZoneSigner (its keys are sent to the workers)');
  return {
    id,
    zone: denial.key.zone,
    keys: denial.keys.map((k) => ({ privateKey: k.privateKey, flags: k.flags, createdAtMs: k.createdAtMs })),
    validityMs,
  };
}

/**
 * The worker's signer for a zone. The negative TTL is set from each Snapshot's SOA by the worker
 * (as signZone does on the main thread); the wall clock is the worker's own.
 */
export function buildWorkerSigner(spec: SignerSpec, onSign?: (seconds: number) => void): ZoneSigner {
  const keys = spec.keys.map((k) => new SigningKey(spec.zone, k.privateKey, k.flags, k.createdAtMs));
  return new ZoneSigner(keys[0]!, 60, { nowMs: () => Date.now(), validityMs: spec.validityMs, ...(onSign ? { onSign } : {}) }, keys.slice(1));
}

/** The NSEC TTL signZone derives from a zone's SOA tail: min(SOA TTL, SOA MINIMUM) (RFC 9077 §3). */
export function negativeTtlOf(soaTail: Buffer): number {
  return Math.min(soaTail.readUInt32BE(4), soaTail.readUInt32BE(soaTail.length - 4));
}
