/**
 * Scale check for HealthScheduler with real sockets: N targets against one local HTTP server, one full
 * round through checkNow() (bounded by maxConcurrent), then one jittered periodic round on the system
 * clock. Reports wall time, checks/s, the most connections the backend saw at once, and RSS.
 * Run: node bench/health/health-scheduler.bench.ts [targets=10000] [maxConcurrent=64] [responseDelayMs=0]
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { HealthScheduler, healthTargetId } from '../../src/health/index.ts';
import { systemClock } from '../../src/lifecycle/index.ts';

const targets = Number(process.argv[2] ?? 10_000);
const maxConcurrent = Number(process.argv[3] ?? 64);
/** The backend answers after this long, so checks overlap and the concurrency bound shows. */
const responseDelayMs = Number(process.argv[4] ?? 0);

let open = 0;
let maxOpen = 0;
const server = createServer((_req, res) => {
  if (responseDelayMs > 0) setTimeout(() => res.end('ok'), responseDelayMs);
  else res.end('ok');
});
server.on('connection', (s) => {
  open++;
  maxOpen = Math.max(maxOpen, open);
  s.on('close', () => open--);
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as { port: number };

let results = 0;
let failures = 0;
const errors = new Map<string, number>();
let roundDone: (() => void) | undefined;
const intervalMs = 5_000;
const scheduler = new HealthScheduler({
  clock: systemClock,
  maxConcurrent,
  onResult: (_id, r) => {
    results++;
    if (!r.ok) {
      failures++;
      errors.set(r.error ?? '?', (errors.get(r.error ?? '?') ?? 0) + 1);
    }
    if (results === 2 * targets) roundDone?.();
  },
});
const check = { type: 'http' as const, path: '/health', intervalMs, timeoutMs: 2000, failureThreshold: 3, successThreshold: 2 };
for (let i = 0; i < targets; i++) scheduler.add(healthTargetId(`svc${i}.test`, '127.0.0.1', port), { address: '127.0.0.1', port }, check);

// Machine ceiling: bare node:net connect+close to the same server, 64 at a time.
{
  const { connect } = await import('node:net');
  const n = Math.min(targets, 2000);
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: maxConcurrent }, async () => {
      while (next++ < n) {
        const s = connect(port, '127.0.0.1');
        await once(s, 'connect');
        s.destroy();
      }
    }),
  );
  const ms = performance.now() - t;
  console.log(`baseline: bare TCP connect+close ${(n / (ms / 1000)).toFixed(0)}/s on this machine`);
}
maxOpen = 0;
console.log(`rss before checks ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
let t0 = performance.now();
await scheduler.checkNow();
const manualMs = performance.now() - t0;
const manualMaxOpen = maxOpen;
console.log(`checkNow() round: ${targets} checks in ${manualMs.toFixed(0)} ms = ${(targets / (manualMs / 1000)).toFixed(0)} checks/s, max ${manualMaxOpen} connections at once (bound ${maxConcurrent}), failures ${failures}`);

maxOpen = 0;
t0 = performance.now();
await new Promise<void>((resolve) => (roundDone = resolve));
const periodicMs = performance.now() - t0;
console.log(`periodic round (interval ${intervalMs} ms): ${targets} checks done ${periodicMs.toFixed(0)} ms after the manual round, max ${maxOpen} connections at once, failures ${failures}`);
console.log(`rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);
if (errors.size > 0) console.log('failures by reason', Object.fromEntries(errors));
await scheduler.close();
server.close();
