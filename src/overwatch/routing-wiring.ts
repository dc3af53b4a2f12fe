/**
 * Wires geolocation and latency routing into the Overwatch with as little as possible in
 * overwatch.ts: opens the geolocation database (a start-up error when configured and unreadable,
 * as in the original) and the API mappings, keeps the validation-RTT EWMA (`latency`) and the
 * agents' learned latency table (`learned_latency`, purged on a timer), attaches all of it to each
 * Snapshot before it is published, and offers it to the API as RoutingControl.
 */
import path from 'node:path';
import type { Config, LatencyConfig } from '../config/types.ts';
import { GeoError, GeoService, parseCidr, type GeoInputs, type GeoMappingStore, type GeoRegionSpec } from '../geo/index.ts';
import type { LatencyReportPayload } from '../gossip/index.ts';
import type { Clock, Closeable, TimerHandle } from '../lifecycle/index.ts';
import type { Logger } from '../log/index.ts';
import type { Backend, NameEntry, Snapshot } from '../model/index.ts';
import {
  attachRouting,
  explainRoute,
  latencyRankingChanged,
  LatencyTracker,
  LearnedLatencyTable,
  type LearnedPrefix,
  type RoutingInputs,
} from '../routing/index.ts';
import type { StateStore } from '../store/index.ts';
import type { ApiCatalog } from './api-catalog.ts';
import { ControlError, ControlErrorCode, type LearnedLatencyView, type RoutingControl } from './control.ts';
import type { Registry } from './registry.ts';

/** The config loader's defaults, for names that are no configured domain (agent short names). */
const DEFAULT_LATENCY: LatencyConfig = { smoothingFactor: 0.3, maxLatencyMs: 500, minSamples: 3 };
/** The original agent's latency_learning defaults: 100 000 subnets, 168 h. */
const LEARNED_MAX_PREFIXES = 100_000;
const LEARNED_TTL_MS = 168 * 3600_000;
const PURGE_INTERVAL_MS = 60_000;

export interface RoutingWiringOptions {
  config: () => Config;
  store: StateStore;
  registry: Registry;
  catalog: ApiCatalog;
  clock: Clock;
  log: Logger;
  /** The published Snapshot. */
  snapshot: () => Snapshot;
  /** Requests a Snapshot rebuild (coalesced). */
  changed: () => void;
}

function mappingStore(store: StateStore): GeoMappingStore {
  return {
    list: () => store.documents.list('geo_mappings').map((d) => d.body as { cidr: string; region: string; comment?: string }),
    put: (m) => store.documents.put('geo_mappings', m.cidr, m),
    delete: (cidr) => store.documents.delete('geo_mappings', cidr),
  };
}

/** geolocation.database_path; a relative path is relative to the config file, like includes. */
export function resolveDatabasePath(config: Config): string | undefined {
  const p = config.geolocation.databasePath;
  if (p === undefined || p === '') return undefined;
  if (path.isAbsolute(p) || config.sourcePath === '') return p;
  return path.resolve(path.dirname(config.sourcePath), p);
}

export class RoutingRuntime implements Closeable {
  readonly tracker = new LatencyTracker();
  readonly learned = new LearnedLatencyTable({ maxPrefixes: LEARNED_MAX_PREFIXES, ttlMs: LEARNED_TTL_MS });
  readonly geo: GeoService;
  readonly control: RoutingControl;
  readonly #o: RoutingWiringOptions;
  #purgeTimer?: TimerHandle;
  /** Served names using `latency`, from the last attach (check results for others cost nothing). */
  #latencyNames = new Set<string>();
  #closed = false;

  private constructor(geo: GeoService, o: RoutingWiringOptions) {
    this.geo = geo;
    this.#o = o;
    this.control = this.#makeControl();
    this.#armPurge();
  }

  static async open(o: RoutingWiringOptions): Promise<RoutingRuntime> {
    const log = o.log.child({ component: 'geo' });
    const geo = await GeoService.open({
      databasePath: resolveDatabasePath(o.config()),
      store: mappingStore(o.store),
      onReload: (db) => {
        log.info({ type: db.databaseType, bytes: db.sizeBytes }, 'geolocation database reloaded');
        o.changed();
      },
      onReloadError: (err) => log.warn({ err: err.message }, 'geolocation database not reloaded; the previous one keeps serving'),
    });
    return new RoutingRuntime(geo, o);
  }

  #armPurge(): void {
    if (this.#closed) return;
    this.#purgeTimer = this.#o.clock.setTimer(PURGE_INTERVAL_MS, () => {
      this.learned.purge(this.#o.clock.nowMs());
      this.#armPurge();
    });
  }

  #geoInputs(config: Config): GeoInputs {
    const regions: GeoRegionSpec[] = config.regions.map((r) => ({ name: r.name, countries: r.countries, continents: r.continents }));
    const names = new Set(regions.map((r) => r.name));
    for (const r of this.#o.catalog.regions()) {
      if (names.has(r.name)) continue;
      names.add(r.name);
      regions.push({ name: r.name, countries: r.countries, continents: r.continents });
    }
    const extra = new Set<string>();
    for (const b of this.#o.registry.backends()) if (b.region !== '' && !names.has(b.region)) extra.add(b.region);
    const g = config.geolocation;
    return {
      regions,
      extraRegionNames: [...extra].sort(),
      ...(g.defaultRegion === undefined ? {} : { defaultRegion: g.defaultRegion }),
      configMappings: g.customMappings,
    };
  }

  #inputs(): RoutingInputs {
    const config = this.#o.config();
    const byName = new Map(this.#o.registry.settings.domains.map((d) => [d.name, d.latencyConfig]));
    return {
      ecsEnabled: config.geolocation.ecsEnabled,
      geo: this.geo.locatorFor(this.#geoInputs(config)),
      learned: this.learned,
      latencyConfigOf: (name) => byName.get(name) ?? DEFAULT_LATENCY,
      measured: (id) => this.tracker.get(id),
    };
  }

  /** Adds the routing data to a Snapshot before it is published. */
  attach(snapshot: Snapshot): void {
    attachRouting(snapshot, this.#inputs());
    const latencyNames = new Set<string>();
    for (const e of snapshot.names.values()) if (e.policy === 'latency') latencyNames.add(e.name);
    this.#latencyNames = latencyNames;
  }

  /** A validation result. True when the published `latency` ranking no longer matches the measurements. */
  onCheckResult(b: Backend, ok: boolean, latencyMs: number): boolean {
    if (!ok || !Number.isFinite(latencyMs) || latencyMs < 0) return false;
    const served = this.#o.registry.servedNames(b.service);
    const domain = this.#o.registry.settings.domains.find((d) => served.includes(d.name));
    this.tracker.record(b.id, latencyMs, (domain?.latencyConfig ?? DEFAULT_LATENCY).smoothingFactor);
    if (!served.some((n) => this.#latencyNames.has(n))) return false;
    return latencyRankingChanged(this.#o.snapshot(), this.#inputs());
  }

  /**
   * An authenticated agent's latency_report. `backend` may name one of the agent's backends by id
   * (`service:address:port`), by `address:port`, or by service (the original agent's form: one
   * report per service, applied to each of the agent's backends of it). Returns samples stored.
   */
  onLatencyReport(agentId: string, payload: LatencyReportPayload, services: ReadonlySet<string>): number {
    const own = this.#o.registry.backends().filter((b) => b.agentId === agentId && services.has(b.service));
    let targets = own.filter((b) => b.id === payload.backend);
    if (targets.length === 0) targets = own.filter((b) => `${b.address}:${b.port}` === payload.backend);
    if (targets.length === 0) targets = own.filter((b) => b.service === payload.backend);
    if (targets.length === 0) return 0;
    const now = this.#o.clock.nowMs();
    let stored = 0;
    for (const s of payload.subnets) {
      for (const b of targets) if (this.learned.report(s.subnet, b.id, s.ewma_ns / 1e6, s.sample_count, now, agentId)) stored++;
    }
    return stored;
  }

  #entryOf(domain: string): NameEntry | undefined {
    const name = domain.toLowerCase().replace(/\.$/, '');
    for (const e of this.#o.snapshot().names.values()) if (e.name === name) return e;
    return undefined;
  }

  #learnedView(p: LearnedPrefix): LearnedLatencyView[] {
    return [...p.backends].map(([id, s]) => ({
      subnet: p.cidr,
      backend: id,
      region: this.#o.registry.get(id)?.region ?? '',
      ewmaMs: s.ewmaMs,
      samples: s.samples,
      updatedMs: s.updatedMs,
      agentId: s.agentId,
    }));
  }

  #makeControl(): RoutingControl {
    const geo = this.geo;
    const invalid = (err: unknown): never => {
      if (err instanceof GeoError) throw new ControlError(ControlErrorCode.Invalid, err.message, { cause: err });
      throw err;
    };
    return {
      geoMappings: () => geo.mappings(),
      putGeoMapping: (input) => {
        let m;
        try {
          m = geo.putMapping(input);
        } catch (err) {
          if (err instanceof GeoError && err.message.includes('configuration file')) throw new ControlError(ControlErrorCode.ReadOnlyItem, err.message);
          return invalid(err);
        }
        this.#o.changed();
        return m;
      },
      deleteGeoMapping: (cidr) => {
        let result;
        try {
          result = geo.deleteMapping(cidr);
        } catch (err) {
          return invalid(err);
        }
        if (result === 'not_found') throw new ControlError(ControlErrorCode.NotFound, `geo mapping not found: ${cidr}`);
        if (result === 'config') throw new ControlError(ControlErrorCode.ReadOnlyItem, `geo mapping ${cidr} is in the configuration file; change it there`);
        this.#o.changed();
      },
      geoTest: (ip) => geo.explain(ip),
      geoDatabase: () => geo.database(),
      learnedLatency: () => this.learned.entries().flatMap((p) => this.#learnedView(p)),
      injectLearnedLatency: ({ subnet, backend, latencyMs, samples }) => {
        const cidr = parseCidr(subnet);
        if (!cidr) throw new ControlError(ControlErrorCode.Invalid, `invalid subnet: expected a network such as 198.51.100.0/24, got ${JSON.stringify(subnet)}`);
        const b = this.#o.registry.get(backend);
        if (!b) throw new ControlError(ControlErrorCode.NotFound, `backend not found: ${backend} (expected service:address:port)`);
        if (!this.learned.report(cidr.text, b.id, latencyMs, samples, this.#o.clock.nowMs(), 'api')) {
          throw new ControlError(ControlErrorCode.Invalid, 'latency_ms and samples must be non-negative numbers');
        }
        const p = this.learned.entries().find((e) => e.cidr === cidr.text || parseCidr(e.cidr)?.text === cidr.text);
        return p ? this.#learnedView(p).find((v) => v.backend === b.id)! : { subnet: cidr.text, backend: b.id, region: b.region, ewmaMs: latencyMs, samples, updatedMs: this.#o.clock.nowMs(), agentId: 'api' };
      },
      routingTest: (domain, clientIp) => {
        const entry = this.#entryOf(domain);
        if (!entry) throw new ControlError(ControlErrorCode.NotFound, `domain not found: ${domain}`);
        const isV6 = clientIp.includes(':') && !clientIp.toLowerCase().startsWith('::ffff:');
        const set = (isV6 ? entry.aaaa ?? entry.a : entry.a ?? entry.aaaa) ?? null;
        if (geo.explain(clientIp) === undefined) throw new ControlError(ControlErrorCode.Invalid, `invalid client_ip: expected an IPv4 or IPv6 address, got ${JSON.stringify(clientIp)}`);
        const snapshot = this.#o.snapshot();
        if (set === null) {
          return { domain: entry.name, clientIp, policy: entry.policy, answers: [], scopePrefix: 0, steps: [{ step: 'candidates', detail: 'no backend of any address family: NODATA' }] };
        }
        const ex = explainRoute(entry, set, snapshot.routing, clientIp, (id) => this.tracker.get(id));
        const steps = [...ex.steps];
        if (entry.policy === 'geolocation') {
          const g = geo.explain(clientIp)!;
          const why = g.matchType === 'custom_mapping' ? `custom mapping ${g.matchedCidr}` : g.matchType === 'geoip_country' ? `country ${g.country}` : g.matchType === 'geoip_continent' ? `continent ${g.continent} (country ${g.country ?? 'unknown'})` : g.matchType === 'default' ? 'default_region (no mapping, country or continent matched)' : 'no region matched and no default_region';
          steps.splice(2, 0, { step: 'locate', detail: `${g.ip}: ${g.region ?? 'no region'} by ${why}` });
        }
        const answers = ex.answers.map((a) => ({ ...a, address: this.#o.registry.get(a.backendId)?.address ?? '' }));
        return { domain: entry.name, clientIp, policy: ex.policy, answers, scopePrefix: ex.scopePrefix, steps };
      },
    };
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#purgeTimer?.cancel();
    return this.geo.close();
  }
}
