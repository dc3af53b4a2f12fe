import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LearnedLatencyTable } from '../../src/routing/index.ts';
import { parseClientIpInto } from '../../src/geo/index.ts';

function client(ip: string) {
  const address = new Uint8Array(16);
  const family = parseClientIpInto(ip, address);
  return { family, address, prefixLength: family === 4 ? 32 : 128 };
}

function lookup(t: LearnedLatencyTable, ip: string) {
  const scope = { prefixLength: -1 };
  const data = t.lookup(client(ip), scope);
  return { data: data && Object.fromEntries([...data].map(([k, v]) => [k, v.ewmaMs])), scope: scope.prefixLength };
}

test('keeps each reported prefix length and matches the longest one, IPv4 and IPv6', () => {
  const t = new LearnedLatencyTable({ maxPrefixes: 10, ttlMs: 1000 });
  t.report('10.1.0.0/16', 'b1', 30, 5, 0, 'a');
  t.report('10.1.2.0/24', 'b1', 10, 5, 0, 'a');
  t.report('2001:db8:1::/48', 'b2', 7, 5, 0, 'a');
  t.report('2001:db8:1:2:3::/80', 'b3', 9, 5, 0, 'a'); // kept as /64
  assert.deepEqual(lookup(t, '10.1.2.9'), { data: { b1: 10 }, scope: 24 });
  assert.deepEqual(lookup(t, '10.1.9.9'), { data: { b1: 30 }, scope: 24 });
  assert.deepEqual(lookup(t, '10.2.0.1'), { data: null, scope: 24 });
  assert.deepEqual(lookup(t, '2001:db8:1:5::1'), { data: { b2: 7 }, scope: 64 });
  assert.deepEqual(lookup(t, '2001:db8:1:2::1'), { data: { b3: 9 }, scope: 64 });
  assert.equal(t.entries().find((e) => e.backends.has('b3'))?.cidr, '2001:db8:1:2::/64');
  assert.deepEqual(lookup(t, '::ffff:10.1.2.3'), { data: { b1: 10 }, scope: 24 });
});

test('a bare address is taken as its /24 or /48, like the original agent reports', () => {
  const t = new LearnedLatencyTable({ maxPrefixes: 10, ttlMs: 1000 });
  assert.equal(t.report('192.0.2.77', 'b', 5, 5, 0, 'a'), true);
  assert.equal(t.entries()[0]!.cidr, '192.0.2.0/24');
  assert.equal(t.report('not a subnet', 'b', 5, 5, 0, 'a'), false);
  assert.equal(t.report('192.0.2.0/24', 'b', -1, 5, 0, 'a'), false);
});

test('bounded: the least recently reported prefix is evicted first', () => {
  const t = new LearnedLatencyTable({ maxPrefixes: 2, ttlMs: 1000 });
  t.report('10.0.1.0/24', 'b', 1, 5, 0, 'a');
  t.report('10.0.2.0/24', 'b', 1, 5, 1, 'a');
  t.report('10.0.1.0/24', 'b', 2, 5, 2, 'a'); // refreshed
  t.report('10.0.3.0/24', 'b', 1, 5, 3, 'a'); // evicts 10.0.2.0/24
  assert.deepEqual(t.entries().map((e) => e.cidr), ['10.0.1.0/24', '10.0.3.0/24']);
  assert.equal(lookup(t, '10.0.2.1').data, null);
});

test('purge drops data older than the TTL, sample by sample', () => {
  const t = new LearnedLatencyTable({ maxPrefixes: 10, ttlMs: 1000 });
  t.report('10.0.1.0/24', 'old', 1, 5, 0, 'a');
  t.report('10.0.1.0/24', 'new', 1, 5, 900, 'a');
  t.report('10.0.2.0/24', 'old', 1, 5, 0, 'a');
  assert.equal(t.purge(1500), 1);
  assert.deepEqual(lookup(t, '10.0.1.1').data, { new: 1 });
  assert.equal(lookup(t, '10.0.2.1').data, null);
  assert.equal(lookup(t, '10.0.2.1').scope, 24);
  t.forgetBackend('new');
  assert.equal(t.size, 0);
  assert.equal(lookup(t, '10.0.1.1').scope, 0);
});
