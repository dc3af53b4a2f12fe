/**
 * Client -> region, in the original's order: custom CIDR mapping (longest prefix wins) > the
 * database's country (regions[].countries) > its continent (regions[].continents) >
 * geolocation.default_region > none (the policy then serves every healthy backend). Built from
 * one configuration; the database comes through a holder whose `current` is swapped whole on
 * reload, so a query sees either the old database or the new one, never a mix.
 *
 * Decision cache: the search tree already partitions the address space into the database's
 * networks; what a network's record means for routing (its region) is computed once per record
 * pointer and kept in a map, so a lookup is a trie walk, a tree walk over bytes and one map hit.
 * The map is dropped when the database object changes and bounded in size.
 *
 * Scope (RFC 7871 §7.2.1): a custom match depends on the trie walk's depth; otherwise on the
 * deeper of the trie walk (which proved no mapping applies) and the database network.
 */
import type { ClientLocator, ClientSubnet, DecisionScope } from '../model/index.ts';
import { parseCidr, type Cidr } from './ip-address.ts';
import { PrefixTrie } from './prefix-trie.ts';
import type { GeoFacts, MmdbDatabase } from './mmdb-database.ts';

export interface GeoRegionSpec {
  name: string;
  /** ISO 3166-1 alpha-2 codes (any case). */
  countries: readonly string[];
  /** AF AN AS EU NA OC SA. */
  continents: readonly string[];
}

export interface GeoMapping {
  cidr: string;
  region: string;
  comment?: string;
  source: 'config' | 'api';
}

export interface GeoLocatorSpec {
  regions: readonly GeoRegionSpec[];
  /** Region names that exist only on backends (agent-claimed regions), so they get ids too. */
  extraRegionNames?: readonly string[];
  defaultRegion?: string;
  mappings: readonly GeoMapping[];
}

/** Where the current database lives; `current` is replaced whole, never changed in place. */
export interface GeoDatabaseHolder {
  readonly current: MmdbDatabase | null;
}

export type GeoMatchType = 'custom_mapping' | 'geoip_country' | 'geoip_continent' | 'default' | 'none';

/** One lookup explained (the API's /geo/test). */
export interface GeoExplanation {
  region?: string;
  matchType: GeoMatchType;
  matchedCidr?: string;
  comment?: string;
  country?: string;
  continent?: string;
  /** Leading address bits the decision depended on (the ECS scope a reply would carry). */
  scopePrefix: number;
}

const MAX_CACHED_RECORDS = 1 << 20;
/** Cache value for a record that maps to no region (country and continent unknown to the config). */
const NO_REGION = -1;

export class GeoLocator implements ClientLocator {
  readonly regionNames: readonly string[];
  readonly defaultRegionId: number;
  readonly #ids = new Map<string, number>();
  readonly #trie: PrefixTrie;
  readonly #networks: Cidr[];
  readonly #mappings: GeoMapping[];
  /** Region id of mapping i. */
  readonly #mappingRegion: Int32Array;
  readonly #byCountry = new Map<string, number>();
  readonly #byContinent = new Map<string, number>();
  readonly #holder: GeoDatabaseHolder;
  readonly #byPointer = new Map<number, number>();
  #cachedDb: MmdbDatabase | null = null;
  readonly #scratch: DecisionScope = { prefixLength: 0 };
  /** What it was built from (plain data): DNS worker threads rebuild the same locator from it. */
  readonly spec: GeoLocatorSpec;

  constructor(spec: GeoLocatorSpec, holder: GeoDatabaseHolder) {
    this.#holder = holder;
    this.spec = spec;
    const names: string[] = [];
    const idOf = (name: string): number => {
      let id = this.#ids.get(name);
      if (id === undefined) {
        id = names.length;
        names.push(name);
        this.#ids.set(name, id);
      }
      return id;
    };
    // First region listing a code wins (configuration order), so the outcome never depends on map order.
    for (const r of spec.regions) {
      const id = idOf(r.name);
      for (const c of r.countries) if (!this.#byCountry.has(c.toUpperCase())) this.#byCountry.set(c.toUpperCase(), id);
      for (const c of r.continents) if (!this.#byContinent.has(c.toUpperCase())) this.#byContinent.set(c.toUpperCase(), id);
    }
    for (const name of spec.extraRegionNames ?? []) idOf(name);
    this.defaultRegionId = spec.defaultRegion === undefined ? -1 : idOf(spec.defaultRegion);
    this.#networks = [];
    this.#mappings = [];
    const regionOfMapping: number[] = [];
    for (const m of spec.mappings) {
      const cidr = parseCidr(m.cidr);
      if (!cidr) continue; // validated by the config loader and the API before they get here
      this.#networks.push(cidr);
      this.#mappings.push(m);
      regionOfMapping.push(idOf(m.region));
    }
    this.#mappingRegion = Int32Array.from(regionOfMapping);
    this.#trie = new PrefixTrie(this.#networks);
    this.regionNames = names;
  }

  /** Where the database comes from (a GeoDatabaseFile when one is configured). */
  get databaseHolder(): GeoDatabaseHolder {
    return this.#holder;
  }

  regionId(name: string): number {
    return this.#ids.get(name) ?? -1;
  }

  locate(client: ClientSubnet, scope: DecisionScope): number {
    const family = client.family;
    if (family !== 4 && family !== 6) {
      scope.prefixLength = 0;
      return this.defaultRegionId;
    }
    const custom = this.#trie.lookup(family, client.address, scope);
    if (custom >= 0) return this.#mappingRegion[custom]!;
    const db = this.#holder.current;
    if (db === null) return this.defaultRegionId;
    const trieScope = scope.prefixLength;
    const pointer = db.find(family, client.address, scope);
    if (scope.prefixLength < trieScope) scope.prefixLength = trieScope;
    if (pointer === 0) return this.defaultRegionId;
    if (db !== this.#cachedDb) {
      this.#byPointer.clear();
      this.#cachedDb = db;
    }
    let region = this.#byPointer.get(pointer);
    if (region === undefined) {
      region = this.#regionOfFacts(db.facts(family, client.address));
      if (this.#byPointer.size >= MAX_CACHED_RECORDS) this.#byPointer.clear();
      this.#byPointer.set(pointer, region);
    }
    return region === NO_REGION ? this.defaultRegionId : region;
  }

  #regionOfFacts(facts: GeoFacts): number {
    if (facts.country !== undefined) {
      const id = this.#byCountry.get(facts.country);
      if (id !== undefined) return id;
    }
    if (facts.continent !== undefined) {
      const id = this.#byContinent.get(facts.continent);
      if (id !== undefined) return id;
    }
    return NO_REGION;
  }

  /** The full story of one lookup (not the hot path: allocates). */
  explain(family: number, bytes: Uint8Array): GeoExplanation {
    const scope = this.#scratch;
    const custom = this.#trie.lookup(family, bytes, scope);
    if (custom >= 0) {
      const m = this.#mappings[custom]!;
      return {
        region: m.region,
        matchType: 'custom_mapping',
        matchedCidr: this.#networks[custom]!.text,
        ...(m.comment === undefined ? {} : { comment: m.comment }),
        scopePrefix: scope.prefixLength,
      };
    }
    const trieScope = scope.prefixLength;
    const db = this.#holder.current;
    let facts: GeoFacts = {};
    if (db !== null) {
      const pointer = db.find(family, bytes, scope);
      if (scope.prefixLength < trieScope) scope.prefixLength = trieScope;
      if (pointer !== 0) facts = db.facts(family, bytes);
    }
    const scopePrefix = scope.prefixLength;
    const country = facts.country === undefined ? undefined : this.#byCountry.get(facts.country);
    const continent = facts.continent === undefined ? undefined : this.#byContinent.get(facts.continent);
    const id = country ?? continent ?? this.defaultRegionId;
    const matchType: GeoMatchType = country !== undefined ? 'geoip_country' : continent !== undefined ? 'geoip_continent' : id >= 0 ? 'default' : 'none';
    return { ...(id >= 0 ? { region: this.regionNames[id] } : {}), matchType, ...facts, scopePrefix };
  }
}
