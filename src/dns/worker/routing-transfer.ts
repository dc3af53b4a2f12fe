/**
 * Client-dependent routing inputs, moved to a DNS worker thread. The locator is rebuilt from its
 * spec (plain data) with the geolocation database opened by path in the worker, re-read when the
 * main thread has loaded a new copy; the learned-latency table, which agents' reports change
 * between Snapshots, travels as rows whenever its version moves.
 */
import { GeoDatabaseFile, GeoLocator, type GeoLocatorSpec } from '../../geo/index.ts';
import { LearnedLatencyTable } from '../../routing/index.ts';
import type { ClientLocator } from '../../model/index.ts';

export interface LocatorSpec {
  id: number;
  spec: GeoLocatorSpec;
  /** Absolute path of the database file, when one is configured. */
  databasePath?: string;
  /** The main thread's load count: a change means the file was replaced and re-read. */
  databaseLoads: number;
}

export function locatorSpecOf(id: number, locator: ClientLocator): LocatorSpec {
  if (!(locator instanceof GeoLocator)) throw new TypeError('dns.workers > 1 needs the client locator to be a GeoLocator (it is rebuilt in each worker from its spec)');
  const holder = locator.databaseHolder;
  const file = holder instanceof GeoDatabaseFile ? holder : undefined;
  return { id, spec: locator.spec, ...(file ? { databasePath: file.path } : {}), databaseLoads: file?.loads ?? 0 };
}

/** Rows of the table: [cidr, backendId, ewmaMs, samples, updatedMs] repeated. */
export interface LearnedRows {
  version: number;
  rows: (string | number)[];
}

export function learnedRowsOf(table: LearnedLatencyTable): LearnedRows {
  const rows: (string | number)[] = [];
  for (const p of table.entries()) for (const [id, s] of p.backends) rows.push(p.cidr, id, s.ewmaMs, s.samples, s.updatedMs);
  return { version: table.version, rows };
}

/** The worker's copy: never evicts or expires by itself (the main thread does, and sends new rows). */
export function tableFromRows(learned: LearnedRows): LearnedLatencyTable {
  const table = new LearnedLatencyTable({ maxPrefixes: Number.MAX_SAFE_INTEGER, ttlMs: Number.MAX_SAFE_INTEGER });
  const r = learned.rows;
  for (let i = 0; i + 4 < r.length; i += 5) table.report(r[i] as string, r[i + 1] as string, r[i + 2] as number, r[i + 3] as number, r[i + 4] as number, '');
  return table;
}

/** The worker side: one database file (opened by path, not watched: the main thread says when to re-read). */
export class WorkerGeo {
  #file: GeoDatabaseFile | null = null;
  #loads = -1;
  readonly #locators = new Map<number, GeoLocator>();

  /** Builds the locator `spec` describes; opens or re-reads the database first when needed. */
  async add(spec: LocatorSpec): Promise<void> {
    if (spec.databasePath !== undefined && (this.#file === null || this.#file.path !== spec.databasePath)) {
      await this.#file?.close();
      this.#file = await GeoDatabaseFile.open(spec.databasePath, { watch: false });
      this.#loads = spec.databaseLoads;
    } else if (this.#file !== null && spec.databaseLoads !== this.#loads) {
      await this.#file.reloadIfChanged();
      this.#loads = spec.databaseLoads;
    }
    const holder = spec.databasePath !== undefined && this.#file !== null ? this.#file : { current: null };
    this.#locators.set(spec.id, new GeoLocator(spec.spec, holder));
  }

  get(id: number): GeoLocator {
    const locator = this.#locators.get(id);
    if (locator === undefined) throw new Error(`snapshot names locator ${id}, which was never sent`);
    return locator;
  }

  /** Drops every locator but `id` (the one the current Snapshot names; -1 = none). */
  keepOnly(id: number): void {
    for (const known of this.#locators.keys()) if (known !== id) this.#locators.delete(known);
  }

  close(): Promise<void> {
    return this.#file?.close() ?? Promise.resolve();
  }
}
