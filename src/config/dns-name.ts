/**
 * DNS names as the configuration accepts them: case-insensitive, an optional trailing dot, labels of
 * letters, digits, hyphens (not at either end) and underscores (for service labels such as `_sip`), at
 * most 63 octets per label and 253 in total (RFC 1035 §2.3.4, RFC 2181 §11). Normal form: lowercase
 * without the trailing dot. Pure.
 */

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

export type DnsNameResult = { name: string } | { error: string };

export function normaliseDnsName(text: string): DnsNameResult {
  const name = text.trim().toLowerCase().replace(/\.$/, '');
  if (name === '') return { error: 'expected a DNS name such as app.example.com, got an empty name' };
  if (name.length > 253) return { error: `expected a DNS name of at most 253 characters, got ${name.length}` };
  for (const label of name.split('.')) {
    if (label === '') return { error: `expected a DNS name without empty labels, got ${JSON.stringify(text)}` };
    if (label.length > 63) return { error: `expected DNS labels of at most 63 characters, got ${label.length} in ${JSON.stringify(text)}` };
    if (!LABEL.test(label)) {
      return {
        error: `expected a DNS name of letters, digits, hyphens and underscores (no wildcards, no hyphen at a label's ends), got ${JSON.stringify(text)}`,
      };
    }
  }
  return { name };
}

/** True when `name` is `zone` or below it. Both in normal form. */
export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

export function labelCount(name: string): number {
  return name.split('.').length;
}
