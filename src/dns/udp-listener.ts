/**
 * UDP listener: receives queries, answers each synchronously from the current Snapshot. Two I/O
 * paths, one answering logic (#serve): Node's dgram, sending from a pooled buffer returned to the
 * pool in send's callback; or the native batch socket (native-udp.ts, `dns.udp_io`), which hands
 * over a batch of queries and sends the batch of answers with one syscall each way. Packets that
 * cannot be answered are dropped; nothing in a packet can throw out of the handler.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { ResponseWriter } from './wire/index.ts';
import { Responder, type ResponseOutcome, type Transport } from './responder.ts';
import type { Snapshot } from '../model/index.ts';
import { RateVerdict, type ResponseRateLimiter } from './rate-limiter.ts';
import type { Closeable } from '../lifecycle/index.ts';
import { NativeUdpSocket, chooseUdpIo, type NativeUdpStats, type UdpIo } from './native-udp.ts';

export interface ListenerOptions {
  host: string;
  port: number;
  maxUdpPayload: number;
  currentSnapshot: () => Snapshot;
  onResponse?: (outcome: ResponseOutcome, transport: Transport) => void;
  onError?: (err: Error) => void;
  /** Called for one query in 16 with the seconds spent answering it (parse to send; native: to the batch's send). */
  onTiming?: (seconds: number) => void;
  /** Response rate limiting (UDP only: TCP cannot be spoofed, so it cannot amplify). */
  rateLimiter?: ResponseRateLimiter;
  /** Node >= 22.12: several sockets (e.g. worker threads) may share the port. */
  reusePort?: boolean;
  /** `auto` (default): the native batch socket when its addon loaded, else dgram. */
  udpIo?: UdpIo;
  /** `auto` chose dgram because native I/O is unavailable: why (for a log line). */
  onUdpIoFallback?: (reason: string) => void;
}

const POOL_MAX = 256;
/** Room for the largest answer we send (RFC 6891: never below 512). */
const answerRoom = (opts: ListenerOptions): number => Math.max(512, opts.maxUdpPayload);

export class UdpListener implements Closeable {
  readonly #socket: dgram.Socket | NativeUdpSocket;
  readonly #responder: Responder;
  readonly #opts: ListenerOptions;
  readonly #pool: Buffer[] = [];
  readonly #bufferSize: number;
  readonly #writer = new ResponseWriter(Buffer.alloc(0));
  #closing?: Promise<void>;
  #seq = 0;

  private constructor(opts: ListenerOptions, open: (listener: UdpListener) => dgram.Socket | NativeUdpSocket) {
    this.#opts = opts;
    this.#responder = new Responder({ maxUdpPayload: opts.maxUdpPayload });
    this.#bufferSize = answerRoom(opts);
    this.#socket = open(this);
  }

  static async start(opts: ListenerOptions): Promise<UdpListener> {
    const choice = chooseUdpIo(opts.udpIo ?? 'auto', opts.host);
    if (choice.io === 'native') {
      const native = { host: opts.host, port: opts.port, reusePort: opts.reusePort ?? false, sendSlot: answerRoom(opts) };
      return new UdpListener(opts, (l) => new NativeUdpSocket(choice.binding, native, (query, address, out) => l.#serveTimed(query, address, out)));
    }
    if (choice.fallbackReason !== undefined) opts.onUdpIoFallback?.(choice.fallbackReason);
    const wildcard = opts.host === '' || opts.host === '::';
    const type = wildcard || opts.host.includes(':') ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type, ipv6Only: false, reuseAddr: true, reusePort: opts.reusePort ?? false });
    const listener = new UdpListener(opts, (l) => {
      socket.on('message', (msg, rinfo) => l.#onMessage(msg, rinfo));
      socket.on('error', (err) => opts.onError?.(err));
      return socket;
    });
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

  /** Which I/O path this listener runs on. */
  get io(): 'native' | 'js' {
    return this.#socket instanceof NativeUdpSocket ? 'native' : 'js';
  }

  /** The native socket's counters; undefined on the dgram path. */
  nativeStats(): NativeUdpStats | undefined {
    return this.#socket instanceof NativeUdpSocket ? this.#socket.stats() : undefined;
  }

  get port(): number {
    return this.#socket instanceof NativeUdpSocket ? this.#socket.port : this.#socket.address().port;
  }

  #onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const started = this.#sampleStart();
    const buf = this.#pool.pop() ?? Buffer.allocUnsafe(this.#bufferSize);
    const length = this.#serve(msg, rinfo.address, buf);
    if (length === 0) return this.#release(buf);
    (this.#socket as dgram.Socket).send(buf, 0, length, rinfo.port, rinfo.address, () => this.#release(buf));
    if (started >= 0) this.#opts.onTiming!((performance.now() - started) / 1000);
  }

  /**
   * Answers `msg` from `address` into `buf` and returns the length to send (0: send nothing):
   * respond, rate-limit (drop, or slip as TC), count. Both I/O paths call it.
   */
  #serve(msg: Buffer, address: string, buf: Buffer): number {
    const writer = this.#writer;
    writer.buf = buf;
    let length = 0;
    try {
      this.#responder.clientAddress = address; // geolocation without ECS: the resolver's address
      length = this.#responder.respond(this.#opts.currentSnapshot(), msg, 'udp', writer);
    } catch (err) {
      // A bug, not bad input (the parser never throws): keep serving, report it.
      this.#opts.onError?.(err as Error);
      return 0;
    }
    if (length === 0) return 0;
    const limiter = this.#opts.rateLimiter;
    if (limiter) {
      const verdict = limiter.check(address, Date.now());
      if (verdict === RateVerdict.Drop) return 0;
      if (verdict === RateVerdict.Slip) {
        writer.truncate();
        length = writer.finish();
      }
    }
    this.#opts.onResponse?.(this.#responder.outcome, 'udp');
    return length;
  }

  /** The native path's answer function: #serve, timed for one query in 16 (to the batch hand-off). */
  #serveTimed(msg: Buffer, address: string, buf: Buffer): number {
    const started = this.#sampleStart();
    const length = this.#serve(msg, address, buf);
    if (started >= 0 && length > 0) this.#opts.onTiming!((performance.now() - started) / 1000);
    return length;
  }

  /** performance.now() for one query in 16 when someone listens to timings, else -1. */
  #sampleStart(): number {
    return (++this.#seq & 15) === 0 && this.#opts.onTiming !== undefined ? performance.now() : -1;
  }

  #release(buf: Buffer): void {
    if (this.#pool.length < POOL_MAX) this.#pool.push(buf);
  }

  close(): Promise<void> {
    const socket = this.#socket;
    if (socket instanceof NativeUdpSocket) {
      socket.close();
      this.#closing ??= Promise.resolve();
    } else {
      this.#closing ??= new Promise<void>((resolve) => socket.close(() => resolve()));
    }
    return this.#closing;
  }
}
