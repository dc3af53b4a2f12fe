import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeCompress } from '../../src/gossip/codec.ts';
import { lzwCompress, lzwDecompress } from '../../src/gossip/lzw.ts';
import * as V from './vectors.ts';

test('decompresses the Go compressMsg vector (V10)', () => {
  const c = decodeCompress(V.V10_COMPRESS.subarray(1));
  assert.equal(c?.algo, 0);
  assert.equal(lzwDecompress(c!.buf)?.toString(), 'TOBEORNOTTOBEORTOBEORNOT');
});

test('compresses byte-identically to Go compress/lzw (V10 Buf)', () => {
  const c = decodeCompress(V.V10_COMPRESS.subarray(1))!;
  assert.deepEqual(lzwCompress(Buffer.from('TOBEORNOTTOBEORTOBEORNOT')), c.buf);
});

test('round-trips inputs long enough to reset the code table (> 4095 codes)', () => {
  const random = randomBytes(60_000);
  assert.deepEqual(lzwDecompress(lzwCompress(random), 1 << 20), random);
  const repetitive = Buffer.alloc(300_000);
  for (let i = 0; i < repetitive.length; i++) repetitive[i] = (i * 7 + (i >> 6)) % 13;
  assert.deepEqual(lzwDecompress(lzwCompress(repetitive), 1 << 20), repetitive);
  assert.deepEqual(lzwDecompress(lzwCompress(Buffer.alloc(0))), Buffer.alloc(0));
});

test('round-trips arbitrary data (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), (b) => {
      assert.deepEqual(lzwDecompress(lzwCompress(b), 1 << 20), Buffer.from(b));
    }),
    { numRuns: 200 },
  );
});

test('refuses a stream without the end code and output beyond the limit', () => {
  const c = lzwCompress(Buffer.from('TOBEORNOTTOBEORTOBEORNOT'));
  assert.equal(lzwDecompress(c.subarray(0, c.length - 2)), undefined);
  assert.equal(lzwDecompress(lzwCompress(Buffer.alloc(10_000)), 1000), undefined);
});

test('never throws on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 500 }), (b) => {
      lzwDecompress(b, 1 << 16);
    }),
    { numRuns: 1000 },
  );
});
