/**
 * Geolocation as the Overwatch runs it: the database file (optional; reloaded on replacement),
 * the custom mappings from the config plus those added through the API (persisted through a
 * narrow store interface, so they survive restarts; the original lost them), and the current
 * GeoLocator built from both and the regions. A new locator is built only when its inputs change;
 * the caller publishes it with the next Snapshot.
 */
import type { Closeable } from '../lifecycle/index.ts';
import { formatIp, parseCidr, parseClientIpInto } from './ip-address.ts';
import { GeoDatabaseFile, type GeoDatabaseFileOptions } from './geo-database-file.ts';
import { GeoLocator, type GeoExplanation, type GeoMapping, type GeoRegionSpec, type GeoDatabaseHolder } from './geo-locator.ts';
import { GeoError, GeoErrorCode } from './mmdb-database.ts';

/** Where API-added mappings are kept (data_dir documents 'geo_mappings'). */
export interface GeoMappingStore {
  list(): { cidr: string; region: string; comment?: string }[];
  put(mapping: { cidr: string; region: string; comment?: string }): void;
  delete(cidr: string): boolean;
}

export interface GeoInputs {
  regions: readonly GeoRegionSpec[];
  /** Regions named only by backends (agents' claims). */
  extraRegionNames: readonly string[];
  defaultRegion?: string;
  configMappings: readonly { cidr: string; region: string; comment?: string }[];
}

export interface GeoServiceOptions extends GeoDatabaseFileOptions {
  databasePath?: string;
  store: GeoMappingStore;
}

export interface GeoDatabaseInfo {
  path: string;
  databaseType: string;
  buildEpochMs: number;
  sizeBytes: number;
  loads: number;
  lastLoadedAtMs: number;
  lastError?: string;
}

const NO_DATABASE: GeoDatabaseHolder = { current: null };

export class GeoService implements Closeable {
  readonly #file: GeoDatabaseFile | null;
  readonly #store: GeoMappingStore;
  #apiMappings: GeoMapping[];
  #inputs: GeoInputs = { regions: [], extraRegionNames: [], configMappings: [] };
  #signature = '';
  #locator: GeoLocator;

  private constructor(file: GeoDatabaseFile | null, store: GeoMappingStore) {
    this.#file = file;
    this.#store = store;
    this.#apiMappings = store.list().map((m) => ({ ...m, source: 'api' as const }));
    this.#locator = new GeoLocator({ regions: [], mappings: [] }, NO_DATABASE);
  }

  /** Opens the database when a path is given (GeoError if it cannot be read or parsed). */
  static async open(opts: GeoServiceOptions): Promise<GeoService> {
    const file = opts.databasePath === undefined ? null : await GeoDatabaseFile.open(opts.databasePath, opts);
    return new GeoService(file, opts.store);
  }

  get hasDatabase(): boolean {
    return this.#file !== null;
  }

  database(): GeoDatabaseInfo | undefined {
    const f = this.#file;
    const db = f?.current;
    if (!f || !db) return undefined;
    return {
      path: f.path,
      databaseType: db.databaseType,
      buildEpochMs: db.buildEpochMs,
      sizeBytes: db.sizeBytes,
      loads: f.loads,
      lastLoadedAtMs: f.lastLoadedAtMs,
      ...(f.lastError === undefined ? {} : { lastError: f.lastError }),
    };
  }

  /** Re-reads the database now if the file changed (tests; the watcher does this by itself). */
  reloadDatabase(): Promise<boolean> {
    return this.#file?.reloadIfChanged() ?? Promise.resolve(false);
  }

  /** The locator for these inputs: the same object while nothing changed. */
  locatorFor(inputs: GeoInputs): GeoLocator {
    const signature = JSON.stringify([inputs, this.#apiMappings]);
    if (signature !== this.#signature) {
      this.#inputs = inputs;
      this.#signature = signature;
      this.#locator = new GeoLocator(
        {
          regions: inputs.regions,
          extraRegionNames: inputs.extraRegionNames,
          defaultRegion: inputs.defaultRegion,
          mappings: [...inputs.configMappings.map((m) => ({ ...m, source: 'config' as const })), ...this.#apiMappings],
        },
        this.#file ?? NO_DATABASE,
      );
    }
    return this.#locator;
  }

  get locator(): GeoLocator {
    return this.#locator;
  }

  /** Config mappings first (they win on equal networks), then API ones, each in its own order. */
  mappings(): GeoMapping[] {
    return [...this.#inputs.configMappings.map((m) => ({ ...m, source: 'config' as const })), ...this.#apiMappings];
  }

  /** Adds or replaces an API mapping; durable before it returns. GeoError(ERR_GEO_MAPPING) explains a refusal. */
  putMapping(input: { cidr: string; region: string; comment?: string }): GeoMapping {
    const cidr = parseCidr(input.cidr);
    if (!cidr) throw new GeoError(GeoErrorCode.Mapping, `invalid cidr: expected a network such as 10.0.0.0/8 or 2001:db8::/32, got ${JSON.stringify(input.cidr)}`);
    const known = new Set([...this.#inputs.regions.map((r) => r.name)]);
    if (!known.has(input.region)) {
      throw new GeoError(GeoErrorCode.Mapping, `region ${JSON.stringify(input.region)} does not exist in regions (known: ${[...known].join(', ') || 'none'})`);
    }
    if (this.#inputs.configMappings.some((m) => parseCidr(m.cidr)?.text === cidr.text)) {
      throw new GeoError(GeoErrorCode.Mapping, `cidr ${cidr.text} is mapped in the configuration file; change it there`);
    }
    const mapping: GeoMapping = { cidr: cidr.text, region: input.region, ...(input.comment ? { comment: input.comment } : {}), source: 'api' };
    this.#store.put({ cidr: mapping.cidr, region: mapping.region, ...(mapping.comment ? { comment: mapping.comment } : {}) });
    const i = this.#apiMappings.findIndex((m) => m.cidr === mapping.cidr);
    if (i >= 0) this.#apiMappings[i] = mapping;
    else this.#apiMappings.push(mapping);
    this.#rebuild();
    return mapping;
  }

  /** Removes an API mapping: 'deleted', 'not_found', or 'config' (read-only: in the configuration file). */
  deleteMapping(cidrText: string): 'deleted' | 'not_found' | 'config' {
    const cidr = parseCidr(cidrText);
    if (!cidr) throw new GeoError(GeoErrorCode.Mapping, `invalid cidr: expected a network such as 10.0.0.0/8, got ${JSON.stringify(cidrText)}`);
    if (this.#inputs.configMappings.some((m) => parseCidr(m.cidr)?.text === cidr.text)) return 'config';
    const i = this.#apiMappings.findIndex((m) => m.cidr === cidr.text);
    if (i < 0) return 'not_found';
    this.#store.delete(cidr.text);
    this.#apiMappings.splice(i, 1);
    this.#rebuild();
    return 'deleted';
  }

  #rebuild(): void {
    this.#signature = '';
    this.locatorFor(this.#inputs);
  }

  /** Which region `ip` goes to and why; undefined when it is no IP address. */
  explain(ip: string): (GeoExplanation & { ip: string }) | undefined {
    const bytes = new Uint8Array(16);
    const family = parseClientIpInto(ip, bytes);
    if (family === 0) return undefined;
    return { ip: formatIp(family, bytes), ...this.#locator.explain(family, bytes) };
  }

  close(): Promise<void> {
    return this.#file?.close() ?? Promise.resolve();
  }
}
