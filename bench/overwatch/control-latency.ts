/**
 * npm run bench:control [-- --quick] [--out=DIR]
 *
 * The control plane's two figures, in-process with the real Registry, snapshot builder and DnsServer:
 * 1. Snapshot rebuild time after one health change, with 10, 1,000 and 10,000 backends (10 per name,
 *    and all on one name): registry.setValidation, then what Overwatch#rebuildNow does
 *    (registry.evaluate + rebuildSnapshot: the changed names only).
 * 2. Health change to answers: from a backend's failure being known (registry.setValidation and a
 *    rebuild requested on the next turn of the event loop, as the Overwatch schedules it) to the first
 *    DNS answer without it, seen by a client in a worker thread asking over real UDP on 127.0.0.1 in a
 *    tight loop; and back (recovery to the first answer with it). Goal (issue 8): < 50 ms p99 with 10,000.
 * Also RSS and heap with each fleet built. Writes control.md and control.json beside bench:dns results.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DnsServer } from '../../src/dns/index.ts';
import type { Snapshot } from '../../src/model/index.ts';
import { ZONE, fleetRegistry, rebuild, spreadFleet, type FleetName } from './bench-fleet.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, '../..');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const date = new Date().toISOString().slice(0, 10);
const host = os.hostname().replace(/[^A-Za-z0-9_.-]/g, '_');
const OUT = path.resolve(argv.find((a) => a.startsWith('--out='))?.slice(6) ?? path.join(REPO, 'bench/results', `${date}-${host}${QUICK ? '-quick' : ''}`));
const SIZES = [10, 1000, 10_000];
/** Health-change trials per fleet size for the answer latency. */
const TRIALS = QUICK ? 5 : 30;
/** Bound on each rebuild-time series: stop after this many rebuilds or this long. */
const REBUILDS = QUICK ? 20 : 200;
const REBUILD_BUDGET_MS = QUICK ? 1000 : 4000;
const TRIAL_TIMEOUT_MS = 3000;

const log = (msg: string) => console.error(`[bench:control ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function pct(xs: number[], p: number): number {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(v.length * p))]!;
}
const ms = (x: number) => x.toFixed(x < 10 ? 2 : 1);
const mib = (b: number) => (b / 2 ** 20).toFixed(0);

function fleet(size: number, shape: 'spread' | 'one-name'): FleetName[] {
  if (shape === 'one-name') return [{ name: `big.${ZONE}`, policy: 'round-robin', backends: size, maxAnswers: 8 }];
  // 10 backends per name; maxAnswers 10 so that every answer lists every healthy backend.
  return spreadFleet(Math.max(1, size / 10), Math.min(10, size), 10);
}

interface RebuildFigure {
  backends: number;
  shape: string;
  names: number;
  firstBuildMs: number;
  rebuilds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  rssMiB: string;
  heapMiB: string;
  heapTotalMiB: string;
}

function rebuildSeries(size: number, shape: 'spread' | 'one-name'): RebuildFigure {
  const names = fleet(size, shape);
  const now = Date.now();
  const registry = fleetRegistry(names, now);
  let t = performance.now();
  let snap: Snapshot = rebuild(registry, null, now);
  const firstBuildMs = performance.now() - t;
  const ids = registry.backends().map((b) => b.id);
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < REBUILDS && performance.now() - started < REBUILD_BUDGET_MS; i++) {
    const id = ids[(i * 7919) % ids.length]!;
    const nowMs = now + i + 1;
    t = performance.now();
    registry.setValidation(id, i % 2 === 1, nowMs); // fail one, then bring it back
    snap = rebuild(registry, snap, nowMs);
    times.push(performance.now() - t);
  }
  (globalThis as { gc?: () => void }).gc?.(); // --expose-gc (npm run bench:control): count live memory only
  const mem = process.memoryUsage();
  if (snap.names.size === 0 || registry.backends().length !== size) throw new Error('fleet not built as asked');
  return {
    backends: size,
    shape: shape === 'spread' ? '10 per name' : 'one name',
    names: names.length,
    firstBuildMs,
    rebuilds: times.length,
    p50Ms: pct(times, 0.5),
    p99Ms: pct(times, 0.99),
    maxMs: Math.max(...times),
    rssMiB: mib(mem.rss),
    heapMiB: mib(mem.heapUsed),
    heapTotalMiB: mib(mem.heapTotal),
  };
}

interface AnswerFigure {
  backends: number;
  trials: number;
  failP50Ms: number;
  failP99Ms: number;
  failMaxMs: number;
  recoverP50Ms: number;
  recoverP99Ms: number;
  answersPerTrial: number;
  rebuildP50Ms: number;
}

async function answerLatency(size: number): Promise<AnswerFigure> {
  const names = fleet(size, 'spread');
  const now = Date.now();
  const registry = fleetRegistry(names, now);
  const server = new DnsServer({ host: '127.0.0.1', port: 0, maxUdpPayload: 1232, tcpIdleTimeoutMs: 10_000, tcpMaxConnections: 10 });
  server.publish(rebuild(registry, null, now));
  await server.start();
  const target = names[0]!;
  const victim = registry.backends().find((b) => b.service === target.name)!;
  const worker = new Worker(path.join(here, 'query-loop-worker.ts'), { workerData: { port: server.port, name: target.name } });
  const messages: { type: string; atNs?: string; answers?: number }[] = [];
  let wake: (() => void) | undefined;
  worker.on('message', (m: { type: string }) => {
    messages.push(m);
    wake?.();
  });
  const next = async (type: string): Promise<{ type: string; atNs?: string; answers?: number }> => {
    const deadline = Date.now() + TRIAL_TIMEOUT_MS;
    for (;;) {
      const i = messages.findIndex((m) => m.type === type);
      if (i >= 0) return messages.splice(i, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`no '${type}' from the query loop within ${TRIAL_TIMEOUT_MS} ms`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 20);
      });
    }
  };

  // The Overwatch's path: record the verdict, request one rebuild on the next turn of the loop.
  let rebuildQueued = false;
  const rebuildTimes: number[] = [];
  const requestRebuild = () => {
    if (rebuildQueued) return;
    rebuildQueued = true;
    setImmediate(() => {
      rebuildQueued = false;
      const t = performance.now();
      server.publish(rebuild(registry, server.snapshot, Date.now()));
      rebuildTimes.push(performance.now() - t);
    });
  };

  const fail: number[] = [];
  const recover: number[] = [];
  let answers = 0;
  try {
    for (let i = 0; i < TRIALS; i++) {
      for (const healthy of [false, true]) {
        worker.postMessage({ type: 'watch', address: victim.address, present: healthy });
        await next('armed');
        const t0 = process.hrtime.bigint();
        registry.setValidation(victim.id, healthy, Date.now());
        requestRebuild();
        const seen = await next('seen');
        const dt = Number(BigInt(seen.atNs!) - t0) / 1e6;
        (healthy ? recover : fail).push(dt);
        answers = seen.answers!;
      }
    }
  } finally {
    worker.postMessage({ type: 'stop' });
    await once(worker, 'exit');
    await server.close();
  }
  return {
    backends: size,
    trials: fail.length,
    failP50Ms: pct(fail, 0.5),
    failP99Ms: pct(fail, 0.99),
    failMaxMs: Math.max(...fail),
    recoverP50Ms: pct(recover, 0.5),
    recoverP99Ms: pct(recover, 0.99),
    answersPerTrial: Math.round(answers / (2 * fail.length)),
    rebuildP50Ms: pct(rebuildTimes, 0.5),
  };
}

const t0 = Date.now();
const rebuilds: RebuildFigure[] = [];
for (const size of SIZES) {
  for (const shape of ['spread', 'one-name'] as const) {
    const r = rebuildSeries(size, shape);
    rebuilds.push(r);
    log(`rebuild ${size} backends (${r.shape}): p50 ${ms(r.p50Ms)} ms, p99 ${ms(r.p99Ms)} ms over ${r.rebuilds}`);
  }
}
const answers: AnswerFigure[] = [];
for (const size of SIZES) {
  const a = await answerLatency(size);
  answers.push(a);
  log(`health change to answer ${size} backends: p50 ${ms(a.failP50Ms)} ms, p99 ${ms(a.failP99Ms)} ms over ${a.trials}`);
}

const lines = [
  `# bench:control ${new Date().toISOString()} on ${os.hostname()}`,
  '',
  `${os.cpus().length} CPU (${os.cpus()[0]?.model}), ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; in-process, unpinned; ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
  '',
  '## Snapshot rebuild after one health change',
  '',
  'setValidation of one backend + registry.evaluate + rebuildSnapshot(registry, previous, now) (incremental: the changed names only; the first build is whole), i.e. Overwatch#rebuildNow without logging. RSS/heap: this whole process after the series and a GC, holding that fleet (Registry + Snapshot); heap total above heap used is what the garbage of the rebuilds made V8 reserve.',
  '',
  '| backends | shape | names | first build ms | rebuilds | p50 ms | p99 ms | max ms | RSS MiB | heap used MiB | heap total MiB |',
  '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rebuilds.map(
    (r) => `| ${r.backends} | ${r.shape} | ${r.names} | ${ms(r.firstBuildMs)} | ${r.rebuilds} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${ms(r.maxMs)} | ${r.rssMiB} | ${r.heapMiB} | ${r.heapTotalMiB} |`,
  ),
  '',
  '## Health change to answers (goal: p99 < 50 ms with 10,000 backends)',
  '',
  `From registry.setValidation + a rebuild requested with setImmediate (as the Overwatch does) to the first answer without the failed backend ("fail"), and back ("recover"), seen by a UDP client in a worker thread querying 127.0.0.1 in a tight loop. ${TRIALS} trials each way; 10 backends per name, the watched name answers all 10.`,
  '',
  '| backends | trials | fail p50 ms | fail p99 ms | fail max ms | recover p50 ms | recover p99 ms | rebuild p50 ms | client answers per trial |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...answers.map(
    (a) =>
      `| ${a.backends} | ${a.trials} | ${ms(a.failP50Ms)} | ${ms(a.failP99Ms)} | ${ms(a.failMaxMs)} | ${ms(a.recoverP50Ms)} | ${ms(a.recoverP99Ms)} | ${ms(a.rebuildP50Ms)} | ${a.answersPerTrial} |`,
  ),
  '',
  'Not covered here: the time for a health check to notice a failure (interval x failure_threshold, by configuration), and agent heartbeats via gossip.',
  '',
];
const report = lines.join('\n');
console.log(report);
mkdirSync(OUT, { recursive: true });
writeFileSync(path.join(OUT, 'control.md'), report);
writeFileSync(path.join(OUT, 'control.json'), JSON.stringify({ date: new Date().toISOString(), host: os.hostname(), node: process.version, rebuilds, answers }, null, 2));
