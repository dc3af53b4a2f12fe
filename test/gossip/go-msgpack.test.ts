import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { GoWriter, decodeGoValue, msgpackValueEnd } from '../../src/gossip/go-msgpack.ts';

test('writes integers in the smallest unsigned form, as Go does', () => {
  const w = new GoWriter(4);
  w.uint(0).uint(127).uint(128).uint(255).uint(256).uint(65535).uint(65536).uint(2 ** 32 - 1).uint(2 ** 32);
  assert.equal(
    w.finish().toString('hex'),
    '00' + '7f' + 'cc80' + 'ccff' + 'cd0100' + 'cdffff' + 'ce00010000' + 'ceffffffff' + 'cf0000000100000000',
  );
  assert.throws(() => new GoWriter().uint(-1), RangeError);
});

test('writes strings and byte slices as str with no str8 (old msgpack spec)', () => {
  const hdr = (n: number): string => new GoWriter().bytes(Buffer.alloc(n, 0x61)).finish().subarray(0, 3).toString('hex');
  assert.equal(hdr(31).slice(0, 2), 'bf');
  assert.equal(hdr(32), 'da0020');
  assert.equal(hdr(255), 'da00ff');
  assert.equal(new GoWriter().bytes(Buffer.alloc(0)).finish().toString('hex'), 'c0');
  assert.equal(new GoWriter().str('').finish().toString('hex'), 'a0');
});

test('reads str values as raw bytes so binary Go fields survive', () => {
  const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
  const v = decodeGoValue(new GoWriter().mapHeader(1).str('Addr').bytes(bytes).finish()) as Record<string, unknown>;
  assert.deepEqual(Buffer.from(v.Addr as Uint8Array), bytes);
});

test('msgpackValueEnd frames concatenated values of every kind (property)', () => {
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.constant(null),
      fc.string(),
      fc.uint8Array({ maxLength: 300 }),
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 5 }), tie('v'), { maxKeys: 4 }),
    ),
  })).v;
  fc.assert(
    fc.property(fc.array(value, { minLength: 1, maxLength: 4 }), (values) => {
      const parts = values.map((x) => Buffer.from(encode(x)));
      const all = Buffer.concat(parts);
      let off = 0;
      for (const p of parts) {
        const end = msgpackValueEnd(all, off);
        assert.equal(end, off + p.length);
        off = end;
      }
    }),
    { numRuns: 300 },
  );
});

test('msgpackValueEnd reports truncation and never throws or spins on garbage', () => {
  assert.equal(msgpackValueEnd(Buffer.from([0xdc, 0xff, 0xff]), 0), -1); // array of 65535 with no items
  assert.equal(msgpackValueEnd(Buffer.from([0xdf, 0xff, 0xff, 0xff, 0xff]), 0), -1);
  assert.equal(msgpackValueEnd(Buffer.from([0xc1]), 0), -1);
  assert.equal(msgpackValueEnd(Buffer.from([0xda, 0x00, 0x05, 1, 2]), 0), -1);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      const end = msgpackValueEnd(b, 0);
      assert.ok(end === -1 || (end > 0 && end <= b.length));
      decodeGoValue(b);
    }),
    { numRuns: 2000 },
  );
});
