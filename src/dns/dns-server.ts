/**
 * The DNS data plane: UDP and TCP listeners on one address, answering from whatever Snapshot was
 * published last. Publishing is a reference swap: queries in flight finish on the Snapshot they
 * started with, the next one sees the new one.
 *
 * With `workers` > 1, UDP is answered by that many worker threads, each with its own socket on the
 * same address and port (SO_REUSEPORT: the kernel spreads datagrams by a hash of the client's
 * address and port) and a replica of the Snapshot (worker/); TCP stays on the main thread.
 */
import { UdpListener } from './udp-listener.ts';
import { TcpListener } from './tcp-listener.ts';
import type { UdpIo } from './native-udp.ts';
import type { ResponseOutcome, Transport } from './responder.ts';
import { emptySnapshot, type Snapshot } from '../model/index.ts';
import type { Closeable } from '../lifecycle/index.ts';
import type { RateLimitConfig } from '../config/types.ts';
import { ResponseRateLimiter, type RateLimiterStats } from './rate-limiter.ts';
import { WorkerPool, type WorkerView } from './worker/worker-pool.ts';
import { decodeResponseCode, type WorkerStats } from './worker/messages.ts';

export interface DnsServerOptions {
  host: string;
  port: number;
  maxUdpPayload: number;
  tcpIdleTimeoutMs: number;
  tcpMaxConnections: number;
  tcpMaxConnectionsPerClient?: number;
  /** UDP response rate limiting; undefined = off. */
  rateLimit?: RateLimitConfig;
  onResponse?: (outcome: ResponseOutcome, transport: Transport) => void;
  onError?: (err: Error) => void;
  onTiming?: (seconds: number) => void;
  /** UDP I/O path (udp-listener.ts); `auto` when absent. */
  udpIo?: UdpIo;
  onUdpIoFallback?: (reason: string) => void;
  /** UDP worker threads; 1 (default) = the main thread answers UDP itself. */
  workers?: number;
  /** Answers counted by worker threads, in batches (onResponse sees the main thread's answers only). */
  onResponseCount?: (domain: string | null, qtype: number, rcode: number, truncated: boolean, count: number) => void;
  /** DNSSEC signature validity: worker threads sign online proofs with it (the main thread's signer has its own). */
  signatureValidityMs?: number;
}

/** The config's default DNSSEC signature validity, for workers when none is given. */
const DEFAULT_VALIDITY_MS = 7 * 86_400_000;

export class DnsServer implements Closeable {
  #snapshot: Snapshot = emptySnapshot();
  #udp?: UdpListener;
  #tcp?: TcpListener;
  #pool?: WorkerPool;
  #port = 0;
  /** Rate limiting done by worker threads (each limits the clients the kernel hashes to it). */
  readonly #workerLimited: RateLimiterStats = { dropped: 0, slipped: 0 };
  #closing?: Promise<void>;
  readonly #opts: DnsServerOptions;
  readonly rateLimiter?: ResponseRateLimiter;
  /** TCP connections closed at accept because their client held too many. */
  tcpRefused = 0;

  constructor(opts: DnsServerOptions) {
    this.#opts = opts;
    if (opts.rateLimit?.enabled) this.rateLimiter = new ResponseRateLimiter(opts.rateLimit);
  }

  publish(snapshot: Snapshot): void {
    this.#snapshot = snapshot;
    this.#pool?.publish(snapshot);
  }

  get snapshot(): Snapshot {
    return this.#snapshot;
  }

  /**
   * Binds UDP first, then TCP on the port UDP got. With port 0 the kernel picks the UDP port, and
   * that port may already be taken for TCP: then both are released and another pair is tried.
   */
  async start(): Promise<void> {
    const o = this.#opts;
    const common = {
      host: o.host,
      maxUdpPayload: o.maxUdpPayload,
      currentSnapshot: () => this.#snapshot,
      onResponse: o.onResponse,
      onError: o.onError,
      onTiming: o.onTiming,
      rateLimiter: this.rateLimiter,
      udpIo: o.udpIo,
      onUdpIoFallback: o.onUdpIoFallback,
    };
    const workers = o.workers ?? 1;
    for (let attempt = 1; ; attempt++) {
      // With workers this socket only reserves the port pair: the workers join its SO_REUSEPORT group, then it leaves.
      const udp = await UdpListener.start({ ...common, port: o.port, reusePort: workers > 1 });
      try {
        this.#tcp = await TcpListener.start({
          ...common,
          port: udp.port,
          idleTimeoutMs: o.tcpIdleTimeoutMs,
          maxConnections: o.tcpMaxConnections,
          maxConnectionsPerClient: o.tcpMaxConnectionsPerClient ?? 32,
          onConnectionRefused: () => this.tcpRefused++,
        });
        this.#port = udp.port;
      } catch (err) {
        await udp.close();
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!(o.port === 0 && inUse && attempt < 20)) throw err;
        continue;
      }
      // Outside the retry: a worker failing to start is no port clash.
      if (workers > 1) await this.#startWorkers(workers, udp);
      else this.#udp = udp;
      return;
    }
  }

  async #startWorkers(count: number, reservation: UdpListener): Promise<void> {
    const o = this.#opts;
    try {
      this.#pool = await WorkerPool.start(
        {
          count,
          host: o.host,
          port: this.#port,
          maxUdpPayload: o.maxUdpPayload,
          ...(o.rateLimit?.enabled ? { rateLimit: o.rateLimit } : {}),
          ...(o.udpIo ? { udpIo: o.udpIo } : {}),
          signatureValidityMs: o.signatureValidityMs ?? DEFAULT_VALIDITY_MS,
          onStats: (stats) => this.#addWorkerStats(stats),
          onError: (err) => o.onError?.(err),
        },
        this.#snapshot,
      );
    } finally {
      // Every worker is answering (or start failed): the main thread's socket leaves the group.
      await reservation.close();
    }
  }

  #addWorkerStats(stats: WorkerStats): void {
    const o = this.#opts;
    const c = stats.counts;
    if (o.onResponseCount) {
      for (let i = 0; i + 2 < c.length; i += 3) {
        const { qtype, rcode, truncated } = decodeResponseCode(c[i + 1] as number);
        o.onResponseCount(c[i] as string | null, qtype, rcode, truncated, c[i + 2] as number);
      }
    }
    if (o.onTiming) for (const seconds of stats.timings) o.onTiming(seconds);
    this.#workerLimited.dropped += stats.rateLimitedDropped;
    this.#workerLimited.slipped += stats.rateLimitedSlipped;
  }

  get port(): number {
    return this.#port;
  }

  /** Rate-limited UDP responses, the worker threads' included. */
  get rateLimitStats(): RateLimiterStats {
    const own = this.rateLimiter?.stats ?? { dropped: 0, slipped: 0 };
    return { dropped: own.dropped + this.#workerLimited.dropped, slipped: own.slipped + this.#workerLimited.slipped };
  }

  /** The worker threads (empty without workers). */
  workers(): WorkerView[] {
    return this.#pool?.workers() ?? [];
  }

  /** The worker pool, for tests and benchmarks (flush counters, wait for replication, stop a worker). */
  get workerPool(): WorkerPool | undefined {
    return this.#pool;
  }

  /** The UDP listener's I/O path once started. */
  get udpIo(): 'native' | 'js' | undefined {
    return this.#udp?.io;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([this.#tcp?.close(), this.#udp?.close(), this.#pool?.close()]);
    })();
    return this.#closing;
  }
}
