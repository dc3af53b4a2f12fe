/**
 * RRSIG construction (RFC 4034 §3): RDATA = type covered | algorithm | labels | original TTL |
 * expiration | inception | key tag | signer name | signature, where the signature is ECDSA
 * P-256/SHA-256 in r || s form (RFC 6605 §4) over the RDATA without the signature followed by the
 * RRset in canonical form and order (RFC 4034 §3.1.8.1).
 */
import { sign } from 'node:crypto';
import { RRClass, RRType, encodeRecordTail, labelCount } from '../dns/wire/index.ts';
import { canonicalRdataOrder } from './canonical-order.ts';
import type { SigningKey } from './signing-key.ts';

export interface RrsigTimes {
  /** Seconds since the epoch; written modulo 2^32 (RFC 4034 §3.1.5). */
  inceptionSec: number;
  expirationSec: number;
}

/**
 * RRSIG labels field (RFC 4034 §3.1.3): labels of the owner, not counting the root nor a leading
 * `*` label. We never expand wildcards, so a `*` owner is only ever the literal name.
 */
export function rrsigLabels(ownerKey: string): number {
  const n = labelCount(ownerKey);
  return ownerKey.charCodeAt(0) === 1 && ownerKey.charCodeAt(1) === 42 ? n - 1 : n;
}

/** RRSIG RDATA without the signature field. */
export function rrsigHeader(key: SigningKey, signerKey: string, ownerKey: string, type: number, ttlSeconds: number, times: RrsigTimes): Buffer {
  const out = Buffer.alloc(18 + signerKey.length);
  out.writeUInt16BE(type, 0);
  out[2] = key.algorithm;
  out[3] = rrsigLabels(ownerKey);
  out.writeUInt32BE(ttlSeconds >>> 0, 4);
  out.writeUInt32BE(times.expirationSec >>> 0, 8);
  out.writeUInt32BE(times.inceptionSec >>> 0, 12);
  out.writeUInt16BE(key.keyTag, 16);
  out.write(signerKey, 18, 'latin1');
  return out;
}

/** The exact bytes signed: RRSIG RDATA (no signature) || each RR in canonical form and order. */
export function signingInput(header: Buffer, ownerKey: string, type: number, ttlSeconds: number, rdatas: readonly Buffer[]): Buffer {
  const owner = Buffer.from(ownerKey, 'latin1');
  const parts: Buffer[] = [header];
  for (const rdata of canonicalRdataOrder(rdatas)) {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(type, 0);
    fixed.writeUInt16BE(RRClass.IN, 2);
    fixed.writeUInt32BE(ttlSeconds >>> 0, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    parts.push(owner, fixed, rdata);
  }
  return Buffer.concat(parts);
}

/** The full RRSIG RDATA over `rdatas` (any order; canonicalised here). */
export function signRrset(key: SigningKey, ownerKey: string, type: number, ttlSeconds: number, rdatas: readonly Buffer[], times: RrsigTimes): Buffer {
  const header = rrsigHeader(key, key.apexKey, ownerKey, type, ttlSeconds, times);
  const signature = sign('sha256', signingInput(header, ownerKey, type, ttlSeconds, rdatas), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return Buffer.concat([header, signature]);
}

/** An RRSIG record tail (TYPE onwards) with RR TTL = the covered RRset's TTL (RFC 4034 §3). */
export function rrsigTail(rdata: Buffer, ttlSeconds: number): Buffer {
  return encodeRecordTail(RRType.RRSIG, ttlSeconds, rdata);
}
