/**
 * The Registry: the single owner of backend state in an Overwatch (static servers from config,
 * agent registrations, API-created servers), of overrides, and of the served names. It applies the
 * health authority and turns its state into SnapshotInput. Synchronous and free of I/O: the
 * runtime feeds it results and time, persists what it must, and rebuilds the Snapshot on change.
 *
 * It also tracks what changed, so a rebuild costs what changed rather than the whole fleet:
 * `evaluate` re-decides only backends whose inputs changed (plus agent backends whose staleness
 * flipped with time), and `snapshotUpdate` hands the builder only the served names whose inputs
 * changed. Backends must therefore be changed through these methods, never by writing to the
 * objects `get()` returns (validation times and latencies excepted: no decision reads them).
 */
import type { Config, DomainConfig, HealthCheckConfig, RoutingAlgorithm } from '../config/types.ts';
import {
  backendId,
  decideHealth,
  isStale,
  overrideFor,
  staleAfterMs,
  overrideKey,
  type AuthorityContext,
  type Backend,
  type BackendSource,
  type HealthDecision,
  type Override,
} from '../model/index.ts';
import type { BackendView, NameInput, NameSpec, SnapshotInput, ZoneSpec } from './snapshot-builder.ts';

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

/** What the builder needs besides the changed names (SnapshotUpdate without signer). */
export interface RegistryUpdate {
  zones: ZoneSpec[];
  returnLastHealthy: boolean;
  nowMs: number;
  changed: Map<string, NameInput | null>;
}

export class Registry {
  #settings: RegistrySettings;
  readonly #backends = new Map<string, Backend>();
  readonly #overrides = new Map<string, Override>();
  readonly #decisions = new Map<string, HealthDecision>();
  #domainsByName = new Map<string, DomainConfig>();
  #orderSeq = 0;
  /** Served name -> its backends; backend id -> its served names (the settings decide them). */
  #byName = new Map<string, Set<Backend>>();
  #namesOf = new Map<string, string[]>();
  /** Agent backends, and by agent (heartbeats touch one agent's; staleness is time-driven). */
  readonly #agentBackends = new Set<Backend>();
  readonly #byAgent = new Map<string, Set<Backend>>();
  /** Backends whose decision inputs changed since the last evaluate (all of them after settings/override changes). */
  readonly #toEvaluate = new Set<Backend>();
  #evaluateAll = true;
  /** Served names whose snapshot inputs changed since the last snapshotInput/snapshotUpdate. */
  readonly #changedNames = new Set<string>();
  #fullBuild = true;

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
    // Served names follow the zones and domains: index them anew; the next build is whole.
    this.#byName = new Map();
    this.#namesOf = new Map();
    for (const b of this.#backends.values()) this.#indexNames(b);
    this.#evaluateAll = true;
    this.#fullBuild = true;
  }

  #indexDomains(): void {
    this.#domainsByName = new Map(this.#settings.domains.map((d) => [d.name, d]));
  }

  #add(b: Backend): void {
    this.#backends.set(b.id, b);
    this.#indexNames(b);
    if (b.source === 'agent') this.#agentBackends.add(b);
    this.#indexAgent(b);
    this.#toEvaluate.add(b);
  }

  #indexNames(b: Backend): void {
    const names = this.servedNames(b.service);
    this.#namesOf.set(b.id, names);
    for (const name of names) {
      let set = this.#byName.get(name);
      if (!set) this.#byName.set(name, (set = new Set()));
      set.add(b);
      this.#changedNames.add(name);
    }
  }

  #indexAgent(b: Backend): void {
    if (b.agentId === undefined) return;
    let set = this.#byAgent.get(b.agentId);
    if (!set) this.#byAgent.set(b.agentId, (set = new Set()));
    set.add(b);
  }

  #unindexAgent(b: Backend): void {
    if (b.agentId === undefined) return;
    const set = this.#byAgent.get(b.agentId);
    set?.delete(b);
    if (set?.size === 0) this.#byAgent.delete(b.agentId);
  }

  /** The backend's answers may change: its names are rebuilt. */
  #nameChanged(b: Backend): void {
    for (const name of this.#namesOf.get(b.id) ?? []) this.#changedNames.add(name);
  }

  /** Replaces every static backend with `list` (config load or reload); keeps validation state of unchanged ones. */
  setStatic(list: BackendInput[], nowMs: number): void {
    const keep = new Set<string>();
    for (const input of list) {
      const id = backendId(input.service, input.address, input.port);
      keep.add(id);
      const existing = this.#backends.get(id);
      if (existing && existing.source === 'static') {
        const checkChanged = !sameCheck(existing.healthCheck, input.healthCheck);
        Object.assign(existing, { weight: input.weight, region: input.region, healthCheck: input.healthCheck });
        if (checkChanged) existing.validation = { healthy: null };
      } else {
        if (existing) this.remove(id);
        this.#add(this.#newBackend(id, input, 'static', nowMs));
      }
    }
    for (const [id, b] of this.#backends) if (b.source === 'static' && !keep.has(id)) this.remove(id);
    // Config load or reload: rare, so the next evaluation and build are whole.
    this.#evaluateAll = true;
    this.#fullBuild = true;
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
      if (existing.weight !== input.weight || existing.region !== input.region) this.#nameChanged(existing);
      existing.weight = input.weight;
      existing.region = input.region;
      return existing;
    }
    const b = this.#newBackend(id, input, 'api', nowMs);
    this.#add(b);
    return b;
  }

  /** An agent's report of one backend (heartbeat content): registers it or refreshes its claim. */
  upsertAgentBackend(input: BackendInput & { healthy: boolean; draining?: boolean; staleAfterMs?: number }, nowMs: number): Backend {
    const id = backendId(input.service, input.address, input.port);
    let b = this.#backends.get(id);
    if (!b) {
      b = this.#newBackend(id, input, 'agent', nowMs);
      this.#add(b);
    }
    let decide = false;
    if (b.source === 'agent') {
      if (b.weight !== input.weight || b.region !== input.region) this.#nameChanged(b);
      b.weight = input.weight;
      b.region = input.region;
      if (b.agentId !== input.agentId) {
        this.#unindexAgent(b);
        b.agentId = input.agentId;
        this.#indexAgent(b);
      }
      if (!sameCheck(b.healthCheck, input.healthCheck)) {
        b.healthCheck = input.healthCheck;
        b.validation = { healthy: null };
        decide = true;
      }
    }
    const draining = input.draining ?? false;
    if (b.agentHealthy !== input.healthy || b.draining !== draining || (input.staleAfterMs !== undefined && b.agentStaleAfterMs !== input.staleAfterMs)) decide = true;
    // A heartbeat of a backend decided stale brings it back (a fresh one only moves its deadline).
    if (this.#decisions.get(b.id)?.isStale) decide = true;
    b.agentHealthy = input.healthy;
    b.agentLastSeenMs = nowMs;
    if (input.staleAfterMs !== undefined) b.agentStaleAfterMs = input.staleAfterMs;
    b.draining = draining;
    if (decide) this.#toEvaluate.add(b);
    return b;
  }

  /** A heartbeat without backend content: refreshes liveness of every backend of the agent. */
  touchAgent(agentId: string, nowMs: number): void {
    for (const b of this.#byAgent.get(agentId) ?? []) {
      if (b.source !== 'agent') continue;
      b.agentLastSeenMs = nowMs;
      if (this.#decisions.get(b.id)?.isStale) this.#toEvaluate.add(b);
    }
  }

  remove(id: string): boolean {
    const b = this.#backends.get(id);
    if (!b) return false;
    this.#decisions.delete(id);
    this.#backends.delete(id);
    this.#nameChanged(b);
    for (const name of this.#namesOf.get(id) ?? []) {
      const set = this.#byName.get(name);
      set?.delete(b);
      if (set?.size === 0) this.#byName.delete(name);
    }
    this.#namesOf.delete(id);
    this.#agentBackends.delete(b);
    this.#unindexAgent(b);
    this.#toEvaluate.delete(b);
    return true;
  }

  removeAgent(agentId: string): Backend[] {
    const removed = [...(this.#byAgent.get(agentId) ?? [])].filter((b) => b.source === 'agent');
    for (const b of removed) this.remove(b.id);
    return removed;
  }

  setValidation(id: string, healthy: boolean, nowMs: number, error?: string, latencyMs?: number): boolean {
    const b = this.#backends.get(id);
    if (!b) return false;
    b.validation = { healthy, lastCheckMs: nowMs, error, latencyMs };
    this.#toEvaluate.add(b);
    return true;
  }

  setOverride(o: Override): void {
    this.#overrides.set(overrideKey(o.service, o.address, o.port), o);
    this.#evaluateAll = true; // rare: an override may cover every port of an address
  }

  getOverride(service: string, address: string, port: number | null): Override | undefined {
    return this.#overrides.get(overrideKey(service, address, port));
  }

  clearOverride(service: string, address: string, port: number | null): boolean {
    this.#evaluateAll = true;
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
    const decide = (b: Backend) => {
      const after = decideHealth(b, overrideFor(this.#overrides, b.service, b.address, b.port), ctx);
      const before = this.#decisions.get(b.id);
      if (!before || before.serve !== after.serve || before.status !== after.status || before.authority !== after.authority || before.isStale !== after.isStale) {
        this.#decisions.set(b.id, after);
        changes.push({ backend: b, before, after });
        if (before?.serve !== after.serve) this.#nameChanged(b);
      }
    };
    if (this.#evaluateAll) {
      for (const b of this.#backends.values()) decide(b);
    } else {
      for (const b of this.#toEvaluate) decide(b);
      // Time alone changes a decision only through staleness: re-decide those whose staleness flipped.
      for (const b of this.#agentBackends) {
        if (!this.#toEvaluate.has(b) && isStale(b, ctx) !== this.#decisions.get(b.id)?.isStale) decide(b);
      }
    }
    this.#evaluateAll = false;
    this.#toEvaluate.clear();
    return changes;
  }

  /** Agent backends stale for longer than remove_after are removed; returns them. */
  reapStale(nowMs: number): Backend[] {
    const removed: Backend[] = [];
    for (const b of this.#agentBackends) {
      const limit = staleAfterMs(b, this.#settings.staleThresholdMs) + this.#settings.removeAfterMs;
      if (b.agentLastSeenMs !== undefined && nowMs - b.agentLastSeenMs > limit) removed.push(b);
    }
    for (const b of removed) this.remove(b.id);
    return removed;
  }

  /** The earliest time at which some agent backend becomes stale or removable (for the timer). */
  nextDeadlineMs(nowMs: number): number | undefined {
    let next: number | undefined;
    const s = this.#settings;
    for (const b of this.#agentBackends) {
      if (b.agentLastSeenMs === undefined) continue;
      const stale = b.agentLastSeenMs + staleAfterMs(b, s.staleThresholdMs) + 1;
      const t = stale > nowMs ? stale : stale + s.removeAfterMs;
      if (t > nowMs && (next === undefined || t < next)) next = t;
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

  /**
   * What changed since the last snapshotInput/snapshotUpdate: the served names whose backends,
   * their views or decisions changed (call after evaluate). Null when the next build must be whole
   * (first build, settings or static servers changed): use snapshotInput.
   */
  snapshotUpdate(nowMs: number): RegistryUpdate | null {
    if (this.#fullBuild) return null;
    const changed = new Map<string, NameInput | null>();
    for (const name of this.#changedNames) changed.set(name, this.#nameInput(name));
    this.#changedNames.clear();
    return { zones: this.#zoneSpecs(), returnLastHealthy: this.#settings.returnLastHealthy, nowMs, changed };
  }

  #nameInput(name: string): NameInput | null {
    const set = this.#byName.get(name);
    const domain = this.#domainsByName.get(name);
    if (!set && !domain) return null;
    const spec = defaultNameSpec(name, this.#settings.defaultTtlSeconds, domain);
    const backends = set ? [...set].sort((a, b) => a.order - b.order).map((b) => this.#view(b, name)) : [];
    return { spec, backends };
  }

  #view(b: Backend, name: string): BackendView {
    return { id: b.id, name, address: b.address, port: b.port, weight: b.weight, region: b.region, serve: this.#decisions.get(b.id)?.serve ?? false };
  }

  #zoneSpecs(): ZoneSpec[] {
    const s = this.#settings;
    return s.zones.map((apex) => ({
      apex,
      nameservers: s.nameservers?.[apex] ?? [`ns1.${apex}`],
      hostmaster: `hostmaster.${apex}`,
      soaTtlSeconds: s.defaultTtlSeconds,
    }));
  }

  /** Every served name's inputs (a whole build); resets the change tracking. */
  snapshotInput(nowMs: number): SnapshotInput {
    this.#changedNames.clear();
    this.#fullBuild = false;
    const s = this.#settings;
    const names = new Map<string, NameSpec>();
    for (const d of s.domains) {
      names.set(d.name, { name: d.name, policy: d.routingAlgorithm, ttlSeconds: d.ttlSeconds, maxAnswers: d.maxAnswers, withinRegion: d.withinRegion });
    }
    const views: BackendView[] = [];
    const sorted = [...this.#backends.values()].sort((a, b) => a.order - b.order);
    for (const b of sorted) {
      const decision = this.#decisions.get(b.id);
      for (const name of this.#namesOf.get(b.id) ?? []) {
        if (!names.has(name)) names.set(name, defaultNameSpec(name, s.defaultTtlSeconds, this.#domainsByName.get(name)));
        views.push({ id: b.id, name, address: b.address, port: b.port, weight: b.weight, region: b.region, serve: decision?.serve ?? false });
      }
    }
    return { zones: this.#zoneSpecs(), names: [...names.values()], backends: views, returnLastHealthy: s.returnLastHealthy, nowMs };
  }
}

function defaultNameSpec(name: string, ttl: number, domain: DomainConfig | undefined): NameSpec {
  const policy: RoutingAlgorithm = domain?.routingAlgorithm ?? 'round-robin';
  return { name, policy, ttlSeconds: domain?.ttlSeconds ?? ttl, maxAnswers: domain?.maxAnswers ?? DEFAULT_MAX_ANSWERS, withinRegion: domain?.withinRegion };
}

/** Same check definition (what JSON.stringify compared before, without building strings per heartbeat). */
function sameCheck(a: HealthCheckConfig, b: HealthCheckConfig): boolean {
  return (
    a.type === b.type &&
    a.path === b.path &&
    a.host === b.host &&
    a.intervalMs === b.intervalMs &&
    a.timeoutMs === b.timeoutMs &&
    a.failureThreshold === b.failureThreshold &&
    a.successThreshold === b.successThreshold
  );
}
