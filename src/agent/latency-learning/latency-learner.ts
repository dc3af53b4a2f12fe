/**
 * The agent's latency learning (`latency_learning.enabled`): every poll_interval it reads the
 * kernel's smoothed RTT of established connections to each backend port (`ss -Htin`, iproute2; no
 * root needed), folds them per client prefix into an EWMA, and every report_interval hands each
 * backend's subnets (those with min_samples) to `onReport`, which sends a signed latency_report.
 * min_connection_age is accepted but not applied: ss does not show a connection's age.
 */
import { execFile } from 'node:child_process';
import type { AgentBackendConfig, LatencyLearningConfig } from '../../config/types.ts';
import type { Clock, Closeable, TimerHandle } from '../../lifecycle/index.ts';
import { parseSsOutput, type ConnectionRtt } from './ss-output.ts';
import { SubnetLatencyTable, clientPrefix, type SubnetLatency } from './subnet-latency-table.ts';

export type ConnectionSource = (ports: number[]) => Promise<ConnectionRtt[]>;

/** `ss -Htin state established` filtered to the backends' local ports. */
export const ssConnections: ConnectionSource = (ports) =>
  new Promise((resolve) => {
    const filter = ports.map((p) => `sport = :${p}`).join(' or ');
    execFile('ss', ['-Htin', 'state', 'established', `( ${filter} )`], { timeout: 5000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout) => {
      resolve(err ? [] : parseSsOutput(stdout));
    });
  });

export interface LatencyLearnerOptions {
  config: LatencyLearningConfig;
  backends: AgentBackendConfig[];
  clock: Clock;
  onReport: (backend: AgentBackendConfig, subnets: SubnetLatency[]) => void;
  source?: ConnectionSource;
}

export class LatencyLearner implements Closeable {
  readonly table: SubnetLatencyTable;
  readonly #o: LatencyLearnerOptions;
  #poll?: TimerHandle;
  #report?: TimerHandle;
  #closed = false;

  constructor(o: LatencyLearnerOptions) {
    this.#o = o;
    this.table = new SubnetLatencyTable(o.config.ewmaAlpha, o.config.maxSubnets, o.config.subnetTtlMs);
  }

  start(): void {
    this.#armPoll(0);
    this.#armReport();
  }

  /** One poll now (tests, and the timer). */
  async pollNow(): Promise<void> {
    const c = this.#o.config;
    const byPort = new Map<number, AgentBackendConfig[]>();
    for (const b of this.#o.backends) byPort.set(b.port, [...(byPort.get(b.port) ?? []), b]);
    const rows = await (this.#o.source ?? ssConnections)([...byPort.keys()]);
    const now = this.#o.clock.nowMs();
    for (const row of rows) {
      const prefix = clientPrefix(row.peerAddress, c.ipv4PrefixLength, c.ipv6PrefixLength);
      if (!prefix) continue;
      for (const b of byPort.get(row.localPort) ?? []) this.table.observe(`${b.address}:${b.port}`, prefix, row.rttMs, now);
    }
  }

  reportNow(): void {
    const now = this.#o.clock.nowMs();
    for (const b of this.#o.backends) {
      const subnets = this.table.report(`${b.address}:${b.port}`, this.#o.config.minSamples, now);
      if (subnets.length > 0) this.#o.onReport(b, subnets);
    }
  }

  #armPoll(ms: number): void {
    this.#poll = this.#o.clock.setTimer(ms, () => {
      void this.pollNow().finally(() => {
        if (!this.#closed) this.#armPoll(this.#o.config.pollIntervalMs);
      });
    });
  }

  #armReport(): void {
    this.#report = this.#o.clock.setTimer(this.#o.config.reportIntervalMs, () => {
      this.reportNow();
      if (!this.#closed) this.#armReport();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#poll?.cancel();
    this.#report?.cancel();
  }
}
