/**
 * TCP listener (RFC 7766): two-octet length framing, pipelined queries answered in order on one
 * connection, an idle timeout, a connection limit, and back-pressure (a client that does not read
 * stops being read). Malformed frames close only their own connection.
 */
import net from 'node:net';
import { once } from 'node:events';
import { ResponseWriter } from './wire/index.ts';
import { Responder } from './responder.ts';
import type { ListenerOptions } from './udp-listener.ts';
import type { Closeable } from '../lifecycle/index.ts';

export interface TcpListenerOptions extends ListenerOptions {
  idleTimeoutMs: number;
  maxConnections: number;
  /** Connections one client address may hold at once; more are closed on accept. */
  maxConnectionsPerClient: number;
  onConnectionRefused?: () => void;
}

const MAX_MESSAGE = 65535;

export class TcpListener implements Closeable {
  readonly #server: net.Server;
  readonly #opts: TcpListenerOptions;
  readonly #responder: Responder;
  readonly #writer = new ResponseWriter(Buffer.allocUnsafe(MAX_MESSAGE));
  readonly #sockets = new Set<net.Socket>();
  readonly #perClient = new Map<string, number>();
  #closing?: Promise<void>;

  private constructor(opts: TcpListenerOptions) {
    this.#opts = opts;
    this.#responder = new Responder({ maxUdpPayload: opts.maxUdpPayload });
    this.#server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => this.#onConnection(socket));
    this.#server.maxConnections = opts.maxConnections;
    // Node closes connections past maxConnections itself and says so with 'drop': count those too.
    this.#server.on('drop', () => opts.onConnectionRefused?.());
  }

  static async start(opts: TcpListenerOptions): Promise<TcpListener> {
    const listener = new TcpListener(opts);
    const host = opts.host === '' ? '::' : opts.host;
    listener.#server.listen({ host, port: opts.port, ipv6Only: false, reusePort: opts.reusePort ?? false, exclusive: true });
    await Promise.race([
      once(listener.#server, 'listening'),
      once(listener.#server, 'error').then(([err]) => {
        throw err as Error;
      }),
    ]);
    // Only once listening: a failed bind is start()'s rejection (the server may retry another
    // port), not a listener error to log.
    listener.#server.on('error', (err) => opts.onError?.(err));
    return listener;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  #onConnection(socket: net.Socket): void {
    const client = socket.remoteAddress ?? '';
    const held = this.#perClient.get(client) ?? 0;
    if (held >= this.#opts.maxConnectionsPerClient) {
      this.#opts.onConnectionRefused?.();
      socket.destroy();
      return;
    }
    this.#perClient.set(client, held + 1);
    socket.once('close', () => {
      const n = (this.#perClient.get(client) ?? 1) - 1;
      if (n <= 0) this.#perClient.delete(client);
      else this.#perClient.set(client, n);
    });
    this.#sockets.add(socket);
    socket.setTimeout(this.#opts.idleTimeoutMs, () => socket.destroy());
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      while (pending.length - offset >= 2) {
        const len = pending.readUInt16BE(offset);
        if (pending.length - offset - 2 < len) break;
        const msg = pending.subarray(offset + 2, offset + 2 + len);
        offset += 2 + len;
        if (!this.#answer(socket, msg)) {
          socket.destroy();
          return;
        }
      }
      pending = offset === pending.length ? Buffer.alloc(0) : pending.subarray(offset);
      if (pending.length > MAX_MESSAGE + 2) socket.destroy();
    });
  }

  /** Answers one framed message; false when the connection should be closed. */
  #answer(socket: net.Socket, msg: Buffer): boolean {
    let length: number;
    try {
      this.#responder.clientAddress = socket.remoteAddress ?? ''; // geolocation without ECS
      length = this.#responder.respond(this.#opts.currentSnapshot(), msg, 'tcp', this.#writer);
    } catch (err) {
      this.#opts.onError?.(err as Error);
      return false;
    }
    if (length === 0) return false; // not a query: nothing sensible can follow on this stream
    this.#opts.onResponse?.(this.#responder.outcome, 'tcp');
    const out = Buffer.allocUnsafe(length + 2);
    out.writeUInt16BE(length, 0);
    this.#writer.buf.copy(out, 2, 0, length);
    if (!socket.write(out)) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
    return true;
  }

  /** Stops accepting, lets written answers flush, then ends every connection. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      for (const s of this.#sockets) s.end();
      const deadline = setTimeout(() => {
        for (const s of this.#sockets) s.destroy();
      }, 2000);
      await closed;
      clearTimeout(deadline);
    })();
    return this.#closing;
  }
}
