import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GossipKeyError, Keyring, MISSING_KEY_MESSAGE, parseGossipKey } from '../../src/gossip/keyring.ts';

const k1 = Buffer.alloc(32, 1);
const k2 = Buffer.alloc(32, 2);

test('refuses an empty keyring with the original start-up message (no key, no gossip)', () => {
  assert.throws(() => new Keyring([]), (e: unknown) => e instanceof GossipKeyError && e.message === MISSING_KEY_MESSAGE);
});

test('accepts 16, 24 and 32-byte keys and refuses other lengths', () => {
  for (const n of [16, 24, 32]) assert.equal(new Keyring([Buffer.alloc(n)]).primary.length, n);
  assert.throws(() => new Keyring([Buffer.alloc(31)]), /16, 24 or 32 bytes/);
});

test('rotates a key without downtime: add, use, remove the old one', () => {
  const ring = new Keyring([k1]);
  ring.add(k2);
  assert.deepEqual(ring.keys, [k1, k2]);
  assert.deepEqual(ring.primary, k1);
  ring.use(k2);
  assert.deepEqual(ring.primary, k2);
  assert.throws(() => ring.remove(k2), /primary/);
  ring.remove(k1);
  assert.deepEqual(ring.keys, [k2]);
  assert.throws(() => ring.use(k1), /not in the keyring/);
});

test('parses gossip.encryption_key with the original messages', () => {
  assert.deepEqual(parseGossipKey(k1.toString('base64')), k1);
  assert.throws(() => parseGossipKey(undefined), { message: MISSING_KEY_MESSAGE });
  assert.throws(() => parseGossipKey('not base64!'), /must be valid base64/);
  assert.throws(() => parseGossipKey(Buffer.alloc(16).toString('base64')), /exactly 32 bytes \(got 16\)/);
});
