/**
 * OverwatchControl implemented over the Registry and the state store: every write goes to the
 * store first (durable when it returns), then into the Registry, then a rebuild is requested, so
 * an acknowledged API write survives a crash and reaches DNS on the next turn of the event loop.
 */
import type { Config, HealthCheckConfig } from '../config/types.ts';
import {
  backendId,
  isManualSource,
  overrideFor,
  overrideKey,
  parseBackendId,
  type Backend,
  type Override,
} from '../model/index.ts';
import type { AgentRecord, StateStore } from '../store/index.ts';
import { X509Certificate } from 'node:crypto';
import { VERSION } from '../version.ts';
import {
  ControlError,
  ControlErrorCode,
  type BackendStatusView,
  type AgentView,
  type DomainInput,
  type DomainView,
  type GossipMemberView,
  type RegionInput,
  type RegionView,
  type OverwatchControl,
  type ReadinessView,
  type ServerInput,
  type RoutingControl,
} from './control.ts';
import type { Registry } from './registry.ts';
import type { ApiCatalog, StoredDomain, StoredRegion } from './api-catalog.ts';

export interface ControlPlaneDeps {
  registry: Registry;
  store: StateStore;
  config: () => Config;
  nowMs: () => number;
  startedAtMs: number;
  /** Schedules a Snapshot rebuild (coalesced). */
  changed: () => void;
  /** Runs checks now for the given backend ids (all when undefined). */
  checkNow: (ids?: string[]) => Promise<void>;
  /** Adds/removes the scheduler targets of API-created servers. */
  onServerAdded: (b: Backend) => void;
  onServerRemoved: (id: string) => void;
  dnsReady: () => boolean;
  healthReady: () => boolean;
  /** Removes an agent's backends (revocation, deletion). */
  dropAgent: (agentId: string) => void;
  catalog: ApiCatalog;
  dnsCounts: () => { rcode: string; count: number }[];
  gossipMembers: () => GossipMemberView[] | null;
  /** API domains changed: re-apply the Registry settings. */
  domainsChanged: () => void;
}

/** API-created servers are checked with a TCP connect (the original's protocol "tcp"). */
export function apiServerHealthCheck(config: Config): HealthCheckConfig {
  return {
    type: 'tcp',
    path: '/',
    intervalMs: config.validation.checkIntervalMs,
    timeoutMs: config.validation.checkTimeoutMs,
    failureThreshold: 3,
    successThreshold: 2,
  };
}

export class ControlPlane implements OverwatchControl {
  readonly #d: ControlPlaneDeps;
  readonly version = VERSION;
  readonly startedAtMs: number;
  /** Set by the Overwatch once geolocation and latency routing are open (routing-wiring.ts). */
  routing?: RoutingControl;

  constructor(deps: ControlPlaneDeps) {
    this.#d = deps;
    this.startedAtMs = deps.startedAtMs;
  }

  get nodeId(): string {
    return this.#d.config().identity.nodeId;
  }
  get config(): Config {
    return this.#d.config();
  }
  get validationEnabled(): boolean {
    return this.#d.config().validation.enabled;
  }
  nowMs(): number {
    return this.#d.nowMs();
  }

  /** Loads persisted overrides and API-created servers into the Registry (before DNS starts). */
  restore(): { overrides: number; servers: number } {
    const { registry, store } = this.#d;
    const overrides = store.overrides.list();
    for (const o of overrides) registry.setOverride(o);
    let servers = 0;
    for (const doc of store.documents.list('servers')) {
      const input = doc.body as ServerInput;
      const b = registry.upsertApiBackend({ ...input, healthCheck: apiServerHealthCheck(this.config) }, this.nowMs());
      this.#d.onServerAdded(b);
      servers++;
    }
    return { overrides: overrides.length, servers };
  }

  backends(): BackendStatusView[] {
    const overrides = this.#overridesByKey();
    return this.#d.registry.backends().map((b) => this.#view(b, overrides));
  }

  backend(id: string): BackendStatusView | undefined {
    const b = this.#d.registry.get(id);
    return b ? this.#view(b, this.#overridesByKey()) : undefined;
  }

  #overridesByKey(): Map<string, Override> {
    return new Map(this.#d.registry.overrides().map((o) => [overrideKey(o.service, o.address, o.port), o]));
  }

  #view(b: Backend, overridesMap: Map<string, Override>): BackendStatusView {
    const registry = this.#d.registry;
    const decision = registry.decision(b.id);
    return {
      id: b.id,
      service: b.service,
      address: b.address,
      port: b.port,
      weight: b.weight,
      region: b.region,
      source: b.source,
      agentId: b.agentId,
      effectiveStatus: decision?.status ?? 'unknown',
      serve: decision?.serve ?? false,
      authority: decision?.authority ?? 'none',
      isStale: decision?.isStale ?? false,
      draining: b.draining,
      agentHealthy: b.agentHealthy,
      agentLastSeenMs: b.agentLastSeenMs,
      validation: { ...b.validation },
      override: overrideFor(overridesMap, b.service, b.address, b.port),
      servedNames: registry.servedNames(b.service),
      healthCheck: b.healthCheck,
      registeredAtMs: b.registeredAtMs,
    };
  }

  overrides(): Override[] {
    return this.#d.registry.overrides();
  }

  pinnedAgents(): number {
    return this.#d.store.agents.list().filter((a) => !a.revoked).length;
  }

  getOverride(service: string, address: string, port: number | null): Override | undefined {
    return this.#d.registry.getOverride(service, address, port);
  }

  #checkPrecedence(o: Override): void {
    const existing = this.#d.registry.getOverride(o.service, o.address, o.port);
    // Authority order: a manual override outranks an external tool's; the tool may not replace it.
    if (existing && isManualSource(existing.source) && !isManualSource(o.source)) {
      throw new ControlError(
        ControlErrorCode.Conflict,
        `a manual override (by ${existing.authority}) is in place for ${o.service}/${o.address}${o.port === null ? '' : `:${o.port}`}; an external tool (${o.source}) cannot replace it`,
      );
    }
  }

  setOverride(o: Override): Override {
    this.#checkPrecedence(o);
    const saved = this.#d.store.overrides.put(o);
    this.#d.registry.setOverride(saved);
    this.#d.changed();
    return saved;
  }

  setOverrides(list: Override[]): Override[] {
    for (const o of list) this.#checkPrecedence(o);
    const saved = this.#d.store.overrides.putMany(list);
    for (const o of saved) this.#d.registry.setOverride(o);
    this.#d.changed();
    return saved;
  }

  clearOverride(service: string, address: string, port: number | null): boolean {
    const existed = this.#d.store.overrides.delete({ service, address, port });
    const inMemory = this.#d.registry.clearOverride(service, address, port);
    if (existed || inMemory) this.#d.changed();
    return existed || inMemory;
  }

  async validateNow(target?: { service: string; address: string; port: number }): Promise<void> {
    const config = this.#d.config();
    if (!config.validation.enabled) {
      throw new ControlError(ControlErrorCode.ValidatorDisabled, 'validator not available');
    }
    if (!target) return this.#d.checkNow();
    const id = backendId(target.service, target.address, target.port);
    if (!this.#d.registry.get(id)) throw new ControlError(ControlErrorCode.NotFound, `backend not found: ${id}`);
    return this.#d.checkNow([id]);
  }

  createServer(input: ServerInput): BackendStatusView {
    const id = backendId(input.service, input.address, input.port);
    if (this.#d.registry.get(id)) throw new ControlError(ControlErrorCode.Conflict, `server ${id} already exists`);
    this.#d.store.documents.put('servers', id, input);
    const b = this.#d.registry.upsertApiBackend({ ...input, healthCheck: apiServerHealthCheck(this.config) }, this.nowMs());
    this.#d.onServerAdded(b);
    this.#d.changed();
    return this.#view(b, this.#overridesByKey());
  }

  updateServer(id: string, changes: Partial<Pick<ServerInput, 'weight' | 'region'>>): BackendStatusView {
    const b = this.#requireApiServer(id);
    const next: ServerInput = {
      service: b.service,
      address: b.address,
      port: b.port,
      weight: changes.weight ?? b.weight,
      region: changes.region ?? b.region,
    };
    this.#d.store.documents.put('servers', id, next);
    this.#d.registry.upsertApiBackend({ ...next, healthCheck: b.healthCheck }, this.nowMs()); // through the Registry: it tracks what to rebuild
    this.#d.changed();
    return this.#view(b, this.#overridesByKey());
  }

  deleteServer(id: string): void {
    this.#requireApiServer(id);
    this.#d.store.documents.delete('servers', id);
    this.#d.registry.remove(id);
    this.#d.onServerRemoved(id);
    this.#d.changed();
  }

  #requireApiServer(id: string): Backend {
    const b = parseBackendId(id) ? this.#d.registry.get(id) : undefined;
    if (!b) throw new ControlError(ControlErrorCode.NotFound, `server not found: ${id}`);
    if (b.source !== 'api') {
      throw new ControlError(
        ControlErrorCode.ReadOnlyItem,
        `server ${id} comes from the ${b.source === 'static' ? 'configuration file' : 'agent that registered it'}; change it there, not through the API`,
      );
    }
    return b;
  }

  #domainView(name: string, source: 'config' | 'api', stored?: StoredDomain): DomainView | undefined {
    const settings = this.#d.registry.settings.domains.find((d) => d.name === name);
    if (!settings) return undefined;
    const backends = this.#d.registry.backends().filter((b) => this.#d.registry.servedNames(b.service).includes(name));
    return {
      name,
      ttlSeconds: settings.ttlSeconds,
      routingPolicy: settings.routingAlgorithm,
      maxAnswers: settings.maxAnswers,
      source,
      regions: settings.regions,
      description: stored?.description,
      createdAtMs: stored?.createdAtMs,
      updatedAtMs: stored?.updatedAtMs,
      backendCount: backends.length,
      healthyBackends: backends.filter((b) => this.#d.registry.decision(b.id)?.serve).length,
    };
  }

  domains(): DomainView[] {
    const out: DomainView[] = [];
    for (const d of this.config.domains) out.push(this.#domainView(d.name, 'config')!);
    for (const d of this.#d.catalog.domains()) {
      const v = this.#domainView(d.name, 'api', d);
      if (v) out.push(v);
    }
    return out;
  }

  domain(name: string): DomainView | undefined {
    return this.domains().find((d) => d.name === name.toLowerCase().replace(/\.$/, ''));
  }

  createDomain(input: DomainInput): DomainView {
    const d = this.#d.catalog.createDomain(input, this.nowMs());
    this.#d.domainsChanged();
    return this.#domainView(d.name, 'api', d)!;
  }

  updateDomain(name: string, changes: Omit<DomainInput, 'name'>): DomainView {
    const d = this.#d.catalog.updateDomain(name, changes, this.nowMs());
    this.#d.domainsChanged();
    return this.#domainView(d.name, 'api', d)!;
  }

  /** Deletes the domain and the backends created for it through the API. */
  deleteDomain(name: string): void {
    this.#d.catalog.deleteDomain(name);
    for (const b of this.#d.registry.backends()) if (b.source === 'api' && b.service === name) this.deleteServer(b.id);
    this.#d.domainsChanged();
  }

  #regionView(name: string, source: 'config' | 'api', countries: string[], continents: string[], description?: string): RegionView {
    const backends = this.#d.registry.backends().filter((b) => b.region === name);
    return {
      name,
      source,
      countries,
      continents,
      description,
      serverCount: backends.length,
      healthyServers: backends.filter((b) => this.#d.registry.decision(b.id)?.serve).length,
    };
  }

  regions(): RegionView[] {
    return [
      ...this.config.regions.map((r) => this.#regionView(r.name, 'config', r.countries, r.continents)),
      ...this.#d.catalog.regions().map((r: StoredRegion) => this.#regionView(r.name, 'api', r.countries, r.continents, r.description)),
    ];
  }

  region(name: string): RegionView | undefined {
    return this.regions().find((r) => r.name === name);
  }

  createRegion(input: RegionInput): RegionView {
    const r = this.#d.catalog.createRegion(input, this.nowMs());
    return this.#regionView(r.name, 'api', r.countries, r.continents, r.description);
  }

  updateRegion(name: string, changes: Omit<RegionInput, 'name'>): RegionView {
    const r = this.#d.catalog.updateRegion(name, changes);
    return this.#regionView(r.name, 'api', r.countries, r.continents, r.description);
  }

  deleteRegion(name: string): void {
    this.#d.catalog.deleteRegion(name);
  }

  agents(): AgentView[] {
    return this.#d.store.agents.list().map((a) => this.#agentView(a));
  }

  agent(agentId: string): AgentView | undefined {
    const a = this.#d.store.agents.get(agentId);
    return a ? this.#agentView(a) : undefined;
  }

  #agentView(a: AgentRecord): AgentView {
    const backends = this.#d.registry.backends().filter((b) => b.agentId === a.agentId);
    let notAfterMs: number | undefined;
    try {
      if (a.certificatePem) notAfterMs = Date.parse(new X509Certificate(a.certificatePem).validTo);
    } catch {
      notAfterMs = undefined;
    }
    const lastSeen = Math.max(a.lastSeenMs, ...backends.map((b) => b.agentLastSeenMs ?? 0));
    return {
      agentId: a.agentId,
      services: a.service.split(',').filter(Boolean),
      region: a.region,
      fingerprint: a.pin,
      firstSeenMs: a.firstSeenMs,
      lastSeenMs: lastSeen,
      notAfterMs,
      revoked: a.revoked,
      revokedAtMs: a.revokedAtMs ?? undefined,
      revokedReason: a.revokedReason ?? undefined,
      backendCount: backends.length,
      isStale: this.nowMs() - lastSeen > this.config.stale.thresholdMs,
    };
  }

  revokeAgent(agentId: string, reason: string): AgentView {
    if (!this.#d.store.agents.get(agentId)) throw new ControlError(ControlErrorCode.NotFound, `agent not found: ${agentId}`);
    this.#d.store.agents.revoke(agentId, reason, this.nowMs());
    this.#d.dropAgent(agentId);
    return this.agent(agentId)!;
  }

  deleteAgent(agentId: string): void {
    if (!this.#d.store.agents.delete(agentId)) throw new ControlError(ControlErrorCode.NotFound, `agent not found: ${agentId}`);
    this.#d.dropAgent(agentId);
  }

  gossipMembers(): GossipMemberView[] | null {
    return this.#d.gossipMembers();
  }

  dnsQueryCounts(): { rcode: string; count: number }[] {
    return this.#d.dnsCounts();
  }

  readiness(): ReadinessView {
    const dnsReady = this.#d.dnsReady();
    const healthReady = this.#d.healthReady();
    const problems = [!dnsReady && 'DNS server not ready', !healthReady && 'health checks not ready'].filter(Boolean);
    return { ready: dnsReady && healthReady, dnsReady, healthReady, message: problems.length > 0 ? problems.join('; ') : undefined };
  }
}
