/**
 * TCP servers on loopback that misbehave as health-check targets: accept and never answer, answer
 * after a delay, drip a body forever, stream an endless body, accept TLS and never handshake. Each
 * records every connection's lifetime and the most connections it ever held at once, so a test can
 * prove the checker closes what it opens, in time, and never piles connections up.
 */
import net from 'node:net';
import { once } from 'node:events';

export type Behaviour = 'healthy' | 'hang' | 'late' | 'drip' | 'endless' | 'tls-hang';

export interface MisbehavingServer {
  behaviour: Behaviour;
  address: string;
  port: number;
  /** Connections currently open. */
  open: number;
  maxOpen: number;
  accepted: number;
  /** Milliseconds from accept to close of each closed connection. */
  lifetimesMs: number[];
  close(): Promise<void>;
}

const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok';

export async function startMisbehaving(behaviour: Behaviour, address: string, opts: { lateMs?: number } = {}): Promise<MisbehavingServer> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const s: MisbehavingServer = {
    behaviour,
    address,
    port: 0,
    open: 0,
    maxOpen: 0,
    accepted: 0,
    lifetimesMs: [],
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = net.createServer((sock) => {
    const started = performance.now();
    sockets.add(sock);
    s.accepted++;
    s.open++;
    s.maxOpen = Math.max(s.maxOpen, s.open);
    sock.on('error', () => {});
    sock.on('close', () => {
      sockets.delete(sock);
      s.open--;
      s.lifetimesMs.push(performance.now() - started);
    });
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(() => {
        if (sock.destroyed) {
          clearInterval(t);
          timers.delete(t);
        } else fn();
      }, ms);
      timers.add(t);
      sock.on('close', () => {
        clearInterval(t);
        timers.delete(t);
      });
    };
    switch (behaviour) {
      case 'healthy':
        sock.once('data', () => sock.end(OK));
        break;
      case 'hang':
      case 'tls-hang':
        sock.resume(); // read the request (or ClientHello) and say nothing
        break;
      case 'late': {
        sock.once('data', () => {
          const t = setTimeout(() => {
            timers.delete(t);
            if (!sock.destroyed) sock.end(OK);
          }, opts.lateMs ?? 1000);
          timers.add(t);
        });
        break;
      }
      case 'drip':
        sock.once('data', () => {
          sock.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
          every(50, () => sock.write('1\r\nx\r\n'));
        });
        break;
      case 'endless':
        sock.once('data', () => {
          sock.write('HTTP/1.1 200 OK\r\ncontent-length: 1000000000\r\n\r\n');
          const chunk = Buffer.alloc(16 * 1024, 0x61);
          every(1, () => sock.write(chunk));
        });
        break;
    }
  });
  server.listen(0, address);
  await once(server, 'listening');
  s.port = (server.address() as net.AddressInfo).port;
  return s;
}
