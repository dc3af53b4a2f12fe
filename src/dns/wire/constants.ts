/** DNS numbers used by the codec and the responder (RFC 1035, 3596, 4034, 6891, 7871, 8482). */

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  NSEC3PARAM: 51,
  HINFO: 13,
  AXFR: 252,
  IXFR: 251,
  ANY: 255,
} as const;

export const RRClass = { IN: 1, CH: 3, ANY: 255 } as const;

export const RCode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended rcode (RFC 6891 §6.1.3): upper 8 bits go in the OPT TTL, lower 4 in the header. */
  BADVERS: 16,
} as const;

export const Opcode = { QUERY: 0 } as const;

export const EdnsOption = { ECS: 8, COOKIE: 10 } as const;

/** Header flag bits in the second 16-bit word. */
export const Flag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  AD: 0x0020,
  CD: 0x0010,
} as const;

export const HEADER_SIZE = 12;
/** RFC 1035 §4.2.1: the size every client accepts without EDNS. */
export const CLASSIC_UDP_SIZE = 512;
export const MAX_NAME_WIRE_LENGTH = 255;
export const MAX_LABEL_LENGTH = 63;

const typeNames = new Map<number, string>(Object.entries(RRType).map(([k, v]) => [v, k]));
/** Presentation name of a type for logs and metric labels (`TYPE65` for unknown ones, RFC 3597). */
export function typeName(type: number): string {
  return typeNames.get(type) ?? `TYPE${type}`;
}

const rcodeNames = new Map<number, string>(Object.entries(RCode).map(([k, v]) => [v, k]));
export function rcodeName(rcode: number): string {
  return rcodeNames.get(rcode) ?? `RCODE${rcode}`;
}
