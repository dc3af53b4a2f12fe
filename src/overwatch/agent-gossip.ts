/**
 * The Overwatch's gossip endpoint: a memberlist node on `gossip.bind_address` (encrypted with the
 * configured keyring; no key, no gossip) that receives agents' messages, authenticates each one
 * (AgentAuthenticator) and hands what passes to AgentRegistrations. Messages that fail are
 * dropped and counted by reason, never applied; their content is never logged.
 */
import type { Config } from '../config/types.ts';
import { Memberlist, decodeEnvelope, encodeNodeMeta, type Envelope, type LatencyReportPayload } from '../gossip/index.ts';
import type { Logger } from '../log/index.ts';
import type { Clock, Closeable } from '../lifecycle/index.ts';
import { VERSION } from '../version.ts';
import { AgentAuthenticator, type AuthFailure } from './agent-auth.ts';
import type { AgentRegistrations, AgentBackendReport } from './agent-registrations.ts';
import type { StateStore } from '../store/index.ts';

export interface AgentGossipCounters {
  onMessage(type: string): void;
  onAuthSuccess(): void;
  onAuthFailure(reason: AuthFailure | 'malformed' | 'unauthorised_service'): void;
  onDecryptFailure(): void;
  /** An unsigned message from an original (Go) agent, accepted because gossip.allow_unsigned_agents. */
  onUnsignedAccepted(): void;
}

export interface AgentGossipOptions {
  config: Config;
  store: StateStore;
  registrations: AgentRegistrations;
  log: Logger;
  clock: Clock;
  counters: AgentGossipCounters;
  /** An authenticated latency_report (learned_latency). */
  onLatencyReport?: (agentId: string, payload: LatencyReportPayload, services: ReadonlySet<string>) => void;
}

const MAX_SKEW_MS = 5 * 60_000;

export class AgentGossip implements Closeable {
  readonly memberlist: Memberlist;
  readonly auth: AgentAuthenticator;
  readonly #o: AgentGossipOptions;

  private constructor(memberlist: Memberlist, auth: AgentAuthenticator, o: AgentGossipOptions) {
    this.memberlist = memberlist;
    this.auth = auth;
    this.#o = o;
    memberlist.on('message', (payload) => this.#onMessage(payload));
  }

  static async start(o: AgentGossipOptions): Promise<AgentGossip> {
    const g = o.config.gossip;
    if (!g.bind) throw new Error('gossip.bind_address is not configured');
    let current = o.config;
    const auth = new AgentAuthenticator({ store: o.store, tokens: (): Record<string, string> => current.agentTokens, maxSkewMs: MAX_SKEW_MS });
    const memberlist = await Memberlist.create({
      name: o.config.identity.nodeId,
      bindHost: g.bind.host === '' ? '0.0.0.0' : g.bind.host,
      bindPort: g.bind.port,
      keyring: g.encryptionKeys,
      probeIntervalMs: g.probeIntervalMs,
      probeTimeoutMs: g.probeTimeoutMs,
      gossipIntervalMs: g.gossipIntervalMs,
      clock: o.clock,
      meta: encodeNodeMeta({
        role: 'overwatch',
        region: o.config.identity.region,
        version: VERSION,
        timestamp: new Date(o.clock.nowMs()).toISOString(),
        node_id: o.config.identity.nodeId,
      }),
      logger: o.log.child({ component: 'gossip' }),
      onDecryptFailure: () => o.counters.onDecryptFailure(),
    });
    const gossip: AgentGossip = new AgentGossip(memberlist, auth, o);
    gossip.#onReconfigure = (c) => (current = c);
    gossip.#current = () => current;
    return gossip;
  }

  get port(): number {
    return this.memberlist.localNode().port;
  }

  #onReconfigure: (c: Config) => void = () => {};
  readonly #warned = new Map<string, { atMs: number; suppressed: number }>();

  /** One warning per reason per 10 s (a flood must not become a log flood); the counters count all. */
  #warnLimited(reason: string, fields: Record<string, unknown>, msg: string): void {
    const now = this.#o.clock.nowMs();
    const w = this.#warned.get(reason);
    if (w && now - w.atMs < 10_000) {
      w.suppressed++;
      return;
    }
    this.#o.log.warn({ ...fields, suppressed_since_last: w?.suppressed ?? 0 }, msg);
    this.#warned.set(reason, { atMs: now, suppressed: 0 });
  }
  #current: () => Config = () => this.#o.config;

  #allowUnsigned(): boolean {
    return this.#current().gossip.allowUnsignedAgents;
  }

  /** What an unsigned (original) agent may register: services with a token or a configured domain. */
  #legacyServices(): ReadonlySet<string> {
    const c = this.#current();
    return new Set([...Object.keys(c.agentTokens), ...c.domains.map((d) => d.name)]);
  }

  /**
   * SIGHUP: new agent_tokens apply to the next message, and the keyring follows the config without
   * a restart (rotation: add the new key second, reload everywhere, move it first, reload, then drop
   * the old one): new keys are installed, the first becomes primary, keys no longer listed go.
   */
  reconfigure(config: Config): void {
    this.#onReconfigure(config);
    const keyring = this.memberlist.keyring;
    const wanted = config.gossip.encryptionKeys;
    if (wanted.length === 0) return;
    for (const k of wanted) keyring.add(k);
    keyring.use(wanted[0]!);
    for (const k of [...keyring.keys]) if (!wanted.some((w) => w.equals(k))) keyring.remove(k);
  }

  #onMessage(payload: Buffer): void {
    const o = this.#o;
    const decoded = decodeEnvelope(payload);
    if (!decoded.ok) {
      o.counters.onAuthFailure('malformed');
      o.log.debug({ error: decoded.error }, 'dropped a malformed agent message');
      return;
    }
    const env = decoded.envelope;
    o.counters.onMessage(env.type);
    const result = this.auth.authenticate(decoded.signed, env, decoded.timestampMs, o.clock.nowMs());
    if (!result.ok && result.reason === 'unsigned' && this.#allowUnsigned()) {
      // Migration from the original Go agents, which cannot sign: the operator accepted that the
      // gossip key alone protects registrations. Deregistration still needs ownership.
      o.counters.onUnsignedAccepted();
      this.#apply(env, this.#legacyServices());
      return;
    }
    if (!result.ok) {
      o.counters.onAuthFailure(result.reason);
      this.#warnLimited(result.reason, { agent: env.agent_id, type: env.type, reason: result.reason }, 'refused an agent message');
      return;
    }
    o.counters.onAuthSuccess();
    this.#apply(env, result.services);
  }

  #apply(env: Envelope, services: ReadonlySet<string>): void {
    const o = this.#o;
    const agentId = env.agent_id;
    const allowed = (service: string) => {
      if (services.has(service)) return true;
      o.counters.onAuthFailure('unauthorised_service');
      this.#warnLimited('unauthorised_service', { agent: agentId, service }, 'agent reported a backend for a service its token does not cover');
      return false;
    };
    switch (env.type) {
      case 'agent_auth':
        o.registrations.heartbeat(agentId);
        return;
      case 'heartbeat': {
        const p = env.payload;
        if (p.backends === null || p.backends === undefined) {
          o.registrations.heartbeat(agentId);
          return;
        }
        const draining = p.predictive?.state === 'draining';
        const weightFactor = p.predictive?.state === 'bleeding' ? (p.predictive.weight_factor ?? 0.5) : 1;
        const backends: AgentBackendReport[] = p.backends
          .filter((b) => allowed(b.service))
          .map((b) => ({
            service: b.service,
            address: b.address,
            port: b.port,
            weight: Math.round(b.weight * weightFactor),
            healthy: b.healthy,
            draining,
            healthCheck: b.health_check && {
              type: b.health_check.type,
              path: b.health_check.path ?? '/health',
              host: b.health_check.host,
              failureThreshold: b.health_check.failure_threshold ?? 3,
              successThreshold: b.health_check.success_threshold ?? 2,
              intervalMs: 0,
              timeoutMs: 0,
            },
          }));
        const staleAfterMs = p.interval_ms !== undefined && p.missed_threshold !== undefined ? p.interval_ms * p.missed_threshold : undefined;
        o.registrations.report({ agentId, region: env.region, backends, staleAfterMs });
        return;
      }
      case 'register': {
        const p = env.payload;
        if (!allowed(p.service)) return;
        o.registrations.report({ agentId, region: env.region, backends: [{ ...p, healthy: true }] });
        return;
      }
      case 'deregister': {
        const p = env.payload;
        o.registrations.deregister(agentId, [{ service: p.service, address: p.address, port: p.port }]);
        return;
      }
      case 'latency_report':
        // learned_latency: only for the agent's own backends of services its token covers (routing-wiring.ts).
        o.onLatencyReport?.(agentId, env.payload, services);
        return;
    }
  }

  async close(): Promise<void> {
    await this.memberlist.close();
  }
}
