/**
 * A DNS query builder for the fuzzers that keeps the structure (header fields, question, records,
 * OPT and its options) so corruptions can be aimed: compression pointers that loop or point past the
 * end, label lengths past 63, names past 255 octets, counts that lie, truncated or duplicate OPT,
 * RDLENGTH past the end. Independent of src/dns/wire (it must not share the parser's assumptions).
 */
import type { Rng } from './rng.ts';

export interface RawRecord {
  /** Owner name in wire form (may be a pointer or garbage on purpose). */
  owner: Buffer;
  type: number;
  klass: number;
  ttl: number;
  rdata: Buffer;
  /** Written instead of rdata.length when set (a lying RDLENGTH). */
  rdLength?: number;
}

export interface RawQuery {
  id: number;
  flags: number;
  /** Written instead of the real counts when set. */
  counts?: [number, number, number, number];
  qname: Buffer;
  qtype: number;
  qclass: number;
  /** false: the question section is left out (counts may still say 1). */
  hasQuestion: boolean;
  answers: RawRecord[];
  authority: RawRecord[];
  additional: RawRecord[];
  /** Cut the encoded message to this many bytes. */
  truncateAt?: number;
}

export const T = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, OPT: 41, DS: 43, RRSIG: 46, NSEC: 47, DNSKEY: 48, NXNAME: 128, IXFR: 251, AXFR: 252, ANY: 255 } as const;

/** Wire form of a dotted name (no validation: labels longer than 63 are written as asked). */
export function wireName(name: string): Buffer {
  if (name === '' || name === '.') return Buffer.from([0]);
  const parts = name.replace(/\.$/, '').split('.');
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const b = Buffer.from(p, 'latin1');
    chunks.push(Buffer.from([b.length & 0xff]), b);
  }
  chunks.push(Buffer.from([0]));
  return Buffer.concat(chunks);
}

export interface EdnsOptionSpec {
  code: number;
  data: Buffer;
  /** Written instead of data.length when set. */
  length?: number;
}

export function optRecord(o: { udpSize?: number; version?: number; dnssecOk?: boolean; compactOk?: boolean; extRcode?: number; options?: EdnsOptionSpec[] } = {}): RawRecord {
  const flags = (o.dnssecOk ? 0x8000 : 0) | (o.compactOk ? 0x4000 : 0);
  const ttl = (((o.extRcode ?? 0) & 0xff) << 24) | (((o.version ?? 0) & 0xff) << 16) | flags;
  const rdata = Buffer.concat(
    (o.options ?? []).map((opt) => {
      const h = Buffer.alloc(4);
      h.writeUInt16BE(opt.code & 0xffff, 0);
      h.writeUInt16BE((opt.length ?? opt.data.length) & 0xffff, 2);
      return Buffer.concat([h, opt.data]);
    }),
  );
  return { owner: Buffer.from([0]), type: T.OPT, klass: (o.udpSize ?? 1232) & 0xffff, ttl: ttl >>> 0, rdata };
}

export function ecsOption(family: number, source: number, scope: number, address: Buffer): EdnsOptionSpec {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(family & 0xffff, 0);
  h[2] = source & 0xff;
  h[3] = scope & 0xff;
  return { code: 8, data: Buffer.concat([h, address]) };
}

function encodeRecord(r: RawRecord): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(r.type & 0xffff, 0);
  fixed.writeUInt16BE(r.klass & 0xffff, 2);
  fixed.writeUInt32BE(r.ttl >>> 0, 4);
  fixed.writeUInt16BE((r.rdLength ?? r.rdata.length) & 0xffff, 8);
  return Buffer.concat([r.owner, fixed, r.rdata]);
}

export function encodeRaw(q: RawQuery): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id & 0xffff, 0);
  header.writeUInt16BE(q.flags & 0xffff, 2);
  const counts = q.counts ?? [q.hasQuestion ? 1 : 0, q.answers.length, q.authority.length, q.additional.length];
  for (let i = 0; i < 4; i++) header.writeUInt16BE(counts[i]! & 0xffff, 4 + i * 2);
  const parts: Buffer[] = [header];
  if (q.hasQuestion) {
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(q.qtype & 0xffff, 0);
    tail.writeUInt16BE(q.qclass & 0xffff, 2);
    parts.push(q.qname, tail);
  }
  for (const r of [...q.answers, ...q.authority, ...q.additional]) parts.push(encodeRecord(r));
  const out = Buffer.concat(parts);
  return q.truncateAt !== undefined ? out.subarray(0, Math.min(q.truncateAt, out.length)) : out;
}

/** Offset at which the n-th record (over all three sections) starts in encodeRaw's output. */
export function recordOffset(q: RawQuery, n: number): number {
  let off = 12 + (q.hasQuestion ? q.qname.length + 4 : 0);
  const all = [...q.answers, ...q.authority, ...q.additional];
  for (let i = 0; i < n && i < all.length; i++) off += all[i]!.owner.length + 10 + all[i]!.rdata.length;
  return off;
}

function randomLabel(rng: Rng, max = 63): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*';
  const n = rng.range(1, max);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

function randomCase(rng: Rng, s: string): string {
  if (!rng.chance(0.3)) return s;
  return [...s].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c)).join('');
}

/** A well-formed query for one of `names` (or a name near them), optionally with EDNS, DO, ECS. */
export function validQuery(rng: Rng, names: readonly string[], zone: string): RawQuery {
  let name: string;
  switch (rng.int(8)) {
    case 0:
      name = zone;
      break;
    case 1:
      name = `${randomLabel(rng, 12)}.${zone}`; // nonexistent below the apex
      break;
    case 2:
      name = `${randomLabel(rng, 12)}.example.org`; // out of zone
      break;
    case 3:
      name = `eu.${zone}`; // empty non-terminal
      break;
    case 4:
      name = `${randomLabel(rng, 8)}.${rng.pick(names)}`; // below a served name
      break;
    default:
      name = rng.pick(names);
  }
  const qtype = rng.chance(0.6)
    ? rng.pick([T.A, T.AAAA, T.A, T.AAAA, T.ANY, T.SOA, T.NS])
    : rng.chance(0.7)
      ? rng.pick([T.DNSKEY, T.NSEC, T.RRSIG, T.DS, T.TXT, T.MX, T.CNAME, T.AXFR, T.IXFR, T.NXNAME, T.OPT, 0, 65535])
      : rng.int(65536);
  const q: RawQuery = {
    id: rng.int(65536),
    flags: rng.chance(0.5) ? 0x0100 : 0,
    qname: wireName(randomCase(rng, name)),
    qtype,
    qclass: rng.chance(0.95) ? 1 : rng.pick([3, 4, 254, 255, 0, rng.int(65536)]),
    hasQuestion: true,
    answers: [],
    authority: [],
    additional: [],
  };
  if (rng.chance(0.7)) {
    const options: EdnsOptionSpec[] = [];
    if (rng.chance(0.3)) {
      const v6 = rng.chance(0.4);
      const source = v6 ? rng.pick([0, 32, 48, 56, 64, 128]) : rng.pick([0, 8, 16, 24, 32]);
      const addr = rng.bytes((source + 7) >> 3);
      if (source % 8 !== 0 && addr.length > 0) addr[addr.length - 1]! &= (0xff << (8 - (source % 8))) & 0xff;
      options.push(ecsOption(v6 ? 2 : 1, source, 0, addr));
    }
    if (rng.chance(0.2)) options.push({ code: 10, data: rng.bytes(8) }); // client cookie
    if (rng.chance(0.1)) options.push({ code: 12, data: Buffer.alloc(rng.int(128)) }); // padding
    if (rng.chance(0.05)) options.push({ code: rng.int(65536), data: rng.bytes(rng.int(32)) });
    q.additional.push(
      optRecord({
        udpSize: rng.chance(0.7) ? rng.pick([512, 1232, 4096, 1400]) : rng.boundary(16),
        version: rng.chance(0.95) ? 0 : rng.int(256),
        dnssecOk: rng.chance(0.5),
        compactOk: rng.chance(0.2),
        options,
      }),
    );
  }
  return q;
}

/** The structural corruptions the issue lists, one per call (named, for the tally). */
export const CORRUPTIONS = [
  'compression-loop',
  'pointer-out-of-range',
  'pointer-in-question',
  'label-past-63',
  'name-past-255',
  'name-exactly-255',
  'lying-counts',
  'truncated-opt',
  'duplicate-opt',
  'opt-outside-additional',
  'opt-non-root-owner',
  'huge-rdlength',
  'edns-option-overrun',
  'bad-ecs',
  'many-records',
  'qr-or-opcode',
  'truncated-anywhere',
  'no-question',
] as const;
export type Corruption = (typeof CORRUPTIONS)[number];

function filler(rng: Rng, owner: Buffer): RawRecord {
  return { owner, type: rng.pick([T.A, T.TXT, T.NS, 99]), klass: 1, ttl: rng.u32(), rdata: rng.bytes(rng.int(8)) };
}

/** Applies corruption `c` to `q` in place. */
export function corrupt(rng: Rng, q: RawQuery, c: Corruption): void {
  switch (c) {
    case 'compression-loop': {
      // An additional record whose owner points at itself, or two owners pointing at each other.
      const self = recordOffset(q, q.answers.length + q.authority.length + q.additional.length);
      if (rng.chance(0.5)) {
        q.additional.push(filler(rng, Buffer.from([0xc0 | ((self >> 8) & 0x3f), self & 0xff])));
      } else {
        const first = self;
        const second = first + 2 + 10 + 0;
        const a: RawRecord = { owner: Buffer.from([0xc0 | ((second >> 8) & 0x3f), second & 0xff]), type: T.A, klass: 1, ttl: 0, rdata: Buffer.alloc(0) };
        const b: RawRecord = { owner: Buffer.from([0xc0 | ((first >> 8) & 0x3f), first & 0xff]), type: T.A, klass: 1, ttl: 0, rdata: Buffer.alloc(0) };
        q.additional.push(a, b);
      }
      break;
    }
    case 'pointer-out-of-range': {
      const target = rng.chance(0.5) ? 0x3fff : rng.range(200, 0x3fff);
      const owner = Buffer.concat([rng.chance(0.5) ? wireName('x').subarray(0, 2) : Buffer.alloc(0), Buffer.from([0xc0 | (target >> 8), target & 0xff])]);
      q.answers.push(filler(rng, owner));
      break;
    }
    case 'pointer-in-question': {
      // The question may not be compressed; a pointer to offset 12 would be a loop.
      const target = rng.pick([12, 13, 0, 0x3fff]);
      // Keep whole labels only (the first one), so the pointer bytes stay a pointer.
      const first = q.qname[0]!;
      const keep = rng.chance(0.5) && first > 0 && first <= 63 ? q.qname.subarray(0, first + 1) : Buffer.alloc(0);
      q.qname = Buffer.concat([keep, Buffer.from([0xc0 | (target >> 8), target & 0xff])]);
      break;
    }
    case 'label-past-63': {
      const len = rng.pick([64, 65, 127, 0x40, 0x80, 0xbf]);
      const label = Buffer.alloc(Math.min(len, 0x3f + 10), 0x61);
      const where = rng.int(3);
      const rest = where === 0 ? q.qname : Buffer.from([0]);
      q.qname = Buffer.concat([Buffer.from([len]), label, rest]);
      break;
    }
    case 'name-past-255': {
      const labels = rng.chance(0.5) ? Array.from({ length: 128 + rng.int(40) }, () => 'a') : Array.from({ length: 5 }, () => 'b'.repeat(63));
      q.qname = wireName(labels.join('.'));
      break;
    }
    case 'name-exactly-255': {
      // 3 x 63 + 1 x 61 + 5 length octets + root = 255 octets: the longest legal name.
      q.qname = wireName(['c'.repeat(63), 'c'.repeat(63), 'c'.repeat(63), 'c'.repeat(61)].join('.'));
      break;
    }
    case 'lying-counts': {
      const real = [q.hasQuestion ? 1 : 0, q.answers.length, q.authority.length, q.additional.length];
      const i = rng.int(4);
      real[i] = rng.boundary(16);
      if (rng.chance(0.3)) real[rng.int(4)] = rng.boundary(16);
      q.counts = real as [number, number, number, number];
      break;
    }
    case 'truncated-opt': {
      if (!q.additional.some((r) => r.type === T.OPT)) q.additional.push(optRecord({ options: [ecsOption(1, 24, 0, Buffer.from([192, 0, 2]))] }));
      const start = recordOffset(q, q.answers.length + q.authority.length + q.additional.length - 1);
      const total = encodeRaw(q).length;
      q.truncateAt = rng.range(start, total - 1);
      break;
    }
    case 'duplicate-opt':
      q.additional.push(optRecord({ dnssecOk: rng.chance(0.5) }), optRecord({ udpSize: rng.boundary(16), dnssecOk: rng.chance(0.5) }));
      break;
    case 'opt-outside-additional':
      (rng.chance(0.5) ? q.answers : q.authority).push(optRecord({ dnssecOk: true }));
      break;
    case 'opt-non-root-owner': {
      const opt = optRecord({ dnssecOk: true });
      opt.owner = rng.chance(0.5) ? wireName('example') : Buffer.from([0xc0, 12]);
      q.additional.push(opt);
      break;
    }
    case 'huge-rdlength': {
      const r = filler(rng, Buffer.from([0]));
      r.rdLength = rng.pick([0xffff, 0xfffe, r.rdata.length + 1, 0x8000]);
      if (rng.chance(0.5)) r.type = T.OPT;
      q.additional.push(r);
      break;
    }
    case 'edns-option-overrun': {
      const data = rng.bytes(rng.int(6));
      q.additional.push(optRecord({ dnssecOk: rng.chance(0.5), options: [{ code: rng.pick([8, 10, 12, 65001]), data, length: data.length + rng.range(1, 300) }] }));
      break;
    }
    case 'bad-ecs': {
      const family = rng.pick([0, 1, 2, 3, 0xffff]);
      const source = rng.pick([0, 1, 24, 33, 64, 129, 255]);
      const scope = rng.pick([0, 0, 1, 24, 255]);
      const addr = rng.bytes(rng.int(20));
      const opts = [ecsOption(family, source, scope, addr)];
      if (rng.chance(0.3)) opts.push(ecsOption(1, 24, 0, Buffer.from([10, 0, 0]))); // duplicate ECS
      q.additional.push(optRecord({ options: opts, dnssecOk: rng.chance(0.5) }));
      break;
    }
    case 'many-records': {
      const n = rng.range(50, 400);
      for (let i = 0; i < n; i++) q.additional.push({ owner: rng.chance(0.5) ? Buffer.from([0xc0, 12]) : Buffer.from([0]), type: T.A, klass: 1, ttl: 0, rdata: rng.bytes(4) });
      break;
    }
    case 'qr-or-opcode':
      q.flags = (q.flags & ~0xf800) | (rng.int(16) << 11) | (rng.chance(0.3) ? 0x8000 : 0) | (rng.u32() & 0x07ff);
      break;
    case 'truncated-anywhere':
      q.truncateAt = rng.int(encodeRaw(q).length);
      break;
    case 'no-question':
      q.hasQuestion = false;
      if (rng.chance(0.5)) q.counts = [1, 0, 0, q.additional.length];
      break;
  }
}
