/**
 * ECDSA P-256 signatures between DER (ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s }, what
 * OpenSSL makes and takes) and IEEE P1363 (r || s, 32 octets each: what DNSSEC and our gossip
 * envelopes carry). Node converts itself with `dsaEncoding: 'ieee-p1363'`, but that path costs
 * ~50 µs per call on Node 24 / OpenSSL 3.0 (it looks the key's curve up again each time), more than
 * the signature itself (~35 µs) and a third of a verification; these are plain byte copies.
 */

/** r || s, 32 octets each (RFC 6605 §4). */
export const P256_SIGNATURE_BYTES = 64;
const HALF = 32;

/**
 * Writes a DER signature as r || s, each left-padded to 32 octets, at `out[offset..offset+64)`.
 * DER drops leading zero octets and adds one when the top bit is set, so each integer is 1..33
 * octets; a P-256 signature is at most 72 octets, so the SEQUENCE length is always one octet.
 */
export function derToP1363(der: Buffer, out: Buffer, offset: number): void {
  if (der[0] !== 0x30 || der[1]! + 2 !== der.length) throw new Error('ECDSA signature: unexpected DER');
  let at = 2;
  for (let half = 0; half < 2; half++) {
    if (der[at] !== 0x02) throw new Error('ECDSA signature: unexpected DER');
    let length = der[at + 1]!;
    let start = at + 2;
    at = start + length;
    while (length > HALF && der[start] === 0) {
      start++;
      length--;
    }
    if (length > HALF || at > der.length) throw new Error('ECDSA signature: integer longer than 32 octets');
    const target = offset + half * HALF;
    out.fill(0, target, target + HALF - length);
    der.copy(out, target + HALF - length, start, start + length);
  }
}

/** DER of an r || s signature; undefined when it is not 64 octets (a malformed signature). */
export function p1363ToDer(sig: Buffer): Buffer | undefined {
  if (sig.length !== P256_SIGNATURE_BYTES) return undefined;
  const r = minimalInteger(sig.subarray(0, HALF));
  const s = minimalInteger(sig.subarray(HALF));
  const out = Buffer.allocUnsafe(6 + r.length + s.length);
  out[0] = 0x30;
  out[1] = 4 + r.length + s.length;
  out[2] = 0x02;
  out[3] = r.length;
  r.copy(out, 4);
  out[4 + r.length] = 0x02;
  out[5 + r.length] = s.length;
  s.copy(out, 6 + r.length);
  return out;
}

/** The DER INTEGER content of an unsigned big-endian number: no leading zeros, a 0x00 if the top bit is set. */
function minimalInteger(v: Buffer): Buffer {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const trimmed = v.subarray(i);
  return trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
}
