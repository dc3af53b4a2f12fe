/**
 * A tiny MaxMind DB writer for tests (format spec: maxmind.github.io/MaxMind-DB): a binary search
 * tree of `recordSize`-bit records, 16 zero bytes, the data section, then the metadata marker and
 * map. IPv4 networks go under ::/96 in an IPv6 tree (as MaxMind's own writer does), or at the
 * root of an IPv4 tree. More specific networks win over the ones containing them.
 */
import { parseCidr } from '../../../src/geo/index.ts';

export interface MmdbEntry {
  cidr: string;
  record: unknown;
}

export interface MmdbWriterOptions {
  ipVersion?: 4 | 6;
  recordSize?: 24 | 28 | 32;
  databaseType?: string;
}

type Child = { kind: 'empty' } | { kind: 'node'; node: TreeNode } | { kind: 'data'; index: number };
interface TreeNode {
  children: [Child, Child];
  id: number;
}

const EMPTY: Child = { kind: 'empty' };

function bit(bytes: Uint8Array, i: number): number {
  return (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
}

export function writeMmdb(entries: MmdbEntry[], opts: MmdbWriterOptions = {}): Buffer {
  const ipVersion = opts.ipVersion ?? 6;
  const recordSize = opts.recordSize ?? 24;
  const records: unknown[] = [];
  const recordIndex = new Map<string, number>();
  const root: TreeNode = { children: [EMPTY, EMPTY], id: 0 };

  const nets = entries
    .map((e) => {
      const c = parseCidr(e.cidr);
      if (!c) throw new Error(`bad cidr ${e.cidr}`);
      if (ipVersion === 4 && c.family === 6) throw new Error(`IPv6 network ${e.cidr} in an IPv4 database`);
      const key = JSON.stringify(e.record);
      let index = recordIndex.get(key);
      if (index === undefined) {
        index = records.length;
        records.push(e.record);
        recordIndex.set(key, index);
      }
      // IPv4 in an IPv6 tree: ::a.b.c.d/(96 + n).
      if (c.family === 4 && ipVersion === 6) {
        const bytes = new Uint8Array(16);
        bytes.set(c.bytes.subarray(0, 4), 12);
        return { bytes, len: c.prefixLength + 96, index };
      }
      return { bytes: c.bytes, len: c.prefixLength, index };
    })
    .sort((a, b) => a.len - b.len);

  for (const net of nets) {
    if (net.len === 0) throw new Error('a /0 network is not supported by this writer');
    let node = root;
    for (let depth = 0; depth < net.len - 1; depth++) {
      const b = bit(net.bytes, depth);
      const child = node.children[b];
      if (child.kind === 'node') {
        node = child.node;
        continue;
      }
      // Split an empty or data leaf into a node whose halves inherit it.
      const next: TreeNode = { children: [child, child], id: 0 };
      node.children[b] = { kind: 'node', node: next };
      node = next;
    }
    node.children[bit(net.bytes, net.len - 1)] = { kind: 'data', index: net.index };
  }

  // Number nodes breadth-first (root = 0).
  const order: TreeNode[] = [];
  const queue: TreeNode[] = [root];
  while (queue.length > 0) {
    const n = queue.shift()!;
    n.id = order.length;
    order.push(n);
    for (const c of n.children) if (c.kind === 'node') queue.push(c.node);
  }
  const nodeCount = order.length;

  const dataParts: Buffer[] = [];
  const offsets: number[] = [];
  let dataLength = 0;
  for (const r of records) {
    const enc = encodeValue(r);
    offsets.push(dataLength);
    dataParts.push(enc);
    dataLength += enc.length;
  }

  const nodeBytes = (recordSize * 2) / 8;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  const valueOf = (c: Child): number => (c.kind === 'empty' ? nodeCount : c.kind === 'node' ? c.node.id : nodeCount + 16 + offsets[c.index]!);
  for (const n of order) {
    const left = valueOf(n.children[0]);
    const right = valueOf(n.children[1]);
    const off = n.id * nodeBytes;
    if (recordSize === 24) {
      tree.writeUIntBE(left, off, 3);
      tree.writeUIntBE(right, off + 3, 3);
    } else if (recordSize === 28) {
      tree.writeUIntBE(left & 0xffffff, off, 3);
      tree[off + 3] = ((left >>> 24) << 4) | (right >>> 24);
      tree.writeUIntBE(right & 0xffffff, off + 4, 3);
    } else {
      tree.writeUInt32BE(left, off);
      tree.writeUInt32BE(right, off + 4);
    }
  }

  const metadata = encodeValue({
    binary_format_major_version: { u16: 2 },
    binary_format_minor_version: { u16: 0 },
    build_epoch: { u64: Math.floor(Date.now() / 1000) },
    database_type: opts.databaseType ?? 'OpenGSLB-Test',
    description: { en: 'OpenGSLB test database' },
    ip_version: { u16: ipVersion },
    languages: ['en'],
    node_count: { u32: nodeCount },
    record_size: { u16: recordSize },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...dataParts, Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com'), metadata]);
}

function control(type: number, size: number): Buffer {
  const head: number[] = [];
  let sizeBits: number;
  const extra: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 285) {
    sizeBits = 29;
    extra.push(size - 29);
  } else if (size < 65821) {
    sizeBits = 30;
    const v = size - 285;
    extra.push(v >> 8, v & 0xff);
  } else {
    sizeBits = 31;
    const v = size - 65821;
    extra.push((v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
  }
  if (type <= 7) head.push((type << 5) | sizeBits);
  else head.push(sizeBits, type - 7);
  return Buffer.from([...head, ...extra]);
}

function uintBytes(v: number | bigint, max: number): Buffer {
  let n = BigInt(v);
  const out: number[] = [];
  while (n > 0n) {
    out.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  if (out.length > max) throw new Error('integer too large');
  return Buffer.from(out);
}

/**
 * Encodes a value: strings, integers (uint32), non-integers (double), booleans, arrays, maps;
 * `{u16|u32|u64: n}` forces an unsigned type (metadata needs them).
 */
export function encodeValue(v: unknown): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([control(2, b.length), b]);
  }
  if (typeof v === 'boolean') return control(14, v ? 1 : 0);
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) {
      const b = uintBytes(v, 4);
      return Buffer.concat([control(6, b.length), b]);
    }
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return Buffer.concat([control(3, 8), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([control(11, v.length), ...v.map(encodeValue)]);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && (keys[0] === 'u16' || keys[0] === 'u32' || keys[0] === 'u64')) {
      const type = keys[0] === 'u16' ? 5 : keys[0] === 'u32' ? 6 : 9;
      const b = uintBytes(o[keys[0]] as number, type === 5 ? 2 : type === 6 ? 4 : 8);
      return Buffer.concat([control(type, b.length), b]);
    }
    return Buffer.concat([control(7, keys.length), ...keys.flatMap((k) => [encodeValue(k), encodeValue(o[k])])]);
  }
  throw new Error(`cannot encode ${String(v)}`);
}

/** A MaxMind-schema (GeoLite2-Country) record. */
export function maxmindRecord(country: string, continent: string): unknown {
  return { continent: { code: continent, names: { en: continent } }, country: { iso_code: country, names: { en: country } } };
}

/** An @ip-location-db-schema record. */
export function ipLocationRecord(country: string): unknown {
  return { country_code: country };
}
