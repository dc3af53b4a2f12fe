/**
 * Wires one agent process: identity, local checks, predictive monitor (when enabled), gossip to
 * every Overwatch, the agent metrics listener, and the signals: SIGTERM/SIGINT deregister from
 * every Overwatch and leave; SIGHUP is logged (agent settings need a restart, named in the log).
 */
import type { Config } from '../config/types.ts';
import { restartRequiredChanges } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import { Agent, AgentMetrics, PredictiveMonitor, type PredictiveHealthReport } from '../agent/index.ts';
import { startMetricsServer } from '../metrics/index.ts';
import { Lifecycle, systemClock, type Closeable } from '../lifecycle/index.ts';
import { VERSION } from '../version.ts';
import { describeError } from './overwatch-process.ts';

export interface RunningAgent extends Closeable {
  agent: Agent;
  metricsPort?: number;
}

export async function startAgentProcess(config: Config, log: Logger): Promise<RunningAgent> {
  const lifecycle = new Lifecycle();
  let monitor: PredictiveMonitor | undefined;
  let agent: Agent | undefined;
  let metrics: AgentMetrics | undefined;
  try {
    if (config.predictive.enabled) {
      monitor = lifecycle.own(
        new PredictiveMonitor({
          config: config.predictive,
          clock: systemClock,
          onChange: (report: PredictiveHealthReport) => {
            log.info({ state: report.state, reason: report.bleed_reason, weight_factor: report.weight_factor }, 'predictive health changed');
            metrics?.predictiveBleeding.set(report.bleeding ? 1 : 0);
            agent?.sendSoon();
          },
          onError: (err) => log.warn({ error: err.message }, 'predictive sampling problem'),
        }),
      );
    }
    agent = await Agent.start(config, {
      log,
      predictive: monitor ? () => monitor!.current() as unknown as Record<string, unknown> : undefined,
      onCheckResult: monitor ? (ok) => monitor!.recordCheck(ok) : undefined,
      metrics: (metrics = new AgentMetrics({ version: VERSION, region: config.identity.region })),
    });
    lifecycle.own(agent);
    metrics.setAgentId(agent.identity.agentId);
    monitor?.start();
    let metricsPort: number | undefined;
    if (config.metrics.enabled) {
      const server = lifecycle.own(await startMetricsServer(config.metrics.listen, metrics.registry));
      metricsPort = server.port;
    }
    return { agent, metricsPort, close: () => lifecycle.close() };
  } catch (err) {
    await lifecycle.close();
    throw err;
  }
}

export async function runAgent(config: Config, log: Logger, reloadFrom: () => Promise<Config>): Promise<void> {
  const running = await startAgentProcess(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'received shutdown signal, deregistering and stopping');
    const deadline = setTimeout(() => process.exit(1), 10_000);
    deadline.unref();
    void running.close().then(
      () => {
        log.info('stopped');
        process.exitCode = 0;
      },
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => {
    void reloadFrom().then(
      (next) => {
        const changed = restartRequiredChanges(config, next);
        log.warn({ settings: changed }, 'agent configuration re-read; agent settings apply at the next restart');
      },
      (err: unknown) => log.error({ reason: describeError(err) }, 'configuration reload failed'),
    );
  });
}
