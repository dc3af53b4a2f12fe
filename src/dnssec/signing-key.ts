/**
 * A zone's signing key: ECDSA P-256 with SHA-256 (DNSSEC algorithm 13, RFC 6605), its DNSKEY RDATA
 * (flags | protocol 3 | algorithm | X || Y, RFC 4034 §2.1 / RFC 6605 §4), key tag and DS.
 * The private key never leaves this object except as PKCS#8 PEM for the 0600 state store.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { wireKey } from '../dns/wire/index.ts';
import { keyTag } from './key-tag.ts';

export const ALGORITHM_ECDSAP256SHA256 = 13;
/** Zone Key + Secure Entry Point: the one key of a zone signs everything and its DS goes to the parent. */
export const FLAGS_CSK = 257;
export const FLAGS_ZSK = 256;
export const DIGEST_SHA256 = 2;
/** DNSKEY flag bit 15 (RFC 4034 §2.1.1): Secure Entry Point, the key the parent's DS points at. */
const SEP_FLAG = 1;

/** True for a key-signing key (KSK or CSK): it signs the DNSKEY RRset and its DS goes to the parent. */
export function isKeySigningKey(k: { flags: number }): boolean {
  return (k.flags & SEP_FLAG) === SEP_FLAG;
}
const DNSKEY_PROTOCOL = 3;

export interface DsRecord {
  keyTag: number;
  algorithm: number;
  digestType: number;
  /** Uppercase hex, as dnssec-dsfromkey prints it. */
  digest: string;
}

export class SigningKey {
  /** Lowercase apex without trailing dot. */
  readonly zone: string;
  /** Wire key of the apex: the RRSIG signer name and the DS owner. */
  readonly apexKey: string;
  readonly flags: number;
  readonly algorithm = ALGORITHM_ECDSAP256SHA256;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The DNSKEY RDATA (68 octets). */
  readonly dnskeyRdata: Buffer;
  readonly keyTag: number;
  readonly createdAtMs: number;

  constructor(zone: string, privateKey: KeyObject, flags: number, createdAtMs: number) {
    const details = privateKey.asymmetricKeyDetails;
    if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
      throw new TypeError(`DNSSEC key of ${zone}: expected an ECDSA P-256 private key`);
    }
    this.zone = normaliseZone(zone);
    this.apexKey = wireKey(this.zone);
    this.flags = flags;
    this.privateKey = privateKey;
    this.publicKey = createPublicKey(privateKey);
    this.dnskeyRdata = dnskeyRdata(flags, ALGORITHM_ECDSAP256SHA256, publicKeyField(this.publicKey));
    this.keyTag = keyTag(this.dnskeyRdata);
    this.createdAtMs = createdAtMs;
  }

  static generate(zone: string, nowMs: number, flags = FLAGS_CSK): SigningKey {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return new SigningKey(zone, privateKey, flags, nowMs);
  }

  /** From PKCS#8 PEM (what the store holds) or SEC1 "EC PRIVATE KEY" PEM (what openssl ecparam writes). */
  static fromPem(zone: string, pem: string, flags: number, createdAtMs: number): SigningKey {
    return new SigningKey(zone, createPrivateKey(pem), flags, createdAtMs);
  }

  /** PKCS#8 PEM of the private key: for the 0600 store only, never for logs or API answers. */
  privateKeyPem(): string {
    return this.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  }

  /** The DNSKEY public key field (X || Y) as base64, as zone files print it. */
  get publicKeyBase64(): string {
    return this.dnskeyRdata.subarray(4).toString('base64');
  }

  /** DS with SHA-256 (RFC 4509 §2.1): digest over the canonical owner name and the DNSKEY RDATA. */
  ds(): DsRecord {
    return dsOf(this.zone, this.dnskeyRdata);
  }
}

/** Lowercase, no trailing dot: the form keys are stored and listed under. */
export function normaliseZone(zone: string): string {
  const lower = zone.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** X || Y of an uncompressed P-256 public key (RFC 6605 §4): the last 64 octets of its SPKI DER. */
export function publicKeyField(publicKey: KeyObject): Buffer {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return der.subarray(der.length - 64);
}

export function dnskeyRdata(flags: number, algorithm: number, publicKeyBytes: Buffer): Buffer {
  const out = Buffer.alloc(4 + publicKeyBytes.length);
  out.writeUInt16BE(flags, 0);
  out[2] = DNSKEY_PROTOCOL;
  out[3] = algorithm;
  publicKeyBytes.copy(out, 4);
  return out;
}

/** The public key of a DNSKEY RDATA of algorithm 13 (for verifying signatures and peers' keys). */
export function publicKeyFromDnskey(rdata: Buffer): KeyObject {
  if (rdata.length !== 68 || rdata[3] !== ALGORITHM_ECDSAP256SHA256) throw new TypeError('expected a 68-octet algorithm 13 DNSKEY RDATA');
  const x = rdata.subarray(4, 36).toString('base64url');
  const y = rdata.subarray(36, 68).toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
}

export function dsOf(zone: string, rdata: Buffer): DsRecord {
  const digest = createHash('sha256').update(Buffer.from(wireKey(zone), 'latin1')).update(rdata).digest('hex').toUpperCase();
  return { keyTag: keyTag(rdata), algorithm: rdata[3]!, digestType: DIGEST_SHA256, digest };
}

/** RFC 4034 §5.3 presentation form: `zone. IN DS tag alg type DIGEST`. */
export function dsPresentation(zone: string, ds: DsRecord): string {
  return `${normaliseZone(zone)}. IN DS ${ds.keyTag} ${ds.algorithm} ${ds.digestType} ${ds.digest}`;
}
