/**
 * NSEC RDATA (RFC 4034 §4.1): Next Domain Name, uncompressed and lowercase (we only ever emit
 * lowercase names, so RFC 6840 §5.1's "sign it as sent" is the same bytes), then the type bit maps.
 */
import { RRType } from '../dns/wire/index.ts';

/** RFC 9824 §2: the NXNAME meta type, set in the bitmap of a compact denial for a nonexistent name. */
export const NXNAME_TYPE = 128;

/** RFC 4034 §4.1.2 type bit maps: window blocks in increasing order, trailing zero octets dropped. */
export function typeBitmap(types: readonly number[]): Buffer {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let i = 0;
  while (i < sorted.length) {
    const window = sorted[i]! >> 8;
    const bits = Buffer.alloc(32);
    let length = 0;
    while (i < sorted.length && sorted[i]! >> 8 === window) {
      const low = sorted[i]! & 0xff;
      bits[low >> 3]! |= 0x80 >> (low & 7);
      length = (low >> 3) + 1;
      i++;
    }
    parts.push(Buffer.from([window, length]), bits.subarray(0, length));
  }
  return Buffer.concat(parts);
}

/** NSEC RDATA with `nextKey` (a wire key) as Next Domain Name and `types` plus RRSIG and NSEC in the bitmap. */
export function nsecRdata(nextKey: string, types: readonly number[]): Buffer {
  return Buffer.concat([Buffer.from(nextKey, 'latin1'), typeBitmap([...types, RRType.RRSIG, RRType.NSEC])]);
}

/** The two compact-denial bitmaps (RFC 9824 §3.2), built once: the online signer makes one NSEC per nonexistent name. */
const NXNAME_BITMAP = typeBitmap([NXNAME_TYPE, RRType.RRSIG, RRType.NSEC]);
const EMPTY_NON_TERMINAL_BITMAP = typeBitmap([RRType.RRSIG, RRType.NSEC]);

/** `nsecRdata(nextKey, nonexistent ? [NXNAME_TYPE] : [])` with one allocation and no sorting. */
export function compactDenialRdata(nextKey: string, nonexistent: boolean): Buffer {
  const bitmap = nonexistent ? NXNAME_BITMAP : EMPTY_NON_TERMINAL_BITMAP;
  const out = Buffer.allocUnsafe(nextKey.length + bitmap.length);
  bitmap.copy(out, out.write(nextKey, 0, 'latin1'));
  return out;
}

/**
 * The immediate successor of a name in canonical order, `\000.<name>` (RFC 4470 §3, RFC 9824 §3.2),
 * as a wire key. At the 255-octet limit the label cannot be prefixed: RFC 4471 §3.1.2 then
 * increments the last octet of the leftmost label instead, which still sorts after the name and
 * before any name an LDH zone can hold.
 */
export function successorKey(key: string): string {
  if (key.length + 2 <= 255) return `\x01\x00${key}`;
  const len = key.charCodeAt(0);
  let i = len; // last octet of the leftmost label
  while (i >= 1 && key.charCodeAt(i) === 0xff) i--;
  if (i < 1) return key; // an all-\255 label: no successor at this length; callers never produce one
  return key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + '\x00'.repeat(len - i) + key.slice(len + 1);
}
