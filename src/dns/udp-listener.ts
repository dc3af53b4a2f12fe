/**
 * UDP listener: receives queries, answers each synchronously from the current Snapshot, and sends
 * from a pooled buffer returned to the pool in send's callback. Packets that cannot be answered are
 * dropped; nothing in a packet can throw out of the handler.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { ResponseWriter } from './wire/index.ts';
import { Responder, type ResponseOutcome, type Transport } from './responder.ts';
import type { Snapshot } from '../model/index.ts';
import { RateVerdict, type ResponseRateLimiter } from './rate-limiter.ts';
import type { Closeable } from '../lifecycle/index.ts';

export interface ListenerOptions {
  host: string;
  port: number;
  maxUdpPayload: number;
  currentSnapshot: () => Snapshot;
  onResponse?: (outcome: ResponseOutcome, transport: Transport) => void;
  onError?: (err: Error) => void;
  /** Called for one query in 16 with the seconds spent answering it (parse to send). */
  onTiming?: (seconds: number) => void;
  /** Response rate limiting (UDP only: TCP cannot be spoofed, so it cannot amplify). */
  rateLimiter?: ResponseRateLimiter;
  /** Node >= 22.12: several sockets (e.g. worker threads) may share the port. */
  reusePort?: boolean;
}

const POOL_MAX = 256;

export class UdpListener implements Closeable {
  readonly #socket: dgram.Socket;
  readonly #responder: Responder;
  readonly #opts: ListenerOptions;
  readonly #pool: Buffer[] = [];
  readonly #bufferSize: number;
  readonly #writer = new ResponseWriter(Buffer.alloc(0));
  #closing?: Promise<void>;
  #seq = 0;

  private constructor(socket: dgram.Socket, opts: ListenerOptions) {
    this.#socket = socket;
    this.#opts = opts;
    this.#responder = new Responder({ maxUdpPayload: opts.maxUdpPayload });
    this.#bufferSize = Math.max(512, opts.maxUdpPayload);
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
    socket.on('error', (err) => opts.onError?.(err));
  }

  static async start(opts: ListenerOptions): Promise<UdpListener> {
    const wildcard = opts.host === '' || opts.host === '::';
    const type = wildcard || opts.host.includes(':') ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type, ipv6Only: false, reuseAddr: true, reusePort: opts.reusePort ?? false });
    const listener = new UdpListener(socket, opts);
    const host = opts.host === '' ? '::' : opts.host;
    socket.bind({ address: host, port: opts.port, exclusive: true });
    await Promise.race([
      once(socket, 'listening'),
      once(socket, 'error').then(([err]) => {
        throw err as Error;
      }),
    ]);
    try {
      socket.setRecvBufferSize(4 * 1024 * 1024);
      socket.setSendBufferSize(4 * 1024 * 1024);
    } catch {
      // Kernel caps (net.core.rmem_max) may refuse; the defaults still work.
    }
    return listener;
  }

  get port(): number {
    return this.#socket.address().port;
  }

  #onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const timed = (++this.#seq & 15) === 0 && this.#opts.onTiming !== undefined;
    const started = timed ? performance.now() : 0;
    const buf = this.#pool.pop() ?? Buffer.allocUnsafe(this.#bufferSize);
    const writer = this.#writer;
    writer.buf = buf;
    let length = 0;
    try {
      this.#responder.clientAddress = rinfo.address; // geolocation without ECS: the resolver's address
      length = this.#responder.respond(this.#opts.currentSnapshot(), msg, 'udp', writer);
    } catch (err) {
      // A bug, not bad input (the parser never throws): keep serving, report it.
      this.#opts.onError?.(err as Error);
      this.#release(buf);
      return;
    }
    if (length === 0) {
      this.#release(buf);
      return;
    }
    const limiter = this.#opts.rateLimiter;
    if (limiter) {
      const verdict = limiter.check(rinfo.address, Date.now());
      if (verdict === RateVerdict.Drop) {
        this.#release(buf);
        return;
      }
      if (verdict === RateVerdict.Slip) {
        writer.truncate();
        length = writer.finish();
      }
    }
    this.#opts.onResponse?.(this.#responder.outcome, 'udp');
    this.#socket.send(buf, 0, length, rinfo.port, rinfo.address, () => this.#release(buf));
    if (timed) this.#opts.onTiming!((performance.now() - started) / 1000);
  }

  #release(buf: Buffer): void {
    if (this.#pool.length < POOL_MAX) this.#pool.push(buf);
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    return this.#closing;
  }
}
