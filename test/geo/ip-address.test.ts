import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { formatIp, parseCidr, parseClientIpInto, parseIpInto } from '../../src/geo/index.ts';

function bytesOf(text: string): { family: number; hex: string } {
  const out = new Uint8Array(16);
  const family = parseIpInto(text, out);
  return { family, hex: Buffer.from(out.subarray(0, family === 4 ? 4 : 16)).toString('hex') };
}

test('parses IPv4 and IPv6 forms into bytes without allocating a result', () => {
  assert.deepEqual(bytesOf('192.0.2.1'), { family: 4, hex: 'c0000201' });
  assert.deepEqual(bytesOf('2001:db8::1'), { family: 6, hex: '20010db8000000000000000000000001' });
  assert.deepEqual(bytesOf('::'), { family: 6, hex: '0'.repeat(32) });
  assert.deepEqual(bytesOf('::1'), { family: 6, hex: '0'.repeat(31) + '1' });
  assert.deepEqual(bytesOf('fe80::1%eth0'), { family: 6, hex: 'fe80' + '0'.repeat(27) + '1' });
  assert.deepEqual(bytesOf('1::'), { family: 6, hex: '0001' + '0'.repeat(28) });
  assert.deepEqual(bytesOf('::ffff:10.1.2.3'), { family: 6, hex: '00000000000000000000ffff0a010203' });
  assert.deepEqual(bytesOf('1:2:3:4:5:6:7:8'), { family: 6, hex: '00010002000300040005000600070008' });
});

test('refuses what is no address', () => {
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.', 'a.b.c.d', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '1:', ':1', '1:2:3:4:5:6:7:8::']) {
    assert.equal(parseIpInto(bad, new Uint8Array(16)), 0, bad);
  }
});

test('agrees with node:net on arbitrary IPv6 and IPv4 text and round-trips through formatIp', () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
      const out = new Uint8Array(16);
      const family = parseIpInto(text, out);
      assert.equal(family, isIP(text), text);
      const again = new Uint8Array(16);
      assert.equal(parseIpInto(formatIp(family, out), again), family);
      assert.deepEqual(again, out);
    }),
  );
});

test('never throws on arbitrary strings', () => {
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => void parseIpInto(s, new Uint8Array(16))));
});

test('a dual-stack socket address of an IPv4 peer is an IPv4 client', () => {
  const out = new Uint8Array(16);
  assert.equal(parseClientIpInto('::ffff:127.0.0.1', out), 4);
  assert.equal(formatIp(4, out), '127.0.0.1');
  assert.equal(parseClientIpInto('2001:db8::1', out), 6);
});

test('CIDRs are normalised: host bits cleared, mapped IPv4 unmapped', () => {
  assert.equal(parseCidr('10.1.2.3/8')?.text, '10.0.0.0/8');
  assert.equal(parseCidr('2001:db8:ffff::/32')?.text, '2001:db8::/32');
  assert.equal(parseCidr('192.0.2.7')?.text, '192.0.2.7/32');
  assert.equal(parseCidr('::ffff:10.0.0.0/104')?.text, '10.0.0.0/8');
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0.0/x'), undefined);
  assert.equal(parseCidr('nonsense/8'), undefined);
});
