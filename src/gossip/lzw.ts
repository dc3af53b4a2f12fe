/**
 * LZW exactly as Go's `compress/lzw` with order LSB and literal width 8 (the GIF flavour), which is
 * what memberlist's `compressMsg` carries (MEMBERLIST.md section 2.4). Go nodes compress by default,
 * so decompression is required for interop; compression is here for tests and symmetry (we do not
 * compress what we send: Go accepts uncompressed packets).
 * Ported from Go 1.19 `src/compress/lzw/reader.go` / `writer.go`. Pure; never throws on input.
 */

const LIT_WIDTH = 8;
const MAX_WIDTH = 12;
const CLEAR = 1 << LIT_WIDTH; // 256
const EOF_CODE = CLEAR + 1; // 257
const INVALID = 0xffff;
const MAX_CODE = (1 << MAX_WIDTH) - 1;

/**
 * Decompresses a Go LZW (LSB, 8) stream. Returns undefined when the stream is invalid, ends
 * without the end code (Go reports io.ErrUnexpectedEOF), or would exceed `maxOutputBytes`.
 */
// Decoder tables, reused across calls (decoding is synchronous). No stale entry is ever read: every
// code in [258, hi) was written since the last clear, and code == hi is expanded from `last`.
const suffix = new Uint8Array(1 << MAX_WIDTH);
const prefix = new Uint16Array(1 << MAX_WIDTH);
const scratch = new Uint8Array(1 << MAX_WIDTH); // one code expands to at most 4096 bytes

export function lzwDecompress(input: Uint8Array, maxOutputBytes = 4 * 1024 * 1024): Buffer | undefined {
  let out = Buffer.allocUnsafe(Math.min(maxOutputBytes, Math.max(64, input.length * 4)));
  let o = 0;
  let width = 1 + LIT_WIDTH;
  let hi = EOF_CODE;
  let overflow = 1 << width;
  let last = INVALID;
  let bits = 0;
  let nBits = 0;
  let pos = 0;

  const emit = (src: Uint8Array, from: number, to: number): boolean => {
    const n = to - from;
    if (o + n > maxOutputBytes) return false;
    if (o + n > out.length) {
      const next = Buffer.allocUnsafe(Math.min(maxOutputBytes, Math.max(out.length * 2, o + n)));
      out.copy(next, 0, 0, o);
      out = next;
    }
    out.set(src.subarray(from, to), o);
    o += n;
    return true;
  };
  const one = new Uint8Array(1);

  for (;;) {
    while (nBits < width) {
      if (pos >= input.length) return undefined; // no end code: Go's io.ErrUnexpectedEOF
      bits |= input[pos++] << nBits;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;

    if (code < CLEAR) {
      if (o < out.length) out[o++] = code;
      else {
        one[0] = code;
        if (!emit(one, 0, 1)) return undefined;
      }
      if (last !== INVALID) {
        suffix[hi] = code;
        prefix[hi] = last;
      }
    } else if (code === CLEAR) {
      width = 1 + LIT_WIDTH;
      hi = EOF_CODE;
      overflow = 1 << width;
      last = INVALID;
      continue;
    } else if (code === EOF_CODE) {
      return Buffer.from(out.subarray(0, o));
    } else if (code <= hi) {
      let c = code;
      let i = scratch.length - 1;
      if (code === hi && last !== INVALID) {
        // KwKwK: the last expansion followed by its own first byte.
        c = last;
        while (c >= CLEAR) c = prefix[c];
        scratch[i--] = c;
        c = last;
      }
      while (c >= CLEAR) {
        if (i < 0) return undefined; // cannot happen for a well-formed table; never loop forever
        scratch[i--] = suffix[c];
        c = prefix[c];
      }
      if (i < 0) return undefined;
      scratch[i] = c;
      if (!emit(scratch, i, scratch.length)) return undefined;
      if (last !== INVALID) {
        suffix[hi] = c;
        prefix[hi] = last;
      }
    } else {
      return undefined; // "lzw: invalid code"
    }
    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        last = INVALID;
        hi--;
      } else {
        width++;
        overflow = 1 << width;
      }
    }
  }
}

/** Compresses like Go's `lzw.NewWriter(w, lzw.LSB, 8)` followed by Close(): byte-identical output. */
export function lzwCompress(input: Uint8Array): Buffer {
  const TABLE_SIZE = 4 * (1 << 12);
  const TABLE_MASK = TABLE_SIZE - 1;
  const table = new Uint32Array(TABLE_SIZE); // 0 = empty; else key<<12 | code (key < 2^20)
  const bytes: number[] = [];
  let bits = 0;
  let nBits = 0;
  let width = 1 + LIT_WIDTH;
  let hi = CLEAR + 1;
  let overflow = CLEAR << 1;

  const write = (c: number): void => {
    bits |= c << nBits;
    nBits += width;
    while (nBits >= 8) {
      bytes.push(bits & 0xff);
      bits >>>= 8;
      nBits -= 8;
    }
  };
  /** false when the table was reset (Go's errOutOfCodes). */
  const incHi = (): boolean => {
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi === MAX_CODE) {
      write(CLEAR);
      width = LIT_WIDTH + 1;
      hi = CLEAR + 1;
      overflow = CLEAR << 1;
      table.fill(0);
      return false;
    }
    return true;
  };

  if (input.length === 0) {
    write(CLEAR);
  } else {
    write(CLEAR);
    let code = input[0];
    outer: for (let p = 1; p < input.length; p++) {
      const literal = input[p];
      const key = (code << 8) | literal;
      let hash = ((key >>> 12) ^ key) & TABLE_MASK;
      for (let h = hash, t = table[hash]; t !== 0; ) {
        if (key === t >>> 12) {
          code = t & MAX_CODE;
          continue outer;
        }
        h = (h + 1) & TABLE_MASK;
        t = table[h];
      }
      write(code);
      code = literal;
      if (!incHi()) continue;
      for (;;) {
        if (table[hash] === 0) {
          table[hash] = ((key << 12) | hi) >>> 0;
          break;
        }
        hash = (hash + 1) & TABLE_MASK;
      }
    }
    write(code);
    incHi();
  }
  write(EOF_CODE);
  if (nBits > 0) bytes.push(bits & 0xff);
  return Buffer.from(bytes);
}
