/**
 * Transport on real sockets: one UDP socket and one TCP listener on the same port, as memberlist's
 * net_transport.go (Go nodes send UDP from their gossip port and expect ours to answer there).
 * Port 0 picks a free port for TCP first and then binds UDP to the same number, retrying a few
 * times if UDP happens to be taken.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { OpenGslbError } from '../errors.ts';
import type { Address, Transport, TransportHandlers } from './transport.ts';

export class TransportError extends OpenGslbError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_GOSSIP_TRANSPORT', message, options);
  }
}

export interface NetTransportOptions {
  bindHost: string;
  /** 0 = any free port (UDP and TCP get the same number). */
  bindPort: number;
}

export interface NetTransportStats {
  sendErrors: number;
}

const BIND_ATTEMPTS = 10;

function listenTcp(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function bindUdp(sock: dgram.Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    sock.once('error', onError);
    sock.bind({ address: host, port, exclusive: true }, () => {
      sock.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

const UDP_RECV_BUFFER_BYTES = 2 * 1024 * 1024;

export class NetTransport implements Transport {
  readonly localAddress: Address;
  readonly stats: NetTransportStats = { sendErrors: 0 };
  #udp: dgram.Socket;
  #tcp: net.Server;
  #conns = new Set<net.Socket>();
  #closing: Promise<void> | undefined;

  private constructor(udp: dgram.Socket, tcp: net.Server, localAddress: Address) {
    this.#udp = udp;
    this.#tcp = tcp;
    this.localAddress = localAddress;
    // Errors after start-up (e.g. ICMP-driven send errors) must not crash the process.
    this.#udp.on('error', () => {
      this.stats.sendErrors++;
    });
    this.#tcp.on('error', () => {});
    // As memberlist's setUDPRecvBuf: 2 MiB (the kernel caps it at net.core.rmem_max), so the heartbeats
    // of 1,000 agents that arrive while the event loop is busy (GC, a rebuild) wait instead of being dropped.
    try {
      this.#udp.setRecvBufferSize(UDP_RECV_BUFFER_BYTES);
    } catch {
      // not permitted here: the default buffer
    }
  }

  static async create(opts: NetTransportOptions): Promise<NetTransport> {
    const type = net.isIPv6(opts.bindHost) ? 'udp6' : 'udp4';
    let lastErr: unknown;
    for (let attempt = 0; attempt < (opts.bindPort === 0 ? BIND_ATTEMPTS : 1); attempt++) {
      const tcp = net.createServer({ noDelay: true });
      try {
        await listenTcp(tcp, opts.bindHost, opts.bindPort);
      } catch (err) {
        throw new TransportError(`gossip: cannot listen on TCP ${opts.bindHost}:${opts.bindPort}: ${(err as Error).message}`, { cause: err });
      }
      const port = (tcp.address() as net.AddressInfo).port;
      const udp = dgram.createSocket({ type, reuseAddr: false });
      try {
        await bindUdp(udp, opts.bindHost, port);
      } catch (err) {
        lastErr = err;
        udp.close();
        await closeServer(tcp);
        continue;
      }
      return new NetTransport(udp, tcp, { host: opts.bindHost, port });
    }
    throw new TransportError(
      `gossip: cannot bind UDP ${opts.bindHost}:${opts.bindPort}: ${(lastErr as Error | undefined)?.message ?? 'unknown error'}`,
      { cause: lastErr },
    );
  }

  listen(handlers: TransportHandlers): void {
    this.#udp.on('message', (msg, rinfo) => handlers.packet(msg, { host: rinfo.address, port: rinfo.port }));
    this.#tcp.on('connection', (sock) => {
      this.#track(sock);
      handlers.stream(sock, { host: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 });
    });
  }

  #track(sock: net.Socket): void {
    this.#conns.add(sock);
    sock.on('close', () => this.#conns.delete(sock));
    sock.on('error', () => {});
  }

  sendPacket(buf: Buffer, to: Address): void {
    if (this.#closing) return;
    try {
      this.#udp.send(buf, to.port, to.host, (err) => {
        if (err) this.stats.sendErrors++;
      });
    } catch {
      // Wrong address family or a closed socket: a lost datagram, which UDP allows.
      this.stats.sendErrors++;
    }
  }

  dial(to: Address, timeoutMs: number): Promise<Duplex> {
    if (this.#closing) return Promise.reject(new TransportError('gossip: transport closed'));
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: to.host, port: to.port, noDelay: true });
      this.#track(sock);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new TransportError(`gossip: dial ${to.host}:${to.port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      sock.once('connect', () => {
        clearTimeout(timer);
        resolve(sock);
      });
      sock.once('error', (err) => {
        clearTimeout(timer);
        reject(new TransportError(`gossip: dial ${to.host}:${to.port}: ${err.message}`, { cause: err }));
      });
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const c of this.#conns) c.destroy();
      await Promise.all([
        closeServer(this.#tcp),
        new Promise<void>((resolve) => {
          try {
            this.#udp.close(() => resolve());
          } catch {
            resolve();
          }
        }),
      ]);
    })();
    return this.#closing;
  }
}
