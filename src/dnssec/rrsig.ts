/**
 * RRSIG construction (RFC 4034 §3): RDATA = type covered | algorithm | labels | original TTL |
 * expiration | inception | key tag | signer name | signature, where the signature is ECDSA
 * P-256/SHA-256 in r || s form (RFC 6605 §4) over the RDATA without the signature followed by the
 * RRset in canonical form and order (RFC 4034 §3.1.8.1).
 */
import { sign } from 'node:crypto';
import { RRClass, RRType, encodeRecordTail, labelCount } from '../dns/wire/index.ts';
import { canonicalRdataOrder } from './canonical-order.ts';
import { derToP1363, P256_SIGNATURE_BYTES } from '../ecdsa-signature.ts';
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
  writeRrsigHeader(out, key, signerKey, ownerKey, type, ttlSeconds, times);
  return out;
}

function writeRrsigHeader(out: Buffer, key: SigningKey, signerKey: string, ownerKey: string, type: number, ttlSeconds: number, times: RrsigTimes): void {
  out.writeUInt16BE(type, 0);
  out[2] = key.algorithm;
  out[3] = rrsigLabels(ownerKey);
  out.writeUInt32BE(ttlSeconds >>> 0, 4);
  out.writeUInt32BE(times.expirationSec >>> 0, 8);
  out.writeUInt32BE(times.inceptionSec >>> 0, 12);
  out.writeUInt16BE(key.keyTag, 16);
  out.write(signerKey, 18, 'latin1');
}

/** The exact bytes signed: RRSIG RDATA (no signature) || each RR in canonical form and order. One allocation. */
export function signingInput(header: Buffer, ownerKey: string, type: number, ttlSeconds: number, rdatas: readonly Buffer[]): Buffer {
  const canonical = rdatas.length === 1 ? rdatas : canonicalRdataOrder(rdatas);
  let length = header.length;
  for (const rdata of canonical) length += ownerKey.length + 10 + rdata.length;
  const out = Buffer.allocUnsafe(length);
  let at = header.copy(out, 0);
  for (const rdata of canonical) {
    at += out.write(ownerKey, at, 'latin1');
    at = out.writeUInt16BE(type, at);
    at = out.writeUInt16BE(RRClass.IN, at);
    at = out.writeUInt32BE(ttlSeconds >>> 0, at);
    at = out.writeUInt16BE(rdata.length, at);
    at += rdata.copy(out, at);
  }
  return out;
}

/** The full RRSIG RDATA over `rdatas` (any order; canonicalised here). */
export function signRrset(key: SigningKey, ownerKey: string, type: number, ttlSeconds: number, rdatas: readonly Buffer[], times: RrsigTimes): Buffer {
  return signRrsetTail(key, ownerKey, type, ttlSeconds, rdatas, times).subarray(TAIL_FIXED);
}

/**
 * The RRSIG record tail (TYPE onwards, RR TTL = the covered TTL) over `rdatas`, built in one buffer:
 * what the online signer stores. Node's `dsaEncoding: 'ieee-p1363'` costs ~2.5x the signature
 * itself (measured on Node 24 / OpenSSL 3.0: ~10k/s against ~27k/s for DER on one core), so the
 * signature is made in DER and its r and s are copied into place (ecdsa-signature.ts).
 */
export function signRrsetTail(key: SigningKey, ownerKey: string, type: number, ttlSeconds: number, rdatas: readonly Buffer[], times: RrsigTimes): Buffer {
  const signerKey = key.apexKey;
  const headerLength = 18 + signerKey.length;
  // Its own memory, not a slice of Node's shared pool: signatures live in the cache for days, and a
  // pooled slice would keep the whole pool block alive with it.
  const out = Buffer.allocUnsafeSlow(TAIL_FIXED + headerLength + P256_SIGNATURE_BYTES);
  out.writeUInt16BE(RRType.RRSIG, 0);
  out.writeUInt16BE(RRClass.IN, 2);
  out.writeUInt32BE(ttlSeconds >>> 0, 4);
  out.writeUInt16BE(headerLength + P256_SIGNATURE_BYTES, 8);
  const header = out.subarray(TAIL_FIXED, TAIL_FIXED + headerLength);
  writeRrsigHeader(header, key, signerKey, ownerKey, type, ttlSeconds, times);
  const der = sign('sha256', signingInput(header, ownerKey, type, ttlSeconds, rdatas), key.privateKey);
  derToP1363(der, out, TAIL_FIXED + headerLength);
  return out;
}

/** Type, class, TTL and RDLENGTH in front of an RRSIG RDATA. */
const TAIL_FIXED = 10;

/** An RRSIG record tail (TYPE onwards) with RR TTL = the covered RRset's TTL (RFC 4034 §3). */
export function rrsigTail(rdata: Buffer, ttlSeconds: number): Buffer {
  return encodeRecordTail(RRType.RRSIG, ttlSeconds, rdata);
}
