/**
 * The Registry: the single owner of backend state in an Overwatch (static servers from config,
 * agent registrations, API-created servers), of overrides, and of the served names. It applies the
 * health authority and turns its state into SnapshotInput. Synchronous and free of I/O: the
 * runtime feeds it results and time, persists what it must, and rebuilds the Snapshot on change.
 */
import type { Config, DomainConfig, HealthCheckConfig, RoutingAlgorithm } from '../config/types.ts';
import {
  backendId,
  decideHealth,
  overrideFor,
  staleAfterMs,
  overrideKey,
  type AuthorityContext,
  type Backend,
  type BackendSource,
  type HealthDecision,
  type Override,
} from '../model/index.ts';
import type { BackendView, NameSpec, SnapshotInput, ZoneSpec } from './snapshot-builder.ts';

export interface HealthChange {
  backend: Backend;
  before: HealthDecision | undefined;
  after: HealthDecision;
}

export interface RegistrySettings {
  zones: string[];
  domains: DomainConfig[];
  defaultTtlSeconds: number;
  returnLastHealthy: boolean;
  staleThresholdMs: number;
  removeAfterMs: number;
  nameservers?: Record<string, string[]>;
}

export interface BackendInput {
  service: string;
  address: string;
  port: number;
  weight: number;
  region: string;
  healthCheck: HealthCheckConfig;
  agentId?: string;
}

const DEFAULT_MAX_ANSWERS = 8;

/** Settings from the config plus the domains created through the API (config names win). */
export function registrySettingsFrom(config: Config, apiDomains: readonly DomainConfig[] = []): RegistrySettings {
  const fromConfig = new Set(config.domains.map((d) => d.name));
  return {
    zones: config.dns.zones,
    domains: [...config.domains, ...apiDomains.filter((d) => !fromConfig.has(d.name))],
    defaultTtlSeconds: config.dns.defaultTtlSeconds,
    returnLastHealthy: config.dns.returnLastHealthy,
    staleThresholdMs: config.stale.thresholdMs,
    removeAfterMs: config.stale.removeAfterMs,
  };
}

export class Registry {
  #settings: RegistrySettings;
  readonly #backends = new Map<string, Backend>();
  readonly #overrides = new Map<string, Override>();
  readonly #decisions = new Map<string, HealthDecision>();
  #domainsByName = new Map<string, DomainConfig>();
  #orderSeq = 0;

  constructor(settings: RegistrySettings) {
    this.#settings = settings;
    this.#indexDomains();
  }

  get settings(): RegistrySettings {
    return this.#settings;
  }

  /** Replaces zone/domain/TTL/stale settings (SIGHUP reload); backends and overrides stay. */
  reconfigure(settings: RegistrySettings): void {
    this.#settings = settings;
    this.#indexDomains();
  }

  #indexDomains(): void {
    this.#domainsByName = new Map(this.#settings.domains.map((d) => [d.name, d]));
  }

  /** Replaces every static backend with `list` (config load or reload); keeps validation state of unchanged ones. */
  setStatic(list: BackendInput[], nowMs: number): void {
    const keep = new Set<string>();
    for (const input of list) {
      const id = backendId(input.service, input.address, input.port);
      keep.add(id);
      const existing = this.#backends.get(id);
      if (existing && existing.source === 'static') {
        const checkChanged = JSON.stringify(existing.healthCheck) !== JSON.stringify(input.healthCheck);
        Object.assign(existing, { weight: input.weight, region: input.region, healthCheck: input.healthCheck });
        if (checkChanged) existing.validation = { healthy: null };
      } else {
        this.#backends.set(id, this.#newBackend(id, input, 'static', nowMs));
      }
    }
    for (const [id, b] of this.#backends) if (b.source === 'static' && !keep.has(id)) this.#backends.delete(id);
    // Static order follows the config: re-number in list order so failover priority tracks edits.
    list.forEach((input, i) => {
      const b = this.#backends.get(backendId(input.service, input.address, input.port));
      if (b && b.source === 'static') b.order = i;
    });
  }

  #newBackend(id: string, input: BackendInput, source: BackendSource, nowMs: number): Backend {
    return {
      id,
      service: input.service,
      address: input.address,
      port: input.port,
      weight: input.weight,
      region: input.region,
      source,
      agentId: input.agentId,
      healthCheck: input.healthCheck,
      order: source === 'static' ? 0 : 1_000_000 + this.#orderSeq++,
      draining: false,
      validation: { healthy: null },
      registeredAtMs: nowMs,
    };
  }

  /** Adds or updates an API-created server. */
  upsertApiBackend(input: BackendInput, nowMs: number): Backend {
    const id = backendId(input.service, input.address, input.port);
    const existing = this.#backends.get(id);
    if (existing) {
      existing.weight = input.weight;
      existing.region = input.region;
      return existing;
    }
    const b = this.#newBackend(id, input, 'api', nowMs);
    this.#backends.set(id, b);
    return b;
  }

  /** An agent's report of one backend (heartbeat content): registers it or refreshes its claim. */
  upsertAgentBackend(input: BackendInput & { healthy: boolean; draining?: boolean; staleAfterMs?: number }, nowMs: number): Backend {
    const id = backendId(input.service, input.address, input.port);
    let b = this.#backends.get(id);
    if (!b) {
      b = this.#newBackend(id, input, 'agent', nowMs);
      this.#backends.set(id, b);
    }
    if (b.source === 'agent') {
      b.weight = input.weight;
      b.region = input.region;
      b.agentId = input.agentId;
      if (JSON.stringify(b.healthCheck) !== JSON.stringify(input.healthCheck)) {
        b.healthCheck = input.healthCheck;
        b.validation = { healthy: null };
      }
    }
    b.agentHealthy = input.healthy;
    b.agentLastSeenMs = nowMs;
    if (input.staleAfterMs !== undefined) b.agentStaleAfterMs = input.staleAfterMs;
    b.draining = input.draining ?? false;
    return b;
  }

  /** A heartbeat without backend content: refreshes liveness of every backend of the agent. */
  touchAgent(agentId: string, nowMs: number): void {
    for (const b of this.#backends.values()) if (b.agentId === agentId && b.source === 'agent') b.agentLastSeenMs = nowMs;
  }

  remove(id: string): boolean {
    this.#decisions.delete(id);
    return this.#backends.delete(id);
  }

  removeAgent(agentId: string): Backend[] {
    const removed: Backend[] = [];
    for (const b of this.#backends.values()) {
      if (b.source === 'agent' && b.agentId === agentId) {
        removed.push(b);
        this.remove(b.id);
      }
    }
    return removed;
  }

  setValidation(id: string, healthy: boolean, nowMs: number, error?: string, latencyMs?: number): boolean {
    const b = this.#backends.get(id);
    if (!b) return false;
    b.validation = { healthy, lastCheckMs: nowMs, error, latencyMs };
    return true;
  }

  setOverride(o: Override): void {
    this.#overrides.set(overrideKey(o.service, o.address, o.port), o);
  }

  getOverride(service: string, address: string, port: number | null): Override | undefined {
    return this.#overrides.get(overrideKey(service, address, port));
  }

  clearOverride(service: string, address: string, port: number | null): boolean {
    return this.#overrides.delete(overrideKey(service, address, port));
  }

  overrides(): Override[] {
    return [...this.#overrides.values()];
  }

  get(id: string): Backend | undefined {
    return this.#backends.get(id);
  }

  backends(): Backend[] {
    return [...this.#backends.values()];
  }

  decision(id: string): HealthDecision | undefined {
    return this.#decisions.get(id);
  }

  /**
   * Re-applies the health authority to every backend at `nowMs`; returns the backends whose
   * decision changed (serve, status or authority). Call after any change and on a timer (staleness
   * is a function of time).
   */
  evaluate(nowMs: number): HealthChange[] {
    const ctx: AuthorityContext = { nowMs, staleThresholdMs: this.#settings.staleThresholdMs };
    const changes: HealthChange[] = [];
    for (const b of this.#backends.values()) {
      const after = decideHealth(b, overrideFor(this.#overrides, b.service, b.address, b.port), ctx);
      const before = this.#decisions.get(b.id);
      if (!before || before.serve !== after.serve || before.status !== after.status || before.authority !== after.authority || before.isStale !== after.isStale) {
        this.#decisions.set(b.id, after);
        changes.push({ backend: b, before, after });
      }
    }
    return changes;
  }

  /** Agent backends stale for longer than remove_after are removed; returns them. */
  reapStale(nowMs: number): Backend[] {
    const removed: Backend[] = [];
    for (const b of this.#backends.values()) {
      const limit = staleAfterMs(b, this.#settings.staleThresholdMs) + this.#settings.removeAfterMs;
      if (b.source === 'agent' && b.agentLastSeenMs !== undefined && nowMs - b.agentLastSeenMs > limit) {
        removed.push(b);
        this.remove(b.id);
      }
    }
    return removed;
  }

  /** The earliest time at which some agent backend becomes stale or removable (for the timer). */
  nextDeadlineMs(nowMs: number): number | undefined {
    let next: number | undefined;
    const s = this.#settings;
    for (const b of this.#backends.values()) {
      if (b.source !== 'agent' || b.agentLastSeenMs === undefined) continue;
      const after = staleAfterMs(b, s.staleThresholdMs);
      for (const t of [b.agentLastSeenMs + after + 1, b.agentLastSeenMs + after + s.removeAfterMs + 1]) {
        if (t > nowMs && (next === undefined || t < next)) next = t;
      }
    }
    return next;
  }

  /**
   * Served names of a service: a configured domain or an FQDN inside a zone is served as itself; a
   * short name (`myapp`) is served as `myapp.<zone>` in every zone.
   */
  servedNames(service: string): string[] {
    if (this.#domainsByName.has(service)) return [service];
    if (this.#settings.zones.some((z) => service === z || service.endsWith(`.${z}`))) return [service];
    if (service.includes('.')) return [];
    return this.#settings.zones.map((z) => `${service}.${z}`);
  }

  snapshotInput(nowMs: number): SnapshotInput {
    const s = this.#settings;
    const names = new Map<string, NameSpec>();
    for (const d of s.domains) {
      names.set(d.name, { name: d.name, policy: d.routingAlgorithm, ttlSeconds: d.ttlSeconds, maxAnswers: d.maxAnswers, withinRegion: d.withinRegion });
    }
    const views: BackendView[] = [];
    const sorted = [...this.#backends.values()].sort((a, b) => a.order - b.order);
    for (const b of sorted) {
      const decision = this.#decisions.get(b.id);
      for (const name of this.servedNames(b.service)) {
        if (!names.has(name)) names.set(name, defaultNameSpec(name, s.defaultTtlSeconds, this.#domainsByName.get(name)));
        views.push({ id: b.id, name, address: b.address, port: b.port, weight: b.weight, region: b.region, serve: decision?.serve ?? false });
      }
    }
    const zones: ZoneSpec[] = s.zones.map((apex) => ({
      apex,
      nameservers: s.nameservers?.[apex] ?? [`ns1.${apex}`],
      hostmaster: `hostmaster.${apex}`,
      soaTtlSeconds: s.defaultTtlSeconds,
    }));
    return { zones, names: [...names.values()], backends: views, returnLastHealthy: s.returnLastHealthy, nowMs };
  }
}

function defaultNameSpec(name: string, ttl: number, domain: DomainConfig | undefined): NameSpec {
  const policy: RoutingAlgorithm = domain?.routingAlgorithm ?? 'round-robin';
  return { name, policy, ttlSeconds: domain?.ttlSeconds ?? ttl, maxAnswers: domain?.maxAnswers ?? DEFAULT_MAX_ANSWERS, withinRegion: domain?.withinRegion };
}
