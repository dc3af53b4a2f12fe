/**
 * One bounded dnsperf run through the reference `run-dnsperf.sh` (dnsperf pinned to CPU 1, 127.0.0.1
 * only, stops itself after SECS, hard cap SECS+30), parsed from its one summary line. Server CPU is
 * the server's process tree, sampled by the script over the steady part of the run.
 */
import type { ProcessSet } from './bench-processes.ts';

export interface DnsperfOptions {
  script: string;
  port: number;
  queryFile: string;
  serverPid: number;
  label: string;
  secs: number;
  dnssecOk: boolean;
  /** Raw dnsperf output is kept here (run-dnsperf.sh OUTDIR). */
  outDir: string;
  /** Per-query latencies (dnsperf -v) for p50/p99; costs dnsperf CPU, so not used for throughput runs. */
  latency?: boolean;
  /** dnsperf -Q: cap the offered rate. */
  maxQps?: number;
  /** taskset CPU list for dnsperf; `all` = unpinned. Default 1. */
  cpus?: string;
  /** Niceness for dnsperf (see --nice); 0 = unchanged. */
  nice?: number;
  /** EDNS Client Subnet option to send (hex of the option data: family, source, scope, address). */
  ecsHex?: string;
}

export interface DnsperfResult {
  label: string;
  line: string;
  qps: number;
  avgLatencyMs: number;
  lost: number;
  sent: number;
  dnsperfCpuPercent: number;
  serverCpuPercent: number;
  cpu0BusyPercent: number;
  cpu1BusyPercent: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Server CPU time per answered query, microseconds. */
  cpuMicrosPerQuery: number;
}

export async function runDnsperf(procs: ProcessSet, o: DnsperfOptions): Promise<DnsperfResult> {
  // DO=0 runs still send EDNS (-e), as resolvers do: the pair then differs only in the DO bit.
  const extra = `${o.dnssecOk ? '-D' : '-e'}${o.ecsHex ? ` -E 8:${o.ecsHex}` : ''}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SECS: String(o.secs),
    CPU: o.cpus ?? '1',
    SPID: String(o.serverPid),
    LABEL: o.label,
    OUTDIR: o.outDir,
    EXTRA: extra,
    LAT: o.latency ? '1' : '0',
    ...(o.maxQps ? { QPS: String(o.maxQps) } : {}),
  };
  const [cmd, args] = o.nice ? ['nice', ['-n', String(o.nice), 'bash', o.script]] : ['bash', [o.script]];
  const run = procs.spawn(`dnsperf ${o.label}`, cmd, [...args, String(o.port), o.queryFile], { env, stdio: ['ignore', 'pipe', 'pipe'] }, true);
  let out = '';
  let err = '';
  run.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  run.child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => run.child.once('exit', (c) => resolve(c)));
  const line = out.trim().split('\n').filter((l) => l.startsWith('label=')).pop();
  if (code !== 0 || !line) throw new Error(`run-dnsperf.sh ${o.label} failed (exit ${code}): ${err.trim() || out.trim()}`);
  return parseSummary(line);
}

export function parseSummary(line: string): DnsperfResult {
  const kv = new Map<string, string>();
  for (const part of line.split(/\s+/)) {
    const i = part.indexOf('=');
    if (i > 0) kv.set(part.slice(0, i), part.slice(i + 1));
  }
  const num = (k: string) => {
    const v = Number(kv.get(k));
    return Number.isFinite(v) ? v : NaN;
  };
  const qps = num('qps');
  const serverCpuPercent = num('server_cpu%');
  const r: DnsperfResult = {
    label: kv.get('label') ?? '?',
    line,
    qps,
    avgLatencyMs: num('avg_lat_ms'),
    lost: num('lost'),
    sent: num('sent'),
    dnsperfCpuPercent: num('dnsperf_cpu%'),
    serverCpuPercent,
    cpu0BusyPercent: num('cpu0_busy%'),
    cpu1BusyPercent: num('cpu1_busy%'),
    cpuMicrosPerQuery: qps > 0 ? (serverCpuPercent / 100 / qps) * 1e6 : NaN,
  };
  if (kv.has('p50_ms')) r.p50Ms = num('p50_ms');
  if (kv.has('p99_ms')) r.p99Ms = num('p99_ms');
  return r;
}
