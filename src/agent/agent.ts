/**
 * The agent runtime: checks its local backends (thresholds; each starts unhealthy until
 * success_threshold passes), joins every Overwatch in `gossip.overwatch_nodes` (retrying with
 * backoff while any is missing: the original gave up at start-up), authenticates to each
 * (token + certificate, reliably over TCP, again every few heartbeats and whenever an Overwatch
 * joins), sends a signed heartbeat with the state of its backends every `heartbeat.interval` and at
 * once on any health or predictive change, and on shutdown deregisters every backend from every
 * Overwatch reliably before leaving.
 */
import type { AgentBackendConfig, Config } from '../config/types.ts';
import {
  Memberlist,
  decodeNodeMeta,
  encodeEnvelope,
  encodeNodeMeta,
  signEnvelope,
  type Envelope,
  type Member,
} from '../gossip/index.ts';
import { HealthScheduler, type ProbeFn } from '../health/index.ts';
import { systemClock, type Clock, type Closeable, type TimerHandle } from '../lifecycle/index.ts';
import type { Logger } from '../log/index.ts';
import { VERSION } from '../version.ts';
import { loadOrCreateIdentity, type AgentIdentity } from './identity.ts';
import type { AgentMetrics } from './agent-metrics.ts';
import { LatencyLearner, type ConnectionSource } from './latency-learning/latency-learner.ts';

export interface AgentOptions {
  log: Logger;
  clock?: Clock;
  probe?: ProbeFn;
  metrics?: AgentMetrics;
  /** Extra fields for the heartbeat's predictive report (the predictive monitor's current state). */
  predictive?: () => Record<string, unknown> | undefined;
  /** Every local check result (the predictive monitor counts failures for its error rate). */
  onCheckResult?: (ok: boolean) => void;
  /** Where latency learning reads client connections (default: `ss`); injectable for tests. */
  connectionSource?: ConnectionSource;
}

const AUTH_EVERY_HEARTBEATS = 6;
const JOIN_BACKOFF_MIN_MS = 1000;
const JOIN_BACKOFF_MAX_MS = 30_000;
const DEREGISTER_TIMEOUT_MS = 3000;

function backendKey(b: AgentBackendConfig): string {
  return `${b.service}|${b.address}|${b.port}`;
}

export class Agent implements Closeable {
  readonly identity: AgentIdentity;
  readonly memberlist: Memberlist;
  readonly #config: Config;
  readonly #o: AgentOptions;
  readonly #clock: Clock;
  readonly #scheduler: HealthScheduler;
  #seq: number;
  #heartbeats = 0;
  #heartbeatTimer?: TimerHandle;
  #joinTimer?: TimerHandle;
  #joinBackoffMs = JOIN_BACKOFF_MIN_MS;
  #sendQueued = false;
  #closing?: Promise<void>;
  #learner?: LatencyLearner;

  private constructor(config: Config, identity: AgentIdentity, memberlist: Memberlist, o: AgentOptions) {
    this.#config = config;
    this.identity = identity;
    this.memberlist = memberlist;
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    // Sequence numbers survive restarts without storage by starting from the clock (µs).
    this.#seq = this.#clock.nowMs() * 1000;
    this.#scheduler = new HealthScheduler({
      clock: this.#clock,
      probe: o.probe,
      initialStatus: 'unhealthy',
      onResult: (id, result) => {
        o.metrics?.backendChecks.inc({ service: id.split('|')[0]!, result: result.ok ? 'success' : 'failure' });
        o.onCheckResult?.(result.ok);
      },
      onTransition: (id, t) => {
        o.log.info({ backend: id, from: t.from, to: t.to }, 'backend health changed');
        this.sendSoon();
      },
    });
    memberlist.on('join', (m) => {
      if (this.#isOverwatch(m)) {
        o.log.info({ overwatch: m.name, address: `${m.host}:${m.port}` }, 'overwatch joined');
        void this.#authenticateTo(m).then(() => this.#sendHeartbeatTo(m));
      }
    });
    memberlist.on('leave', (m) => {
      if (!this.#isOverwatch(m)) return;
      o.log.warn({ overwatch: m.name }, 'overwatch left or failed; rejoining');
      // The join loop sleeps long while every Overwatch is connected: wake it now.
      this.#joinTimer?.cancel();
      this.#joinBackoffMs = JOIN_BACKOFF_MIN_MS;
      this.#joinTimer = this.#clock.setTimer(JOIN_BACKOFF_MIN_MS, () => void this.#joinLoop());
    });
  }

  static async start(config: Config, o: AgentOptions): Promise<Agent> {
    const clock = o.clock ?? systemClock;
    const identity = await loadOrCreateIdentity(config.identity.keyPath, config.identity.certPath, config.identity.region, clock.nowMs());
    const g = config.gossip;
    const memberlist = await Memberlist.create({
      name: identity.agentId,
      bindHost: g.bind?.host || '0.0.0.0',
      bindPort: g.bind?.port ?? 0,
      keyring: g.encryptionKeys,
      probeIntervalMs: g.probeIntervalMs,
      probeTimeoutMs: g.probeTimeoutMs,
      gossipIntervalMs: g.gossipIntervalMs,
      clock,
      meta: encodeNodeMeta({
        role: 'agent',
        region: config.identity.region,
        version: VERSION,
        timestamp: new Date(clock.nowMs()).toISOString(),
        agent_id: identity.agentId,
      }),
      logger: o.log.child({ component: 'gossip' }),
      onDecryptFailure: () => o.metrics?.heartbeatFailures.inc(),
    });
    const agent = new Agent(config, identity, memberlist, o);
    for (const b of config.backends) agent.#scheduler.add(backendKey(b), { address: b.address, port: b.port }, b.healthCheck);
    o.metrics?.backendsRegistered.set(config.backends.length);
    o.log.info({ agent_id: identity.agentId, backends: config.backends.length, overwatches: g.overwatchNodes }, 'agent starting');
    void agent.#joinLoop();
    agent.#armHeartbeat();
    if (config.latencyLearning.enabled) agent.#startLatencyLearning();
    return agent;
  }

  /** Overwatches we are a member with now. */
  overwatches(): Member[] {
    return this.memberlist.members().filter((m) => m.name !== this.identity.agentId && m.state === 'alive' && this.#isOverwatch(m));
  }

  #isOverwatch(m: Member): boolean {
    const meta = decodeNodeMeta(m.meta);
    // Go's agent treated unparseable meta as "maybe an Overwatch"; so do we (it is authenticated anyway).
    return meta === undefined ? m.name !== this.identity.agentId : meta.role === 'overwatch';
  }

  async #joinLoop(): Promise<void> {
    if (this.#closing) return;
    const wanted = this.#config.gossip.overwatchNodes;
    const connected = new Set(this.overwatches().map((m) => `${m.host}:${m.port}`));
    const missing = wanted.filter((addr) => !connected.has(addr));
    if (missing.length > 0) {
      let joined = 0;
      try {
        joined = await this.memberlist.join(missing);
      } catch (err) {
        this.#o.log.debug({ err }, 'join attempt failed');
      }
      if (joined === 0) {
        this.#o.log.warn({ overwatches: missing, retry_in_ms: this.#joinBackoffMs }, 'no overwatch answered; retrying');
        this.#joinBackoffMs = Math.min(this.#joinBackoffMs * 2, JOIN_BACKOFF_MAX_MS);
      } else {
        this.#joinBackoffMs = JOIN_BACKOFF_MIN_MS;
      }
    }
    if (this.#closing) return;
    // Keep checking: an Overwatch that restarts or was never reachable is joined when it comes back.
    const next = missing.length > 0 ? this.#joinBackoffMs : JOIN_BACKOFF_MAX_MS;
    this.#joinTimer = this.#clock.setTimer(next, () => void this.#joinLoop());
  }

  #armHeartbeat(): void {
    this.#heartbeatTimer = this.#clock.setTimer(this.#config.heartbeat.intervalMs, () => {
      this.#heartbeats++;
      if (this.#heartbeats % AUTH_EVERY_HEARTBEATS === 0) for (const m of this.overwatches()) void this.#authenticateTo(m);
      this.#sendHeartbeat();
      if (!this.#closing) this.#armHeartbeat();
    });
  }

  /**
   * A state change (health transition, predictive change): one heartbeat on the next turn of the
   * event loop, coalescing bursts, sent reliably (TCP) so a dropped packet cannot lose it.
   */
  sendSoon(): void {
    if (this.#sendQueued || this.#closing) return;
    this.#sendQueued = true;
    setImmediate(() => {
      this.#sendQueued = false;
      const targets = this.overwatches();
      if (targets.length === 0) return;
      const bytes = this.#heartbeatBytes();
      for (const m of targets) {
        this.memberlist.sendReliable(m, bytes).then(
          () => this.#o.metrics?.heartbeatsSent.inc(),
          (err: unknown) => {
            this.#o.metrics?.heartbeatFailures.inc();
            this.#o.log.warn({ overwatch: m.name, error: (err as Error).message }, 'reliable heartbeat failed; the next periodic one repeats it');
          },
        );
      }
    });
  }

  #envelope(type: Envelope['type'], payload: unknown): Buffer {
    this.#seq = Math.max(this.#seq + 1, this.#clock.nowMs() * 1000);
    const env = {
      type,
      agent_id: this.identity.agentId,
      region: this.#config.identity.region,
      timestamp: new Date(this.#clock.nowMs()).toISOString(),
      payload,
    } as Envelope;
    const service = this.#config.backends[0]?.service ?? '';
    return encodeEnvelope(signEnvelope(env, this.identity.privateKey, service, this.#seq));
  }

  #heartbeatBytes(): Buffer {
    const backends = this.#config.backends.map((b) => {
      const state = this.#scheduler.get(backendKey(b));
      const hc = b.healthCheck;
      return {
        service: b.service,
        address: b.address,
        port: b.port,
        weight: b.weight,
        healthy: state?.status === 'healthy',
        health_check: { type: hc.type, path: hc.path, host: hc.host, failure_threshold: hc.failureThreshold, success_threshold: hc.successThreshold },
      };
    });
    const hb = this.#config.heartbeat;
    return this.#envelope('heartbeat', { backends, predictive: this.#o.predictive?.(), interval_ms: hb.intervalMs, missed_threshold: hb.missedThreshold });
  }

  #sendHeartbeat(): void {
    const targets = this.overwatches();
    if (targets.length === 0) return;
    const bytes = this.#heartbeatBytes();
    for (const m of targets) this.#sendBytes(m, bytes);
  }

  #sendHeartbeatTo(m: Member): void {
    this.#sendBytes(m, this.#heartbeatBytes());
  }

  #sendBytes(m: Member, bytes: Buffer): void {
    try {
      this.memberlist.sendBestEffort(m, bytes);
      this.#o.metrics?.heartbeatsSent.inc();
    } catch (err) {
      this.#o.metrics?.heartbeatFailures.inc();
      this.#o.log.debug({ err, overwatch: m.name }, 'heartbeat send failed');
    }
  }

  async #authenticateTo(m: Member): Promise<void> {
    const bytes = this.#envelope('agent_auth', {
      certificate_pem: this.identity.certificatePem,
      service_token: this.#config.identity.serviceToken ?? '',
      fingerprint: this.identity.keyId,
    });
    try {
      await this.memberlist.sendReliable(m, bytes);
    } catch (err) {
      this.#o.metrics?.heartbeatFailures.inc();
      this.#o.log.warn({ overwatch: m.name, error: (err as Error).message }, 'could not authenticate to overwatch');
    }
  }

  /** Client RTTs per prefix, reported to every Overwatch as signed latency_report messages (reliably). */
  #startLatencyLearning(): void {
    this.#learner = new LatencyLearner({
      config: this.#config.latencyLearning,
      backends: this.#config.backends,
      clock: this.#clock,
      source: this.#o.connectionSource,
      onReport: (backend, subnets) => {
        const bytes = this.#envelope('latency_report', {
          backend: `${backend.address}:${backend.port}`,
          subnets: subnets.map((s) => ({
            subnet: s.subnet,
            ewma_ns: Math.round(s.ewmaMs * 1e6),
            sample_count: s.samples,
            last_seen: new Date(s.lastSeenMs).toISOString(),
          })),
        });
        for (const m of this.overwatches()) {
          this.memberlist.sendReliable(m, bytes).catch((err: unknown) => this.#o.log.debug({ err: (err as Error).message }, 'latency report not delivered'));
        }
      },
    });
    this.#learner.start();
  }

  /** Deregisters every backend from every Overwatch (reliably, bounded in time), then leaves. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#heartbeatTimer?.cancel();
      this.#joinTimer?.cancel();
      await this.#learner?.close();
      await this.#scheduler.close();
      const targets = this.overwatches();
      const sends: Promise<void>[] = [];
      for (const m of targets) {
        for (const b of this.#config.backends) {
          sends.push(this.memberlist.sendReliable(m, this.#envelope('deregister', { service: b.service, address: b.address, port: b.port })));
        }
      }
      const results = await Promise.race([
        Promise.allSettled(sends),
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), DEREGISTER_TIMEOUT_MS).unref()),
      ]);
      if (results === 'timeout' || results.some((r) => r.status === 'rejected')) {
        this.#o.log.warn({ overwatches: targets.length }, 'some deregistrations were not acknowledged; those backends go stale instead');
      } else if (targets.length > 0) {
        this.#o.log.info({ overwatches: targets.length, backends: this.#config.backends.length }, 'deregistered from every overwatch');
      }
      try {
        await this.memberlist.leave(1000);
      } finally {
        await this.memberlist.close();
      }
    })();
    return this.#closing;
  }
}
