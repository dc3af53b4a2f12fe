import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { PredictiveConfig } from '../../../src/config/types.ts';
import { ManualClock } from '../../../src/lifecycle/index.ts';
import {
  PredictiveError,
  PredictiveErrorCode,
  PredictiveMonitor,
  type ErrorRateSource,
  type PredictiveHealthReport,
  type PredictiveMonitorOptions,
  type PredictiveReading,
  type PredictiveState,
  type SystemSample,
  type SystemStatsSource,
} from '../../../src/agent/predictive/index.ts';
import { startServer } from './test-server.ts';

const intervalMs = 10_000;

function predictiveConfig(overrides: Partial<PredictiveConfig> = {}): PredictiveConfig {
  return {
    enabled: true,
    checkIntervalMs: intervalMs,
    cpu: { threshold: 90, bleedDurationMs: 30_000 },
    memory: { threshold: 85, bleedDurationMs: 30_000 },
    errorRate: { threshold: 10, bleedDurationMs: 30_000, windowMs: 60_000 },
    ...overrides,
  };
}

/** A sampler whose figures the test sets; records the times it was asked at. */
class FakeSampler implements SystemStatsSource {
  cpu: number | undefined = 20;
  mem: number | undefined = 40;
  errors: string[] = [];
  readonly calls: number[] = [];
  /** When set, sample() waits for this promise (to hold a sample in flight). */
  gate: Promise<void> | undefined;
  active = 0;
  maxActive = 0;
  async sample(nowMs: number): Promise<SystemSample> {
    this.calls.push(nowMs);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.gate !== undefined) await this.gate;
      return { cpuPercent: this.cpu, cpuSource: 'host', memPercent: this.mem, memSource: 'host', errors: this.errors };
    } finally {
      this.active--;
    }
  }
}

interface Harness {
  clock: ManualClock;
  sampler: FakeSampler;
  monitor: PredictiveMonitor;
  changes: Array<{ report: PredictiveHealthReport; state: PredictiveState; previous: PredictiveState }>;
  readings: PredictiveReading[];
  errors: PredictiveError[];
  /** Advances one check interval and waits for the sample it started. */
  tick(n?: number): Promise<void>;
}

function harness(t: TestContext, options: Partial<PredictiveMonitorOptions> = {}): Harness {
  const clock = new ManualClock(1_000_000);
  const sampler = new FakeSampler();
  const changes: Harness['changes'] = [];
  const readings: PredictiveReading[] = [];
  const errors: PredictiveError[] = [];
  const monitor = new PredictiveMonitor({
    config: predictiveConfig(),
    clock,
    sampler,
    errorRateSource: null,
    onChange: (report, state, previous) => changes.push({ report, state, previous }),
    onSample: (reading) => readings.push(reading),
    onError: (err) => errors.push(err),
    ...options,
  });
  t.after(() => monitor.close());
  return {
    clock,
    sampler,
    monitor,
    changes,
    readings,
    errors,
    async tick(n = 1) {
      for (let i = 0; i < n; i++) {
        clock.advance(intervalMs);
        await monitor.idle();
      }
    },
  };
}

test('before the first sample current() is normal at full weight', (t) => {
  const { monitor } = harness(t);
  assert.deepEqual(monitor.current(), { bleeding: false, state: 'normal', weight_factor: 1 });
  assert.equal(monitor.lastReading(), undefined);
});

test('start() samples at once and then every check_interval on the clock', async (t) => {
  const h = harness(t);
  h.monitor.start();
  h.monitor.start(); // idempotent
  await h.monitor.idle();
  await h.tick(3);
  assert.deepEqual(h.sampler.calls, [1_000_000, 1_010_000, 1_020_000, 1_030_000]);
  assert.equal(h.readings.length, 4);
  assert.equal(h.clock.pendingTimers, 1);
  assert.deepEqual(h.monitor.current(), { bleeding: false, state: 'normal', weight_factor: 1, cpu_percent: 20, mem_percent: 40, error_rate: 0 });
});

test('CPU load drives bleed, drain after bleed_duration, and recovery with hysteresis; onChange on each change only', async (t) => {
  const h = harness(t);
  h.monitor.start();
  await h.monitor.idle();
  h.sampler.cpu = 97;
  await h.tick(); // t+10 s: bleeding
  assert.equal(h.monitor.current().state, 'bleeding');
  assert.equal(h.monitor.current().weight_factor, 0.5);
  assert.equal(h.monitor.current().bleed_reason, 'cpu_threshold_exceeded');
  assert.equal(h.monitor.current().bleeding_at, new Date(1_010_000).toISOString());
  await h.tick(2); // t+30 s: 20 s into the bleed
  assert.equal(h.monitor.current().state, 'bleeding');
  await h.tick(); // t+40 s: 30 s into the bleed
  assert.equal(h.monitor.current().state, 'draining');
  assert.equal(h.monitor.current().weight_factor, 0);
  h.sampler.cpu = 50;
  await h.tick(2);
  assert.equal(h.monitor.current().state, 'draining', 'two quiet samples are not enough');
  await h.tick();
  assert.equal(h.monitor.current().state, 'recovered');
  await h.tick();
  assert.equal(h.monitor.current().state, 'normal');
  assert.deepEqual(
    h.changes.map((c) => [c.previous.status, c.report.state, c.state.sinceMs]),
    [
      ['normal', 'bleeding', 1_010_000],
      ['bleeding', 'draining', 1_040_000],
      ['draining', 'recovered', 1_070_000],
      ['recovered', 'normal', 1_080_000],
    ],
  );
});

test('a load oscillating around the threshold drains once and stays drained', async (t) => {
  const h = harness(t);
  h.monitor.start();
  await h.monitor.idle();
  for (let i = 0; i < 20; i++) {
    h.sampler.mem = i % 2 === 0 ? 86 : 84;
    await h.tick();
  }
  assert.deepEqual(
    h.changes.map((c) => c.report.state),
    ['bleeding', 'draining'],
  );
  assert.equal(h.monitor.current().bleed_reason, 'memory_threshold_exceeded');
});

test('failed backend checks in the window are the error rate; they expire with the window', async (t) => {
  const h = harness(t);
  h.monitor.start();
  await h.monitor.idle();
  for (let i = 0; i < 10; i++) h.monitor.recordCheck(false);
  for (let i = 0; i < 5; i++) h.monitor.recordCheck(true);
  await h.tick();
  assert.equal(h.monitor.current().error_rate, 10);
  assert.equal(h.monitor.current().state, 'bleeding');
  assert.equal(h.monitor.current().bleed_reason, 'error_rate_threshold_exceeded');
  const reading = h.monitor.lastReading()!;
  assert.equal(reading.checkFailures, 10);
  assert.equal(reading.checks, 15);
  assert.equal(reading.endpointErrorRate, undefined);
  await h.tick(4); // t+50 s: the failures recorded at t=0 still count (they leave the window at t+60 s)
  assert.equal(h.monitor.current().state, 'draining');
  assert.equal(h.monitor.current().error_rate, 10);
  await h.tick(); // t+60 s: out of the window
  assert.equal(h.monitor.current().error_rate, 0);
  await h.tick(2);
  assert.equal(h.monitor.current().state, 'recovered');
});

test('the error rate is the higher of failed checks and the endpoint figure', async (t) => {
  let value = 4;
  const source: ErrorRateSource = { read: () => Promise.resolve(value) };
  const h = harness(t, { errorRateSource: source });
  for (let i = 0; i < 6; i++) h.monitor.recordCheck(false);
  await h.monitor.sampleNow();
  assert.equal(h.monitor.current().error_rate, 6);
  value = 25;
  await h.monitor.sampleNow();
  assert.equal(h.monitor.current().error_rate, 25);
  assert.equal(h.monitor.current().state, 'bleeding');
  assert.equal(h.monitor.lastReading()!.endpointErrorRate, 25);
  assert.equal(h.monitor.lastReading()!.checkFailures, 6);
});

test('a failing endpoint is reported once while it keeps failing and never drains by itself', async (t) => {
  let fail = true;
  let reads = 0;
  const source: ErrorRateSource = {
    read: () => {
      reads++;
      return fail ? Promise.reject(new PredictiveError(PredictiveErrorCode.EndpointFailed, 'error-rate endpoint x: HTTP 500')) : Promise.resolve(1);
    },
  };
  const h = harness(t, { errorRateSource: source });
  h.monitor.start();
  await h.monitor.idle();
  await h.tick(5);
  assert.equal(reads, 6);
  assert.equal(h.errors.length, 1);
  assert.equal(h.errors[0]!.code, PredictiveErrorCode.EndpointFailed);
  assert.match(h.errors[0]!.message, /HTTP 500/);
  assert.equal(h.monitor.current().state, 'normal');
  assert.equal(h.monitor.current().error_rate, 0);
  fail = false;
  await h.tick();
  assert.equal(h.monitor.current().error_rate, 1);
  fail = true;
  await h.tick();
  assert.equal(h.errors.length, 2, 'a failure after a success is reported again');
});

test('sampler problems are reported through onError with a stable code, once per distinct problem', async (t) => {
  const h = harness(t);
  h.sampler.errors = ['/proc/stat: EACCES'];
  h.sampler.cpu = undefined;
  h.monitor.start();
  await h.monitor.idle();
  await h.tick(2);
  assert.equal(h.errors.length, 1);
  assert.equal(h.errors[0]!.code, PredictiveErrorCode.SampleFailed);
  assert.match(h.errors[0]!.message, /EACCES/);
  assert.equal('cpu_percent' in h.monitor.current(), false);
});

test('a sampler that rejects is reported and the monitor keeps sampling', async (t) => {
  let calls = 0;
  const sampler: SystemStatsSource = {
    sample: () => {
      calls++;
      return calls === 1 ? Promise.reject(new Error('boom')) : Promise.resolve({ cpuPercent: 99, cpuSource: 'host', memPercent: 10, memSource: 'host', errors: [] });
    },
  };
  const h = harness(t, { sampler });
  h.monitor.start();
  await h.monitor.idle();
  assert.match(h.errors[0]!.message, /system sampler failed: boom/);
  await h.tick();
  assert.equal(h.monitor.current().state, 'bleeding');
});

test('a sample still in flight when the next is due makes that slot be skipped, never run twice at once', async (t) => {
  const h = harness(t);
  let release!: () => void;
  h.sampler.gate = new Promise<void>((resolve) => (release = resolve));
  h.monitor.start();
  h.clock.advance(intervalMs);
  h.clock.advance(intervalMs);
  assert.equal(h.monitor.skippedSamples, 2);
  assert.equal(h.sampler.calls.length, 1);
  h.sampler.gate = undefined;
  release();
  await h.monitor.idle();
  await h.tick();
  assert.equal(h.sampler.maxActive, 1);
  assert.deepEqual(h.sampler.calls, [1_000_000, 1_030_000], 'the grid is kept');
});

test('a wall clock that jumps backwards re-anchors the sampling grid instead of pausing sampling', async (t) => {
  let now = 5_000_000;
  const delays: number[] = [];
  let fire: (() => void) | undefined;
  const clock = {
    nowMs: () => now,
    setTimer(ms: number, fn: () => void) {
      delays.push(ms);
      fire = fn;
      return { cancel: () => (fire = undefined) };
    },
  };
  const sampler = new FakeSampler();
  const monitor = new PredictiveMonitor({ config: predictiveConfig(), clock, sampler, errorRateSource: null });
  t.after(() => monitor.close());
  monitor.start();
  await monitor.idle();
  now += intervalMs;
  fire!();
  await monitor.idle();
  now -= 3_600_000; // NTP steps the clock back an hour; the next timer still fires one interval later
  fire!();
  await monitor.idle();
  assert.deepEqual(delays, [intervalMs, intervalMs, intervalMs]);
  assert.deepEqual(sampler.calls, [5_000_000, 5_010_000, 1_410_000]);
});

test('sampleNow() works without start() and joins a sample in flight', async (t) => {
  const h = harness(t);
  h.sampler.cpu = 95;
  const [a, b] = await Promise.all([h.monitor.sampleNow(), h.monitor.sampleNow()]);
  assert.equal(h.sampler.calls.length, 1);
  assert.equal(a.state, 'bleeding');
  assert.deepEqual(a, b);
  assert.equal(h.clock.pendingTimers, 0);
});

test('a throwing listener goes to onListenerError and does not stop the monitor', async (t) => {
  const listenerErrors: unknown[] = [];
  const h = harness(t, {
    onChange: () => {
      throw new Error('listener broke');
    },
    onListenerError: (err) => listenerErrors.push(err),
  });
  h.sampler.cpu = 95;
  h.monitor.start();
  await h.monitor.idle();
  await h.tick(3);
  assert.equal(listenerErrors.length, 2); // bleeding, then draining
  assert.equal(h.monitor.current().state, 'draining');
});

test('close() cancels the timer, aborts the endpoint read in flight, fires nothing after, and is idempotent', async (t) => {
  let aborted = false;
  const source: ErrorRateSource = {
    read: (signal) =>
      new Promise<number>((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          aborted = true;
          reject(new PredictiveError(PredictiveErrorCode.EndpointFailed, 'aborted'));
        });
      }),
  };
  const h = harness(t, { errorRateSource: source });
  h.monitor.start();
  assert.equal(h.clock.pendingTimers, 1);
  await Promise.all([h.monitor.close(), h.monitor.close()]);
  assert.equal(aborted, true);
  assert.equal(h.clock.pendingTimers, 0);
  assert.equal(h.readings.length, 0);
  assert.equal(h.errors.length, 0);
  h.monitor.recordCheck(false);
  h.clock.advance(10 * intervalMs);
  assert.equal(h.sampler.calls.length, 1);
  assert.throws(() => h.monitor.start(), (err: unknown) => err instanceof PredictiveError && err.code === PredictiveErrorCode.Closed);
  await assert.rejects(h.monitor.sampleNow(), (err: unknown) => err instanceof PredictiveError && err.code === PredictiveErrorCode.Closed);
});

test('close() closes an endpoint the monitor created but not one it was given', async (t) => {
  let closed = 0;
  const given: ErrorRateSource = { read: () => Promise.resolve(0), close: () => Promise.resolve(void closed++) };
  const h = harness(t, { errorRateSource: given });
  await h.monitor.close();
  assert.equal(closed, 0);
});

test('the constructor refuses bad intervals, thresholds, tuning and endpoint URLs with InvalidConfig', () => {
  const clock = new ManualClock();
  const make = (config: PredictiveConfig, extra: Partial<PredictiveMonitorOptions> = {}) => () =>
    new PredictiveMonitor({ config, clock, sampler: new FakeSampler(), ...extra });
  const invalid = (err: unknown) => err instanceof PredictiveError && err.code === PredictiveErrorCode.InvalidConfig;
  assert.throws(make(predictiveConfig({ checkIntervalMs: 0 })), invalid);
  assert.throws(make(predictiveConfig({ cpu: { threshold: Number.NaN, bleedDurationMs: 0 } })), invalid);
  assert.throws(make(predictiveConfig({ memory: { threshold: 80, bleedDurationMs: -1 } })), invalid);
  assert.throws(make(predictiveConfig({ errorRate: { threshold: 1, bleedDurationMs: 0, windowMs: 0 } })), invalid);
  assert.throws(make(predictiveConfig(), { tuning: { recoverySamples: 0 } }), invalid);
  assert.throws(make(predictiveConfig({ errorRate: { threshold: 1, bleedDurationMs: 0, windowMs: 1000, endpoint: 'ftp://x/' } })), invalid);
});

test('drain and recovery end to end with a real HTTP error-rate endpoint as the controllable load signal', async (t) => {
  let errorRate = 0;
  const server = await startServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error_rate: errorRate }));
  });
  const config = predictiveConfig({
    errorRate: { threshold: 5, bleedDurationMs: 20_000, windowMs: 60_000, endpoint: `${server.url}/errors` },
  });
  const h = harness(t, { config, errorRateSource: undefined });
  h.monitor.start();
  await h.monitor.idle();
  assert.equal(h.monitor.current().error_rate, 0);
  errorRate = 7.5;
  await h.tick();
  assert.equal(h.monitor.current().state, 'bleeding');
  await h.tick(2);
  assert.equal(h.monitor.current().state, 'draining');
  assert.equal(h.monitor.current().error_rate, 7.5);
  errorRate = 1;
  await h.tick(3);
  assert.equal(h.monitor.current().state, 'recovered');
  assert.deepEqual(
    h.changes.map((c) => c.report.state),
    ['bleeding', 'draining', 'recovered'],
  );
  assert.equal(server.requests.length, 7);
  assert.equal(h.errors.length, 0);
});

test('with the default sampler it reads this machine (Linux)', { skip: process.platform !== 'linux' && 'Linux only' }, async (t) => {
  const h = harness(t, { sampler: undefined });
  const first = await h.monitor.sampleNow();
  assert.equal('cpu_percent' in first, false, 'the first sample only primes CPU');
  assert.ok(first.mem_percent !== undefined);
  h.clock.advance(50);
  const second = await h.monitor.sampleNow();
  assert.ok(second.cpu_percent === undefined || (second.cpu_percent >= 0 && second.cpu_percent <= 100));
  assert.deepEqual(h.errors, []);
});
