/**
 * Seeded pseudo-random numbers for the fuzzers (sfc32): the same seed gives the same inputs, so a
 * finding is reproduced with `npm run fuzz -- --seed N --target T`. Not for cryptography.
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.u32();
  }

  /** Uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /** A length biased towards small values and boundaries (0, 1, 63, 64, 255, 256, 512...). */
  length(max: number): number {
    switch (this.int(4)) {
      case 0:
        return this.int(Math.min(max, 16) + 1);
      case 1:
        return Math.min(max, this.pick([0, 1, 2, 11, 12, 13, 63, 64, 127, 128, 255, 256, 511, 512, 1232, 1400, 4096]));
      default:
        return this.int(max + 1);
    }
  }

  /** An integer biased towards interesting boundaries of a `bits`-bit field. */
  boundary(bits: number): number {
    const max = 2 ** bits - 1;
    switch (this.int(3)) {
      case 0:
        return this.pick([0, 1, 2, max, max - 1, 2 ** (bits - 1), 2 ** (bits - 1) - 1]) >>> 0;
      case 1:
        return this.int(16);
      default:
        return Math.floor(this.float() * (max + 1));
    }
  }
}
