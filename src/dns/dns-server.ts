/**
 * The DNS data plane: UDP and TCP listeners on one address, answering from whatever Snapshot was
 * published last. Publishing is a reference swap: queries in flight finish on the Snapshot they
 * started with, the next one sees the new one.
 */
import { UdpListener } from './udp-listener.ts';
import { TcpListener } from './tcp-listener.ts';
import type { ResponseOutcome, Transport } from './responder.ts';
import { emptySnapshot, type Snapshot } from '../model/index.ts';
import type { Closeable } from '../lifecycle/index.ts';
import type { RateLimitConfig } from '../config/types.ts';
import { ResponseRateLimiter } from './rate-limiter.ts';

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
}

export class DnsServer implements Closeable {
  #snapshot: Snapshot = emptySnapshot();
  #udp?: UdpListener;
  #tcp?: TcpListener;
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
    };
    for (let attempt = 1; ; attempt++) {
      const udp = await UdpListener.start({ ...common, port: o.port });
      try {
        this.#tcp = await TcpListener.start({
          ...common,
          port: udp.port,
          idleTimeoutMs: o.tcpIdleTimeoutMs,
          maxConnections: o.tcpMaxConnections,
          maxConnectionsPerClient: o.tcpMaxConnectionsPerClient ?? 32,
          onConnectionRefused: () => this.tcpRefused++,
        });
        this.#udp = udp;
        return;
      } catch (err) {
        await udp.close();
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!(o.port === 0 && inUse && attempt < 20)) throw err;
      }
    }
  }

  get port(): number {
    return this.#udp?.port ?? 0;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([this.#tcp?.close(), this.#udp?.close()]);
    })();
    return this.#closing;
  }
}
