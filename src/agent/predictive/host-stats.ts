/**
 * Parsers for the host's /proc/stat and /proc/meminfo, and the percentages the predictive monitor
 * reads from them. Pure: text in, numbers out; never throws on malformed text (returns undefined).
 *
 * CPU: the aggregate `cpu` line of /proc/stat, in USER_HZ ticks. Busy % between two readings is
 * `(Δtotal − Δidle) / Δtotal`, where total = user+nice+system+idle+iowait+irq+softirq+steal and
 * idle = idle+iowait. guest/guest_nice are left out: the kernel already counts them in user/nice.
 * A single reading has no percentage (the first sample primes; no invented 0%).
 *
 * Memory: `(MemTotal − MemAvailable) / MemTotal`; kernels older than 3.14 have no MemAvailable, then
 * MemFree + Buffers + Cached stands in for it.
 */

export interface CpuTicks {
  readonly totalTicks: number;
  readonly idleTicks: number;
  /** `cpuN` lines: CPUs the kernel reports (the host's, in a container without lxcfs). */
  readonly cpuCount: number;
}

export interface HostMemory {
  readonly totalBytes: number;
  readonly availableBytes: number;
}

export function parseProcStat(text: string): CpuTicks | undefined {
  let ticks: CpuTicks | undefined;
  let cpuCount = 0;
  for (const line of text.split('\n')) {
    if (/^cpu\d+\s/.test(line)) {
      cpuCount++;
      continue;
    }
    if (!line.startsWith('cpu ')) continue;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    if (f.length < 4 || f.some((n) => !Number.isFinite(n) || n < 0)) return undefined;
    const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = f as [number, number, number, number, ...number[]];
    ticks = { totalTicks: user + nice + system + idle + iowait + irq + softirq + steal, idleTicks: idle + iowait, cpuCount: 0 };
  }
  return ticks === undefined ? undefined : { ...ticks, cpuCount };
}

/** Busy % of all CPUs between two readings; undefined when no time passed or the counters went back. */
export function cpuBusyPercent(prev: CpuTicks, cur: CpuTicks): number | undefined {
  const total = cur.totalTicks - prev.totalTicks;
  const idle = cur.idleTicks - prev.idleTicks;
  if (!(total > 0) || idle < 0 || idle > total) return undefined;
  return ((total - idle) / total) * 100;
}

export function parseMeminfo(text: string): HostMemory | undefined {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (m !== null) kb.set(m[1]!, Number(m[2]));
  }
  const total = kb.get('MemTotal');
  if (total === undefined || total <= 0) return undefined;
  let available = kb.get('MemAvailable');
  if (available === undefined) {
    const free = kb.get('MemFree');
    if (free === undefined) return undefined;
    available = free + (kb.get('Buffers') ?? 0) + (kb.get('Cached') ?? 0);
  }
  return { totalBytes: total * 1024, availableBytes: Math.min(available, total) * 1024 };
}

export function memUsedPercent(mem: HostMemory): number {
  return ((mem.totalBytes - mem.availableBytes) / mem.totalBytes) * 100;
}
