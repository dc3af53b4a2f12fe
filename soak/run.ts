/**
 * `npm run soak [-- --agents 1000 --backends-per-agent 10 --seconds 600 --qps 0 --heartbeat-ms 10000]`:
 * one Overwatch (bin/opengslb, its own process, logs to a file), N simulated agents in this process
 * (soak/sim-agent.ts: real identities, real encrypted memberlist packets, token + signed
 * heartbeats), each on its own loopback address (127.1.x.y) reporting `--backends-per-agent` (10)
 * backends, one per service (agent i: services i*10 .. i*10+9 modulo `--services`, 1,000): 1,000
 * agents register 10,000 backends, 10 per name on 10 agents' addresses, the shape bench:control
 * measures. DNS load at a fixed rate comes from a third process (soak/dns-load.ts). `--qps 0`
 * (default) measures the maximum with dnsperf once the agents are registered and runs at half of it
 * (1000 q/s when dnsperf is missing). Every 10 s it prints the Overwatch's RSS and heap, DNS
 * p50/p99 and losses, heartbeats sent and received, stale agents and members; at the end the
 * memory curve (slope over the second half), missed heartbeats and false stale events, and a JSON
 * report (`--report FILE`, default in the OS temp dir; `--csv FILE`: the curve). Node flags for the
 * Overwatch only: SOAK_OW_NODE_OPTIONS (what NODE_OPTIONS accepts) or SOAK_OW_NODE_ARGS (any, e.g.
 * V8 heap flags). Everything is on loopback addresses and bounded by --seconds.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSecretKey, randomBytes } from 'node:crypto';
import { parseArgs, promisify } from 'node:util';
import { loadOrCreateIdentity } from '../src/agent/index.ts';
import { SimAgent } from './sim-agent.ts';

const execFileAsync = promisify(execFile);
const ROOT = path.join(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin', 'opengslb');

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '600' },
    qps: { type: 'string', default: '0' },
    'heartbeat-ms': { type: 'string', default: '10000' },
    services: { type: 'string', default: '1000' },
    'window-ms': { type: 'string', default: '10000' },
    'backends-per-agent': { type: 'string', default: '10' },
    /** Where to write the JSON report (default: the OS temp dir) and the memory curve as CSV. */
    report: { type: 'string' },
    csv: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(values.agents);
const SECONDS = Number(values.seconds);
const HEARTBEAT_MS = Number(values['heartbeat-ms']);
const SERVICES = Number(values.services);
const WINDOW_MS = Number(values['window-ms']);
const PER_AGENT = Number(values['backends-per-agent']);
for (const [k, v, lo, hi] of [['agents', N, 1, 5000], ['seconds', SECONDS, 10, 86_400], ['heartbeat-ms', HEARTBEAT_MS, 1000, 60_000], ['services', SERVICES, 1, 1000], ['window-ms', WINDOW_MS, 1000, 600_000], ['backends-per-agent', PER_AGENT, 1, SERVICES]] as const) {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    console.error(`--${k}: expected an integer in [${lo}, ${hi}], got ${JSON.stringify(values[k as keyof typeof values])}`);
    process.exit(2);
  }
}
const ZONE = 'gslb.soak';
const STALE_MS = 3 * HEARTBEAT_MS;
const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

const dir = mkdtempSync(path.join(tmpdir(), 'opengslb-soak-'));
const children: ChildProcess[] = [];
const servers: net.Server[] = [];
const agents: SimAgent[] = [];
let exiting = false;

async function cleanup(): Promise<void> {
  if (exiting) return;
  exiting = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
  await Promise.all(agents.map((a) => a.close()));
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const start = Date.now();
  for (;;) {
    // a slow answer (the Overwatch busy, or paused writing a heap snapshot) is not a failure yet
    const v = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function metrics(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

async function main(): Promise<void> {
  const key = randomBytes(32);
  const token = randomBytes(24).toString('base64');
  const services = Array.from({ length: SERVICES }, (_, i) => `svc${i}.${ZONE}`);

  // Backends the Overwatch validates (tcp checks): one listening socket per agent host (its own
  // loopback address), accept and close; the agent's backends are its services on that socket.
  log(`starting ${N} backend hosts, the Overwatch and ${N} simulated agents x ${PER_AGENT} backends (heartbeat ${HEARTBEAT_MS} ms, stale threshold ${STALE_MS} ms)`);
  const hosts: { address: string; port: number }[] = [];
  for (let i = 0; i < N; i++) {
    const address = `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    const s = net.createServer((c) => c.destroy());
    s.listen(0, address);
    await once(s, 'listening');
    servers.push(s);
    hosts.push({ address, port: (s.address() as net.AddressInfo).port });
  }

  // The metrics listener does not log its port: give it a free one.
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const metricsPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const configFile = path.join(dir, 'overwatch.yaml');
  writeFileSync(
    configFile,
    `mode: overwatch
identity: { node_id: ow-soak, region: us }
dns: { listen_address: "127.0.0.1:0", zones: [${ZONE}], default_ttl: 30 }
data_dir: ${path.join(dir, 'data')}
agent_tokens:
${services.map((s) => `  ${s}: "${token}"`).join('\n')}
gossip: { bind_address: "127.0.0.1:0", encryption_key: "${key.toString('base64')}" }
validation: { enabled: true, check_interval: 10s, check_timeout: 2s }
stale: { threshold: ${STALE_MS}ms, remove_after: 10m }
api: { address: "127.0.0.1:0", allowed_networks: [127.0.0.0/8] }
metrics: { address: "127.0.0.1:${metricsPort}" }
logging: { level: info }
`,
  );
  chmodSync(configFile, 0o600);
  const logFile = path.join(dir, 'overwatch.log');
  const fd = openSync(logFile, 'w');
  // SOAK_OW_NODE_OPTIONS: node flags for the Overwatch only (e.g. --cpu-prof --cpu-prof-dir=DIR).
  const owEnv = process.env.SOAK_OW_NODE_OPTIONS ? { ...process.env, NODE_OPTIONS: process.env.SOAK_OW_NODE_OPTIONS } : process.env;
  // SOAK_OW_NODE_ARGS: V8 flags NODE_OPTIONS refuses (e.g. --heap-growing-percent=20): the Overwatch is then
  // started as the launcher does (this Node, the TypeScript entry), with those flags first.
  const nodeArgs = process.env.SOAK_OW_NODE_ARGS?.split(' ').filter(Boolean);
  const ow = nodeArgs
    ? spawn(process.execPath, [...nodeArgs, '--disable-warning=ExperimentalWarning', path.join(ROOT, 'src', 'cli', 'opengslb.ts'), '--config', configFile], { stdio: ['ignore', fd, fd], env: owEnv })
    : spawn(BIN, ['--config', configFile], { stdio: ['ignore', fd, fd], env: owEnv });
  closeSync(fd);
  children.push(ow);
  const logLines = () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
  const logField = (msg: string, field: string) =>
    until(`"${msg}" in the Overwatch log`, () => {
      const line = logLines().find((l) => l.includes(`"msg":"${msg}"`));
      return line ? String((JSON.parse(line) as Record<string, unknown>)[field]) : undefined;
    }, 30_000);
  const port = (hp: string) => Number(hp.split(':').pop());
  const dnsPort = port(await logField('overwatch serving DNS', 'dns'));
  const gossipPort = port(await logField('gossip listening for agents', 'gossip'));
  const apiPort = port(await logField('REST API listening', 'api'));
  log(`Overwatch pid ${ow.pid}: DNS ${dnsPort}, gossip ${gossipPort}, API ${apiPort}, metrics ${metricsPort}`);

  // Identities: real P-256 keys and self-signed certificates, as agents make on first start.
  const idStart = performance.now();
  const gossipKey = createSecretKey(key);
  mkdirSync(path.join(dir, 'agents'));
  for (let i = 0; i < N; i++) {
    const id = await loadOrCreateIdentity(path.join(dir, 'agents', `${i}.key`), path.join(dir, 'agents', `${i}.crt`), 'us');
    agents.push(
      new SimAgent({
        identity: { agentId: id.agentId, keyId: id.keyId, privateKey: id.privateKey, certificatePem: id.certificatePem },
        region: 'us',
        token,
        service: services[(i * PER_AGENT) % SERVICES]!,
        backends: Array.from({ length: PER_AGENT }, (_, j) => ({ service: services[(i * PER_AGENT + j) % SERVICES]!, ...hosts[i]! })),
        overwatch: { host: '127.0.0.1', port: gossipPort },
        key: gossipKey,
        bindHost: '127.0.0.1',
      }),
    );
  }
  log(`${N} identities in ${((performance.now() - idStart) / 1000).toFixed(1)} s`);

  // Join and authenticate, 50 at a time, then heartbeat on each agent's own phase.
  const joinStart = performance.now();
  let next = 0;
  let joinFailures = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < agents.length) {
        const a = agents[next++]!;
        await a.start();
        for (let attempt = 0; ; attempt++) {
          try {
            await a.join();
            break;
          } catch (err) {
            joinFailures++;
            if (attempt >= 5) throw err;
            await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
          }
        }
        await a.authenticate();
        a.heartbeat();
      }
    }),
  );
  const timers: NodeJS.Timeout[] = [];
  for (const a of agents) {
    const t = setTimeout(() => {
      a.heartbeat();
      timers.push(setInterval(() => a.heartbeat(), HEARTBEAT_MS));
    }, Math.random() * HEARTBEAT_MS);
    timers.push(t);
  }
  let registered = { agents: 0, backends: 0 };
  await until(`${N} agents registered`, async () => {
    const m = await metrics(metricsPort);
    registered = { agents: m.get('opengslb_overwatch_agents_registered') ?? 0, backends: m.get('opengslb_overwatch_backends_total') ?? 0 };
    return registered.agents >= N && registered.backends >= N * PER_AGENT ? true : undefined;
  }, 300_000).catch((err: Error) => {
    throw new Error(`${err.message} (last seen: ${registered.agents} agents, ${registered.backends} backends; Overwatch RSS ${rssMB(ow.pid!).toFixed(0)} MB)`);
  });
  const members = (await metrics(metricsPort)).get('opengslb_gossip_members_total');
  log(`${N} agents joined, authenticated and registered in ${((performance.now() - joinStart) / 1000).toFixed(1)} s (${joinFailures} join retries); gossip members ${members}`);

  // DNS rate: half of the measured maximum.
  const names = services;
  let qps = Number(values.qps);
  let measuredMax: number | null = null;
  if (!(qps > 0)) {
    const qfile = path.join(dir, 'queries.txt');
    writeFileSync(qfile, names.map((n) => `${n} A`).join('\n') + '\n');
    try {
      const { stdout } = await execFileAsync('dnsperf', ['-s', '127.0.0.1', '-p', String(dnsPort), '-d', qfile, '-l', '5', '-c', '4', '-q', '200'], { timeout: 30_000 });
      measuredMax = Number(/Queries per second:\s+([\d.]+)/.exec(stdout)?.[1]);
      qps = Math.max(100, Math.floor(measuredMax / 2));
      log(`dnsperf: maximum ${measuredMax.toFixed(0)} q/s with ${N} agents heartbeating; running at ${qps} q/s`);
    } catch (err) {
      qps = 1000;
      log(`dnsperf unavailable (${(err as Error).message.split('\n')[0]}); running at ${qps} q/s`);
    }
  }
  const load = spawn(process.execPath, [path.join(import.meta.dirname, 'dns-load.ts'), JSON.stringify({ port: dnsPort, qps, seconds: SECONDS, names, windowMs: WINDOW_MS })], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(load);
  const windows: Record<string, number | null>[] = [];
  let buf = '';
  load.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      windows.push(JSON.parse(buf.slice(0, nl)) as Record<string, number | null>);
      buf = buf.slice(nl + 1);
    }
  });

  const heartbeatsReceived = (m: Map<string, number>) => m.get('opengslb_gossip_messages_received_total{type="heartbeat"}') ?? 0;
  const sentTotal = () => agents.reduce((n, a) => n + a.stats.heartbeatsSent, 0);
  const rows: Record<string, number | string | null>[] = [];
  const m0 = await metrics(metricsPort);
  const base = { sent: sentTotal(), received: heartbeatsReceived(m0), cpu: cpuSeconds(ow.pid!), logLines: logLines().length };
  let prev = { ...base, t: Date.now() };
  log(`soak for ${SECONDS} s: one row every ${WINDOW_MS / 1000} s`);
  console.log('    t  rss_MB heap_MB  dns_qps  p50_ms  p99_ms  lost  hb_sent  hb_recv  missed  stale_agents  members  cpu_%  log_lines');
  const soakStart = Date.now();
  let lastWindows = 0;
  let backends = { stale: 0, unhealthy: 0 };
  while (Date.now() - soakStart < SECONDS * 1000 + 1500) {
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const m = await metrics(metricsPort);
    const now = Date.now();
    // The backend list (10,000 entries) is a large response: read it every 6th window and at the end
    // only, so the harness's own reads do not make the Overwatch's memory curve.
    const last = Date.now() - soakStart >= SECONDS * 1000;
    if (rows.length % 6 === 5 || last) {
      const list = (await (await fetch(`http://127.0.0.1:${apiPort}/api/v1/backends`, { signal: AbortSignal.timeout(30_000) })).json()) as { backends: { stale: boolean; healthy: boolean }[] };
      backends = { stale: list.backends.filter((b) => b.stale).length, unhealthy: list.backends.filter((b) => !b.healthy).length };
    }
    const w = windows.length > lastWindows ? windows.at(-1)! : null;
    lastWindows = windows.length;
    const sent = sentTotal();
    const received = heartbeatsReceived(m);
    const cpu = cpuSeconds(ow.pid!);
    const lines = logLines().length;
    const row = {
      t: Math.round((now - soakStart) / 1000),
      rssMB: Number(rssMB(ow.pid!).toFixed(1)),
      heapMB: Number(((m.get('opengslb_nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20).toFixed(1)),
      heapTotalMB: Number(((m.get('opengslb_nodejs_heap_size_total_bytes') ?? NaN) / 2 ** 20).toFixed(1)),
      externalMB: Number(((m.get('opengslb_nodejs_external_memory_bytes') ?? NaN) / 2 ** 20).toFixed(1)),
      dnsQps: w ? Math.round((w.answered ?? 0) / (WINDOW_MS / 1000)) : null,
      p50: w?.p50 ?? null,
      p99: w?.p99 ?? null,
      lost: w?.lost ?? null,
      hbSent: sent - prev.sent,
      hbReceived: received - prev.received,
      missedTotal: sent - base.sent - (received - base.received),
      staleAgents: m.get('opengslb_overwatch_stale_agents_total') ?? null,
      staleBackends: backends.stale,
      unhealthy: backends.unhealthy,
      members: m.get('opengslb_gossip_members_total') ?? null,
      cpuPct: Math.round(((cpu - prev.cpu) / ((now - prev.t) / 1000)) * 100),
      logLines: lines - prev.logLines,
    };
    rows.push(row);
    prev = { sent, received, cpu, logLines: lines, t: now };
    console.log(
      `${String(row.t).padStart(5)} ${String(row.rssMB).padStart(7)} ${String(row.heapMB).padStart(7)} ${String(row.dnsQps).padStart(8)} ${String(row.p50).padStart(7)} ${String(row.p99).padStart(7)} ${String(row.lost).padStart(5)} ${String(row.hbSent).padStart(8)} ${String(row.hbReceived).padStart(8)} ${String(row.missedTotal).padStart(7)} ${String(row.staleAgents).padStart(13)} ${String(row.members).padStart(8)} ${String(row.cpuPct).padStart(6)} ${String(row.logLines).padStart(10)}`,
    );
    if (load.exitCode !== null && windows.length === lastWindows && now - soakStart > SECONDS * 1000) break;
  }
  for (const t of timers) clearTimeout(t);
  // Heartbeats still queued in the Overwatch's socket are not missed: let it drain, then count.
  await new Promise((r) => setTimeout(r, 2000));
  // Counted from the start (registration included): a heartbeat in flight when the soak window
  // opened is neither sent before nor received after it.
  const missed = sentTotal() - heartbeatsReceived(await metrics(metricsPort));

  // Summary.
  const half = rows.slice(Math.floor(rows.length / 2));
  const slope = (key: 'rssMB' | 'heapMB') => {
    if (half.length < 2) return NaN;
    const xs = half.map((r) => Number(r.t));
    const ys = half.map((r) => Number(r[key]));
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const num = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0);
    const den = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    return (num / den) * 60; // MB per minute
  };
  const p99s = rows.map((r) => Number(r.p99)).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const log2 = logLines().slice(base.logLines);
  const summary = {
    agents: N,
    backends: N * PER_AGENT,
    seconds: SECONDS,
    heartbeatMs: HEARTBEAT_MS,
    staleThresholdMs: STALE_MS,
    qps,
    measuredMaxQps: measuredMax,
    rssMB: { first: rows[0]?.rssMB, last: rows.at(-1)?.rssMB, min: Math.min(...rows.map((r) => Number(r.rssMB))), max: Math.max(...rows.map((r) => Number(r.rssMB))), slopeSecondHalfMBPerMin: Number(slope('rssMB').toFixed(2)) },
    heapMB: { first: rows[0]?.heapMB, last: rows.at(-1)?.heapMB, min: Math.min(...rows.map((r) => Number(r.heapMB))), max: Math.max(...rows.map((r) => Number(r.heapMB))), slopeSecondHalfMBPerMin: Number(slope('heapMB').toFixed(2)) },
    dns: { windowP99Median: p99s[p99s.length >> 1] ?? null, windowP99Max: p99s.at(-1) ?? null, lost: windows.reduce((n, w) => n + Number(w.lost ?? 0), 0), sent: windows.reduce((n, w) => n + Number(w.sent ?? 0), 0) },
    heartbeats: { sent: sentTotal() - base.sent, missed },
    falseStale: {
      windowsWithStaleAgents: rows.filter((r) => Number(r.staleAgents) > 0).length,
      maxStaleAgents: Math.max(0, ...rows.map((r) => Number(r.staleAgents))),
      maxStaleBackends: Math.max(0, ...rows.map((r) => Number(r.staleBackends))),
      healthChangeLogLines: log2.filter((l) => l.includes('backend health changed')).length,
      suspectLogLines: log2.filter((l) => l.includes('suspect node has failed')).length,
    },
    simAgents: {
      authFailures: agents.reduce((n, a) => n + a.stats.authFailures, 0),
      pingsAnswered: agents.reduce((n, a) => n + a.stats.pingsAnswered, 0),
      refutations: agents.reduce((n, a) => n + a.stats.refutations, 0),
      pushPullsAnswered: agents.reduce((n, a) => n + a.stats.pushPullsAnswered, 0),
    },
    rows,
  };
  const file = values.report ?? path.join(tmpdir(), `opengslb-soak-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(summary, null, 2));
  if (values.csv) {
    const cols = ['t', 'rssMB', 'heapMB', 'heapTotalMB', 'externalMB', 'dnsQps', 'p50', 'p99', 'lost', 'hbSent', 'hbReceived', 'missedTotal', 'staleAgents', 'staleBackends', 'members', 'cpuPct'] as const;
    writeFileSync(values.csv, [cols.join(','), ...rows.map((r) => cols.map((c) => r[c] ?? '').join(','))].join('\n') + '\n');
  }
  const { rows: _rows, ...brief } = summary;
  void _rows;
  console.log(`\nsummary: ${JSON.stringify(brief, null, 2)}\nreport: ${file}${values.keep ? `\nkept: ${dir}` : ''}`);
}

try {
  await main();
  await cleanup();
} catch (err) {
  console.error(err);
  await cleanup();
  process.exitCode = 1;
}
