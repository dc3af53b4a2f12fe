/**
 * One loaded MaxMind DB (.mmdb) file, immutable once built. The search tree is walked here over
 * the raw bytes (no string parsing, no allocation: the hot path), which yields the data pointer of
 * the client's network and its prefix length; records are decoded by `maxmind` (mmdb-lib) only
 * when a pointer is seen for the first time, and the caller caches what it derives from them.
 * Both record schemas are read: MaxMind's (`country.iso_code`, `continent.code`) and
 * @ip-location-db's (`country_code`; the continent then comes from the country).
 */
import { Reader } from 'maxmind';
import { OpenGslbError } from '../errors.ts';
import { formatIp } from './ip-address.ts';
import { continentOfCountry } from './country-continent.ts';
import type { DecisionScope } from '../model/index.ts';

export const GeoErrorCode = {
  Database: 'ERR_GEO_DATABASE',
  Mapping: 'ERR_GEO_MAPPING',
} as const;
export type GeoErrorCode = (typeof GeoErrorCode)[keyof typeof GeoErrorCode];

export class GeoError extends OpenGslbError {
  constructor(code: GeoErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** What geolocation reads from a record. */
export interface GeoFacts {
  /** ISO 3166-1 alpha-2, upper case. */
  country?: string;
  /** AF AN AS EU NA OC SA. */
  continent?: string;
}

interface AnyRecord {
  country?: { iso_code?: unknown };
  registered_country?: { iso_code?: unknown };
  continent?: { code?: unknown };
  country_code?: unknown;
  continent_code?: unknown;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v.toUpperCase() : undefined);

/** Country and continent of a record in either schema. */
export function factsOfRecord(record: unknown): GeoFacts {
  if (record === null || typeof record !== 'object') return {};
  const r = record as AnyRecord;
  const country = text(r.country?.iso_code) ?? text(r.country_code) ?? text(r.registered_country?.iso_code);
  const continent = text(r.continent?.code) ?? text(r.continent_code) ?? (country === undefined ? undefined : continentOfCountry(country));
  return { ...(country === undefined ? {} : { country }), ...(continent === undefined ? {} : { continent }) };
}

export class MmdbDatabase {
  readonly #buf: Buffer;
  readonly #reader: Reader<Record<string, unknown>>;
  readonly #nodeCount: number;
  readonly #recordSize: number;
  readonly #nodeByteSize: number;
  /** Node where IPv4 addresses start in an IPv6 tree (after 96 zero bits); >= nodeCount when that subtree is a leaf. */
  readonly #ipv4Start: number;
  readonly #isV4Only: boolean;
  readonly databaseType: string;
  readonly buildEpochMs: number;
  readonly sizeBytes: number;

  /** Parses and checks a whole file's bytes; throws GeoError when they are no usable MMDB. */
  constructor(buf: Buffer, source = 'database') {
    let reader: Reader<Record<string, unknown>>;
    try {
      reader = new Reader<Record<string, unknown>>(buf);
    } catch (err) {
      throw new GeoError(GeoErrorCode.Database, `${source}: not a MaxMind DB file: ${(err as Error).message}`, { cause: err });
    }
    const m = reader.metadata;
    if (![24, 28, 32].includes(m.recordSize)) throw new GeoError(GeoErrorCode.Database, `${source}: record size ${m.recordSize} is not 24, 28 or 32`);
    if (m.ipVersion !== 4 && m.ipVersion !== 6) throw new GeoError(GeoErrorCode.Database, `${source}: ip_version ${m.ipVersion} is not 4 or 6`);
    if (m.searchTreeSize + 16 > buf.length) throw new GeoError(GeoErrorCode.Database, `${source}: truncated: the search tree needs ${m.searchTreeSize} bytes, the file has ${buf.length}`);
    this.#buf = buf;
    this.#reader = reader;
    this.#nodeCount = m.nodeCount;
    this.#recordSize = m.recordSize;
    this.#nodeByteSize = m.nodeByteSize;
    this.#isV4Only = m.ipVersion === 4;
    this.databaseType = m.databaseType;
    this.buildEpochMs = m.buildEpoch.getTime();
    this.sizeBytes = buf.length;
    let node = 0;
    if (!this.#isV4Only) for (let i = 0; i < 96 && node < this.#nodeCount; i++) node = this.#child(node, 0);
    this.#ipv4Start = node;
  }

  #child(node: number, bit: number): number {
    const b = this.#buf;
    const off = node * this.#nodeByteSize;
    switch (this.#recordSize) {
      case 24: {
        const o = off + bit * 3;
        return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
      }
      case 28:
        return bit === 0
          ? ((b[off + 3]! & 0xf0) << 20) | (b[off]! << 16) | (b[off + 1]! << 8) | b[off + 2]!
          : ((b[off + 3]! & 0x0f) << 24) | (b[off + 4]! << 16) | (b[off + 5]! << 8) | b[off + 6]!;
      default: {
        const o = off + bit * 4;
        return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
      }
    }
  }

  /**
   * Walks the tree for the address (family 4: bytes 0-3; 6: bytes 0-15). Returns the record
   * pointer (> 0), or 0 when the database has no record for it; `scope.prefixLength` gets the
   * length of the network the result belongs to (counted in IPv4 bits for IPv4 addresses).
   */
  find(family: number, bytes: Uint8Array, scope: DecisionScope): number {
    const nodeCount = this.#nodeCount;
    let bits: number;
    let node: number;
    if (family === 4) {
      bits = 32;
      node = this.#ipv4Start;
    } else {
      if (this.#isV4Only) {
        scope.prefixLength = 0;
        return 0;
      }
      bits = 128;
      node = 0;
    }
    let depth = 0;
    for (; depth < bits && node < nodeCount; depth++) node = this.#child(node, (bytes[depth >> 3]! >> (7 - (depth & 7))) & 1);
    scope.prefixLength = depth;
    // node === nodeCount: "no data"; node > nodeCount: a pointer into the data section.
    return node > nodeCount ? node : 0;
  }

  /** The decoded record for the address (slow path: parses the text form; call once per pointer). */
  facts(family: number, bytes: Uint8Array): GeoFacts {
    const ip = family === 4 ? formatIp(4, bytes) : formatIp(6, bytes);
    return factsOfRecord(this.#reader.get(ip));
  }
}
