/**
 * The metrics listener: `GET /metrics` (Prometheus text format) and `GET /health` (200 OK), on its
 * own address (`metrics.address`) so it can be exposed to Prometheus without exposing the API.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { Registry } from 'prom-client';
import type { HostPort } from '../config/types.ts';
import type { Closeable } from '../lifecycle/index.ts';

export interface MetricsServer extends Closeable {
  port: number;
}

export async function startMetricsServer(listen: HostPort, registry: Registry): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      return;
    }
    if (url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${String(err)}\n`),
    );
  });
  server.listen({ host: listen.host === '' ? '::' : listen.host, port: listen.port });
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => {
      throw err as Error;
    }),
  ]);
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
