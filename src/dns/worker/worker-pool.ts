/**
 * The main thread's side of the UDP worker threads: starts them, sends each the latest Snapshot
 * (coalesced: a worker still decoding gets only the newest one when it is done), restarts a worker
 * that dies, and hands the counters they report to the server's metrics.
 *
 * Publishing encodes the Snapshot once (one shared byte arena for all workers) and posts it to
 * every idle worker (replica-publisher.ts); the learned-latency rows also go out when the table
 * moved between Snapshots (checked every second: agents' reports change it without a rebuild).
 */
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { RateLimitConfig } from '../../config/types.ts';
import type { UdpIo } from '../native-udp.ts';
import type { Snapshot } from '../../model/index.ts';
import type { FromWorker, ToWorker, WorkerInit, WorkerStats } from './messages.ts';
import { ReplicaPublisher, newReceiverState, type EncodedSnapshot, type ReceiverState } from './replica-publisher.ts';

export interface WorkerPoolOptions {
  count: number;
  host: string;
  port: number;
  maxUdpPayload: number;
  rateLimit?: RateLimitConfig;
  udpIo?: UdpIo;
  /** DNSSEC signature validity (the workers sign online proofs with it). */
  signatureValidityMs: number;
  statsIntervalMs?: number;
  onStats: (stats: WorkerStats, index: number) => void;
  onError: (err: Error) => void;
}

/** Per worker numbers for tests, benchmarks and the logs. */
export interface WorkerView {
  index: number;
  threadId: number;
  /** Responses sent by this slot's workers since start (restarts included), as reported so far. */
  responses: number;
  restarts: number;
  /** Online DNSSEC signatures (denial proofs, client-specific subsets) made by this slot's workers. */
  signaturesMade: number;
  /** Snapshot version the worker answers from (0 = none yet). */
  version: number;
  /** Its UDP I/O path (udp-listener.ts), once listening. */
  io?: 'native' | 'js';
}

interface Slot {
  index: number;
  worker: Worker;
  listening: boolean;
  io?: 'native' | 'js';
  /** A publish is being decoded: the next one waits (coalescing). */
  busy: boolean;
  sentVersion: number;
  version: number;
  /** What it was sent of the behaviour objects (signers, locators, learned rows). */
  peer: ReceiverState;
  responses: number;
  signaturesMade: number;
  restarts: number;
  failures: number;
  flushes: Map<number, () => void>;
  exited: Promise<void>;
}

const WORKER_URL = new URL('./dns-worker.ts', import.meta.url);
const START_TIMEOUT_MS = 15_000;
const CLOSE_TIMEOUT_MS = 2_000;
const LEARNED_CHECK_MS = 1_000;
const MAX_RESTART_DELAY_MS = 5_000;
const MAX_DELAYS = 1024;

export class WorkerPool {
  readonly #o: WorkerPoolOptions;
  readonly #slots: Slot[] = [];
  readonly #publisher: ReplicaPublisher;
  #latest?: Snapshot;
  #encoded?: EncodedSnapshot;
  readonly #publishedAt = new Map<number, number>();
  #flushId = 0;
  #closing = false;
  #learnedTimer?: NodeJS.Timeout;
  #replicated: (() => void)[] = [];
  /** Milliseconds from publish() to a worker answering from that Snapshot (most recent last). */
  readonly replicationDelaysMs: number[] = [];

  private constructor(o: WorkerPoolOptions) {
    this.#o = o;
    this.#publisher = new ReplicaPublisher(o.signatureValidityMs);
  }

  /** Starts `count` workers with `snapshot` and resolves when every one is answering from it. */
  static async start(o: WorkerPoolOptions, snapshot: Snapshot): Promise<WorkerPool> {
    const pool = new WorkerPool(o);
    pool.#latest = snapshot;
    try {
      await Promise.all(Array.from({ length: o.count }, (_, i) => pool.#spawn(i, 0)));
    } catch (err) {
      await pool.close();
      throw err;
    }
    pool.#learnedTimer = setInterval(() => pool.#sendLearned(), LEARNED_CHECK_MS);
    pool.#learnedTimer.unref();
    return pool;
  }

  #spawn(index: number, restarts: number): Promise<void> {
    const init: WorkerInit = {
      index,
      host: this.#o.host,
      port: this.#o.port,
      maxUdpPayload: this.#o.maxUdpPayload,
      ...(this.#o.rateLimit ? { rateLimit: this.#o.rateLimit } : {}),
      ...(this.#o.udpIo ? { udpIo: this.#o.udpIo } : {}),
      statsIntervalMs: this.#o.statsIntervalMs ?? 250,
    };
    // The parent's execArgv is inherited (type stripping and the like).
    const worker = new Worker(WORKER_URL, { workerData: init, name: `dns-worker-${index}` });
    const previous = this.#slots[index];
    const slot: Slot = {
      index,
      worker,
      listening: false,
      busy: false,
      sentVersion: 0,
      version: 0,
      peer: newReceiverState(),
      responses: previous?.responses ?? 0,
      signaturesMade: previous?.signaturesMade ?? 0,
      restarts,
      failures: previous?.failures ?? 0,
      flushes: new Map(),
      exited: new Promise((resolve) => worker.once('exit', () => resolve())),
    };
    this.#slots[index] = slot;
    const started = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dns worker ${index} did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'listening') {
          clearTimeout(timer);
          resolve();
        }
        this.#onMessage(slot, m);
      });
      worker.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`dns worker ${index} exited with code ${code} before it was answering`));
      });
    });
    worker.on('error', (err) => this.#o.onError(Object.assign(err, { message: `dns worker ${index}: ${err.message}` })));
    worker.on('messageerror', (err) => this.#o.onError(err));
    worker.once('exit', (code) => this.#onExit(slot, code));
    this.#send(slot); // the first Snapshot: the worker binds its socket only once it can answer from it
    return started;
  }

  #onMessage(slot: Slot, m: FromWorker): void {
    switch (m.type) {
      case 'listening':
        slot.listening = true;
        slot.io = m.io;
        if (m.fallback !== undefined) this.#o.onError(new Error(`dns worker ${slot.index}: native UDP I/O unavailable, using dgram: ${m.fallback}`));
        break;
      case 'published': {
        slot.version = m.version;
        slot.busy = false;
        slot.failures = 0;
        const at = this.#publishedAt.get(m.version);
        if (at !== undefined) {
          this.replicationDelaysMs.push(performance.now() - at);
          if (this.replicationDelaysMs.length > MAX_DELAYS) this.replicationDelaysMs.shift();
        }
        this.#send(slot);
        this.#checkReplicated();
        break;
      }
      case 'resync': {
        // The worker dropped what it had been sent: send it all again, later each time it keeps failing.
        slot.peer = newReceiverState();
        slot.busy = false;
        slot.sentVersion = 0;
        const delay = Math.min(100 * 2 ** slot.failures, MAX_RESTART_DELAY_MS);
        slot.failures++;
        setTimeout(() => this.#send(slot), delay).unref();
        break;
      }
      case 'stats':
        slot.responses += m.stats.responses;
        slot.signaturesMade += m.stats.signaturesMade;
        this.#o.onStats(m.stats, slot.index);
        if (m.flushId !== undefined) {
          slot.flushes.get(m.flushId)?.();
          slot.flushes.delete(m.flushId);
        }
        break;
      case 'error':
        this.#o.onError(Object.assign(new Error(`dns worker ${slot.index}: ${m.message}`), m.stack ? { stack: m.stack } : {}));
        break;
      case 'closed':
        break;
    }
  }

  #onExit(slot: Slot, code: number): void {
    for (const resolve of slot.flushes.values()) resolve();
    slot.flushes.clear();
    if (this.#closing || this.#slots[slot.index] !== slot) return;
    slot.listening = false;
    this.#checkReplicated();
    // Its socket left the SO_REUSEPORT group: the kernel now hashes its clients to the others.
    const delay = Math.min(100 * 2 ** slot.failures, MAX_RESTART_DELAY_MS);
    slot.failures++;
    this.#o.onError(new Error(`dns worker ${slot.index} exited with code ${code}; restarting it in ${delay} ms`));
    setTimeout(() => {
      if (this.#closing) return;
      this.#spawn(slot.index, slot.restarts + 1).catch((err: unknown) => this.#o.onError(err as Error));
    }, delay).unref();
  }

  /** Makes `snapshot` the one every worker answers from, as soon as each is free. */
  publish(snapshot: Snapshot): void {
    if (this.#closing) return;
    this.#latest = snapshot;
    this.#encoded = undefined;
    this.#publishedAt.set(snapshot.version, performance.now());
    for (const v of this.#publishedAt.keys()) if (v < snapshot.version - 64) this.#publishedAt.delete(v);
    for (const slot of this.#slots) this.#send(slot);
  }

  #send(slot: Slot): void {
    const snapshot = this.#latest;
    if (snapshot === undefined || slot.busy || slot.sentVersion === snapshot.version || this.#closing) return;
    let encoded: EncodedSnapshot;
    try {
      encoded = this.#encoded ??= this.#publisher.encode(snapshot);
    } catch (err) {
      this.#o.onError(err as Error);
      return;
    }
    slot.busy = true;
    slot.sentVersion = snapshot.version;
    this.#post(slot, this.#publisher.message(encoded, slot.peer));
  }

  /** Agents' latency reports change the table between Snapshots: send it when it moved. */
  #sendLearned(): void {
    const table = this.#encoded?.learned ?? null;
    for (const slot of this.#slots) {
      if (!slot.listening) continue;
      const learned = this.#publisher.learnedUpdate(table, slot.peer);
      if (learned) this.#post(slot, { type: 'learned', learned });
    }
  }

  #post(slot: Slot, m: ToWorker): void {
    try {
      slot.worker.postMessage(m);
    } catch (err) {
      this.#o.onError(err as Error);
    }
  }

  #checkReplicated(): void {
    if (!this.isReplicated) return;
    const waiting = this.#replicated;
    this.#replicated = [];
    for (const resolve of waiting) resolve();
  }

  /** True when every running worker answers from the latest published Snapshot. */
  get isReplicated(): boolean {
    const v = this.#latest?.version ?? 0;
    return this.#slots.every((s) => !s.listening || s.version >= v);
  }

  /** Resolves when every running worker answers from the latest published Snapshot. */
  whenReplicated(): Promise<void> {
    if (this.isReplicated) return Promise.resolve();
    return new Promise((resolve) => this.#replicated.push(resolve));
  }

  /** Asks every running worker for its counters now; resolves when they have been handed on. */
  async flushStats(): Promise<void> {
    const id = ++this.#flushId;
    await Promise.all(
      this.#slots
        .filter((s) => s.listening)
        .map(
          (s) =>
            new Promise<void>((resolve) => {
              s.flushes.set(id, resolve);
              this.#post(s, { type: 'flush', id });
            }),
        ),
    );
  }

  workers(): WorkerView[] {
    return this.#slots.map((s) => ({ index: s.index, threadId: s.worker.threadId, responses: s.responses, signaturesMade: s.signaturesMade, restarts: s.restarts, version: s.version, ...(s.io ? { io: s.io } : {}) }));
  }

  /** Stops one worker as a crash would (tests): the pool logs it and starts a new one. */
  async terminate(index: number): Promise<void> {
    await this.#slots[index]?.worker.terminate();
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#learnedTimer);
    for (const resolve of this.#replicated) resolve();
    this.#replicated = [];
    await Promise.all(
      this.#slots.map(async (slot) => {
        this.#post(slot, { type: 'close' });
        const timer = setTimeout(() => void slot.worker.terminate(), CLOSE_TIMEOUT_MS);
        await slot.exited;
        clearTimeout(timer);
      }),
    );
  }
}
