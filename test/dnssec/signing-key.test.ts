import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import {
  SigningKey,
  dsPresentation,
  keyTag,
  publicKeyFromDnskey,
  rrsigHeader,
  signRrset,
  signingInput,
  FLAGS_CSK,
} from '../../src/dnssec/index.ts';
import { wireKey } from '../../src/dns/wire/index.ts';
import { VECTOR_KEY_PEM, VECTOR_ZONE } from './vectors.ts';

const key = SigningKey.fromPem(VECTOR_ZONE, VECTOR_KEY_PEM, FLAGS_CSK, 0);

test('DNSKEY RDATA of the DNSSEC.md §4.1 key is flags 257, protocol 3, algorithm 13, X || Y', () => {
  assert.equal(
    key.dnskeyRdata.toString('hex'),
    '0101030d' +
      '4af034337a87d965e3708e3cabf2e0dc79f6a022349b1058424c777d925fde44' +
      '051b21ff2c5687b9cf1dfb48b7616ecae52cb385c7fc2bcc70d0af01c865fe35',
  );
  assert.equal(key.publicKeyBase64, 'SvA0M3qH2WXjcI48q/Lg3Hn2oCI0mxBYQkx3fZJf3kQFGyH/LFaHuc8d+0i3YW7K5Syzhcf8K8xw0K8ByGX+NQ==');
});

test('key tag is 40380, as dnssec-keygen names the key (RFC 4034 Appendix B)', () => {
  assert.equal(key.keyTag, 40380);
  assert.equal(keyTag(key.dnskeyRdata), 0x9dbc);
});

test('DS digest type 2 matches dnssec-dsfromkey -2 for the vector key', () => {
  const ds = key.ds();
  assert.deepEqual(ds, {
    keyTag: 40380,
    algorithm: 13,
    digestType: 2,
    digest: 'A0BAD0919730B30B60A6E9212FAA0831ADF867207C2AC2C8A7DB8860068B42D2',
  });
  assert.equal(dsPresentation('GSLB.example.com.', ds), 'gslb.example.com. IN DS 40380 13 2 A0BAD0919730B30B60A6E9212FAA0831ADF867207C2AC2C8A7DB8860068B42D2');
});

test('a PKCS#8 PEM round trip gives the same key (what the store holds)', () => {
  const again = SigningKey.fromPem(VECTOR_ZONE, key.privateKeyPem(), FLAGS_CSK, 0);
  assert.match(key.privateKeyPem(), /^-----BEGIN PRIVATE KEY-----/);
  assert.ok(again.dnskeyRdata.equals(key.dnskeyRdata));
});

test('generated keys are P-256 CSKs with distinct key material', () => {
  const a = SigningKey.generate('example.org', 1);
  const b = SigningKey.generate('example.org', 1);
  assert.equal(a.flags, 257);
  assert.equal(a.dnskeyRdata.length, 68);
  assert.ok(!a.dnskeyRdata.equals(b.dnskeyRdata));
  assert.ok(publicKeyFromDnskey(a.dnskeyRdata).equals(a.publicKey));
});

const times = { inceptionSec: 1735689600, expirationSec: 2051222400 }; // 20250101000000, 20350101000000
const www = wireKey(`www.${VECTOR_ZONE}`);
const rdatas = [Buffer.from([192, 0, 2, 11]), Buffer.from([192, 0, 2, 10])]; // out of order on purpose

test('signing input equals the DNSSEC.md §4.2 108-byte vector (RDATAs put in canonical order)', () => {
  const header = rrsigHeader(key, key.apexKey, www, 1, 30, times);
  const input = signingInput(header, www, 1, 30, rdatas);
  assert.equal(
    input.toString('hex'),
    '00010d040000001e7a432b80677485809dbc0467736c62076578616d706c6503636f6d00037777770467736c62076578616d706c6503636f6d00000100010000001e0004c000020a037777770467736c62076578616d706c6503636f6d00000100010000001e0004c000020b',
  );
  assert.equal(input.length, 108);
});

test('signatures made by dnssec-signzone and ldns-signzone verify over our signing input', () => {
  const header = rrsigHeader(key, key.apexKey, www, 1, 30, times);
  const input = signingInput(header, www, 1, 30, rdatas);
  for (const b64 of [
    '9VwBjDgkCSUG7Wk9S3MSgWAV1IvHXHlr949TiCwUpwyAYXijziYNW5rNfdXaeCiwRMnOxkjoURhKljJoJb1uqg==',
    'FjELNkyCrskQdAO0W/y3U240aYXNQLQiOLXcEdZMkM4qPGv112oJRhpg2uBOrOCbBEtW+z202WoiET1S7F0qug==',
  ]) {
    assert.ok(verify('sha256', input, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(b64, 'base64')));
  }
});

test('our RRSIG RDATA carries the RFC 4034 §3.1 fields and a 64-octet r||s signature that verifies', () => {
  const rdata = signRrset(key, www, 1, 30, rdatas, times);
  assert.equal(rdata.readUInt16BE(0), 1, 'type covered A');
  assert.equal(rdata[2], 13, 'algorithm');
  assert.equal(rdata[3], 4, 'labels of www.gslb.example.com');
  assert.equal(rdata.readUInt32BE(4), 30, 'original TTL');
  assert.equal(rdata.readUInt32BE(8), 2051222400, 'expiration');
  assert.equal(rdata.readUInt32BE(12), 1735689600, 'inception');
  assert.equal(rdata.readUInt16BE(16), 40380, 'key tag');
  const signerEnd = 18 + key.apexKey.length;
  assert.equal(rdata.toString('latin1', 18, signerEnd), key.apexKey, 'signer name, uncompressed');
  const sig = rdata.subarray(signerEnd);
  assert.equal(sig.length, 64);
  const input = signingInput(rdata.subarray(0, signerEnd), www, 1, 30, rdatas);
  assert.ok(verify('sha256', input, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, sig));
});

test('times past 2106 wrap modulo 2^32 instead of throwing (RFC 4034 §3.1.5)', () => {
  const rdata = signRrset(key, www, 1, 30, rdatas, { inceptionSec: 2 ** 32 + 5, expirationSec: 2 ** 32 + 10 });
  assert.equal(rdata.readUInt32BE(12), 5);
  assert.equal(rdata.readUInt32BE(8), 10);
});
