/**
 * Longest-prefix match over IPv4 and IPv6 networks (custom geolocation mappings), built once and
 * then only read: a binary trie in typed arrays, so a lookup walks at most 32/128 nodes and
 * allocates nothing. Besides the match, a lookup reports the ECS scope: how many leading bits of
 * the address the result depended on (RFC 7871 §7.2.1), so that every address sharing those bits
 * gets the same answer and a resolver may cache it for all of them.
 */
import { bitAt, type Cidr } from './ip-address.ts';
import type { DecisionScope } from '../model/index.ts';

class BinaryTrie {
  /** children[2n] = left (bit 0), children[2n+1] = right; 0 = none (node 0 is the root, never a child). */
  children: Int32Array;
  /** Value index stored at node n, -1 = none. */
  values: Int32Array;
  count = 1;

  constructor(capacity: number) {
    this.children = new Int32Array(capacity * 2);
    this.values = new Int32Array(capacity).fill(-1);
  }

  insert(bytes: Uint8Array, prefixLength: number, value: number): void {
    let node = 0;
    for (let depth = 0; depth < prefixLength; depth++) {
      const slot = node * 2 + bitAt(bytes, depth);
      let next = this.children[slot]!;
      if (next === 0) {
        next = this.count++;
        this.children[slot] = next;
      }
      node = next;
    }
    // A duplicate network keeps the first value (config order, then API order).
    if (this.values[node] === -1) this.values[node] = value;
  }

  lookup(bytes: Uint8Array, maxBits: number, scope: DecisionScope): number {
    const children = this.children;
    const values = this.values;
    let node = 0;
    let best = values[0]!;
    let depth = 0;
    for (; depth < maxBits; depth++) {
      const next = children[node * 2 + ((bytes[depth >> 3]! >> (7 - (depth & 7))) & 1)]!;
      if (next === 0) break;
      node = next;
      const v = values[node]!;
      if (v !== -1) best = v;
    }
    // Addresses sharing `depth` bits walk the same path; if this node branches the other way,
    // the next bit decides too.
    const branches = depth < maxBits && (children[node * 2]! !== 0 || children[node * 2 + 1]! !== 0);
    scope.prefixLength = branches ? depth + 1 : depth;
    return best;
  }
}

/** Networks -> value index; IPv4 and IPv6 kept apart (IPv4-mapped clients are looked up as IPv4). */
export class PrefixTrie {
  readonly #v4: BinaryTrie;
  readonly #v6: BinaryTrie;
  readonly size: number;

  /** `networks[i]` maps to value i. */
  constructor(networks: readonly Cidr[]) {
    let nodes4 = 1;
    let nodes6 = 1;
    for (const n of networks) {
      if (n.family === 4) nodes4 += n.prefixLength;
      else nodes6 += n.prefixLength;
    }
    this.#v4 = new BinaryTrie(nodes4);
    this.#v6 = new BinaryTrie(nodes6);
    networks.forEach((n, i) => (n.family === 4 ? this.#v4 : this.#v6).insert(n.bytes, n.prefixLength, i));
    this.size = networks.length;
  }

  /** The value index of the longest network holding the address, -1 when none; writes the scope. */
  lookup(family: number, bytes: Uint8Array, scope: DecisionScope): number {
    return family === 4 ? this.#v4.lookup(bytes, 32, scope) : this.#v6.lookup(bytes, 128, scope);
  }
}
