import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EncryptionVersion, decryptPayload, encryptPayload, encryptedLength } from '../../src/gossip/crypto.ts';
import * as V from './vectors.ts';

test('encrypts version 0 (PKCS#7 padded) exactly as Go (V11)', () => {
  assert.deepEqual(encryptPayload(EncryptionVersion.PaddedV0, V.KEY, V.V1_PING, undefined, V.NONCE), V.V11_ENC_V0);
});

test('encrypts version 1 exactly as Go (V12)', () => {
  assert.deepEqual(encryptPayload(EncryptionVersion.V1, V.KEY, V.V1_PING, undefined, V.NONCE), V.V12_ENC_V1);
});

test('decrypts both versions with the right key second in the keyring', () => {
  assert.deepEqual(decryptPayload([V.WRONG_KEY, V.KEY], V.V11_ENC_V0), V.V1_PING);
  assert.deepEqual(decryptPayload([V.WRONG_KEY, V.KEY], V.V12_ENC_V1), V.V1_PING);
});

test('refuses a wrong key, a flipped bit, wrong aad, an unknown version and short messages', () => {
  assert.equal(decryptPayload([V.WRONG_KEY], V.V12_ENC_V1), undefined);
  const flipped = Buffer.from(V.V12_ENC_V1);
  flipped[20] ^= 1;
  assert.equal(decryptPayload([V.KEY], flipped), undefined);
  assert.equal(decryptPayload([V.KEY], V.V12_ENC_V1, Buffer.from('label')), undefined);
  const v2 = Buffer.from(V.V12_ENC_V1);
  v2[0] = 2;
  assert.equal(decryptPayload([V.KEY], v2), undefined);
  assert.equal(decryptPayload([V.KEY], V.V12_ENC_V1.subarray(0, 28)), undefined);
  assert.equal(decryptPayload([V.KEY], Buffer.alloc(0)), undefined);
});

test('round-trips with AES-128/192/256 and additional data; sizes match encryptedLength', () => {
  for (const len of [16, 24, 32]) {
    const key = Buffer.alloc(len, 7);
    for (const version of [EncryptionVersion.PaddedV0, EncryptionVersion.V1]) {
      const pt = Buffer.from('hello memberlist');
      const ct = encryptPayload(version, key, pt, Buffer.from('aad'));
      assert.equal(ct.length, encryptedLength(version, pt.length));
      assert.deepEqual(decryptPayload([key], ct, Buffer.from('aad')), pt);
    }
  }
});

test('decryptPayload never throws on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (b, v0) => {
      const buf = Buffer.from(b);
      if (buf.length > 0) buf[0] = v0 ? 0 : buf[0];
      decryptPayload([V.KEY, V.WRONG_KEY], buf);
    }),
    { numRuns: 500 },
  );
});
