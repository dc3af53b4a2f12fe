/**
 * IP addresses as bytes, parsed without allocating: the data plane turns the resolver's socket
 * address (a string node:dgram hands us) into bytes once per geolocated query. IPv4 sits in the
 * first 4 bytes of a 16-byte buffer; IPv4-mapped IPv6 (`::ffff:a.b.c.d`, what a dual-stack socket
 * reports for IPv4 peers) is unmapped to IPv4 so that v4 rules and v4 ECS scopes apply to it.
 */

/** Parses `text` into `out` (16 bytes); returns 4, 6, or 0 when it is no address. A `%zone` suffix is ignored. */
export function parseIpInto(text: string, out: Uint8Array): number {
  let end = text.indexOf('%');
  if (end < 0) end = text.length;
  if (end === 0) return 0;
  if (text.indexOf(':') < 0) return parseV4(text, 0, end, out, 0) ? 4 : 0;
  return parseV6(text, end, out) ? 6 : 0;
}

/** Like parseIpInto, but IPv4-mapped IPv6 comes back as IPv4 (family 4, bytes moved to the front). */
export function parseClientIpInto(text: string, out: Uint8Array): number {
  const family = parseIpInto(text, out);
  return family === 6 ? unmapV4(out) : family;
}

/** 4 (bytes moved to the front) when `bytes` is an IPv4-mapped IPv6 address, else 6. */
export function unmapV4(bytes: Uint8Array): number {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return 6;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return 6;
  bytes[0] = bytes[12]!;
  bytes[1] = bytes[13]!;
  bytes[2] = bytes[14]!;
  bytes[3] = bytes[15]!;
  return 4;
}

function parseV4(s: string, start: number, end: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 3) return false;
      out[at + part] = value;
      part++;
      value = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57) return false;
    if (digits > 0 && value === 0) return false; // "01": ambiguous (octal in inet_aton), refused
    value = value * 10 + (c - 48);
    digits++;
    if (value > 255) return false;
  }
  return part === 4;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function parseV6(s: string, end: number, out: Uint8Array): boolean {
  let i = 0;
  let pos = 0;
  let gap = -1;
  if (s.charCodeAt(0) === 58) {
    if (end < 2 || s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    let value = 0;
    let digits = 0;
    let j = i;
    for (; j < end; j++) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      value = value * 16 + h;
      if (++digits > 4) return false;
    }
    if (j < end && s.charCodeAt(j) === 46) {
      // RFC 4291 §2.2: the last 32 bits may be written as dotted IPv4.
      if (pos > 12 || !parseV4(s, i, end, out, pos)) return false;
      pos += 4;
      break;
    }
    if (digits === 0 || pos > 14) return false;
    out[pos] = value >> 8;
    out[pos + 1] = value & 0xff;
    pos += 2;
    if (j === end) break;
    if (s.charCodeAt(j) !== 58) return false;
    if (j + 1 < end && s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false;
      gap = pos;
      i = j + 2;
      continue;
    }
    i = j + 1;
    if (i === end) return false;
  }
  if (gap < 0) return pos === 16;
  if (pos > 14) return false;
  const tail = pos - gap;
  for (let k = tail - 1; k >= 0; k--) out[16 - tail + k] = out[gap + k]!;
  for (let k = gap; k < 16 - tail; k++) out[k] = 0;
  return true;
}

/** Text form (RFC 5952 for IPv6: lower case, longest zero run compressed). */
export function formatIp(family: number, bytes: Uint8Array): string {
  if (family === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** A network: family, address bytes with the host bits cleared, and prefix length. */
export interface Cidr {
  family: number;
  bytes: Uint8Array;
  prefixLength: number;
  /** Canonical text, e.g. `10.0.0.0/8`, `2001:db8::/32`. */
  text: string;
}

/**
 * Parses `a.b.c.d/n` or `x::y/n` (a bare address is a host route). Host bits are cleared, so
 * `10.1.2.3/8` is `10.0.0.0/8`. IPv4-mapped IPv6 networks of /96 or longer become IPv4 networks.
 */
export function parseCidr(text: string): Cidr | undefined {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const bytes = new Uint8Array(16);
  let family = parseIpInto(addressText, bytes);
  if (family === 0 || addressText.includes('%')) return undefined;
  const max = family === 4 ? 32 : 128;
  let prefixLength = max;
  if (slash >= 0) {
    const lenText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) return undefined;
    prefixLength = Number(lenText);
    if (prefixLength > max) return undefined;
  }
  if (family === 6 && prefixLength >= 96 && unmapV4(bytes) === 4) {
    family = 4;
    prefixLength -= 96;
  }
  maskInPlace(bytes, family === 4 ? 4 : 16, prefixLength);
  return { family, bytes, prefixLength, text: `${formatIp(family, bytes)}/${prefixLength}` };
}

/** Clears every bit after the first `prefixLength` of the first `size` bytes. */
export function maskInPlace(bytes: Uint8Array, size: number, prefixLength: number): void {
  for (let i = 0; i < 16; i++) {
    const bit = i * 8;
    if (i >= size || bit >= prefixLength + 8) bytes[i] = 0;
    else if (bit + 8 > prefixLength) bytes[i] = bytes[i]! & (0xff << (8 - (prefixLength - bit))) & 0xff;
  }
}

/** Bit `index` (0 = most significant of byte 0) of `bytes`. */
export function bitAt(bytes: Uint8Array, index: number): number {
  return (bytes[index >> 3]! >> (7 - (index & 7))) & 1;
}
