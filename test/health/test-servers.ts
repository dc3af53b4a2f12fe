/** Real servers on loopback for the probe tests; each is closed by t.after with its open connections. */
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import type { HealthCheckConfig } from '../../src/config/types.ts';

export function checkConfig(overrides: Partial<HealthCheckConfig> = {}): HealthCheckConfig {
  return {
    type: 'http',
    path: '/health',
    intervalMs: 1000,
    timeoutMs: 2000,
    failureThreshold: 3,
    successThreshold: 2,
    ...overrides,
  };
}

export interface Listening<S> {
  server: S;
  port: number;
  /** Every socket the server accepted, in order. */
  sockets: Socket[];
}

async function listenOn<S extends NetServer | HttpServer>(t: TestContext, server: S, host: string): Promise<Listening<S>> {
  const sockets: Socket[] = [];
  server.on('connection', (s: Socket) => sockets.push(s));
  server.listen(0, host);
  await once(server, 'listening');
  t.after(async () => {
    for (const s of sockets) s.destroy();
    server.close();
    await once(server, 'close');
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no port');
  return { server, port: address.port, sockets };
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function startHttpServer(t: TestContext, handler: Handler, host = '127.0.0.1'): Promise<Listening<HttpServer>> {
  return listenOn(t, createHttpServer(handler), host);
}

export function startHttpsServer(
  t: TestContext,
  tls: { key: string; cert: string },
  handler: Handler,
  host = '127.0.0.1',
): Promise<Listening<HttpServer>> {
  return listenOn(t, createHttpsServer(tls, handler), host);
}

/** A TCP server whose connection handler decides what (if anything) is ever written. */
export function startRawServer(t: TestContext, onConnection: (socket: Socket) => void, host = '127.0.0.1'): Promise<Listening<NetServer>> {
  const server = createNetServer(onConnection);
  return listenOn(t, server, host);
}

/** A loopback port that was just free: connecting to it is refused. */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const server = createNetServer();
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('server has no port');
  return address.port;
}

/** Whether this machine can listen on ::1 (some containers have no IPv6 loopback). */
export async function hasIpv6Loopback(): Promise<boolean> {
  const server = createNetServer();
  try {
    server.listen(0, '::1');
    await once(server, 'listening');
    server.close();
    await once(server, 'close');
    return true;
  } catch {
    return false;
  }
}

/**
 * A loopback port whose accept queue is full, so new connects hang in SYN-SENT (the kernel drops their
 * SYNs): a listener that never accepts. Node cannot make one (it always accepts), so a python3 child
 * holds it; returns a skip message when python3 is missing.
 */
export async function blackholePort(t: TestContext): Promise<number | string> {
  const script = [
    'import socket, sys',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'port = s.getsockname()[1]',
    'fill = []',
    'for _ in range(4):',
    '    c = socket.socket(); c.setblocking(False)',
    '    try: c.connect(("127.0.0.1", port))',
    '    except BlockingIOError: pass',
    '    fill.append(c)',
    'print(port, flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'ignore'] });
  t.after(() => {
    child.stdin.end();
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  const [data] = (await Promise.race([once(child.stdout, 'data'), once(child, 'error'), once(child, 'exit')])) as [unknown];
  if (Buffer.isBuffer(data)) return Number(data.toString().trim());
  const why = data instanceof Error ? data.message : `python3 exited with ${String(data)}`;
  return `skipped: python3 is needed to hold a never-accepting listener (${why})`;
}
