/**
 * The Overwatch runtime: wires the Registry (state), the health scheduler (checks of static
 * servers), the snapshot builder and the DNS server. Every change of state schedules one rebuild on
 * the next turn of the event loop, so a burst of results costs one Snapshot and a health change
 * reaches answers within milliseconds.
 */
import type { Config } from '../config/types.ts';
import { DnsServer, type ResponseOutcome, type Transport } from '../dns/index.ts';
import { HealthScheduler, type HealthTargetState, type ProbeFn, type ProbeResult } from '../health/index.ts';
import { systemClock, type Clock, type Closeable, type TimerHandle } from '../lifecycle/index.ts';
import type { Logger } from '../log/index.ts';
import type { Snapshot } from '../model/index.ts';
import { OpenGslbError } from '../errors.ts';
import { Registry, registrySettingsFrom, type HealthChange } from './registry.ts';
import { rebuildSnapshot } from './rebuild-snapshot.ts';
import { openDnssec, withSigner, type DnssecRuntime } from './dnssec-wiring.ts';
import { RoutingRuntime } from './routing-wiring.ts';
import { staticBackends, unservablePolicies } from './static-servers.ts';
import { ControlPlane } from './control-plane.ts';
import { AgentRegistrations } from './agent-registrations.ts';
import { AgentGossip } from './agent-gossip.ts';
import { decodeNodeMeta } from '../gossip/index.ts';
import { ApiCatalog } from './api-catalog.ts';
import type { OverwatchControl } from './control.ts';
import { StateStore } from '../store/index.ts';
import { DnsQueryStats, OverwatchMetrics, startMetricsServer, type MetricsServer } from '../metrics/index.ts';
import { VERSION } from '../version.ts';

export interface OverwatchOptions {
  log: Logger;
  clock?: Clock;
  /** Health probe; injectable for tests. */
  probe?: ProbeFn;
  onDnsResponse?: (outcome: ResponseOutcome, transport: Transport) => void;
}

export class Overwatch implements Closeable {
  readonly registry: Registry;
  readonly store: StateStore;
  readonly #control: ControlPlane;
  /** Domains and regions created through the API. */
  readonly catalog: ApiCatalog;
  /** Intake of authenticated agent messages (gossip delivers them here). */
  readonly agents: AgentRegistrations;
  readonly metrics: OverwatchMetrics;
  readonly dnsStats = new DnsQueryStats();
  #metricsServer?: MetricsServer;
  #gossip?: AgentGossip;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #scheduler: HealthScheduler;
  readonly #dns: DnsServer;
  #dnssec?: DnssecRuntime;
  /** Geolocation and latency routing (database, mappings, RTT tables), attached to every Snapshot. */
  #routing?: RoutingRuntime;
  #config: Config;
  #dnsStarted = false;
  #firstRoundDone = false;
  #rebuildQueued = false;
  #rebuildForced = false;
  #deadlineTimer?: TimerHandle;
  #closing?: Promise<void>;

  private constructor(config: Config, store: StateStore, opts: OverwatchOptions) {
    this.#config = config;
    this.store = store;
    this.#log = opts.log;
    this.#clock = opts.clock ?? systemClock;
    this.catalog = new ApiCatalog(store, () => this.#config);
    this.registry = new Registry(registrySettingsFrom(config, this.catalog.domainConfigs()));
    this.#scheduler = new HealthScheduler({
      clock: this.#clock,
      probe: opts.probe,
      maxConcurrent: 64,
      onResult: (id, result, state) => this.#onCheckResult(id, result, state),
      onListenerError: (err, id) => this.#log.error({ err, backend: id }, 'health result handler failed'),
    });
    this.#dns = new DnsServer({
      host: config.dns.listen.host,
      port: config.dns.listen.port,
      maxUdpPayload: config.dns.maxUdpPayload,
      tcpIdleTimeoutMs: config.dns.tcpIdleTimeoutMs,
      tcpMaxConnections: config.dns.tcpMaxConnections,
      tcpMaxConnectionsPerClient: config.dns.tcpMaxConnectionsPerClient,
      rateLimit: config.dns.rateLimit,
      onResponse: (outcome, transport) => {
        this.dnsStats.record(outcome.entry?.name ?? null, outcome.qtype, outcome.rcode, outcome.truncated);
        opts.onDnsResponse?.(outcome, transport);
      },
      onTiming: (seconds) => this.metrics.dnsQueryDuration.observe(seconds),
      onError: (err) => this.#log.error({ err }, 'dns listener error'),
      // dns.workers > 1: UDP answers come from worker threads, counted in batches (onDnsResponse sees TCP only).
      workers: config.dns.workers,
      onResponseCount: (domain, qtype, rcode, truncated, n) => this.dnsStats.record(domain, qtype, rcode, truncated, n),
      signatureValidityMs: config.dnssec.signatureValidityMs,
      udpIo: config.dns.udpIo,
      onUdpIoFallback: (reason) => this.#log.warn({ reason }, 'native UDP I/O unavailable: answering UDP with the pure-JS dgram path'),
    });
    this.agents = new AgentRegistrations({
      registry: this.registry,
      store,
      config: () => this.#config,
      nowMs: () => this.#clock.nowMs(),
      changed: () => this.#scheduleRebuild(false), // the Registry knows what a report changed (usually nothing)
      targets: {
        add: (b) => this.#scheduler.add(b.id, { address: b.address, port: b.port }, b.healthCheck),
        update: (b) => this.#scheduler.update(b.id, { address: b.address, port: b.port }, b.healthCheck),
        remove: (id) => void this.#scheduler.remove(id),
        has: (id) => this.#scheduler.has(id),
      },
    });
    this.#control = new ControlPlane({
      registry: this.registry,
      store,
      config: () => this.#config,
      nowMs: () => this.#clock.nowMs(),
      startedAtMs: this.#clock.nowMs(),
      changed: () => this.#scheduleRebuild(),
      checkNow: async (ids) => {
        if (!ids) return this.#scheduler.checkNow();
        await Promise.all(ids.filter((id) => this.#scheduler.has(id)).map((id) => this.#scheduler.checkNow(id)));
      },
      onServerAdded: (b) => this.#scheduler.add(b.id, { address: b.address, port: b.port }, b.healthCheck),
      onServerRemoved: (id) => void this.#scheduler.remove(id),
      dnsReady: () => this.#dnsStarted,
      healthReady: () => this.#firstRoundDone,
      catalog: this.catalog,
      dnsCounts: () => this.dnsStats.counts().map((c) => ({ rcode: c.rcode, count: c.count })),
      gossipMembers: () => {
        if (!this.#gossip) return null;
        return this.#gossip.memberlist.members().map((m) => {
          const meta = decodeNodeMeta(m.meta);
          return {
            name: m.name,
            address: `${m.host.includes(':') ? `[${m.host}]` : m.host}:${m.port}`,
            state: m.state,
            role: meta?.role ?? 'unknown',
            region: meta?.region ?? '',
            agentId: meta?.agent_id,
            incarnation: m.incarnation,
          };
        });
      },
      domainsChanged: () => {
        this.registry.reconfigure(registrySettingsFrom(this.#config, this.catalog.domainConfigs()));
        this.#scheduleRebuild();
      },
      dropAgent: (agentId) => {
        this.#gossip?.auth.forget(agentId);
        this.agents.deregister(agentId);
      },
    });
    this.metrics = new OverwatchMetrics(this.#control, this.dnsStats, {
      limits: () => ({
        rateLimitedDropped: this.#dns.rateLimitStats.dropped,
        rateLimitedSlipped: this.#dns.rateLimitStats.slipped,
        tcpRefused: this.#dns.tcpRefused,
      }),
      version: VERSION,
      mode: 'overwatch',
      nodeId: config.identity.nodeId,
      region: config.identity.region,
      configuredDomains: () => this.#config.domains.length,
      configuredServers: () => this.#config.regions.reduce((n, r) => n + r.servers.length, 0),
    });
  }

  /** Keys in the gossip keyring now (none without gossip). */
  get gossipKeyCount(): number {
    return this.#gossip?.memberlist.keyring.keys.length ?? 0;
  }

  /** Gossip port when `gossip.bind_address` is configured (agents join it). */
  get gossipPort(): number | undefined {
    return this.#gossip?.port;
  }

  async #startGossip(config: Config): Promise<void> {
    const m = this.metrics;
    this.#gossip = await AgentGossip.start({
      config,
      store: this.store,
      registrations: this.agents,
      onLatencyReport: (agentId, payload, services) => this.#routing?.onLatencyReport(agentId, payload, services),
      log: this.#log,
      clock: this.#clock,
      counters: {
        onMessage: (type) => m.gossipMessagesReceived.inc({ type }),
        onAuthSuccess: () => m.agentAuthSuccess.inc(),
        onAuthFailure: (reason) => m.agentAuthFailures.inc({ reason }),
        onDecryptFailure: () => m.gossipDecryptionFailures.inc(),
        onUnsignedAccepted: () => m.agentUnsignedAccepted.inc(),
      },
    });
    m.gossipMembers = () => this.#gossip?.memberlist.numMembers() ?? 0;
    this.#log.info({ gossip: `${config.gossip.bind!.host || '*'}:${this.#gossip.port}`, keys: config.gossip.encryptionKeys.length }, 'gossip listening for agents');
  }

  get metricsPort(): number | undefined {
    return this.#metricsServer?.port;
  }

  /** What the API, dashboard and CLI read and change. */
  get control(): OverwatchControl {
    return this.#control;
  }

  /**
   * Starts checking static servers, waits for their first results (bounded by the longest check
   * timeout) so the first answers already reflect reality, then starts answering DNS.
   */
  static async start(config: Config, opts: OverwatchOptions): Promise<Overwatch> {
    const refused = unservablePolicies(config);
    if (refused.length > 0) throw new OpenGslbError('ERR_CONFIG_UNSUPPORTED', refused.join('\n'));
    // The store opens first: a corrupt or locked data_dir stops the start before anything listens,
    // and persisted overrides and servers are in the Registry before the first answer.
    const store = StateStore.open(config.dataDir);
    const ow = new Overwatch(config, store, opts);
    try {
      // Zone keys are loaded (or generated and stored) before the first Snapshot is signed.
      ow.#dnssec = openDnssec({ config, store, clock: ow.#clock, log: ow.#log, metrics: ow.metrics.registry, control: ow.#control, requestRebuild: () => ow.#scheduleRebuild(), workerSignatures: () => ow.#dns.workers().reduce((n, w) => n + w.signaturesMade, 0) });
      const restored = { ...ow.#control.restore(), agent_backends: ow.agents.restore() };
      if (restored.overrides + restored.servers + restored.agent_backends > 0) ow.#log.info(restored, 'restored state from data_dir');
      ow.#applyStatic(config);
      ow.#routing = await RoutingRuntime.open({
        config: () => ow.#config,
        store,
        registry: ow.registry,
        catalog: ow.catalog,
        clock: ow.#clock,
        log: ow.#log,
        snapshot: () => ow.#dns.snapshot,
        changed: () => ow.#scheduleRebuild(),
      });
      ow.#control.routing = ow.#routing.control;
      await ow.#firstRound(config);
      ow.#firstRoundDone = true;
      ow.#rebuildNow();
      await ow.#dns.start();
      ow.#dnsStarted = true;
      ow.#dnssec?.start(); // key sync polls peers in the background; it never delays answers
      if (config.gossip.bind) await ow.#startGossip(config);
      if (config.metrics.enabled) ow.#metricsServer = await startMetricsServer(config.metrics.listen, ow.metrics.registry);
    } catch (err) {
      await ow.close();
      throw err;
    }
    ow.#log.info(
      { dns: `${config.dns.listen.host || '*'}:${ow.dnsPort}`, zones: config.dns.zones, static_backends: ow.registry.backends().length, udp_io: ow.#dns.udpIo ?? ow.#dns.workers()[0]?.io, dns_workers: config.dns.workers },
      'overwatch serving DNS',
    );
    return ow;
  }

  get dnsPort(): number {
    return this.#dns.port;
  }

  get snapshot(): Snapshot {
    return this.#dns.snapshot;
  }

  get config(): Config {
    return this.#config;
  }

  /** Applies a validated new config (SIGHUP). Settings that need a restart are the caller's to report. */
  reload(config: Config): void {
    const refused = unservablePolicies(config);
    if (refused.length > 0) throw new OpenGslbError('ERR_CONFIG_UNSUPPORTED', refused.join('\n'));
    this.#config = config;
    this.registry.reconfigure(registrySettingsFrom(config, this.catalog.domainConfigs()));
    this.#gossip?.reconfigure(config);
    this.#applyStatic(config);
    this.#rebuildNow();
  }

  async #firstRound(config: Config): Promise<void> {
    if (this.#scheduler.size === 0) return;
    const longest = Math.max(...config.regions.map((r) => r.healthCheck.timeoutMs), 0);
    let timer: TimerHandle | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = this.#clock.setTimer(longest + 250, resolve);
    });
    await Promise.race([this.#scheduler.checkNow(), deadline]);
    timer?.cancel();
  }

  #applyStatic(config: Config): void {
    const now = this.#clock.nowMs();
    const list = staticBackends(config);
    this.registry.setStatic(list, now);
    const wanted = new Set<string>();
    for (const b of this.registry.backends()) {
      if (b.source !== 'static') continue;
      wanted.add(b.id);
      const target = { address: b.address, port: b.port };
      if (this.#scheduler.has(b.id)) this.#scheduler.update(b.id, target, b.healthCheck);
      else this.#scheduler.add(b.id, target, b.healthCheck);
    }
    for (const s of this.#scheduler.list()) {
      if (!wanted.has(s.id) && this.registry.get(s.id)?.source !== 'agent' && this.registry.get(s.id)?.source !== 'api') this.#scheduler.remove(s.id);
    }
  }

  #onCheckResult(id: string, result: ProbeResult, state: HealthTargetState): void {
    const b = this.registry.get(id);
    if (!b) return;
    if (this.#routing?.onCheckResult(b, result.ok, result.latencyMs)) this.#scheduleRebuild();
    const outcome = result.ok ? 'success' : 'failure';
    this.metrics.validationChecks.inc({ service: b.service, result: outcome });
    if (b.source === 'static') {
      const labels = { region: b.region, server: `${b.address}:${b.port}` };
      this.metrics.healthCheckResults.inc({ ...labels, result: outcome });
      this.metrics.healthCheckDuration.observe(labels, result.latencyMs / 1000);
    }
    if (b.source === 'agent' && b.agentHealthy === true && !result.ok) {
      this.metrics.vetoes.inc({ service: b.service, reason: result.error ?? 'check failed' });
    }
    // Before the thresholds reach a verdict, the latest result decides: a server found dead at
    // start-up is not served for failure_threshold intervals first.
    const healthy = state.status === 'unknown' ? result.ok : state.status === 'healthy';
    if (b.validation.healthy === healthy && b.validation.error === result.error) {
      b.validation.lastCheckMs = this.#clock.nowMs();
      b.validation.latencyMs = result.latencyMs;
      return;
    }
    this.registry.setValidation(id, healthy, this.#clock.nowMs(), result.error, result.latencyMs);
    this.#scheduleRebuild(false);
  }

  /**
   * `force` false: the change went through the Registry (agent messages, check results, time), so a
   * rebuild that finds no changed name publishes nothing. Everything else (routing data, DNSSEC
   * keys and signature refresh, API writes) forces a new Snapshot.
   */
  #scheduleRebuild(force = true): void {
    this.#rebuildForced ||= force;
    if (this.#rebuildQueued || this.#closing) return;
    this.#rebuildQueued = true;
    setImmediate(() => {
      this.#rebuildQueued = false;
      const forced = this.#rebuildForced;
      this.#rebuildForced = false;
      if (!this.#closing) this.#rebuildNow(forced);
    });
  }

  #rebuildNow(force = true): void {
    const now = this.#clock.nowMs();
    const reaped = this.registry.reapStale(now);
    this.agents.forget(reaped);
    for (const b of reaped) {
      this.#log.info({ backend: b.id, agent: b.agentId }, 'removed backend stale for longer than stale.remove_after');
    }
    const started = performance.now();
    const changes = this.registry.evaluate(now);
    for (const c of changes) {
      this.#logChange(c);
      this.metrics.healthChanges.inc({ status: c.after.status, authority: c.after.authority });
    }
    const snapshot = rebuildSnapshot(this.registry, this.#dns.snapshot, now, (input) => withSigner(input, this.#dnssec), force);
    if (snapshot === this.#dns.snapshot) return this.#armDeadline(now); // nothing changed: keep serving it
    this.#routing?.attach(snapshot);
    this.#dns.publish(snapshot);
    this.#dnssec?.service.afterBuild();
    this.metrics.snapshotBuilds.inc();
    this.metrics.snapshotBuildSeconds.observe((performance.now() - started) / 1000);
    this.#armDeadline(now);
  }

  #logChange(c: HealthChange): void {
    const b = c.backend;
    this.#log.info(
      {
        backend: b.id,
        from: c.before?.status ?? 'new',
        to: c.after.status,
        serve: c.after.serve,
        authority: c.after.authority,
        error: b.validation.error,
      },
      'backend health changed',
    );
  }

  /** Staleness is a function of time: wake up when the next agent backend turns stale or removable. */
  #armDeadline(now: number): void {
    this.#deadlineTimer?.cancel();
    const next = this.registry.nextDeadlineMs(now);
    if (next !== undefined) this.#deadlineTimer = this.#clock.setTimer(next - now, () => this.#scheduleRebuild(false));
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#deadlineTimer?.cancel();
      await this.#gossip?.close();
      await this.#metricsServer?.close();
      await this.#dns.close();
      await this.#scheduler.close();
      await this.#dnssec?.close();
      await this.#routing?.close();
      await this.store.close();
    })();
    return this.#closing;
  }
}
