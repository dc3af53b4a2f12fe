/**
 * Generic byte-level mutations (AFL-style havoc, bounded): bit flips, interesting values, inserted,
 * deleted, duplicated and truncated spans. Structure-aware mutations live with each target.
 */
import type { Rng } from './rng.ts';

const INTERESTING_8 = [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xff];
const INTERESTING_16 = [0x0000, 0x0001, 0x00ff, 0x0100, 0x7fff, 0x8000, 0xc000, 0xc00c, 0xffff];

/** Returns a mutated copy of `input` (1 to `maxOps` operations), never longer than `maxLength`. */
export function havoc(rng: Rng, input: Buffer, maxOps = 6, maxLength = 65535): Buffer {
  let buf = Buffer.from(input);
  const ops = rng.range(1, maxOps);
  for (let i = 0; i < ops; i++) {
    const at = buf.length === 0 ? 0 : rng.int(buf.length);
    switch (rng.int(10)) {
      case 0:
        if (buf.length > 0) buf[at] ^= 1 << rng.int(8);
        break;
      case 1:
        if (buf.length > 0) buf[at] = rng.pick(INTERESTING_8);
        break;
      case 2:
        if (buf.length > 1) buf.writeUInt16BE(rng.pick(INTERESTING_16), Math.min(at, buf.length - 2));
        break;
      case 3:
        if (buf.length > 0) buf[at] = rng.u32() & 0xff;
        break;
      case 4: {
        // delete a span
        const n = rng.int(Math.min(16, buf.length - at) + 1);
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + n)]);
        break;
      }
      case 5: {
        // insert random bytes
        buf = Buffer.concat([buf.subarray(0, at), rng.bytes(rng.range(1, 8)), buf.subarray(at)]);
        break;
      }
      case 6: {
        // duplicate a span somewhere else
        if (buf.length === 0) break;
        const n = rng.range(1, Math.min(32, buf.length - at));
        const to = rng.int(buf.length + 1);
        buf = Buffer.concat([buf.subarray(0, to), buf.subarray(at, at + n), buf.subarray(to)]);
        break;
      }
      case 7:
        // truncate
        buf = buf.subarray(0, at);
        break;
      case 8: {
        // overwrite with a copy of another span
        if (buf.length < 2) break;
        const from = rng.int(buf.length);
        const n = rng.range(1, Math.min(8, buf.length - Math.max(from, at)));
        buf.copy(buf, at, from, from + n);
        break;
      }
      default:
        // off-by-one arithmetic on a byte
        if (buf.length > 0) buf[at] = (buf[at]! + (rng.chance(0.5) ? 1 : 255)) & 0xff;
        break;
    }
  }
  return buf.length > maxLength ? buf.subarray(0, maxLength) : buf;
}

/** Mutates text as UTF-8 bytes; the result may not be valid UTF-8 (decoders must cope). */
export function havocText(rng: Rng, text: string, maxOps = 4): string {
  return havoc(rng, Buffer.from(text, 'utf8'), maxOps).toString('utf8');
}
