/**
 * Domain names in wire form. Names are keyed in the Snapshot by their lowercase uncompressed wire
 * bytes read as latin1 (a "wire key"): the parser can then produce the key with one toString and
 * one toLowerCase, no label splitting. Label length octets are <= 63, below 'A' (65), so lowercasing
 * never touches them; lowercasing latin1 also folds bytes 0xC0-0xDE, which only matters for names
 * that are not LDH and so never match a configured name.
 */
import { MAX_LABEL_LENGTH, MAX_NAME_WIRE_LENGTH } from './constants.ts';

/** Wire form of a presentation name ('www.example.com', trailing dot optional; '' or '.' = root). */
export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return Buffer.from([0]);
  const labels = trimmed.split('.');
  const parts: Buffer[] = [];
  let total = 1;
  for (const label of labels) {
    const bytes = Buffer.from(label, 'latin1');
    if (bytes.length === 0 || bytes.length > MAX_LABEL_LENGTH) {
      throw new RangeError(`invalid label length ${bytes.length} in name "${name}"`);
    }
    parts.push(Buffer.from([bytes.length]), bytes);
    total += bytes.length + 1;
  }
  if (total > MAX_NAME_WIRE_LENGTH) throw new RangeError(`name "${name}" is longer than 255 octets`);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** Snapshot map key of a presentation name: lowercase wire form as latin1. */
export function wireKey(name: string): string {
  return encodeName(name.toLowerCase()).toString('latin1');
}

/** Presentation form (lowercase, no trailing dot) of a wire key; '' for the root. */
export function nameOfWireKey(key: string): string {
  const labels: string[] = [];
  let i = 0;
  while (i < key.length) {
    const len = key.charCodeAt(i);
    if (len === 0) break;
    labels.push(key.slice(i + 1, i + 1 + len));
    i += len + 1;
  }
  return labels.join('.');
}

/** Offsets of each label start in a wire key, leftmost first (the root is not included). */
export function labelOffsets(key: string): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < key.length && key.charCodeAt(i) !== 0) {
    out.push(i);
    i += key.charCodeAt(i) + 1;
  }
  return out;
}

/** Number of labels, not counting the root (RRSIG labels field, RFC 4034 §3.1.3). */
export function labelCount(key: string): number {
  return labelOffsets(key).length;
}

/** RFC 1035 §2.3.1 plus '_' (service labels) and '*': what a configured name may contain. */
export function isValidHostname(name: string): boolean {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed.length === 0 || trimmed.length > 253) return false;
  return trimmed
    .split('.')
    .every((l) => l.length > 0 && l.length <= MAX_LABEL_LENGTH && /^[A-Za-z0-9_*]([A-Za-z0-9_-]*[A-Za-z0-9_])?$/.test(l));
}
