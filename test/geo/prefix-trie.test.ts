import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrefixTrie, parseCidr, parseClientIpInto, type Cidr } from '../../src/geo/index.ts';

function trie(...cidrs: string[]): PrefixTrie {
  return new PrefixTrie(cidrs.map((c) => parseCidr(c) as Cidr));
}

function lookup(t: PrefixTrie, ip: string): { value: number; scope: number } {
  const bytes = new Uint8Array(16);
  const family = parseClientIpInto(ip, bytes);
  const scope = { prefixLength: -1 };
  const value = t.lookup(family, bytes, scope);
  return { value, scope: scope.prefixLength };
}

test('the longest prefix wins, for IPv4 and IPv6', () => {
  const t = trie('10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '2001:db8::/32', '2001:db8:1::/48');
  assert.equal(lookup(t, '10.9.9.9').value, 0);
  assert.equal(lookup(t, '10.1.9.9').value, 1);
  assert.equal(lookup(t, '10.1.2.3').value, 2);
  assert.equal(lookup(t, '11.0.0.1').value, -1);
  assert.equal(lookup(t, '2001:db8:2::1').value, 3);
  assert.equal(lookup(t, '2001:db8:1::1').value, 4);
  assert.equal(lookup(t, '2001:db9::1').value, -1);
});

test('the scope covers exactly the addresses that share the answer', () => {
  const t = trie('10.0.0.0/8', '10.1.0.0/16');
  // Inside 10/8 but off the 10.1/16 branch: bit 15 already differs from 10.1 -> 16 bits decide.
  assert.deepEqual(lookup(t, '10.0.0.1'), { value: 0, scope: 16 });
  // Matched the leaf /16: nothing deeper, 16 bits decide.
  assert.deepEqual(lookup(t, '10.1.200.1'), { value: 1, scope: 16 });
  // Outside 10/8: the walk leaves the trie at the first differing bit.
  assert.equal(lookup(t, '192.0.2.1').scope, 1);
  assert.equal(lookup(t, '11.0.0.1').scope, 8);
});

test('an empty trie matches nothing and depends on no bit', () => {
  const t = trie();
  assert.deepEqual(lookup(t, '10.0.0.1'), { value: -1, scope: 0 });
  assert.deepEqual(lookup(t, '2001:db8::1'), { value: -1, scope: 0 });
});

test('a duplicate network keeps its first value', () => {
  const t = trie('10.0.0.0/8', '10.0.0.0/8');
  assert.equal(lookup(t, '10.0.0.1').value, 0);
});
