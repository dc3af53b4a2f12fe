/** Real HTTP backends on distinct loopback addresses whose /health can be flipped by the test. */
import http from 'node:http';
import { once } from 'node:events';

export interface TestBackend {
  address: string;
  port: number;
  healthy: boolean;
  server: http.Server;
}

export async function startBackends(addresses: string[]): Promise<{ list: TestBackend[]; close(): Promise<void> }> {
  const list: TestBackend[] = [];
  for (const address of addresses) {
    const b = { address, port: 0, healthy: true } as TestBackend;
    b.server = http.createServer((req, res) => {
      res.writeHead(req.url === '/health' && b.healthy ? 200 : 503).end();
    });
    b.server.listen(0, address);
    await once(b.server, 'listening');
    b.port = (b.server.address() as { port: number }).port;
    list.push(b);
  }
  return {
    list,
    close: async () => {
      await Promise.all(list.map((b) => new Promise((r) => b.server.close(r))));
    },
  };
}

/** Polls until `check` passes or the deadline expires; for effects across a process boundary. */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
