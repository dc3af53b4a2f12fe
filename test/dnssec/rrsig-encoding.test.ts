/**
 * The signer makes ECDSA signatures in DER (Node's P1363 output path is ~2.5x slower) and copies r
 * and s into the RRSIG itself, and gossip verifies r || s signatures as DER: these check both
 * conversions on their edge cases and that every RRSIG it builds verifies as RFC 6605 r || s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { wireKey } from '../../src/dns/wire/index.ts';
import { signingInput, signRrset, signRrsetTail } from '../../src/dnssec/rrsig.ts';
import { derToP1363, p1363ToDer } from '../../src/ecdsa-signature.ts';
import { SigningKey } from '../../src/dnssec/signing-key.ts';

const times = { inceptionSec: 1_700_000_000, expirationSec: 1_800_000_000 };

function der(r: Buffer, s: Buffer): Buffer {
  const int = (v: Buffer) => Buffer.concat([Buffer.from([0x02, v.length]), v]);
  const body = Buffer.concat([int(r), int(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

test('derToP1363 pads short integers, drops the sign octet and refuses what is not a P-256 signature', () => {
  const full = Buffer.alloc(32, 0xab); // top bit set: DER writes 33 octets with a leading zero
  const short = Buffer.from([0x01, 0x02]);
  const out = Buffer.alloc(66, 0xee);
  derToP1363(der(Buffer.concat([Buffer.from([0]), full]), short), out, 1);
  assert.equal(out[0], 0xee);
  assert.deepEqual(out.subarray(1, 33), full);
  assert.deepEqual(out.subarray(33, 65), Buffer.concat([Buffer.alloc(30), short]));
  assert.equal(out[65], 0xee);
  assert.throws(() => derToP1363(der(Buffer.alloc(33, 1), short), out, 0), /longer than 32/);
  assert.throws(() => derToP1363(Buffer.from([0x31, 0]), out, 0), /unexpected DER/);
  assert.throws(() => derToP1363(der(full, short).subarray(0, 10), out, 0), /unexpected DER/);
});

test('p1363ToDer is the inverse of derToP1363 and its DER verifies like the P1363 form', () => {
  const key = SigningKey.generate('gslb.example.com', Date.now());
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (data, junk) => {
      const der = sign('sha256', data, key.privateKey);
      const p1363 = Buffer.alloc(64);
      derToP1363(der, p1363, 0);
      assert.deepEqual(p1363ToDer(p1363), der);
      assert.ok(verify('sha256', data, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, p1363));
      // Arbitrary 64 octets (zero or high-bit halves included) always give well-formed DER that fails.
      const junkDer = p1363ToDer(Buffer.from(junk))!;
      const back = Buffer.alloc(64);
      derToP1363(junkDer, back, 0);
      assert.deepEqual(back, Buffer.from(junk));
      assert.equal(verify('sha256', data, key.publicKey, junkDer), false);
    }),
    { numRuns: 200 },
  );
  assert.equal(p1363ToDer(Buffer.alloc(63)), undefined);
  assert.equal(p1363ToDer(Buffer.alloc(65)), undefined);
});

test('every RRSIG the signer builds verifies as r || s over the RFC 4034 signing input', () => {
  const key = SigningKey.generate('gslb.example.com', Date.now());
  fc.assert(
    fc.property(
      fc.array(fc.stringMatching(/^[a-z0-9-]{1,20}$/), { minLength: 1, maxLength: 4 }),
      fc.array(fc.uint8Array({ minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (labels, addresses, ttl) => {
        const owner = wireKey(`${labels.join('.')}.gslb.example.com`);
        const rdatas = addresses.map((a) => Buffer.from(a));
        const tail = signRrsetTail(key, owner, 1, ttl, rdatas, times);
        const rdata = tail.subarray(10);
        assert.equal(tail.readUInt16BE(0), 46);
        assert.equal(tail.readUInt32BE(4), ttl);
        assert.equal(tail.readUInt16BE(8), rdata.length);
        const header = rdata.subarray(0, rdata.length - 64);
        const input = signingInput(header, owner, 1, ttl, rdatas);
        assert.ok(verify('sha256', input, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, rdata.subarray(rdata.length - 64)));
        assert.equal(signRrset(key, owner, 1, ttl, rdatas, times).length, rdata.length);
      },
    ),
    { numRuns: 300 },
  );
});
