/**
 * What an Overwatch does with authenticated agent messages: a report (heartbeat with backends)
 * registers or refreshes backends and their claims, a bare heartbeat refreshes liveness, a
 * deregistration removes the agent's backends. Registrations are persisted when they change (not
 * per heartbeat: liveness goes through the store's batched touch), and each registered backend is
 * validated by the Overwatch's own checks when `validation.enabled`, with the backend's check
 * definition (type, path, host, thresholds) at `check_interval` / `check_timeout`.
 */
import type { Config, HealthCheckConfig } from '../config/types.ts';
import { backendId, type Backend } from '../model/index.ts';
import type { StateStore } from '../store/index.ts';
import type { Registry } from './registry.ts';

export interface AgentBackendReport {
  service: string;
  address: string;
  port: number;
  weight: number;
  healthy: boolean;
  draining?: boolean;
  healthCheck?: HealthCheckConfig;
}

export interface AgentReport {
  agentId: string;
  region: string;
  backends: AgentBackendReport[];
  /** heartbeat.interval x missed_threshold, when the agent says. */
  staleAfterMs?: number;
}

export interface ValidationTargets {
  add(b: Backend): void;
  update(b: Backend): void;
  remove(id: string): void;
  has(id: string): boolean;
}

export interface AgentRegistrationsDeps {
  registry: Registry;
  store: StateStore;
  config: () => Config;
  nowMs: () => number;
  targets: ValidationTargets;
  changed: () => void;
}

/** The agent's check definition with the Overwatch's validation interval and timeout. */
export function validationCheck(config: Config, reported: HealthCheckConfig | undefined): HealthCheckConfig {
  const base = reported ?? { type: 'tcp', path: '/', failureThreshold: 3, successThreshold: 2, intervalMs: 0, timeoutMs: 0 };
  return { ...base, intervalMs: config.validation.checkIntervalMs, timeoutMs: config.validation.checkTimeoutMs };
}

export class AgentRegistrations {
  readonly #d: AgentRegistrationsDeps;

  constructor(deps: AgentRegistrationsDeps) {
    this.#d = deps;
  }

  /** Loads persisted registrations (before DNS starts); their age decides staleness from there. */
  restore(): number {
    const { store, registry } = this.#d;
    const lastSeenByAgent = new Map(store.agents.list().map((a) => [a.agentId, a.lastSeenMs]));
    let n = 0;
    for (const rec of store.agentBackends.list()) {
      const config = this.#d.config();
      const b = registry.upsertAgentBackend(
        {
          service: rec.service,
          address: rec.address,
          port: rec.port,
          weight: rec.weight,
          region: rec.region,
          agentId: rec.agentId,
          healthCheck: validationCheck(config, rec.healthCheck as HealthCheckConfig | undefined),
          // A claim from before the restart is not evidence of health now: validation decides.
          healthy: false,
          draining: rec.draining,
        },
        Math.max(rec.lastSeenMs, lastSeenByAgent.get(rec.agentId) ?? 0),
      );
      this.#track(b);
      n++;
    }
    return n;
  }

  report(r: AgentReport): void {
    const now = this.#d.nowMs();
    const config = this.#d.config();
    const { registry, store } = this.#d;
    const toPersist = [];
    for (const rb of r.backends) {
      const id = backendId(rb.service, rb.address, rb.port);
      const before = registry.get(id);
      if (before && before.source !== 'agent') continue; // an agent cannot take over a static or API server
      const healthCheck = validationCheck(config, rb.healthCheck);
      const checkBefore = before?.healthCheck;
      const b = registry.upsertAgentBackend(
        { service: rb.service, address: rb.address, port: rb.port, weight: rb.weight, region: r.region, agentId: r.agentId, healthCheck, healthy: rb.healthy, draining: rb.draining, staleAfterMs: r.staleAfterMs },
        now,
      );
      const changed =
        !before || before.agentId !== r.agentId || before.weight !== rb.weight || before.region !== r.region || before.draining !== (rb.draining ?? false);
      if (changed || !before) {
        toPersist.push({
          service: b.service,
          address: b.address,
          port: b.port,
          agentId: r.agentId,
          region: r.region,
          weight: b.weight,
          healthCheck: rb.healthCheck ?? null,
          lastSeenMs: now,
          registeredAtMs: b.registeredAtMs,
          draining: b.draining,
        });
      }
      // The Registry replaces the check object only when the definition changed: a heartbeat that
      // repeats the registration leaves the scheduled validation alone (no churn per heartbeat).
      if (!before || b.healthCheck !== checkBefore || !this.#d.targets.has(b.id)) this.#track(b);
    }
    if (toPersist.length > 0) store.agentBackends.upsertMany(toPersist);
    this.#touchStore(r.agentId, now);
    this.#d.changed();
  }

  heartbeat(agentId: string): void {
    const now = this.#d.nowMs();
    this.#d.registry.touchAgent(agentId, now);
    this.#touchStore(agentId, now);
    this.#d.changed();
  }

  /** Removes the agent's backends (all, or the listed ones); returns how many. */
  deregister(agentId: string, only?: { service: string; address: string; port: number }[]): number {
    const { registry, store } = this.#d;
    const ids = only
      ? only.map((k) => backendId(k.service, k.address, k.port)).filter((id) => registry.get(id)?.agentId === agentId)
      : registry.backends().filter((b) => b.source === 'agent' && b.agentId === agentId).map((b) => b.id);
    for (const id of ids) {
      const b = registry.get(id)!;
      store.agentBackends.delete({ service: b.service, address: b.address, port: b.port });
      registry.remove(id);
      this.#d.targets.remove(id);
    }
    if (ids.length > 0) this.#d.changed();
    return ids.length;
  }

  /** Called when the stale reaper removed backends: forget their targets and stored rows. */
  forget(removed: Backend[]): void {
    for (const b of removed) {
      this.#d.targets.remove(b.id);
      this.#d.store.agentBackends.delete({ service: b.service, address: b.address, port: b.port });
    }
  }

  #track(b: Backend): void {
    if (!this.#d.config().validation.enabled) return;
    if (this.#d.targets.has(b.id)) this.#d.targets.update(b);
    else this.#d.targets.add(b);
  }

  #touchStore(agentId: string, now: number): void {
    if (this.#d.store.agents.get(agentId)) this.#d.store.agents.touch(agentId, now);
  }
}
