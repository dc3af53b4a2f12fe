/**
 * HealthScheduler: runs the checks of a changing set of targets and folds results through the
 * threshold state machine (threshold-state.ts). The runtime shell around pure logic: time comes from
 * a Clock, I/O from an injectable probe function.
 *
 * Invariants:
 * - At most one check per target is in flight; a target whose check outlasts its interval is not
 *   checked again until that check settles, and then on the next slot of its grid
 *   (`start + k * intervalMs`), so missed slots are skipped rather than run back to back.
 * - At most `maxConcurrent` checks are in flight in total; due targets wait in a FIFO queue.
 * - A new target's first check is spread uniformly over [0, firstCheckSpreadMs ?? intervalMs) so that
 *   thousands of targets added together do not fire together; later checks start `intervalMs` after
 *   the previous check's start (its real start, after any queueing).
 * - A result is applied only if the target still exists with the definition the check ran with;
 *   after close() no callback fires and no timer remains.
 */
import type { HealthCheckConfig, HealthCheckType } from '../config/types.ts';
import type { Clock, Closeable, TimerHandle } from '../lifecycle/index.ts';
import { describeProbeError } from './describe-probe-error.ts';
import { HealthError, HealthErrorCode } from './health-error.ts';
import { probe as defaultProbe, type HealthTarget, type ProbeFn, type ProbeResult } from './probe.ts';
import { applyCheckResult, initialThresholdState, type HealthStatus, type ThresholdState } from './threshold-state.ts';

/** The id the Overwatch and the agent use for a backend's check: `service|address|port`. */
export function healthTargetId(service: string, address: string, port: number): string {
  return `${service}|${address}|${port}`;
}

/** A read-only copy of one target's health, as get() returns it and callbacks receive it. */
export interface HealthTargetState {
  readonly id: string;
  readonly target: HealthTarget;
  readonly check: HealthCheckConfig;
  readonly status: HealthStatus;
  readonly consecutiveSuccesses: number;
  readonly consecutiveFailures: number;
  /** The latest applied result; undefined before the first check and after a definition change. */
  readonly lastResult: Readonly<ProbeResult> | undefined;
  /** Clock time the latest applied check started / completed. */
  readonly lastCheckStartedMs: number | undefined;
  readonly lastCheckCompletedMs: number | undefined;
  /** Clock time of the latest status change (by a result or a reset); undefined if none yet. */
  readonly lastTransitionMs: number | undefined;
  /** True while a check of this target is in flight. */
  readonly isChecking: boolean;
}

export interface HealthTransition {
  readonly from: HealthStatus;
  readonly to: HealthStatus;
  /** `check`: a result crossed a threshold. `reset`: update() changed what is probed. */
  readonly cause: 'check' | 'reset';
  readonly atMs: number;
}

export interface HealthSchedulerOptions {
  clock: Clock;
  /** Runs one check; must honour the signal and never reject. Defaults to the real http/https/tcp probe. */
  probe?: ProbeFn;
  /** Checks in flight at once across all targets. Default 64. */
  maxConcurrent?: number;
  /** Status of a target before its thresholds are first met (also after a reset). Default `unknown`. */
  initialStatus?: HealthStatus;
  /** Window over which new targets' first checks are spread. Default: each target's intervalMs. */
  firstCheckSpreadMs?: number;
  /** Source of jitter in [0, 1). Default Math.random. */
  random?: () => number;
  /** Called after every applied result, with the state that result produced. */
  onResult?: (id: string, result: ProbeResult, state: HealthTargetState) => void;
  /** Called after every status change (called after onResult for the same result). */
  onTransition?: (id: string, transition: HealthTransition, state: HealthTargetState) => void;
  /** Receives exceptions thrown by onResult/onTransition. Default: process.emitWarning. */
  onListenerError?: (err: unknown, id: string) => void;
}

export interface AddTargetOptions {
  /** Overrides the scheduler's initialStatus for this target (e.g. `unhealthy` for agent backends). */
  initialStatus?: HealthStatus;
}

interface Entry {
  readonly id: string;
  target: HealthTarget;
  check: HealthCheckConfig;
  readonly initialStatus: HealthStatus;
  state: ThresholdState;
  lastResult: ProbeResult | undefined;
  lastCheckStartedMs: number | undefined;
  lastCheckCompletedMs: number | undefined;
  lastTransitionMs: number | undefined;
  /** Bumped when what is probed changes; a check started under an older generation is discarded. */
  generation: number;
  timer: TimerHandle | undefined;
  queued: boolean;
  /** Defined exactly while a check is in flight. */
  controller: AbortController | undefined;
  /** A timer fell due while a check was in flight: check again as soon as it settles. */
  rerun: boolean;
  /** checkNow() callers waiting for a check that has not started yet / for the one in flight. */
  waitingNext: Array<() => void>;
  waitingCurrent: Array<() => void>;
  removed: boolean;
}

const checkTypes: ReadonlySet<HealthCheckType> = new Set(['http', 'https', 'tcp']);
const statuses: ReadonlySet<HealthStatus> = new Set(['unknown', 'healthy', 'unhealthy']);

function invalid(where: string, key: string, expected: string, got: unknown): HealthError {
  return new HealthError(HealthErrorCode.InvalidCheck, `${where}: ${key}: expected ${expected}, got ${JSON.stringify(got)}`);
}

function validateDefinition(id: string, target: HealthTarget, check: HealthCheckConfig): void {
  const where = `health target ${JSON.stringify(id)}`;
  if (typeof target.address !== 'string' || target.address === '') {
    throw invalid(where, 'address', 'a non-empty address', target.address);
  }
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw invalid(where, 'port', 'an integer 1-65535', target.port);
  }
  if (!checkTypes.has(check.type)) throw invalid(where, 'check.type', 'http, https or tcp', check.type);
  if (typeof check.path !== 'string') throw invalid(where, 'check.path', 'a string', check.path);
  for (const key of ['intervalMs', 'timeoutMs'] as const) {
    const v = check[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw invalid(where, `check.${key}`, 'a positive number of milliseconds', v);
    }
  }
  for (const key of ['failureThreshold', 'successThreshold'] as const) {
    const v = check[key];
    if (!Number.isInteger(v) || v < 1) throw invalid(where, `check.${key}`, 'an integer >= 1', v);
  }
}

/** Same target and same request: the state earned so far still describes it. */
function probesSameThing(entry: Entry, target: HealthTarget, check: HealthCheckConfig): boolean {
  return (
    entry.target.address === target.address &&
    entry.target.port === target.port &&
    entry.check.type === check.type &&
    entry.check.path === check.path &&
    entry.check.host === check.host
  );
}

function normalizeResult(value: unknown): ProbeResult {
  if (typeof value === 'object' && value !== null && typeof (value as ProbeResult).ok === 'boolean') {
    return value as ProbeResult;
  }
  return { ok: false, latencyMs: 0, error: 'probe returned no result' };
}

function resolveAll(waiters: Array<() => void>): void {
  for (const resolve of waiters) resolve();
}

function warnListenerError(err: unknown, id: string): void {
  process.emitWarning(err instanceof Error ? err : new Error(String(err)), {
    type: 'HealthSchedulerListenerError',
    detail: `health target ${id}`,
  });
}

export class HealthScheduler implements Closeable {
  readonly #clock: Clock;
  readonly #probe: ProbeFn;
  readonly #maxConcurrent: number;
  readonly #initialStatus: HealthStatus;
  readonly #firstCheckSpreadMs: number | undefined;
  readonly #random: () => number;
  readonly #onResult: HealthSchedulerOptions['onResult'];
  readonly #onTransition: HealthSchedulerOptions['onTransition'];
  readonly #onListenerError: (err: unknown, id: string) => void;
  readonly #entries = new Map<string, Entry>();
  /** FIFO of due targets; a Set so remove() is O(1) and a target is queued at most once. */
  readonly #queue = new Set<Entry>();
  /** Settlement of every check in flight, including those of removed targets; close() awaits them. */
  readonly #inFlight = new Set<Promise<void>>();
  #running = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: HealthSchedulerOptions) {
    const maxConcurrent = options.maxConcurrent ?? 64;
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
      throw invalid('HealthScheduler', 'maxConcurrent', 'an integer >= 1', maxConcurrent);
    }
    const spread = options.firstCheckSpreadMs;
    if (spread !== undefined && (!Number.isFinite(spread) || spread < 0)) {
      throw invalid('HealthScheduler', 'firstCheckSpreadMs', 'a number of milliseconds >= 0', spread);
    }
    const initialStatus = options.initialStatus ?? 'unknown';
    if (!statuses.has(initialStatus)) {
      throw invalid('HealthScheduler', 'initialStatus', 'unknown, healthy or unhealthy', initialStatus);
    }
    this.#clock = options.clock;
    this.#probe = options.probe ?? defaultProbe;
    this.#maxConcurrent = maxConcurrent;
    this.#initialStatus = initialStatus;
    this.#firstCheckSpreadMs = spread;
    this.#random = options.random ?? Math.random;
    this.#onResult = options.onResult;
    this.#onTransition = options.onTransition;
    this.#onListenerError = options.onListenerError ?? warnListenerError;
  }

  /** Starts checking a new target; its first check falls at a random point of the spread window. */
  add(id: string, target: HealthTarget, check: HealthCheckConfig, options: AddTargetOptions = {}): void {
    this.#assertOpen();
    if (this.#entries.has(id)) {
      throw new HealthError(HealthErrorCode.DuplicateTarget, `health target ${JSON.stringify(id)} is already scheduled`);
    }
    validateDefinition(id, target, check);
    const initialStatus = options.initialStatus ?? this.#initialStatus;
    if (!statuses.has(initialStatus)) {
      throw invalid(`health target ${JSON.stringify(id)}`, 'initialStatus', 'unknown, healthy or unhealthy', initialStatus);
    }
    const entry: Entry = {
      id,
      target: { address: target.address, port: target.port },
      check: { ...check },
      initialStatus,
      state: initialThresholdState(initialStatus),
      lastResult: undefined,
      lastCheckStartedMs: undefined,
      lastCheckCompletedMs: undefined,
      lastTransitionMs: undefined,
      generation: 0,
      timer: undefined,
      queued: false,
      controller: undefined,
      rerun: false,
      waitingNext: [],
      waitingCurrent: [],
      removed: false,
    };
    this.#entries.set(id, entry);
    this.#scheduleFirst(entry);
  }

  /**
   * Replaces a target's address/port or check definition.
   * - Same address, port, type, path and host: status and counters are kept; a new interval takes
   *   effect from the last check's start, new thresholds and timeout from the next result/check.
   * - Anything of those changed: the in-flight check is aborted and its result discarded, the state
   *   resets to the target's initial status (a `reset` transition fires if that changes the status),
   *   and the first check of the new definition is spread like a new target's.
   */
  update(id: string, target: HealthTarget, check: HealthCheckConfig): void {
    this.#assertOpen();
    const entry = this.#entries.get(id);
    if (entry === undefined) {
      throw new HealthError(HealthErrorCode.UnknownTarget, `health target ${JSON.stringify(id)} is not scheduled`);
    }
    validateDefinition(id, target, check);
    const isSameProbe = probesSameThing(entry, target, check);
    const previousIntervalMs = entry.check.intervalMs;
    entry.target = { address: target.address, port: target.port };
    entry.check = { ...check };
    if (isSameProbe) {
      if (check.intervalMs !== previousIntervalMs && entry.timer !== undefined && entry.lastCheckStartedMs !== undefined) {
        this.#setTimer(entry, Math.max(0, entry.lastCheckStartedMs + check.intervalMs - this.#clock.nowMs()));
      }
      return;
    }
    entry.generation++;
    const from = entry.state.status;
    entry.state = initialThresholdState(entry.initialStatus);
    entry.lastResult = undefined;
    entry.lastCheckStartedMs = undefined;
    entry.lastCheckCompletedMs = undefined;
    if (entry.controller !== undefined) {
      // checkNow() callers asked for a result: they get the new definition's, not the aborted one.
      entry.waitingNext.push(...entry.waitingCurrent);
      entry.waitingCurrent = [];
      entry.controller.abort();
      // #finish schedules the new definition's first check once the aborted one settles.
    } else if (!entry.queued) {
      this.#scheduleFirst(entry);
    }
    if (entry.state.status !== from) {
      const atMs = this.#clock.nowMs();
      entry.lastTransitionMs = atMs;
      this.#emitTransition(entry, { from, to: entry.state.status, cause: 'reset', atMs });
    }
  }

  /** Stops checking a target and aborts its in-flight check; no callback fires for it afterwards. */
  remove(id: string): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#entries.delete(id);
    entry.removed = true;
    entry.timer?.cancel();
    entry.timer = undefined;
    this.#queue.delete(entry);
    entry.queued = false;
    entry.controller?.abort();
    resolveAll(entry.waitingNext);
    entry.waitingNext = [];
    return true;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  get(id: string): HealthTargetState | undefined {
    const entry = this.#entries.get(id);
    return entry === undefined ? undefined : this.#stateOf(entry);
  }

  list(): HealthTargetState[] {
    return Array.from(this.#entries.values(), (entry) => this.#stateOf(entry));
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Checks in flight now (including aborted ones that have not settled yet). */
  get activeChecks(): number {
    return this.#running;
  }

  /** Targets due and waiting for a concurrency slot. */
  get queuedChecks(): number {
    return this.#queue.size;
  }

  /**
   * Checks one target (or all) now, ahead of its timer, still within the concurrency bound. A target
   * with a check in flight is checked again right after it. Resolves when every requested check has
   * completed (or its target was removed, or the scheduler closed); rejects only for an unknown id.
   * The target's next periodic check follows `intervalMs` after this check's start.
   */
  checkNow(id?: string): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (id !== undefined) {
      const entry = this.#entries.get(id);
      if (entry === undefined) {
        return Promise.reject(
          new HealthError(HealthErrorCode.UnknownTarget, `health target ${JSON.stringify(id)} is not scheduled`),
        );
      }
      return this.#requestCheck(entry);
    }
    const all = Array.from(this.#entries.values(), (entry) => this.#requestCheck(entry));
    return Promise.all(all).then(() => undefined);
  }

  /** Cancels every timer, aborts every in-flight check and resolves once they have all settled. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    this.#queue.clear();
    for (const entry of this.#entries.values()) {
      entry.timer?.cancel();
      entry.timer = undefined;
      entry.queued = false;
      entry.controller?.abort();
      resolveAll(entry.waitingNext);
      entry.waitingNext = [];
    }
    await Promise.all(this.#inFlight);
  }

  #assertOpen(): void {
    if (this.#closed) throw new HealthError(HealthErrorCode.Closed, 'health scheduler is closed');
  }

  #requestCheck(entry: Entry): Promise<void> {
    const done = new Promise<void>((resolve) => entry.waitingNext.push(resolve));
    if (entry.controller === undefined && !entry.queued) {
      entry.timer?.cancel();
      entry.timer = undefined;
      this.#enqueue(entry);
    }
    // In flight: #finish sees waitingNext and queues a fresh check. Queued: the waiter rides along.
    return done;
  }

  #scheduleFirst(entry: Entry): void {
    const spreadMs = this.#firstCheckSpreadMs ?? entry.check.intervalMs;
    const r = this.#random();
    const delayMs = Math.floor((r >= 0 && r < 1 ? r : 0) * spreadMs);
    this.#setTimer(entry, delayMs);
  }

  #setTimer(entry: Entry, delayMs: number): void {
    entry.timer?.cancel();
    entry.timer = this.#clock.setTimer(delayMs, () => {
      entry.timer = undefined;
      if (this.#closed || entry.removed) return;
      if (entry.controller !== undefined) entry.rerun = true;
      else this.#enqueue(entry);
    });
  }

  #enqueue(entry: Entry): void {
    if (entry.queued || entry.controller !== undefined) return;
    entry.queued = true;
    this.#queue.add(entry);
    this.#pump();
  }

  #pump(): void {
    while (!this.#closed && this.#running < this.#maxConcurrent && this.#queue.size > 0) {
      const entry = this.#queue.values().next().value as Entry;
      this.#queue.delete(entry);
      entry.queued = false;
      this.#start(entry);
    }
  }

  #start(entry: Entry): void {
    const controller = new AbortController();
    entry.controller = controller;
    this.#running++;
    const generation = entry.generation;
    const startedMs = this.#clock.nowMs();
    entry.waitingCurrent.push(...entry.waitingNext);
    entry.waitingNext = [];
    let pending: Promise<ProbeResult>;
    try {
      pending = Promise.resolve(this.#probe(entry.target, entry.check, controller.signal));
    } catch (err) {
      pending = Promise.reject(err);
    }
    const task: Promise<void> = pending
      .then(normalizeResult, (err: unknown) => ({
        ok: false,
        latencyMs: 0,
        error: `probe threw: ${describeProbeError(err)}`,
      }))
      .then((result) => this.#finish(entry, generation, startedMs, result))
      .catch((err: unknown) => this.#reportListenerError(err, entry.id))
      .finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
  }

  #finish(entry: Entry, generation: number, startedMs: number, result: ProbeResult): void {
    this.#running--;
    entry.controller = undefined;
    const waiters = entry.waitingCurrent;
    entry.waitingCurrent = [];
    if (this.#closed || entry.removed) {
      resolveAll(waiters);
      this.#pump();
      return;
    }
    if (generation !== entry.generation) {
      // update() changed what is probed while this check ran: drop its result, start the new definition.
      if (entry.rerun || entry.waitingNext.length > 0) {
        entry.rerun = false;
        this.#enqueue(entry);
      } else if (entry.timer === undefined && !entry.queued) {
        this.#scheduleFirst(entry);
      }
      resolveAll(waiters);
      this.#pump();
      return;
    }
    const nowMs = this.#clock.nowMs();
    const from = entry.state.status;
    const step = applyCheckResult(entry.state, result.ok, entry.check);
    entry.state = step.state;
    entry.lastResult = result;
    entry.lastCheckStartedMs = startedMs;
    entry.lastCheckCompletedMs = nowMs;
    if (step.changed) entry.lastTransitionMs = nowMs;
    this.#scheduleNext(entry, startedMs, nowMs);
    const state = this.#stateOf(entry);
    this.#emitResult(entry, result, state);
    // The result listener may have removed the target or closed the scheduler.
    if (step.changed && !entry.removed && !this.#closed) {
      this.#emitTransition(entry, { from, to: step.state.status, cause: 'check', atMs: nowMs }, state);
    }
    resolveAll(waiters);
    this.#pump();
  }

  #scheduleNext(entry: Entry, startedMs: number, nowMs: number): void {
    if (entry.rerun || entry.waitingNext.length > 0) {
      entry.rerun = false;
      this.#enqueue(entry);
      return;
    }
    // Next slot of the grid start + k*interval that is not in the past (k >= 1): a slow check skips slots.
    const intervalMs = entry.check.intervalMs;
    const elapsedMs = Math.max(0, nowMs - startedMs);
    const slots = Math.max(1, Math.ceil(elapsedMs / intervalMs));
    this.#setTimer(entry, slots * intervalMs - elapsedMs);
  }

  #stateOf(entry: Entry): HealthTargetState {
    return {
      id: entry.id,
      target: entry.target,
      check: entry.check,
      status: entry.state.status,
      consecutiveSuccesses: entry.state.consecutiveSuccesses,
      consecutiveFailures: entry.state.consecutiveFailures,
      lastResult: entry.lastResult,
      lastCheckStartedMs: entry.lastCheckStartedMs,
      lastCheckCompletedMs: entry.lastCheckCompletedMs,
      lastTransitionMs: entry.lastTransitionMs,
      isChecking: entry.controller !== undefined,
    };
  }

  #emitResult(entry: Entry, result: ProbeResult, state: HealthTargetState): void {
    if (this.#onResult === undefined) return;
    try {
      this.#onResult(entry.id, result, state);
    } catch (err) {
      this.#reportListenerError(err, entry.id);
    }
  }

  #emitTransition(entry: Entry, transition: HealthTransition, state: HealthTargetState = this.#stateOf(entry)): void {
    if (this.#onTransition === undefined) return;
    try {
      this.#onTransition(entry.id, transition, state);
    } catch (err) {
      this.#reportListenerError(err, entry.id);
    }
  }

  #reportListenerError(err: unknown, id: string): void {
    try {
      this.#onListenerError(err, id);
    } catch (errInHandler) {
      warnListenerError(errInHandler, id);
    }
  }
}
