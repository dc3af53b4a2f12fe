/**
 * Encoders for the records an authoritative GSLB serves, producing the bytes the Snapshot stores
 * and the writer copies: full records (owner + tail) or tails (TYPE onwards, for pointer owners).
 * Names inside RDATA are written uncompressed and lowercase, which is also their canonical DNSSEC
 * form (RFC 4034 §6.2), so the same bytes can be signed.
 */
import { RRClass, RRType } from './constants.ts';
import { encodeName } from './name.ts';

/** TYPE | CLASS IN | TTL | RDLENGTH | RDATA. */
export function encodeRecordTail(type: number, ttlSeconds: number, rdata: Buffer): Buffer {
  const out = Buffer.alloc(10 + rdata.length);
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(RRClass.IN, 2);
  out.writeUInt32BE(ttlSeconds >>> 0, 4);
  out.writeUInt16BE(rdata.length, 8);
  rdata.copy(out, 10);
  return out;
}

/** A record whose owner is a compression pointer to `ownerOffset` (12 = the question name). */
export function encodePointerRecord(ownerOffset: number, type: number, ttlSeconds: number, rdata: Buffer): Buffer {
  const tail = encodeRecordTail(type, ttlSeconds, rdata);
  const out = Buffer.alloc(2 + tail.length);
  out.writeUInt16BE(0xc000 | ownerOffset, 0);
  tail.copy(out, 2);
  return out;
}

export function parseIPv4(text: string): Buffer | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

export function parseIPv6(text: string): Buffer | null {
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) return null;
  const out = Buffer.alloc(16);
  let tailV4: Buffer | null = null;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.indexOf('.', lastColon) > 0) {
    tailV4 = parseIPv4(s.slice(lastColon + 1));
    if (!tailV4) return null;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (h: string): number[] | null => {
    if (h === '') return [];
    const groups = h.split(':');
    const vals: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      vals.push(parseInt(g, 16));
    }
    return vals;
  };
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1 && head.length !== 8) return null;
  if (halves.length === 2 && head.length + tail.length > 7) return null;
  const groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  for (let i = 0; i < 8; i++) out.writeUInt16BE(groups[i]!, i * 2);
  if (tailV4) tailV4.copy(out, 12);
  return out;
}

/** RDATA of an A (4 bytes) or AAAA (16 bytes) record for an address literal; null if neither. */
export function addressRdata(address: string): { type: number; rdata: Buffer } | null {
  const v4 = parseIPv4(address);
  if (v4) return { type: RRType.A, rdata: v4 };
  const v6 = parseIPv6(address);
  if (v6) return { type: RRType.AAAA, rdata: v6 };
  return null;
}

export function nameRdata(name: string): Buffer {
  return encodeName(name.toLowerCase());
}

export interface SoaFields {
  mname: string;
  rname: string;
  serial: number;
  refreshSeconds: number;
  retrySeconds: number;
  expireSeconds: number;
  /** RFC 2308 §4: the negative-caching TTL. */
  minimumSeconds: number;
}

export function soaRdata(soa: SoaFields): Buffer {
  const m = nameRdata(soa.mname);
  const r = nameRdata(soa.rname);
  const out = Buffer.alloc(m.length + r.length + 20);
  m.copy(out, 0);
  r.copy(out, m.length);
  let p = m.length + r.length;
  for (const v of [soa.serial, soa.refreshSeconds, soa.retrySeconds, soa.expireSeconds, soa.minimumSeconds]) {
    out.writeUInt32BE(v >>> 0, p);
    p += 4;
  }
  return out;
}
