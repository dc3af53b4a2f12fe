/**
 * Canonical ordering (RFC 4034 §6): names compared label by label from the right, labels as
 * lowercase unsigned octet strings; RRs of one RRset sorted by RDATA octets, duplicates removed.
 * Names here are wire keys (lowercase uncompressed wire form as latin1, see dns/wire/name.ts).
 */
import { labelOffsets } from '../dns/wire/index.ts';

/** Labels of a wire key, rightmost first, each as a latin1 string (already lowercase). */
function labelsRightToLeft(key: string): string[] {
  return labelOffsets(key)
    .map((off) => key.slice(off + 1, off + 1 + key.charCodeAt(off)))
    .reverse();
}

/** <0, 0, >0 as `a` sorts before, equal to, or after `b` in canonical DNS name order (RFC 4034 §6.1). */
export function compareCanonicalNames(a: string, b: string): number {
  const la = labelsRightToLeft(a);
  const lb = labelsRightToLeft(b);
  const n = Math.min(la.length, lb.length);
  for (let i = 0; i < n; i++) {
    const c = Buffer.compare(Buffer.from(la[i]!, 'latin1'), Buffer.from(lb[i]!, 'latin1'));
    if (c !== 0) return c;
  }
  return la.length - lb.length;
}

/** RFC 4034 §6.3: the RDATAs of one RRset in canonical order, exact duplicates removed. A new array. */
export function canonicalRdataOrder(rdatas: readonly Buffer[]): Buffer[] {
  const sorted = [...rdatas].sort(Buffer.compare);
  const out: Buffer[] = [];
  for (const r of sorted) if (out.length === 0 || !out[out.length - 1]!.equals(r)) out.push(r);
  return out;
}
