/**
 * The agent's Prometheus metrics (guide: "Agent metrics"), on its own registry and listener
 * (`metrics.address`, default 127.0.0.1:9100 in the guide's example).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class AgentMetrics {
  readonly registry = new Registry();
  readonly backendsRegistered: Gauge;
  readonly heartbeatsSent: Counter;
  readonly heartbeatFailures: Counter;
  readonly backendChecks: Counter<'service' | 'result'>;
  readonly predictiveBleeding: Gauge;

  readonly #modeInfo: Gauge<'mode' | 'node_id' | 'region'>;
  readonly #region: string;

  constructor(info: { version: string; region: string }) {
    this.#region = info.region;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'opengslb_' });
    new Gauge({ name: 'opengslb_app_info', help: 'Build information', labelNames: ['version'], registers }).set({ version: info.version }, 1);
    this.#modeInfo = new Gauge({ name: 'opengslb_runtime_mode_info', help: 'Runtime mode of this process', labelNames: ['mode', 'node_id', 'region'], registers });
    this.backendsRegistered = new Gauge({ name: 'opengslb_agent_backends_registered', help: 'Backends this agent reports', registers });
    this.heartbeatsSent = new Counter({ name: 'opengslb_agent_heartbeats_sent_total', help: 'Heartbeats sent (one per Overwatch)', registers });
    this.heartbeatFailures = new Counter({ name: 'opengslb_agent_heartbeat_failures_total', help: 'Heartbeats or authentications that could not be sent', registers });
    this.backendChecks = new Counter({
      name: 'opengslb_agent_backend_health_checks_total',
      help: 'Local health checks by result',
      labelNames: ['service', 'result'],
      registers,
    });
    this.predictiveBleeding = new Gauge({ name: 'opengslb_predictive_bleeding', help: '1 while the predictive monitor says bleed or drain', registers });
  }

  /** The agent id is known once the identity is loaded. */
  setAgentId(agentId: string): void {
    this.#modeInfo.reset();
    this.#modeInfo.set({ mode: 'agent', node_id: agentId, region: this.#region }, 1);
  }
}
