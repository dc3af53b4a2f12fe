/**
 * The Overwatch's Prometheus metrics: the guide's names with the guide's meaning, plus the
 * original's that carry real data. Gauges are computed from the live state at scrape time (no
 * bookkeeping that can drift); counters are bumped where the event happens. Nothing is registered
 * that is never updated.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Authority, EffectiveStatus } from '../model/index.ts';
import type { DnsQueryStats } from './dns-query-stats.ts';

/** What the gauges read; the Overwatch's control plane satisfies it. */
export interface OverwatchMetricsSource {
  backends(): {
    source: string;
    agentId?: string;
    serve: boolean;
    isStale: boolean;
    authority: Authority;
    effectiveStatus: EffectiveStatus;
    agentLastSeenMs?: number;
    region: string;
  }[];
  overrides(): { source: string; service: string }[];
  nowMs(): number;
  pinnedAgents?(): number;
}

export interface RuntimeInfo {
  /** Abuse-limit counters of the DNS listeners. */
  limits?: () => { rateLimitedDropped: number; rateLimitedSlipped: number; tcpRefused: number };
  version: string;
  mode: string;
  nodeId: string;
  region: string;
  configuredDomains: () => number;
  configuredServers: () => number;
}

export class OverwatchMetrics {
  readonly registry = new Registry();
  readonly validationChecks: Counter<'service' | 'result'>;
  readonly healthCheckResults: Counter<'region' | 'server' | 'result'>;
  readonly healthCheckDuration: Histogram<'region' | 'server'>;
  readonly vetoes: Counter<'service' | 'reason'>;
  readonly configReloads: Counter<'result'>;
  readonly configReloadTimestamp: Gauge;
  readonly healthChanges: Counter<'status' | 'authority'>;
  readonly snapshotBuilds: Counter;
  readonly snapshotBuildSeconds: Histogram;
  readonly dnsQueryDuration: Histogram;
  readonly gossipDecryptionFailures: Counter;
  readonly gossipMessagesReceived: Counter<'type'>;
  readonly agentAuthSuccess: Counter;
  readonly agentAuthFailures: Counter<'reason'>;
  readonly agentUnsignedAccepted: Counter;
  /** Set by the gossip endpoint when it starts: the live member count. */
  gossipMembers: () => number = () => 0;
  /** Set when the REST API starts: its in-flight limit's counters. */
  apiRequests: () => { inFlight: number; refused: number } = () => ({ inFlight: 0, refused: 0 });

  constructor(source: OverwatchMetricsSource, dns: DnsQueryStats, info: RuntimeInfo) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'opengslb_' });
    const loadedAt = Date.now() / 1000;

    new Gauge({ name: 'opengslb_app_info', help: 'Build information', labelNames: ['version'], registers }).set({ version: info.version }, 1);
    new Gauge({
      name: 'opengslb_runtime_mode_info',
      help: 'Runtime mode of this process',
      labelNames: ['mode', 'node_id', 'region'],
      registers,
    }).set({ mode: info.mode, node_id: info.nodeId, region: info.region }, 1);
    new Gauge({ name: 'opengslb_config_load_timestamp_seconds', help: 'When the configuration was first loaded', registers }).set(loadedAt);
    new Gauge({
      name: 'opengslb_configured_domains',
      help: 'Domains in the configuration',
      registers,
      collect() {
        this.set(info.configuredDomains());
      },
    });
    new Gauge({
      name: 'opengslb_configured_servers',
      help: 'Static servers in the configuration',
      registers,
      collect() {
        this.set(info.configuredServers());
      },
    });

    new Counter({
      name: 'opengslb_dns_queries_total',
      help: 'DNS queries answered, by served name (empty for other names), query type and response code',
      labelNames: ['domain', 'type', 'status'],
      registers,
      collect() {
        this.reset();
        for (const c of dns.counts()) this.inc({ domain: c.domain, type: c.type, status: c.rcode }, c.count);
      },
    });
    new Counter({
      name: 'opengslb_dns_refused_total',
      help: 'Queries refused (outside every served zone, zone transfers, other classes)',
      registers,
      collect() {
        this.reset();
        this.inc(dns.refused);
      },
    });
    new Counter({
      name: 'opengslb_dns_truncated_total',
      help: 'UDP answers sent with TC=1 because they did not fit the client buffer',
      registers,
      collect() {
        this.reset();
        this.inc(dns.truncated);
      },
    });
    new Counter({
      name: 'opengslb_dns_rate_limited_total',
      help: 'UDP responses withheld by response rate limiting: dropped, or slipped (sent truncated)',
      labelNames: ['action'],
      registers,
      collect() {
        this.reset();
        const l = info.limits?.();
        this.inc({ action: 'drop' }, l?.rateLimitedDropped ?? 0);
        this.inc({ action: 'slip' }, l?.rateLimitedSlipped ?? 0);
      },
    });
    new Counter({
      name: 'opengslb_dns_tcp_connections_refused_total',
      help: 'TCP connections closed at accept: the client already held dns.tcp_max_connections_per_client, or dns.tcp_max_connections were open',
      registers,
      collect() {
        this.reset();
        this.inc(info.limits?.().tcpRefused ?? 0);
      },
    });
    this.dnsQueryDuration = new Histogram({
      name: 'opengslb_dns_query_duration_seconds',
      help: 'Time to parse, answer and hand one query to the socket (sampled 1 in 16 queries)',
      buckets: [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005],
      registers,
    });

    const byBackends = <T>(fn: (list: ReturnType<OverwatchMetricsSource['backends']>) => T) => fn(source.backends());
    new Gauge({
      name: 'opengslb_overwatch_agents_registered',
      help: 'Agents with at least one registered backend',
      registers,
      collect() {
        this.set(byBackends((l) => new Set(l.filter((b) => b.agentId).map((b) => b.agentId)).size));
      },
    });
    new Gauge({
      name: 'opengslb_overwatch_backends_total',
      help: 'Backends known to this Overwatch (static, agent and API)',
      registers,
      collect() {
        this.set(byBackends((l) => l.length));
      },
    });
    new Gauge({
      name: 'opengslb_overwatch_backends_healthy',
      help: 'Backends DNS currently hands out',
      registers,
      collect() {
        this.set(byBackends((l) => l.filter((b) => b.serve).length));
      },
    });
    new Gauge({
      name: 'opengslb_overwatch_stale_agents_total',
      help: 'Agents whose heartbeat is older than stale.threshold',
      registers,
      collect() {
        this.set(byBackends((l) => new Set(l.filter((b) => b.agentId && b.isStale).map((b) => b.agentId)).size));
      },
    });
    new Gauge({
      name: 'opengslb_overwatch_backends_by_authority',
      help: 'Backends by the authority that decided their health',
      labelNames: ['authority'],
      registers,
      collect() {
        this.reset();
        for (const a of ['override', 'external', 'validation', 'agent', 'none'] as const) this.set({ authority: a }, 0);
        for (const b of source.backends()) this.inc({ authority: b.authority });
      },
    });
    new Gauge({
      name: 'opengslb_overwatch_overrides_active',
      help: 'Overrides in force',
      registers,
      collect() {
        this.set(source.overrides().length);
      },
    });
    new Gauge({
      name: 'opengslb_overwatch_agent_heartbeat_age_seconds',
      help: 'Seconds since the last heartbeat of each agent',
      labelNames: ['agent_id', 'region'],
      registers,
      collect() {
        this.reset();
        const now = source.nowMs();
        const newest = new Map<string, { at: number; region: string }>();
        for (const b of source.backends()) {
          if (!b.agentId || b.agentLastSeenMs === undefined) continue;
          const cur = newest.get(b.agentId);
          if (!cur || cur.at < b.agentLastSeenMs) newest.set(b.agentId, { at: b.agentLastSeenMs, region: b.region });
        }
        for (const [agentId, v] of newest) this.set({ agent_id: agentId, region: v.region }, (now - v.at) / 1000);
      },
    });

    this.validationChecks = new Counter({
      name: 'opengslb_overwatch_validation_checks_total',
      help: "Health checks the Overwatch ran itself (validation of every backend's claim), by result",
      labelNames: ['service', 'result'],
      registers,
    });
    this.healthCheckResults = new Counter({
      name: 'opengslb_health_check_results_total',
      help: 'Health check results of static servers',
      labelNames: ['region', 'server', 'result'],
      registers,
    });
    this.healthCheckDuration = new Histogram({
      name: 'opengslb_health_check_duration_seconds',
      help: 'Health check duration of static servers',
      labelNames: ['region', 'server'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.vetoes = new Counter({
      name: 'opengslb_overwatch_vetoes_total',
      help: "Times validation overruled an agent's healthy claim",
      labelNames: ['service', 'reason'],
      registers,
    });
    this.configReloads = new Counter({ name: 'opengslb_config_reloads_total', help: 'SIGHUP reloads by result', labelNames: ['result'], registers });
    this.configReloadTimestamp = new Gauge({ name: 'opengslb_config_reload_timestamp_seconds', help: 'When the last successful reload happened', registers });
    this.healthChanges = new Counter({
      name: 'opengslb_overwatch_health_changes_total',
      help: 'Changes of effective health, by new status and deciding authority',
      labelNames: ['status', 'authority'],
      registers,
    });
    this.gossipDecryptionFailures = new Counter({
      name: 'opengslb_gossip_decryption_failures_total',
      help: 'Gossip packets or streams that no key of the keyring decrypts (dropped, content never logged)',
      registers,
    });
    this.gossipMessagesReceived = new Counter({
      name: 'opengslb_gossip_messages_received_total',
      help: 'OpenGSLB messages received over gossip, by type (before authentication)',
      labelNames: ['type'],
      registers,
    });
    this.agentAuthSuccess = new Counter({ name: 'opengslb_overwatch_agent_auth_success_total', help: 'Agent messages that passed authentication', registers });
    this.agentAuthFailures = new Counter({
      name: 'opengslb_overwatch_agent_auth_failures_total',
      help: 'Agent messages refused, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.agentUnsignedAccepted = new Counter({
      name: 'opengslb_overwatch_agent_unsigned_accepted_total',
      help: 'Unsigned messages from original (Go) agents accepted because gossip.allow_unsigned_agents is on',
      registers,
    });
    const self = this;
    new Gauge({
      name: 'opengslb_gossip_members_total',
      help: 'Gossip members this Overwatch sees (itself included)',
      registers,
      collect() {
        this.set(self.gossipMembers());
      },
    });
    new Gauge({
      name: 'opengslb_api_requests_in_flight',
      help: 'REST API requests being processed now (event streams not included)',
      registers,
      collect() {
        this.set(self.apiRequests().inFlight);
      },
    });
    new Counter({
      name: 'opengslb_api_requests_refused_total',
      help: 'REST API requests answered 503 at once because the in-flight limit was reached',
      registers,
      collect() {
        this.reset();
        this.inc(self.apiRequests().refused);
      },
    });
    new Gauge({
      name: 'opengslb_overwatch_agent_certs_pinned',
      help: 'Agent identities pinned (trust on first use)',
      registers,
      collect() {
        this.set(source.pinnedAgents?.() ?? 0);
      },
    });
    this.snapshotBuilds = new Counter({ name: 'opengslb_snapshot_builds_total', help: 'DNS snapshots built', registers });
    this.snapshotBuildSeconds = new Histogram({
      name: 'opengslb_snapshot_build_seconds',
      help: 'Time to rebuild the DNS snapshot after a change',
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
      registers,
    });
  }
}
