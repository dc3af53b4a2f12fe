/**
 * geo/: where a client is. MaxMind DB files (MaxMind's and @ip-location-db's record schemas) and
 * custom CIDR mappings turn an address into a region, with the ECS scope the decision depended on.
 * Invariants: lookups are synchronous and allocation-free (a trie walk, a search-tree walk over
 * bytes and a map hit per record); a database is replaced whole, never mutated; the only I/O is
 * GeoDatabaseFile (reading and watching the file), kept out of the lookup path.
 */
export { parseIpInto, parseClientIpInto, unmapV4, formatIp, parseCidr, maskInPlace, type Cidr } from './ip-address.ts';
export { PrefixTrie } from './prefix-trie.ts';
export { continentOfCountry } from './country-continent.ts';
export { MmdbDatabase, GeoError, GeoErrorCode, factsOfRecord, type GeoFacts } from './mmdb-database.ts';
export {
  GeoLocator,
  type GeoLocatorSpec,
  type GeoRegionSpec,
  type GeoMapping,
  type GeoMatchType,
  type GeoExplanation,
  type GeoDatabaseHolder,
} from './geo-locator.ts';
export { GeoDatabaseFile, type GeoDatabaseFileOptions } from './geo-database-file.ts';
export { GeoService, type GeoServiceOptions, type GeoMappingStore, type GeoInputs, type GeoDatabaseInfo } from './geo-service.ts';
