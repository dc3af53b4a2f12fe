/**
 * msgpack as HashiCorp memberlist writes and reads it (go-msgpack 0.5 `MsgpackHandle{}`, old spec).
 *
 * Writing: Go emits `[]byte` and `string` alike as msgpack *str* (fixstr, str16, str32; never str8,
 * never bin) and every non-negative integer in its smallest unsigned form. `GoWriter` reproduces
 * that byte for byte so our packets equal Go's (MEMBERLIST.md section 7, vectors in section 10).
 * Reading: `@msgpack/msgpack` with `rawStrings`, so Go's byte fields (Addr, Meta, Vsn, Payload, Buf)
 * arrive as raw bytes instead of being UTF-8-decoded; `msgpackValueEnd` frames concatenated values
 * (push/pull streams have no length prefixes between values).
 * Pure: no I/O. Nothing here throws on untrusted bytes: failures are `undefined` / -1.
 */
import { Decoder } from '@msgpack/msgpack';

/** Growable writer producing Go-identical msgpack. */
export class GoWriter {
  #buf: Buffer;
  #len = 0;
  constructor(initialBytes = 128) {
    this.#buf = Buffer.allocUnsafe(initialBytes);
  }
  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }
  u8(v: number): this {
    this.#ensure(1);
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }
  u16be(v: number): this {
    this.#ensure(2);
    this.#buf.writeUInt16BE(v, this.#len);
    this.#len += 2;
    return this;
  }
  u32be(v: number): this {
    this.#ensure(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#len);
    this.#len += 4;
    return this;
  }
  raw(b: Uint8Array): this {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }
  mapHeader(n: number): this {
    if (n < 16) return this.u8(0x80 | n);
    if (n < 0x10000) return this.u8(0xde).u16be(n);
    return this.u8(0xdf).u32be(n);
  }
  arrayHeader(n: number): this {
    if (n < 16) return this.u8(0x90 | n);
    if (n < 0x10000) return this.u8(0xdc).u16be(n);
    return this.u8(0xdd).u32be(n);
  }
  #strHeader(n: number): this {
    // Old-spec msgpack has no str8: Go jumps from fixstr straight to str16.
    if (n < 32) return this.u8(0xa0 | n);
    if (n < 0x10000) return this.u8(0xda).u16be(n);
    return this.u8(0xdb).u32be(n);
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.#strHeader(b.length).raw(b);
  }
  /** A Go `[]byte`: str-encoded; an empty/absent slice is nil, as Go writes a nil slice. */
  bytes(b: Uint8Array | undefined): this {
    if (b === undefined || b.length === 0) return this.nil();
    return this.#strHeader(b.length).raw(b);
  }
  nil(): this {
    return this.u8(0xc0);
  }
  bool(v: boolean): this {
    return this.u8(v ? 0xc3 : 0xc2);
  }
  /** Non-negative integer in the smallest unsigned form (Go writes ints this way too). */
  uint(v: number): this {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`msgpack uint: expected a non-negative integer, got ${v}`);
    if (v < 0x80) return this.u8(v);
    if (v < 0x100) return this.u8(0xcc).u8(v);
    if (v < 0x10000) return this.u8(0xcd).u16be(v);
    if (v < 0x1_0000_0000) return this.u8(0xce).u32be(v);
    this.u8(0xcf);
    this.#ensure(8);
    this.#buf.writeBigUInt64BE(BigInt(v), this.#len);
    this.#len += 8;
    return this;
  }
  get length(): number {
    return this.#len;
  }
  /** A copy of the written bytes, sized exactly. */
  finish(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#len));
  }
}

const decoder = new Decoder({ rawStrings: true, useBigInt64: false, maxStrLength: 20 * 1024 * 1024 });

/** Decodes exactly one msgpack value occupying all of `buf`; `undefined` when malformed. */
export function decodeGoValue(buf: Uint8Array): unknown {
  try {
    return decoder.decode(buf);
  } catch {
    // Malformed input is a status, not an exception, for every caller (STYLE.md 2.4).
    return undefined;
  }
}

/**
 * Offset just past the msgpack value starting at `off`, or -1 when the value is malformed or runs
 * past the end. Iterative (no recursion), so hostile nesting cannot overflow the stack.
 */
export function msgpackValueEnd(buf: Uint8Array, off: number): number {
  let pos = off;
  let pending = 1;
  const n = buf.length;
  const need = (k: number): boolean => pos + k <= n;
  const u16 = (p: number): number => (buf[p] << 8) | buf[p + 1];
  const u32 = (p: number): number => ((buf[p] << 24) >>> 0) + (buf[p + 1] << 16) + (buf[p + 2] << 8) + buf[p + 3];
  while (pending > 0) {
    if (!need(1)) return -1;
    const b = buf[pos++];
    pending--;
    let skip = 0;
    let children = 0;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
      // fixint, negative fixint, nil, bool: the type byte is the whole value
    } else if (b >= 0x80 && b <= 0x8f) children = (b & 0x0f) * 2;
    else if (b >= 0x90 && b <= 0x9f) children = b & 0x0f;
    else if (b >= 0xa0 && b <= 0xbf) skip = b & 0x1f;
    else {
      switch (b) {
        case 0xc4: case 0xd9: // bin8, str8
          if (!need(1)) return -1;
          skip = buf[pos] + 1;
          break;
        case 0xc5: case 0xda: // bin16, str16
          if (!need(2)) return -1;
          skip = u16(pos) + 2;
          break;
        case 0xc6: case 0xdb: // bin32, str32
          if (!need(4)) return -1;
          skip = u32(pos) + 4;
          break;
        case 0xc7: // ext8
          if (!need(1)) return -1;
          skip = buf[pos] + 2;
          break;
        case 0xc8:
          if (!need(2)) return -1;
          skip = u16(pos) + 3;
          break;
        case 0xc9:
          if (!need(4)) return -1;
          skip = u32(pos) + 5;
          break;
        case 0xca: skip = 4; break;
        case 0xcb: skip = 8; break;
        case 0xcc: case 0xd0: skip = 1; break;
        case 0xcd: case 0xd1: skip = 2; break;
        case 0xce: case 0xd2: skip = 4; break;
        case 0xcf: case 0xd3: skip = 8; break;
        case 0xd4: skip = 2; break;
        case 0xd5: skip = 3; break;
        case 0xd6: skip = 5; break;
        case 0xd7: skip = 9; break;
        case 0xd8: skip = 17; break;
        case 0xdc:
          if (!need(2)) return -1;
          children = u16(pos);
          skip = 2;
          break;
        case 0xdd:
          if (!need(4)) return -1;
          children = u32(pos);
          skip = 4;
          break;
        case 0xde:
          if (!need(2)) return -1;
          children = u16(pos) * 2;
          skip = 2;
          break;
        case 0xdf:
          if (!need(4)) return -1;
          children = u32(pos) * 2;
          skip = 4;
          break;
        default:
          return -1; // 0xc1 is never used
      }
    }
    if (!need(skip)) return -1;
    pos += skip;
    pending += children;
    // Every pending value needs at least one byte: bail out before a huge count spins the loop.
    if (pending > n - pos) return -1;
  }
  return pos;
}

// ---- field readers for decoded Go structs (lenient exactly where Go is, MEMBERLIST.md section 7) ----

export type GoMap = Record<string, unknown>;

export function asMap(v: unknown): GoMap | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
    ? (v as GoMap)
    : undefined;
}

/** `[]byte` field: str or bin, nil/absent = empty; also an array of small ints, as Go accepts. */
export function asBytes(v: unknown): Buffer | undefined {
  if (v === undefined || v === null) return Buffer.alloc(0);
  // A copy, not a view: a view would keep the whole received packet (or push/pull stream) alive
  // for as long as a node record holds its Addr or Meta.
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (Array.isArray(v)) {
    const out = Buffer.alloc(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 255) return undefined;
      out[i] = x;
    }
    return out;
  }
  return undefined;
}

/** `string` field: str only in Go; raw-string decoding gives bytes, we decode them as UTF-8. */
export function asString(v: unknown): string | undefined {
  if (v === undefined || v === null) return '';
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  if (typeof v === 'string') return v;
  return undefined;
}

/** Unsigned integer field bounded by `max` (Go rejects overflow, negatives and floats). */
export function asUint(v: unknown, max: number): number | undefined {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) return v;
  if (typeof v === 'boolean') return undefined;
  return undefined;
}

export function asBool(v: unknown): boolean | undefined {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  return undefined;
}
