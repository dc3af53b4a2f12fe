import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test, type TestContext } from 'node:test';
import type { HealthCheckConfig } from '../../src/config/types.ts';
import {
  HealthError,
  HealthScheduler,
  healthTargetId,
  type HealthSchedulerOptions,
  type HealthTarget,
  type HealthTargetState,
  type HealthTransition,
  type ProbeResult,
} from '../../src/health/index.ts';
import { ManualClock } from '../../src/lifecycle/index.ts';
import { checkConfig, startHttpServer, startRawServer } from './test-servers.ts';

const pass: ProbeResult = { ok: true, latencyMs: 1 };
const failure: ProbeResult = { ok: false, latencyMs: 1, error: 'HTTP 503' };

interface Call {
  target: HealthTarget;
  check: HealthCheckConfig;
  signal: AbortSignal;
  atMs: number;
  settled: boolean;
  resolve(result: ProbeResult): void;
  reject(err: unknown): void;
}

/** A probe the test answers by hand; counts checks in flight overall and per target. */
class FakeProbe {
  readonly calls: Call[] = [];
  active = 0;
  maxActive = 0;
  readonly activeByPort = new Map<number, number>();
  maxActivePerTarget = 0;
  /** When true an abort settles the call as failed, as real probes do. */
  honoursAbort = true;
  #clock: ManualClock;
  constructor(clock: ManualClock) {
    this.#clock = clock;
  }
  readonly fn = (target: HealthTarget, check: HealthCheckConfig, signal: AbortSignal): Promise<ProbeResult> =>
    new Promise<ProbeResult>((resolve, reject) => {
      this.active++;
      this.maxActive = Math.max(this.maxActive, this.active);
      const perTarget = (this.activeByPort.get(target.port) ?? 0) + 1;
      this.activeByPort.set(target.port, perTarget);
      this.maxActivePerTarget = Math.max(this.maxActivePerTarget, perTarget);
      const settle = (): boolean => {
        if (call.settled) return false;
        call.settled = true;
        this.active--;
        this.activeByPort.set(target.port, (this.activeByPort.get(target.port) ?? 1) - 1);
        return true;
      };
      const call: Call = {
        target,
        check,
        signal,
        atMs: this.#clock.nowMs(),
        settled: false,
        resolve: (result) => settle() && resolve(result),
        reject: (err) => settle() && reject(err),
      };
      signal.addEventListener('abort', () => {
        if (this.honoursAbort) call.resolve({ ok: false, latencyMs: 0, error: 'aborted' });
      });
      this.#record(call);
    });
  callsFor(port: number): Call[] {
    return this.calls.filter((c) => c.target.port === port);
  }
  #callWaiters: Array<{ n: number; resolve(): void }> = [];
  /** Resolves once `n` calls in total have been made. */
  waitForCalls(n: number): Promise<void> {
    if (this.calls.length >= n) return Promise.resolve();
    return new Promise<void>((resolve) => this.#callWaiters.push({ n, resolve }));
  }
  #record(call: Call): void {
    this.calls.push(call);
    for (const w of this.#callWaiters.filter((w) => this.calls.length >= w.n)) {
      this.#callWaiters.splice(this.#callWaiters.indexOf(w), 1);
      w.resolve();
    }
  }
  pending(): Call[] {
    return this.calls.filter((c) => !c.settled);
  }
}

interface Recorded {
  results: Array<{ id: string; result: ProbeResult; state: HealthTargetState }>;
  transitions: Array<{ id: string; transition: HealthTransition; state: HealthTargetState }>;
  /** Resolves once `n` results in total have been recorded. */
  results_(n: number): Promise<void>;
}

function setup(t: TestContext, options: Partial<HealthSchedulerOptions> = {}) {
  const clock = new ManualClock(0);
  const fake = new FakeProbe(clock);
  const waiters: Array<{ n: number; resolve(): void }> = [];
  const rec: Recorded = {
    results: [],
    transitions: [],
    results_(n) {
      if (rec.results.length >= n) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ n, resolve }));
    },
  };
  const scheduler = new HealthScheduler({
    clock,
    probe: fake.fn,
    random: () => 0,
    onResult(id, result, state) {
      rec.results.push({ id, result, state });
      for (const w of waiters.filter((w) => rec.results.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
    onTransition(id, transition, state) {
      rec.transitions.push({ id, transition, state });
    },
    ...options,
  });
  t.after(() => scheduler.close());
  return { clock, fake, scheduler, rec };
}

const target = (port: number): HealthTarget => ({ address: '10.0.0.1', port });
const every1s = checkConfig({ intervalMs: 1000, timeoutMs: 500, failureThreshold: 2, successThreshold: 2 });

test('healthTargetId joins service, address and port with "|"', () => {
  assert.equal(healthTargetId('app.example.com', '2001:db8::1', 443), 'app.example.com|2001:db8::1|443');
});

test('first checks are spread over the interval by the jitter source', (t) => {
  let n = 0;
  const { clock, fake, scheduler } = setup(t, { random: () => n++ / 10 });
  for (let i = 0; i < 10; i++) scheduler.add(`s${i}`, target(1000 + i), every1s);
  assert.equal(fake.calls.length, 0, 'nothing fires synchronously on add');
  clock.advance(999);
  assert.deepEqual(
    fake.calls.map((c) => c.atMs),
    [0, 100, 200, 300, 400, 500, 600, 700, 800, 900],
  );
});

test('with the default random source 500 targets added together do not fire together', (t) => {
  const { clock, fake, scheduler } = setup(t, { random: undefined, maxConcurrent: 1000 });
  for (let i = 0; i < 500; i++) scheduler.add(`s${i}`, target(i + 1), every1s);
  clock.advance(0);
  assert.ok(fake.calls.length < 20, `${fake.calls.length} fired at once`);
  clock.advance(999);
  assert.equal(fake.calls.length, 500, 'every first check falls inside one interval');
  assert.ok(new Set(fake.calls.map((c) => c.atMs)).size > 200, 'first checks land on many distinct instants');
});

test('firstCheckSpreadMs narrows the window of first checks', (t) => {
  const { clock, fake, scheduler } = setup(t, { random: () => 0.999, firstCheckSpreadMs: 100 });
  scheduler.add('a', target(1), checkConfig({ intervalMs: 60_000 }));
  clock.advance(99);
  assert.equal(fake.calls.length, 1);
  assert.equal(fake.calls[0].atMs, 99);
});

test('later checks start intervalMs after the previous check started, not after it ended', async (t) => {
  const { clock, fake, scheduler, rec } = setup(t);
  scheduler.add('a', target(1), every1s);
  clock.advance(0);
  assert.equal(fake.calls.length, 1);
  clock.advance(300); // the check takes 300 ms
  fake.calls[0].resolve(pass);
  await rec.results_(1);
  clock.advance(699);
  assert.equal(fake.calls.length, 1);
  clock.advance(1);
  assert.equal(fake.calls.length, 2);
  assert.equal(fake.calls[1].atMs, 1000);
});

test('a check slower than its interval is never overlapped and the missed slots are skipped', async (t) => {
  const { clock, fake, scheduler, rec } = setup(t);
  scheduler.add('a', target(1), every1s);
  clock.advance(0);
  clock.advance(5_500); // five intervals pass while the first check hangs
  assert.equal(fake.calls.length, 1);
  assert.equal(scheduler.get('a')?.isChecking, true);
  fake.calls[0].resolve(failure);
  await rec.results_(1);
  assert.equal(fake.calls.length, 1, 'no catch-up burst after a slow check');
  clock.advance(499);
  assert.equal(fake.calls.length, 1);
  clock.advance(1);
  assert.deepEqual(fake.calls.map((c) => c.atMs), [0, 6000], 'next check on the grid 0 + k*1000');
  assert.equal(fake.maxActivePerTarget, 1);
});

test('never more than maxConcurrent checks are in flight; the rest wait in a queue', async (t) => {
  const { fake, scheduler, rec } = setup(t, { maxConcurrent: 3 });
  for (let i = 0; i < 20; i++) scheduler.add(`s${i}`, target(i + 1), every1s);
  const round = scheduler.checkNow();
  assert.equal(fake.calls.length, 3);
  assert.equal(scheduler.activeChecks, 3);
  assert.equal(scheduler.queuedChecks, 17);
  for (let done = 0; done < 20; done++) {
    fake.pending()[0].resolve(pass);
    await rec.results_(done + 1);
    assert.ok(fake.active <= 3);
  }
  await round;
  assert.equal(fake.calls.length, 20);
  assert.equal(fake.maxActive, 3);
  assert.equal(scheduler.activeChecks, 0);
  assert.equal(scheduler.queuedChecks, 0);
});

test('maxConcurrent defaults to 64', (t) => {
  const { fake, scheduler } = setup(t, { maxConcurrent: undefined });
  for (let i = 0; i < 100; i++) scheduler.add(`s${i}`, target(i + 1), every1s);
  void scheduler.checkNow();
  assert.equal(fake.calls.length, 64);
  assert.equal(scheduler.queuedChecks, 36);
});

test('checks queued behind the concurrency bound start in the order they fell due', async (t) => {
  const { clock, fake, scheduler, rec } = setup(t, { maxConcurrent: 1, random: () => 0.5 });
  scheduler.add('late', target(2), checkConfig({ intervalMs: 2000 })); // due at 1000
  scheduler.add('early', target(1), checkConfig({ intervalMs: 1000 })); // due at 500
  clock.advance(1000);
  assert.deepEqual(fake.calls.map((c) => c.target.port), [1]);
  fake.calls[0].resolve(pass);
  await rec.results_(1);
  assert.deepEqual(fake.calls.map((c) => [c.target.port, c.atMs]), [[1, 500], [2, 1000]]);
});

test('thresholds turn results into transitions and every result is reported', async (t) => {
  const { clock, fake, scheduler, rec } = setup(t);
  scheduler.add('a', target(1), every1s);
  const sequence = [pass, pass, failure, failure, pass];
  for (let i = 0; i < sequence.length; i++) {
    clock.advance(i === 0 ? 0 : 1000);
    fake.calls[i].resolve(sequence[i]);
    await rec.results_(i + 1);
  }
  assert.deepEqual(rec.results.map((r) => r.state.status), ['unknown', 'healthy', 'healthy', 'unhealthy', 'unhealthy']);
  assert.deepEqual(rec.results.map((r) => r.result), sequence);
  assert.deepEqual(
    rec.transitions.map((r) => [r.id, r.transition.from, r.transition.to, r.transition.cause, r.transition.atMs]),
    [
      ['a', 'unknown', 'healthy', 'check', 1000],
      ['a', 'healthy', 'unhealthy', 'check', 3000],
    ],
  );
  const state = scheduler.get('a');
  assert.ok(state);
  assert.equal(state.status, 'unhealthy');
  assert.equal(state.consecutiveSuccesses, 1);
  assert.equal(state.consecutiveFailures, 0);
  assert.deepEqual(state.lastResult, pass);
  assert.equal(state.lastCheckStartedMs, 4000);
  assert.equal(state.lastCheckCompletedMs, 4000);
  assert.equal(state.lastTransitionMs, 3000);
  assert.equal(state.isChecking, false);
});

test('initialStatus applies to every target, and per target when given to add()', async (t) => {
  const { clock, fake, scheduler, rec } = setup(t, { initialStatus: 'healthy' });
  scheduler.add('static', target(1), every1s);
  scheduler.add('agent', target(2), every1s, { initialStatus: 'unhealthy' });
  assert.equal(scheduler.get('static')?.status, 'healthy');
  assert.equal(scheduler.get('agent')?.status, 'unhealthy');
  clock.advance(0);
  fake.callsFor(1)[0].resolve(failure);
  fake.callsFor(2)[0].resolve(pass);
  await rec.results_(2);
  assert.equal(scheduler.get('static')?.status, 'healthy', 'one failure is below failureThreshold 2');
  assert.equal(scheduler.get('agent')?.status, 'unhealthy', 'one pass is below successThreshold 2');
  assert.equal(rec.transitions.length, 0);
});

test('checkNow(id) checks at once and resolves after the result; the next check follows from its start', async (t) => {
  const { clock, fake, scheduler, rec } = setup(t, { random: () => 0.9 });
  scheduler.add('a', target(1), every1s);
  clock.advance(100);
  assert.equal(fake.calls.length, 0, 'first check is due at 900');
  let done = false;
  const now = scheduler.checkNow('a').then(() => (done = true));
  assert.equal(fake.calls.length, 1);
  assert.equal(fake.calls[0].atMs, 100);
  await Promise.resolve();
  assert.equal(done, false);
  fake.calls[0].resolve(pass);
  await now;
  assert.equal(rec.results.length, 1);
  clock.advance(999);
  assert.equal(fake.calls.length, 1, 'the jittered first check (due at 900) was replaced');
  clock.advance(1);
  assert.equal(fake.calls[1].atMs, 1100);
});

test('checkNow() on a target with a check in flight runs a fresh check right after it', async (t) => {
  const { clock, fake, scheduler, rec } = setup(t);
  scheduler.add('a', target(1), every1s);
  clock.advance(0);
  let done = false;
  const now = scheduler.checkNow('a').then(() => (done = true));
  assert.equal(fake.calls.length, 1, 'no second check while one is in flight');
  fake.calls[0].resolve(failure);
  await rec.results_(1);
  assert.equal(fake.calls.length, 2, 'the requested check starts as soon as the first settles');
  assert.equal(done, false, 'resolves with the fresh result, not the one already in flight');
  fake.calls[1].resolve(pass);
  await now;
  assert.equal(rec.results.length, 2);
  assert.equal(fake.maxActivePerTarget, 1);
});

test('checkNow() with no id checks every target; an unknown id rejects with ERR_HEALTH_UNKNOWN_TARGET', async (t) => {
  const { fake, scheduler } = setup(t);
  scheduler.add('a', target(1), every1s);
  scheduler.add('b', target(2), every1s);
  const round = scheduler.checkNow();
  assert.deepEqual(fake.calls.map((c) => c.target.port), [1, 2]);
  for (const c of fake.calls) c.resolve(pass);
  await round;
  await assert.rejects(scheduler.checkNow('nope'), (err: unknown) => err instanceof HealthError && err.code === 'ERR_HEALTH_UNKNOWN_TARGET');
});

test('update() with the same target and request keeps status and counters and applies a new interval', async (t) => {
  const { clock, fake, scheduler, rec } = setup(t);
  scheduler.add('a', target(1), every1s);
  for (let i = 0; i < 2; i++) {
    clock.advance(i === 0 ? 0 : 1000);
    fake.calls[i].resolve(pass);
    await rec.results_(i + 1);
  }
  assert.equal(scheduler.get('a')?.status, 'healthy');
  scheduler.update('a', target(1), { ...every1s, intervalMs: 5000, failureThreshold: 1 });
  const state = scheduler.get('a');
  assert.equal(state?.status, 'healthy');
  assert.equal(state?.consecutiveSuccesses, 2);
  assert.equal(state?.check.intervalMs, 5000);
  clock.advance(4999);
  assert.equal(fake.calls.length, 2, 'next check moved to last start (1000) + 5000');
  clock.advance(1);
  assert.equal(fake.calls[2].atMs, 6000);
  fake.calls[2].resolve(failure);
  await rec.results_(3);
  assert.equal(scheduler.get('a')?.status, 'unhealthy', 'the new failureThreshold of 1 applies');
  assert.equal(rec.transitions.filter((r) => r.transition.cause === 'reset').length, 0);
});

test('update() that changes the path resets state, aborts the in-flight check and discards its result', async (t) => {
  const { clock, fake, scheduler, rec } = setup(t);
  scheduler.add('a', target(1), every1s);
  for (let i = 0; i < 2; i++) {
    clock.advance(i === 0 ? 0 : 1000);
    fake.calls[i].resolve(pass);
    await rec.results_(i + 1);
  }
  fake.honoursAbort = false;
  clock.advance(1000);
  const inFlight = fake.calls[2];
  scheduler.update('a', target(1), { ...every1s, path: '/ready' });
  assert.equal(inFlight.signal.aborted, true);
  assert.deepEqual(
    rec.transitions.map((r) => [r.transition.from, r.transition.to, r.transition.cause]),
    [
      ['unknown', 'healthy', 'check'],
      ['healthy', 'unknown', 'reset'],
    ],
  );
  const state = scheduler.get('a');
  assert.deepEqual(
    [state?.status, state?.consecutiveSuccesses, state?.lastResult, state?.check.path],
    ['unknown', 0, undefined, '/ready'],
  );
  clock.advance(5000);
  assert.equal(fake.calls.length, 3, 'no new check while the aborted one has not settled');
  const fresh = scheduler.checkNow('a'); // asked while the aborted check is still settling
  inFlight.resolve(pass);
  await fake.waitForCalls(4);
  assert.equal(rec.results.length, 2, 'the aborted check’s result is discarded');
  assert.equal(fake.calls[3].check.path, '/ready');
  fake.calls[3].resolve(failure);
  await fresh;
  assert.equal(rec.results.length, 3);
  assert.deepEqual([rec.results[2].result, rec.results[2].state.check.path], [failure, '/ready']);
});

test('update() that changes the address resets a waiting target and respreads its first check', async (t) => {
  const { clock, fake, scheduler, rec } = setup(t, { random: () => 0.5 });
  scheduler.add('a', target(1), every1s);
  clock.advance(500);
  fake.calls[0].resolve(failure);
  await rec.results_(1);
  scheduler.update('a', { address: '10.0.0.2', port: 1 }, every1s);
  assert.equal(scheduler.get('a')?.consecutiveFailures, 0);
  assert.equal(rec.transitions.length, 0, 'unknown -> unknown is no transition');
  clock.advance(500);
  assert.equal(fake.calls.length, 2);
  assert.equal(fake.calls[1].target.address, '10.0.0.2');
});

test('add() refuses a duplicate id and update() an unknown one', (t) => {
  const { scheduler } = setup(t);
  scheduler.add('a', target(1), every1s);
  assert.throws(() => scheduler.add('a', target(1), every1s), { code: 'ERR_HEALTH_DUPLICATE_TARGET' });
  assert.throws(() => scheduler.update('b', target(1), every1s), { code: 'ERR_HEALTH_UNKNOWN_TARGET' });
});

test('invalid check definitions are refused with the key, the expectation and the value', (t) => {
  const { scheduler } = setup(t);
  assert.throws(() => scheduler.add('a', target(1), { ...every1s, intervalMs: 0 }), {
    code: 'ERR_HEALTH_INVALID_CHECK',
    message: 'health target "a": check.intervalMs: expected a positive number of milliseconds, got 0',
  });
  assert.throws(() => scheduler.add('a', target(70000), every1s), { message: /port: expected an integer 1-65535, got 70000/ });
  assert.throws(() => scheduler.add('a', target(1), { ...every1s, successThreshold: 1.5 }), {
    message: /check.successThreshold: expected an integer >= 1, got 1.5/,
  });
  assert.throws(() => scheduler.add('a', target(1), { ...every1s, type: 'udp' as never }), { message: /check.type: expected http, https or tcp, got "udp"/ });
  assert.throws(() => new HealthScheduler({ clock: new ManualClock(), maxConcurrent: 0 }), { code: 'ERR_HEALTH_INVALID_CHECK' });
  assert.equal(scheduler.size, 0);
});

test('remove() aborts the in-flight check, cancels its timer and silences it', async (t) => {
  const { clock, fake, scheduler, rec } = setup(t);
  scheduler.add('a', target(1), every1s);
  scheduler.add('b', target(2), every1s);
  clock.advance(0);
  const waiting = scheduler.checkNow('a');
  assert.equal(scheduler.remove('a'), true);
  assert.equal(fake.callsFor(1)[0].signal.aborted, true);
  await waiting; // a checkNow waiter is released, not left hanging
  assert.equal(scheduler.has('a'), false);
  assert.equal(scheduler.get('a'), undefined);
  assert.equal(scheduler.remove('a'), false);
  fake.callsFor(2)[0].resolve(pass);
  await rec.results_(1);
  clock.advance(10_000);
  assert.equal(fake.callsFor(1).length, 1);
  assert.deepEqual(rec.results.map((r) => r.id), ['b']);
  assert.equal(scheduler.activeChecks, 1, 'b is checked again; a is gone');
});

test('a removed target that was queued never starts and frees its place', async (t) => {
  const { fake, scheduler, rec } = setup(t, { maxConcurrent: 1 });
  scheduler.add('a', target(1), every1s);
  scheduler.add('b', target(2), every1s);
  void scheduler.checkNow();
  assert.equal(scheduler.queuedChecks, 1);
  scheduler.remove('b');
  assert.equal(scheduler.queuedChecks, 0);
  fake.calls[0].resolve(pass);
  await rec.results_(1);
  assert.equal(fake.calls.length, 1);
  assert.equal(scheduler.activeChecks, 0);
});

test('close() aborts in-flight checks, cancels every timer, fires nothing afterwards and is idempotent', async (t) => {
  const { clock, fake, scheduler, rec } = setup(t);
  for (let i = 0; i < 5; i++) scheduler.add(`s${i}`, target(i + 1), every1s);
  clock.advance(0);
  assert.equal(fake.calls.length, 5);
  scheduler.add('later', target(99), checkConfig({ intervalMs: 60_000 }));
  const first = scheduler.close();
  assert.equal(scheduler.close(), first);
  assert.ok(fake.calls.every((c) => c.signal.aborted));
  await first;
  assert.equal(clock.pendingTimers, 0);
  assert.equal(rec.results.length, 0, 'aborted checks report nothing after close');
  clock.advance(120_000);
  assert.equal(fake.calls.length, 5);
  assert.throws(() => scheduler.add('x', target(7), every1s), { code: 'ERR_HEALTH_CLOSED' });
  await scheduler.checkNow(); // resolves, checks nothing
  assert.equal(scheduler.get('s0')?.status, 'unknown', 'state stays readable after close');
});

test('close() waits for a probe that settles late, so no socket outlives it', async (t) => {
  const { clock, fake, scheduler } = setup(t);
  fake.honoursAbort = false;
  scheduler.add('a', target(1), every1s);
  clock.advance(0);
  let closed = false;
  const closing = scheduler.close().then(() => (closed = true));
  await Promise.resolve();
  assert.equal(closed, false);
  fake.calls[0].resolve(pass);
  await closing;
  assert.equal(scheduler.activeChecks, 0);
});

test('a probe that throws or rejects counts as a failed check', async (t) => {
  let throwSync = true;
  const clock = new ManualClock();
  const results: ProbeResult[] = [];
  const scheduler = new HealthScheduler({
    clock,
    random: () => 0,
    probe: () => {
      if (throwSync) throw new TypeError('boom');
      return Promise.reject(Object.assign(new Error('x'), { code: 'EWHATEVER' }));
    },
    onResult: (_id, result) => results.push(result),
  });
  t.after(() => scheduler.close());
  scheduler.add('a', target(1), every1s);
  await scheduler.checkNow('a');
  throwSync = false;
  await scheduler.checkNow('a');
  assert.deepEqual(results, [
    { ok: false, latencyMs: 0, error: 'probe threw: TypeError' },
    { ok: false, latencyMs: 0, error: 'probe threw: EWHATEVER' },
  ]);
});

test('a throwing listener is reported and does not stop scheduling', async (t) => {
  const errors: unknown[] = [];
  let reported!: () => void;
  const wasReported = new Promise<void>((resolve) => (reported = resolve));
  const { clock, fake, scheduler } = setup(t, {
    onResult: () => {
      throw new Error('listener bug');
    },
    onListenerError: (err, id) => {
      errors.push([id, (err as Error).message]);
      reported();
    },
  });
  scheduler.add('a', target(1), every1s);
  clock.advance(0);
  fake.calls[0].resolve(pass);
  await wasReported;
  assert.deepEqual(errors, [['a', 'listener bug']]);
  clock.advance(1000);
  assert.equal(fake.calls.length, 2, 'the next check still runs on time');
});

test('with the real probe: a backend is checked over HTTP and turns healthy after successThreshold passes', async (t) => {
  const { port } = await startHttpServer(t, (_req, res) => res.end('ok'));
  const transitions: HealthTransition[] = [];
  const scheduler = new HealthScheduler({ clock: new ManualClock(), onTransition: (_id, tr) => transitions.push(tr) });
  t.after(() => scheduler.close());
  scheduler.add(healthTargetId('app.test', '127.0.0.1', port), { address: '127.0.0.1', port }, checkConfig());
  const id = healthTargetId('app.test', '127.0.0.1', port);
  await scheduler.checkNow(id);
  assert.equal(scheduler.get(id)?.status, 'unknown');
  await scheduler.checkNow(id);
  assert.equal(scheduler.get(id)?.status, 'healthy');
  assert.equal(scheduler.get(id)?.lastResult?.statusCode, 200);
  assert.deepEqual(transitions.map((tr) => tr.to), ['healthy']);
});

test('with the real probe: a hanging backend times out and its checks never pile up', async (t) => {
  const { server, port, sockets } = await startRawServer(t, () => {});
  const clock = new ManualClock();
  const results: ProbeResult[] = [];
  const scheduler = new HealthScheduler({ clock, random: () => 0, onResult: (_id, r) => results.push(r) });
  t.after(() => scheduler.close());
  scheduler.add('hang', { address: '127.0.0.1', port }, checkConfig({ intervalMs: 100, timeoutMs: 300 }));
  const accepted = once(server, 'connection');
  clock.advance(0);
  await accepted;
  for (let i = 0; i < 50; i++) clock.advance(100); // 50 intervals pass while the check hangs
  assert.equal(sockets.length, 1, 'one connection, however many intervals pass');
  const done = scheduler.checkNow('hang');
  await done; // waits for the hanging check to time out, then the requested fresh one
  assert.deepEqual(results.map((r) => r.error), ['timeout after 300ms', 'timeout after 300ms']);
  assert.equal(sockets.length, 2);
});

test('close() aborts a real in-flight check promptly', async (t) => {
  const { server, port } = await startRawServer(t, () => {});
  const clock = new ManualClock();
  const scheduler = new HealthScheduler({ clock, random: () => 0 });
  scheduler.add('hang', { address: '127.0.0.1', port }, checkConfig({ timeoutMs: 30_000 }));
  const accepted = once(server, 'connection');
  clock.advance(0);
  const [socket] = (await accepted) as [import('node:net').Socket];
  const started = performance.now();
  await scheduler.close();
  assert.ok(performance.now() - started < 1000);
  if (!socket.closed) await once(socket, 'close');
});
