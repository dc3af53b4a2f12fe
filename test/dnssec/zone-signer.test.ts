import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SigningKey, ZoneSigner, FLAGS_CSK } from '../../src/dnssec/index.ts';
import { wireKey } from '../../src/dns/wire/index.ts';
import { ManualClock } from '../../src/lifecycle/index.ts';
import { VECTOR_KEY_PEM, VECTOR_ZONE } from './vectors.ts';

const key = SigningKey.fromPem(VECTOR_ZONE, VECTOR_KEY_PEM, FLAGS_CSK, 0);
const T0 = Date.UTC(2026, 10, 27);
const DAY = 86_400_000;
const www = wireKey(`www.${VECTOR_ZONE}`);
const a = (last: number) => Buffer.from([192, 0, 2, last]);

function signer(clock: ManualClock, maxDenials?: number): ZoneSigner {
  return new ZoneSigner(key, 60, { nowMs: () => clock.nowMs(), validityMs: 7 * DAY, maxDenials });
}

test('one signature per RRset content: any order of the same records hits the cache', () => {
  const zs = signer(new ManualClock(T0));
  const first = zs.rrsig(www, 1, 30, [a(10), a(11), a(12)]);
  const again = zs.rrsig(www, 1, 30, [a(12), a(10), a(11)]);
  assert.equal(again, first);
  assert.equal(zs.stats.signaturesMade, 1);
  assert.equal(zs.stats.cacheHits, 1);
});

test('a different subset, TTL or owner is a different RRset and is signed separately', () => {
  const zs = signer(new ManualClock(T0));
  const all = zs.rrsig(www, 1, 30, [a(10), a(11)]);
  assert.notEqual(zs.rrsig(www, 1, 30, [a(10)]), all);
  assert.notEqual(zs.rrsig(www, 1, 60, [a(10), a(11)]), all);
  assert.notEqual(zs.rrsig(wireKey(`app.${VECTOR_ZONE}`), 1, 30, [a(10), a(11)]), all);
  assert.equal(zs.stats.signaturesMade, 4);
});

test('signatures are re-made at half of the validity window, with fresh inception and expiration', () => {
  const clock = new ManualClock(T0);
  const zs = signer(clock);
  const first = zs.rrsig(www, 1, 30, [a(10)]);
  assert.equal(first.readUInt32BE(10 + 12), Math.floor((T0 - 3_600_000) / 1000), 'inception = now - 1 h');
  assert.equal(first.readUInt32BE(10 + 8), Math.floor((T0 + 7 * DAY) / 1000), 'expiration = now + 7 d');
  assert.equal(zs.nextRefreshMs(), T0 + 3.5 * DAY);
  clock.advance(3.5 * DAY - 1);
  assert.equal(zs.rrsig(www, 1, 30, [a(10)]), first);
  clock.advance(1);
  const second = zs.rrsig(www, 1, 30, [a(10)]);
  assert.notEqual(second, first);
  assert.equal(second.readUInt32BE(10 + 12), Math.floor((T0 + 3.5 * DAY - 3_600_000) / 1000));
});

test('sweep keeps what the last build used and drops the rest', () => {
  const zs = signer(new ManualClock(T0));
  zs.rrsig(www, 1, 30, [a(10)]);
  zs.rrsig(www, 1, 30, [a(11)]);
  zs.sweep(); // build 1 used both
  zs.rrsig(www, 1, 30, [a(10)]); // build 2 uses one
  zs.sweep();
  assert.equal(zs.cachedSignatures, 1);
  const made = zs.stats.signaturesMade;
  zs.rrsig(www, 1, 30, [a(11)]);
  assert.equal(zs.stats.signaturesMade, made + 1, 'the dropped one is signed again');
});

test('denial proofs are cached per name and bounded per kind (oldest dropped first)', () => {
  const zs = signer(new ManualClock(T0), 3);
  const n = (i: number) => wireKey(`n${i}.${VECTOR_ZONE}`);
  const p1 = zs.denial(n(1), false);
  assert.equal(zs.denial(n(1), false), p1);
  assert.notEqual(zs.denial(n(1), true), p1, 'ENT and NXNAME proofs differ');
  zs.denial(n(2), false);
  zs.denial(n(3), false);
  assert.equal(zs.cachedSignatures, 4);
  zs.denial(n(4), false);
  assert.equal(zs.cachedSignatures, 4, 'the oldest nonexistent-name proof made room');
  assert.notEqual(zs.denial(n(1), false), p1, 'evicted, signed again');
});

test('a changed negative TTL drops cached proofs (they carry the old TTL)', () => {
  const zs = signer(new ManualClock(T0));
  const p = zs.denial(wireKey(`n1.${VECTOR_ZONE}`), false);
  assert.equal(p.tail.readUInt32BE(4), 60);
  zs.negativeTtlSeconds = 30;
  const q = zs.denial(wireKey(`n1.${VECTOR_ZONE}`), false);
  assert.equal(q.tail.readUInt32BE(4), 30);
  assert.equal(q.rrsig.readUInt32BE(4), 30, 'RRSIG TTL = NSEC TTL');
});

test('the DNSKEY RRset is the signing key plus the other keys, in canonical order, each signing it', () => {
  const other = SigningKey.generate(VECTOR_ZONE, T0);
  const zs = new ZoneSigner(key, 60, { nowMs: () => T0, validityMs: DAY }, [other, key]);
  assert.equal(zs.dnskeyRdatas.length, 2);
  assert.ok(Buffer.compare(zs.dnskeyRdatas[0]!, zs.dnskeyRdatas[1]!) < 0);
  assert.deepEqual(zs.keys.map((k) => k.keyTag), [key.keyTag, other.keyTag]);
  const sigs = zs.dnskeyRrsigs(3600);
  assert.deepEqual(sigs.map((t) => t.readUInt16BE(10 + 16)), [key.keyTag, other.keyTag], 'one RRSIG per key, key tags in RDATA');
  // everything else is signed by the signing key only
  assert.equal(zs.rrsig(www, 1, 30, [a(10)]).readUInt16BE(10 + 16), key.keyTag);
});

test('online proofs have a per-second signing budget; cached proofs are always free; the budget refills each second', () => {
  const clock = new ManualClock(T0);
  const zs = signer(clock);
  const names = Array.from({ length: ZoneSigner.ONLINE_SIGNATURES_PER_SECOND + 5 }, (_, i) => wireKey(`r${i}.gslb.example.com`));
  let allowed = 0;
  for (const n of names) if (zs.mayDeny(n, false)) allowed++;
  assert.equal(allowed, ZoneSigner.ONLINE_SIGNATURES_PER_SECOND);
  assert.equal(zs.stats.overBudget, 5);
  // a proof made (over TCP) is cached: free even with the budget spent
  zs.denial(names[names.length - 1]!, false);
  assert.equal(zs.mayDeny(names[names.length - 1]!, false), true);
  clock.advance(1000);
  assert.equal(zs.mayDeny(wireKey('fresh.gslb.example.com'), false), true);
});
