/**
 * PredictiveMonitor: the runtime shell around the predictive state machine (predictive-state.ts).
 * Time comes from a Clock; I/O from an injectable system sampler and error-rate source.
 *
 * - start() takes a first sample at once (CPU only primes on it, so CPU has no value yet) and then one
 *   every `checkIntervalMs`, on the grid `start + k × checkIntervalMs`. A sample still in flight when
 *   the next is due makes that slot be skipped, never run twice at once.
 * - A sample = system CPU % / memory % (SystemSampler) + error rate, fed to the state machine at the
 *   time the sample started. Error rate = failed backend checks in the last `errorRate.windowMs`
 *   (the agent calls recordCheck(ok) for every check of every backend), or the application endpoint's
 *   figure when it is higher (a read that fails leaves the checks' count alone: a broken endpoint is
 *   reported through onError and never drains a backend by itself).
 * - onChange fires when the status or reason changes; onSample after every sample (for metrics).
 *   Listener exceptions go to onListenerError and never stop the monitor.
 * - onError reports a source's failure when it starts or changes (not again every sample while the same
 *   failure goes on), with a PredictiveError; the agent logs it.
 * - The monitor does not read `enabled`: the agent creates it only when predictive health is on.
 * - close() cancels the timer, aborts an endpoint read in flight, waits for the sample to settle and
 *   closes the endpoint's connection; afterwards no callback fires. Idempotent.
 */
import type { PredictiveConfig } from '../../config/types.ts';
import type { Clock, Closeable, TimerHandle } from '../../lifecycle/index.ts';
import { CheckFailureWindow } from './check-failure-window.ts';
import { ErrorRateEndpoint, type ErrorRateSource } from './error-rate-endpoint.ts';
import { PredictiveError, PredictiveErrorCode } from './predictive-error.ts';
import { predictiveHealthReport, type PredictiveHealthReport } from './predictive-report.ts';
import {
  applyPredictiveSample,
  checkPredictiveTuning,
  defaultPredictiveTuning,
  initialPredictiveState,
  type PredictiveState,
  type PredictiveTuning,
} from './predictive-state.ts';
import { SystemSampler, type StatsSource, type SystemStatsSource } from './system-sampler.ts';

/** What one sample read, before the state machine; for metrics, the API and debugging. */
export interface PredictiveReading {
  readonly atMs: number;
  readonly cpuPercent: number | undefined;
  readonly cpuSource: StatsSource | undefined;
  readonly memPercent: number | undefined;
  readonly memSource: StatsSource | undefined;
  /** Failed backend checks in the window, and all checks in it. */
  readonly checkFailures: number;
  readonly checks: number;
  /** The endpoint's figure; undefined when none is configured or the read failed. */
  readonly endpointErrorRate: number | undefined;
  /** The error rate fed to the state machine: max(checkFailures, endpointErrorRate). */
  readonly errorRate: number;
}

export interface PredictiveMonitorOptions {
  config: PredictiveConfig;
  clock: Clock;
  /** Default: a SystemSampler on /proc and /sys/fs/cgroup. */
  sampler?: SystemStatsSource;
  /**
   * Default: an ErrorRateEndpoint on `config.errorRate.endpoint` when set, else none. `null` forces none.
   * A source given here is not closed by the monitor unless it was created by it.
   */
  errorRateSource?: ErrorRateSource | null;
  /** Deadline of one endpoint read. Default min(2000, checkIntervalMs). */
  endpointTimeoutMs?: number;
  /** Hysteresis and bleed weight; defaults in defaultPredictiveTuning. */
  tuning?: Partial<PredictiveTuning>;
  onChange?: (report: PredictiveHealthReport, state: PredictiveState, previous: PredictiveState) => void;
  onSample?: (reading: PredictiveReading, state: PredictiveState) => void;
  onError?: (err: PredictiveError) => void;
  /** Receives exceptions thrown by the callbacks above. Default: process.emitWarning. */
  onListenerError?: (err: unknown) => void;
}

function invalid(key: string, expected: string, got: unknown): PredictiveError {
  return new PredictiveError(PredictiveErrorCode.InvalidConfig, `predictive.${key}: expected ${expected}, got ${JSON.stringify(got)}`);
}

function isPositive(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function warnListenerError(err: unknown): void {
  process.emitWarning(err instanceof Error ? err : new Error(String(err)), { type: 'PredictiveMonitorListenerError' });
}

export class PredictiveMonitor implements Closeable {
  readonly #config: PredictiveConfig;
  readonly #clock: Clock;
  readonly #sampler: SystemStatsSource;
  readonly #source: ErrorRateSource | undefined;
  readonly #ownsSource: boolean;
  readonly #tuning: PredictiveTuning;
  readonly #window: CheckFailureWindow;
  readonly #onChange: PredictiveMonitorOptions['onChange'];
  readonly #onSample: PredictiveMonitorOptions['onSample'];
  readonly #onError: PredictiveMonitorOptions['onError'];
  readonly #onListenerError: (err: unknown) => void;
  #state: PredictiveState = initialPredictiveState();
  #reading: PredictiveReading | undefined;
  /** Last reported failure message per source ('system', 'endpoint'), to report changes only. */
  readonly #lastErrors = new Map<string, string>();
  #timer: TimerHandle | undefined;
  #startedAtMs: number | undefined;
  #slot = 0;
  #inFlight: Promise<void> | undefined;
  #abort = new AbortController();
  #skipped = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: PredictiveMonitorOptions) {
    const { config } = options;
    if (!isPositive(config.checkIntervalMs)) throw invalid('check_interval', 'a positive duration', config.checkIntervalMs);
    if (!isPositive(config.errorRate.windowMs)) throw invalid('error_rate.window', 'a positive duration', config.errorRate.windowMs);
    for (const [key, s] of [
      ['cpu', config.cpu],
      ['memory', config.memory],
      ['error_rate', config.errorRate],
    ] as const) {
      if (!isPositive(s.threshold)) throw invalid(`${key}.threshold`, 'a positive number', s.threshold);
      if (!(Number.isFinite(s.bleedDurationMs) && s.bleedDurationMs >= 0)) {
        throw invalid(`${key}.bleed_duration`, 'a duration >= 0', s.bleedDurationMs);
      }
    }
    const tuning = { ...defaultPredictiveTuning, ...options.tuning };
    try {
      checkPredictiveTuning(tuning);
    } catch (err) {
      throw new PredictiveError(PredictiveErrorCode.InvalidConfig, `PredictiveMonitor tuning: ${(err as Error).message}`, { cause: err });
    }
    const timeoutMs = options.endpointTimeoutMs ?? Math.min(2000, config.checkIntervalMs);
    if (!isPositive(timeoutMs)) throw invalid('error_rate endpoint timeout', 'a positive number of milliseconds', timeoutMs);
    this.#config = config;
    this.#clock = options.clock;
    this.#sampler = options.sampler ?? new SystemSampler();
    if (options.errorRateSource !== undefined) {
      this.#source = options.errorRateSource ?? undefined;
      this.#ownsSource = false;
    } else {
      this.#source = config.errorRate.endpoint === undefined ? undefined : new ErrorRateEndpoint(config.errorRate.endpoint, { timeoutMs });
      this.#ownsSource = this.#source !== undefined;
    }
    this.#tuning = tuning;
    this.#window = new CheckFailureWindow(config.errorRate.windowMs);
    this.#onChange = options.onChange;
    this.#onSample = options.onSample;
    this.#onError = options.onError;
    this.#onListenerError = options.onListenerError ?? warnListenerError;
  }

  /** Starts sampling: one sample now, then every checkIntervalMs. Idempotent; throws after close(). */
  start(): void {
    if (this.#closed) throw new PredictiveError(PredictiveErrorCode.Closed, 'PredictiveMonitor: start() after close()');
    if (this.#startedAtMs !== undefined) return;
    this.#startedAtMs = this.#clock.nowMs();
    this.#slot = 0;
    this.#schedule();
    this.#launch();
  }

  /** Records one backend check result (every check of every backend) for the error-rate signal. */
  recordCheck(ok: boolean): void {
    if (this.#closed) return;
    this.#window.record(ok, this.#clock.nowMs());
  }

  /** The predictive object for the next heartbeat. */
  current(): PredictiveHealthReport {
    return predictiveHealthReport(this.#state);
  }

  /** The full state machine state (signals, timers, counters). */
  state(): PredictiveState {
    return this.#state;
  }

  /** What the latest sample read; undefined before the first sample completes. */
  lastReading(): PredictiveReading | undefined {
    return this.#reading;
  }

  /** Due samples skipped because the previous one was still in flight. */
  get skippedSamples(): number {
    return this.#skipped;
  }

  /**
   * Takes a sample now (or joins the one in flight) and resolves once it has been applied; works
   * without start(). Resolves with the report. Rejects only after close().
   */
  async sampleNow(): Promise<PredictiveHealthReport> {
    if (this.#closed) throw new PredictiveError(PredictiveErrorCode.Closed, 'PredictiveMonitor: sampleNow() after close()');
    this.#launch();
    await this.#inFlight;
    return this.current();
  }

  /** Resolves when no sample is in flight (tests use it after advancing a ManualClock). */
  async idle(): Promise<void> {
    while (this.#inFlight !== undefined) await this.#inFlight;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#timer?.cancel();
      this.#timer = undefined;
      this.#abort.abort();
      await this.idle();
      if (this.#ownsSource) await this.#source?.close?.();
    })();
    return this.#closing;
  }

  #schedule(): void {
    if (this.#closed || this.#startedAtMs === undefined) return;
    const interval = this.#config.checkIntervalMs;
    const now = this.#clock.nowMs();
    // Next slot on the grid strictly after now, so a late timer does not cause back-to-back samples.
    this.#slot = Math.max(this.#slot + 1, Math.floor((now - this.#startedAtMs) / interval) + 1);
    let delayMs = this.#startedAtMs + this.#slot * interval - now;
    if (delayMs > interval || delayMs < 0) {
      // The wall clock jumped (backwards, or the grid is otherwise out of reach): re-anchor the grid
      // here rather than pause sampling until the clock catches up.
      this.#startedAtMs = now;
      this.#slot = 1;
      delayMs = interval;
    }
    this.#timer = this.#clock.setTimer(delayMs, () => {
      this.#timer = undefined;
      this.#schedule();
      if (this.#inFlight !== undefined) this.#skipped++;
      else this.#launch();
    });
  }

  #launch(): void {
    if (this.#closed || this.#inFlight !== undefined) return;
    const run: Promise<void> = this.#sample()
      .catch((err: unknown) => this.#noteError('monitor', `sample failed: ${describe(err)}`, PredictiveErrorCode.SampleFailed, err))
      .finally(() => {
        if (this.#inFlight === run) this.#inFlight = undefined;
      });
    this.#inFlight = run;
  }

  async #sample(): Promise<void> {
    const atMs = this.#clock.nowMs();
    const signal = this.#abort.signal;
    const [system, endpoint] = await Promise.all([
      this.#sampler.sample(atMs).then(
        (s) => ({ ok: true as const, s }),
        (err: unknown) => ({ ok: false as const, err }),
      ),
      this.#source === undefined
        ? Promise.resolve(undefined)
        : this.#source.read(signal).then(
            (v) => ({ ok: true as const, v }),
            (err: unknown) => ({ ok: false as const, err }),
          ),
    ]);
    if (this.#closed) return;

    let sys = { cpuPercent: undefined, cpuSource: undefined, memPercent: undefined, memSource: undefined } as Pick<
      PredictiveReading,
      'cpuPercent' | 'cpuSource' | 'memPercent' | 'memSource'
    >;
    if (system.ok) {
      sys = system.s;
      this.#noteError('system', system.s.errors.length === 0 ? undefined : system.s.errors.join('; '), PredictiveErrorCode.SampleFailed);
    } else {
      this.#noteError('system', `system sampler failed: ${describe(system.err)}`, PredictiveErrorCode.SampleFailed, system.err);
    }
    let endpointErrorRate: number | undefined;
    if (endpoint !== undefined) {
      if (endpoint.ok && Number.isFinite(endpoint.v) && endpoint.v >= 0) {
        endpointErrorRate = endpoint.v;
        this.#noteError('endpoint', undefined, PredictiveErrorCode.EndpointFailed);
      } else if (endpoint.ok) {
        this.#noteError('endpoint', `error-rate source returned ${String(endpoint.v)}`, PredictiveErrorCode.EndpointFailed);
      } else {
        const err = endpoint.err;
        this.#noteError('endpoint', describe(err), PredictiveErrorCode.EndpointFailed, err);
      }
    }
    const checkFailures = this.#window.failures(atMs);
    const errorRate = endpointErrorRate === undefined ? checkFailures : Math.max(checkFailures, endpointErrorRate);
    const reading: PredictiveReading = {
      atMs,
      cpuPercent: sys.cpuPercent,
      cpuSource: sys.cpuSource,
      memPercent: sys.memPercent,
      memSource: sys.memSource,
      checkFailures,
      checks: this.#window.checks(atMs),
      endpointErrorRate,
      errorRate,
    };
    const previous = this.#state;
    const step = applyPredictiveSample(
      previous,
      { cpuPercent: reading.cpuPercent, memPercent: reading.memPercent, errorRate },
      this.#config,
      atMs,
      this.#tuning,
    );
    this.#state = step.state;
    this.#reading = reading;
    if (step.changed && this.#onChange !== undefined) {
      const report = predictiveHealthReport(step.state);
      this.#call(() => this.#onChange!(report, step.state, previous));
    }
    if (this.#onSample !== undefined) this.#call(() => this.#onSample!(reading, step.state));
  }

  /** Reports a source's failure when it starts or changes; forgets it once the source works again. */
  #noteError(source: string, message: string | undefined, code: PredictiveErrorCode, cause?: unknown): void {
    if (message === undefined) {
      this.#lastErrors.delete(source);
      return;
    }
    if (this.#lastErrors.get(source) === message) return;
    this.#lastErrors.set(source, message);
    if (this.#onError === undefined) return;
    const err = cause instanceof PredictiveError ? cause : new PredictiveError(code, message, cause === undefined ? undefined : { cause });
    this.#call(() => this.#onError!(err));
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      try {
        this.#onListenerError(err);
      } catch (inner) {
        warnListenerError(inner);
      }
    }
  }
}
