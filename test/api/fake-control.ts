/**
 * An in-memory OverwatchControl for the API tests: holds backends and overrides and applies the
 * real health authority (model/decideHealth) so an override changes `serve` as it does in the
 * Overwatch. Static servers come from the config's regions. Tests arm `failNextWrite` to make the
 * next write throw (ControlError or StoreError) and check that nothing changed.
 */
import {
  backendId,
  decideHealth,
  isManualSource,
  overrideFor,
  overrideKey,
  type Backend,
  type Override,
} from '../../src/model/index.ts';
import {
  ControlError,
  ControlErrorCode,
  type AgentView,
  type DomainView,
  type RegionView,
  type BackendStatusView,
  type OverwatchControl,
  type ReadinessView,
  type ServerInput,
} from '../../src/overwatch/index.ts';
import { parseConfigText } from '../../src/config/index.ts';
import type { Config, HealthCheckConfig } from '../../src/config/types.ts';

export const ZONE = 'gslb.example.com';
export const APP = `app.${ZONE}`;
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

export const TEST_CONFIG_YAML = `mode: overwatch
identity:
  node_id: ow-test-1
dns:
  listen_address: "127.0.0.1:5353"
  zones: [${ZONE}]
regions:
  - name: us-east
    servers:
      - { address: 10.0.1.10, port: 80, service: ${APP} }
      - { address: 10.0.1.11, port: 80, service: ${APP} }
  - name: eu-west
    servers:
      - { address: "2001:db8::10", port: 443, service: ${APP} }
  - name: ap-south
    servers:
      - { address: 10.0.3.10, port: 80, service: ${APP} }
domains:
  - name: ${APP}
    regions: [us-east, eu-west, ap-south]
validation:
  enabled: true
stale:
  threshold: 30s
  remove_after: 5m
api:
  allowed_networks: [127.0.0.0/8, "::1/128"]
dnssec:
  enabled: false
  security_acknowledgment: "I understand that disabling DNSSEC removes cryptographic authentication of DNS responses and allows DNS spoofing attacks against my zones"
`;

export function testConfig(): Config {
  return parseConfigText(TEST_CONFIG_YAML, { sourcePath: 'test.yaml', env: {}, hostname: 'test-host' });
}

const AGENT_CHECK: HealthCheckConfig = { type: 'http', path: '/health', intervalMs: 10_000, timeoutMs: 2_000, failureThreshold: 3, successThreshold: 2 };

export interface AgentBackendInput {
  service: string;
  address: string;
  port: number;
  agentId: string;
  region?: string;
  agentHealthy?: boolean;
  lastSeenAgoMs?: number;
  draining?: boolean;
  validation?: boolean | null;
}

export class FakeControl implements OverwatchControl {
  readonly nodeId = 'ow-test-1';
  readonly version = '9.9.9-test';
  readonly startedAtMs = T0 - 3_600_000;
  readonly config: Config;
  validationEnabled = true;
  now = T0;
  ready: ReadinessView = { ready: true, dnsReady: true, healthReady: true };
  /** Thrown by the next write (setOverride, setOverrides, clearOverride, create/update/deleteServer), then cleared. */
  failNextWrite: Error | undefined;
  /** Calls to validateNow, in order. */
  readonly validateCalls: Array<{ service: string; address: string; port: number } | undefined> = [];
  /** Resolves validateNow; replace to make a round slow or fail. */
  validateImpl: () => Promise<void> = async () => {};

  readonly #backends = new Map<string, Backend>();
  readonly #overrides = new Map<string, Override>();
  #order = 0;

  constructor(config: Config = testConfig()) {
    this.config = config;
    for (const region of config.regions) {
      for (const s of region.servers) {
        this.#put({
          id: backendId(s.service, s.address, s.port),
          service: s.service,
          address: s.address,
          port: s.port,
          weight: s.weight,
          region: region.name,
          source: 'static',
          healthCheck: region.healthCheck,
          order: this.#order++,
          draining: false,
          validation: { healthy: null },
          registeredAtMs: this.startedAtMs,
        });
      }
    }
  }

  #put(b: Backend): void {
    this.#backends.set(b.id, b);
  }

  /** Sets the Overwatch's own check result of a backend. */
  setValidation(id: string, healthy: boolean | null, error?: string, latencyMs?: number): void {
    const b = this.#backends.get(id);
    if (!b) throw new Error(`no backend ${id}`);
    b.validation = { healthy, lastCheckMs: healthy === null ? undefined : this.now - 1000, error, latencyMs };
  }

  addAgentBackend(a: AgentBackendInput): string {
    const id = backendId(a.service, a.address, a.port);
    this.#put({
      id,
      service: a.service,
      address: a.address,
      port: a.port,
      weight: 100,
      region: a.region ?? 'us-east',
      source: 'agent',
      agentId: a.agentId,
      healthCheck: AGENT_CHECK,
      order: this.#order++,
      agentHealthy: a.agentHealthy ?? true,
      agentLastSeenMs: this.now - (a.lastSeenAgoMs ?? 1000),
      draining: a.draining ?? false,
      validation: { healthy: a.validation ?? null, lastCheckMs: a.validation === undefined || a.validation === null ? undefined : this.now - 500 },
      registeredAtMs: this.now - 60_000,
    });
    return id;
  }

  nowMs(): number {
    return this.now;
  }

  #servedNames(b: Backend): string[] {
    // An agent's short service name is served in every zone; an FQDN is served as itself.
    return b.service.includes('.') ? [b.service] : this.config.dns.zones.map((z) => `${b.service}.${z}`);
  }

  #view(b: Backend): BackendStatusView {
    const override = overrideFor(this.#overrides, b.service, b.address, b.port);
    const d = decideHealth(b, override, { nowMs: this.now, staleThresholdMs: this.config.stale.thresholdMs });
    return {
      id: b.id,
      service: b.service,
      address: b.address,
      port: b.port,
      weight: b.weight,
      region: b.region,
      source: b.source,
      agentId: b.agentId,
      effectiveStatus: d.status,
      serve: d.serve,
      authority: d.authority,
      isStale: d.isStale,
      draining: b.draining,
      agentHealthy: b.agentHealthy,
      agentLastSeenMs: b.agentLastSeenMs,
      validation: { ...b.validation },
      override,
      servedNames: this.#servedNames(b),
      healthCheck: b.healthCheck,
      registeredAtMs: b.registeredAtMs,
    };
  }

  backends(): BackendStatusView[] {
    return [...this.#backends.values()].sort((a, b) => a.order - b.order).map((b) => this.#view(b));
  }

  backend(id: string): BackendStatusView | undefined {
    const b = this.#backends.get(id);
    return b ? this.#view(b) : undefined;
  }

  overrides(): Override[] {
    return [...this.#overrides.values()].map((o) => ({ ...o }));
  }

  getOverride(service: string, address: string, port: number | null): Override | undefined {
    const o = this.#overrides.get(overrideKey(service, address, port));
    return o ? { ...o } : undefined;
  }

  #throwIfArmed(): void {
    const err = this.failNextWrite;
    if (err) {
      this.failNextWrite = undefined;
      throw err;
    }
  }

  #checkConflict(map: Map<string, Override>, o: Override): void {
    const existing = map.get(overrideKey(o.service, o.address, o.port));
    if (existing && isManualSource(existing.source) && !isManualSource(o.source)) {
      throw new ControlError(
        ControlErrorCode.Conflict,
        `a manual override is in force for ${o.service} ${o.address}${o.port === null ? '' : `:${o.port}`}; an external tool (${o.source}) cannot replace it`,
      );
    }
  }

  setOverride(override: Override): Override {
    this.#throwIfArmed();
    this.#checkConflict(this.#overrides, override);
    const stored = { ...override };
    this.#overrides.set(overrideKey(stored.service, stored.address, stored.port), stored);
    return { ...stored };
  }

  setOverrides(overrides: Override[]): Override[] {
    this.#throwIfArmed();
    const next = new Map(this.#overrides);
    for (const o of overrides) {
      this.#checkConflict(next, o);
      next.set(overrideKey(o.service, o.address, o.port), { ...o });
    }
    this.#overrides.clear();
    for (const [k, v] of next) this.#overrides.set(k, v);
    return overrides.map((o) => ({ ...o }));
  }

  clearOverride(service: string, address: string, port: number | null): boolean {
    this.#throwIfArmed();
    return this.#overrides.delete(overrideKey(service, address, port));
  }

  async validateNow(target?: { service: string; address: string; port: number }): Promise<void> {
    if (!this.validationEnabled) throw new ControlError(ControlErrorCode.ValidatorDisabled, 'validation is disabled (validation.enabled: false)');
    if (target && !this.#backends.has(backendId(target.service, target.address, target.port))) {
      throw new ControlError(ControlErrorCode.NotFound, `backend not found: ${backendId(target.service, target.address, target.port)}`);
    }
    this.validateCalls.push(target);
    await this.validateImpl();
  }

  createServer(input: ServerInput): BackendStatusView {
    this.#throwIfArmed();
    const id = backendId(input.service, input.address, input.port);
    if (this.#backends.has(id)) throw new ControlError(ControlErrorCode.Conflict, `server ${id} already exists`);
    if (!this.config.regions.some((r) => r.name === input.region)) {
      throw new ControlError(ControlErrorCode.Invalid, `region ${JSON.stringify(input.region)} is not configured`);
    }
    this.#put({
      id,
      ...input,
      source: 'api',
      healthCheck: this.config.regions.find((r) => r.name === input.region)!.healthCheck,
      order: this.#order++,
      draining: false,
      validation: { healthy: null },
      registeredAtMs: this.now,
    });
    return this.backend(id)!;
  }

  #apiServer(id: string): Backend {
    const b = this.#backends.get(id);
    if (!b) throw new ControlError(ControlErrorCode.NotFound, `server not found: ${id}`);
    if (b.source !== 'api') throw new ControlError(ControlErrorCode.ReadOnlyItem, `cannot change ${b.source} server ${id} via API`);
    return b;
  }

  updateServer(id: string, changes: Partial<Pick<ServerInput, 'weight' | 'region'>>): BackendStatusView {
    this.#throwIfArmed();
    const b = this.#apiServer(id);
    if (changes.weight !== undefined) b.weight = changes.weight;
    if (changes.region !== undefined) b.region = changes.region;
    return this.backend(id)!;
  }

  deleteServer(id: string): void {
    this.#throwIfArmed();
    this.#apiServer(id);
    this.#backends.delete(id);
  }

  readiness(): ReadinessView {
    return { ...this.ready };
  }

  /** DNS answers by rcode, as tests arrange them. */
  dnsCounts: { rcode: string; count: number }[] = [];

  gossipMembers(): null {
    return null;
  }

  dnsQueryCounts(): { rcode: string; count: number }[] {
    return this.dnsCounts;
  }

  // Domains and regions are tested against the real Overwatch (test/api/domains-regions.test.ts);
  // the fake answers as an Overwatch with none created through the API.
  domains(): DomainView[] {
    return [];
  }
  domain(): DomainView | undefined {
    return undefined;
  }
  createDomain(): DomainView {
    throw new ControlError(ControlErrorCode.Invalid, 'domains are not modelled by the fake control');
  }
  updateDomain(name: string): DomainView {
    throw new ControlError(ControlErrorCode.NotFound, `domain not found: ${name}`);
  }
  deleteDomain(name: string): void {
    throw new ControlError(ControlErrorCode.NotFound, `domain not found: ${name}`);
  }
  regions(): RegionView[] {
    return [];
  }
  region(): RegionView | undefined {
    return undefined;
  }
  createRegion(): RegionView {
    throw new ControlError(ControlErrorCode.Invalid, 'regions are not modelled by the fake control');
  }
  updateRegion(name: string): RegionView {
    throw new ControlError(ControlErrorCode.NotFound, `region not found: ${name}`);
  }
  deleteRegion(name: string): void {
    throw new ControlError(ControlErrorCode.NotFound, `region not found: ${name}`);
  }

  /** Pinned agents, as tests arrange them. */
  readonly pinned = new Map<string, AgentView>();

  agents(): AgentView[] {
    return [...this.pinned.values()];
  }

  agent(agentId: string): AgentView | undefined {
    return this.pinned.get(agentId);
  }

  revokeAgent(agentId: string, reason: string): AgentView {
    this.#throwIfArmed();
    const a = this.pinned.get(agentId);
    if (!a) throw new ControlError(ControlErrorCode.NotFound, `agent not found: ${agentId}`);
    const revoked = { ...a, revoked: true, revokedAtMs: this.nowMs(), revokedReason: reason, backendCount: 0 };
    this.pinned.set(agentId, revoked);
    for (const [id, b] of this.#backends) if (b.agentId === agentId) this.#backends.delete(id);
    return revoked;
  }

  deleteAgent(agentId: string): void {
    this.#throwIfArmed();
    if (!this.pinned.delete(agentId)) throw new ControlError(ControlErrorCode.NotFound, `agent not found: ${agentId}`);
    for (const [id, b] of this.#backends) if (b.agentId === agentId) this.#backends.delete(id);
  }
}
