/**
 * SystemSampler: CPU % and memory % of the machine the agent runs on, or of its container when the
 * container is limited. Linux only (/proc and /sys/fs/cgroup); both roots are injectable so tests run
 * against fixture directories.
 *
 * Which figures:
 * - The process's cgroup comes from /proc/self/cgroup. cgroup v2 when `<cgroupRoot>/cgroup.controllers`
 *   exists, else v1 (per-controller mounts such as `<cgroupRoot>/memory`, `<cgroupRoot>/cpu,cpuacct`).
 *   When the cgroup path does not exist under the mount (a v1 container without a cgroup namespace sees
 *   its own cgroup at the mount root) the mount root is used.
 * - Every level from the process's cgroup up to the mount root that sets a limit is considered: a
 *   memory limit below the host's MemTotal, a CPU quota below the host's CPU count. Memory % at a level
 *   = (usage − inactive_file) / limit (page cache the kernel can drop is not pressure); CPU % = CPU time
 *   used / (wall time × CPUs allowed). The highest percentage among the limited levels is reported,
 *   since the tightest limit is the one that throttles or OOM-kills. Without any limit: the host figures
 *   (host-stats.ts).
 * - CPU is a rate: the first sample of any source (host or a cgroup level) only primes it and reports
 *   `undefined`, never a fake 0%. Wall time for cgroup CPU is the `nowMs` the caller passes (its Clock).
 * - Percentages are clamped to [0, 100] (a CFS burst can briefly exceed the quota).
 *
 * sample() never rejects: an unreadable or malformed file leaves that figure `undefined` and adds a
 * one-line description to `errors`. A missing optional cgroup file (the root cgroup has no cpu.max)
 * is not an error. Not handled: cpuset-only restrictions (no quota) count against all host CPUs.
 */
import { readFile, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import {
  cgroupLevels,
  parseCfsQuota,
  parseCpuMax,
  parseFlatKeyed,
  parseInteger,
  parseMemoryLimit,
  parseProcSelfCgroup,
  type CgroupMembership,
} from './cgroup-stats.ts';
import { cpuBusyPercent, memUsedPercent, parseMeminfo, parseProcStat, type CpuTicks } from './host-stats.ts';

export type StatsSource = 'host' | 'cgroup-v1' | 'cgroup-v2';

export interface SystemSample {
  readonly cpuPercent: number | undefined;
  /** Where cpuPercent came from (also set while a source is priming). */
  readonly cpuSource: StatsSource | undefined;
  readonly memPercent: number | undefined;
  readonly memSource: StatsSource | undefined;
  /** Problems reading statistics this time, one line each; no secrets in them. */
  readonly errors: readonly string[];
}

/** What the monitor needs from a sampler; tests pass fakes. */
export interface SystemStatsSource {
  sample(nowMs: number): Promise<SystemSample>;
}

export interface SystemSamplerOptions {
  /** Default `/proc`. */
  procRoot?: string;
  /** Default `/sys/fs/cgroup`. */
  cgroupRoot?: string;
}

interface MemoryLevel {
  limitBytes: number;
  usageBytes: number;
  inactiveFileBytes: number;
}

interface CpuLevel {
  /** Key of this level's usage counter, for the previous reading. */
  key: string;
  cpus: number;
  usageMicros: number;
}

interface CgroupReading {
  version: 'cgroup-v1' | 'cgroup-v2';
  memory: MemoryLevel[];
  cpu: CpuLevel[];
}

/** Effectively unlimited when the host's MemTotal is unknown (v1 reports ~2^63 for "no limit"). */
const noLimitBytes = 2 ** 60;

function clampPercent(p: number): number {
  return Math.min(100, Math.max(0, p));
}

function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function describeError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

export class SystemSampler implements SystemStatsSource {
  readonly procRoot: string;
  readonly cgroupRoot: string;
  #prevHost: CpuTicks | undefined;
  #prevCgroup = new Map<string, { usageMicros: number; atMs: number }>();

  constructor(options: SystemSamplerOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
    this.cgroupRoot = options.cgroupRoot ?? '/sys/fs/cgroup';
  }

  async sample(nowMs: number): Promise<SystemSample> {
    const errors: string[] = [];
    const read = async (file: string, isOptional: boolean): Promise<string | undefined> => {
      try {
        return await readFile(file, 'utf8');
      } catch (err) {
        if (!(isOptional && isMissing(err))) errors.push(`${file}: ${describeError(err)}`);
        return undefined;
      }
    };

    const statText = await read(posix.join(this.procRoot, 'stat'), false);
    const ticks = statText === undefined ? undefined : parseProcStat(statText);
    if (statText !== undefined && ticks === undefined) errors.push(`${posix.join(this.procRoot, 'stat')}: no aggregate cpu line`);
    const memText = await read(posix.join(this.procRoot, 'meminfo'), false);
    const hostMem = memText === undefined ? undefined : parseMeminfo(memText);
    if (memText !== undefined && hostMem === undefined) errors.push(`${posix.join(this.procRoot, 'meminfo')}: no MemTotal/MemAvailable`);

    const cgroup = await this.#readCgroups(read, errors);

    // Memory: the most pressed limited level, else the host.
    let memPercent: number | undefined;
    let memSource: StatsSource | undefined;
    const memCeiling = hostMem?.totalBytes ?? noLimitBytes;
    for (const level of cgroup?.memory ?? []) {
      if (level.limitBytes >= memCeiling) continue;
      const p = clampPercent((Math.max(0, level.usageBytes - level.inactiveFileBytes) / level.limitBytes) * 100);
      memSource = cgroup!.version;
      memPercent = memPercent === undefined ? p : Math.max(memPercent, p);
    }
    if (memSource === undefined && hostMem !== undefined) {
      memPercent = clampPercent(memUsedPercent(hostMem));
      memSource = 'host';
    }

    // CPU: the most loaded limited level (each primes on its first reading), else the host.
    let cpuPercent: number | undefined;
    let cpuSource: StatsSource | undefined;
    const cpuCeiling = ticks !== undefined && ticks.cpuCount > 0 ? ticks.cpuCount : Infinity;
    const seen = new Map<string, { usageMicros: number; atMs: number }>();
    for (const level of cgroup?.cpu ?? []) {
      seen.set(level.key, { usageMicros: level.usageMicros, atMs: nowMs });
      if (level.cpus >= cpuCeiling) continue;
      cpuSource = cgroup!.version;
      const prev = this.#prevCgroup.get(level.key);
      if (prev === undefined || nowMs <= prev.atMs || level.usageMicros < prev.usageMicros) continue;
      const p = clampPercent(((level.usageMicros - prev.usageMicros) / ((nowMs - prev.atMs) * 1000 * level.cpus)) * 100);
      cpuPercent = cpuPercent === undefined ? p : Math.max(cpuPercent, p);
    }
    this.#prevCgroup = seen;
    if (cpuSource === undefined && ticks !== undefined) {
      cpuSource = 'host';
      if (this.#prevHost !== undefined) {
        const p = cpuBusyPercent(this.#prevHost, ticks);
        cpuPercent = p === undefined ? undefined : clampPercent(p);
      }
    }
    if (ticks !== undefined) this.#prevHost = ticks;

    return { cpuPercent, cpuSource, memPercent, memSource, errors };
  }

  async #readCgroups(
    read: (file: string, isOptional: boolean) => Promise<string | undefined>,
    errors: string[],
  ): Promise<CgroupReading | undefined> {
    const membershipText = await read(posix.join(this.procRoot, 'self', 'cgroup'), true);
    const membership: CgroupMembership = parseProcSelfCgroup(membershipText ?? '');
    if (await this.#exists(posix.join(this.cgroupRoot, 'cgroup.controllers'))) {
      const levels = await this.#levels(this.cgroupRoot, membership.unifiedPath ?? '/');
      return { version: 'cgroup-v2', ...(await this.#readV2(levels, read, errors)) };
    }
    const memoryMount = await this.#v1Mount(membership, 'memory');
    const cpuMount = await this.#v1Mount(membership, 'cpu');
    const cpuacctMount = await this.#v1Mount(membership, 'cpuacct');
    if (memoryMount === undefined && cpuMount === undefined) return undefined;
    const memory: MemoryLevel[] = [];
    if (memoryMount !== undefined) {
      for (const dir of await this.#levels(memoryMount, membership.v1.get('memory')?.path ?? '/')) {
        const limitText = await read(posix.join(dir, 'memory.limit_in_bytes'), true);
        const limitBytes = limitText === undefined ? undefined : parseMemoryLimit(limitText);
        if (limitBytes === undefined) continue;
        const usageText = await read(posix.join(dir, 'memory.usage_in_bytes'), false);
        const usageBytes = usageText === undefined ? undefined : parseInteger(usageText);
        const statText = await read(posix.join(dir, 'memory.stat'), true);
        const st = parseFlatKeyed(statText ?? '');
        if (usageBytes === undefined) {
          if (usageText !== undefined) errors.push(`${dir}/memory.usage_in_bytes: not an integer`);
          continue;
        }
        memory.push({ limitBytes, usageBytes, inactiveFileBytes: st.get('total_inactive_file') ?? st.get('inactive_file') ?? 0 });
      }
    }
    const cpu: CpuLevel[] = [];
    if (cpuMount !== undefined) {
      const cpuPath = membership.v1.get('cpu')?.path ?? '/';
      for (const dir of await this.#levels(cpuMount, cpuPath)) {
        const quotaText = await read(posix.join(dir, 'cpu.cfs_quota_us'), true);
        const periodText = await read(posix.join(dir, 'cpu.cfs_period_us'), true);
        const cpus = quotaText === undefined || periodText === undefined ? undefined : parseCfsQuota(quotaText, periodText);
        if (cpus === undefined) continue;
        // cpuacct at the same place in its own hierarchy (the same directory when co-mounted).
        const usageDir = cpuacctMount === undefined ? dir : posix.join(cpuacctMount, posix.relative(cpuMount, dir));
        const usageFile = posix.join(usageDir, 'cpuacct.usage');
        const usageText = await read(usageFile, false);
        const usageNs = usageText === undefined ? undefined : parseInteger(usageText);
        if (usageNs === undefined) {
          if (usageText !== undefined) errors.push(`${usageFile}: not an integer`);
          continue;
        }
        cpu.push({ key: usageFile, cpus, usageMicros: usageNs / 1000 });
      }
    }
    return { version: 'cgroup-v1', memory, cpu };
  }

  async #readV2(
    levels: string[],
    read: (file: string, isOptional: boolean) => Promise<string | undefined>,
    errors: string[],
  ): Promise<{ memory: MemoryLevel[]; cpu: CpuLevel[] }> {
    const memory: MemoryLevel[] = [];
    const cpu: CpuLevel[] = [];
    for (const dir of levels) {
      const maxText = await read(posix.join(dir, 'memory.max'), true);
      const limitBytes = maxText === undefined ? undefined : parseMemoryLimit(maxText);
      if (limitBytes !== undefined) {
        const currentText = await read(posix.join(dir, 'memory.current'), false);
        const usageBytes = currentText === undefined ? undefined : parseInteger(currentText);
        const st = parseFlatKeyed((await read(posix.join(dir, 'memory.stat'), true)) ?? '');
        if (usageBytes !== undefined) memory.push({ limitBytes, usageBytes, inactiveFileBytes: st.get('inactive_file') ?? 0 });
        else if (currentText !== undefined) errors.push(`${dir}/memory.current: not an integer`);
      }
      const cpuMaxText = await read(posix.join(dir, 'cpu.max'), true);
      const cpus = cpuMaxText === undefined ? undefined : parseCpuMax(cpuMaxText);
      if (cpus !== undefined) {
        const statFile = posix.join(dir, 'cpu.stat');
        const statText = await read(statFile, false);
        const usage = statText === undefined ? undefined : parseFlatKeyed(statText).get('usage_usec');
        if (usage !== undefined) cpu.push({ key: statFile, cpus, usageMicros: usage });
        else if (statText !== undefined) errors.push(`${statFile}: no usage_usec`);
      }
    }
    return { memory, cpu };
  }

  /** The v1 mount of a controller: `<root>/<controllers as listed>` (e.g. cpu,cpuacct), else `<root>/<controller>`. */
  async #v1Mount(membership: CgroupMembership, controller: string): Promise<string | undefined> {
    const listed = membership.v1.get(controller)?.controllers;
    const candidates = [listed, controller, 'cpu,cpuacct', 'cpuacct,cpu'].filter(
      (c): c is string => c !== undefined && (c === controller || c.split(',').includes(controller)),
    );
    for (const name of candidates) {
      const dir = posix.join(this.cgroupRoot, name);
      if (await this.#exists(dir)) return dir;
    }
    return undefined;
  }

  /** The levels from the process's cgroup to the mount, or only the mount when that cgroup is not visible. */
  async #levels(mountDir: string, cgroupPath: string): Promise<string[]> {
    const levels = cgroupLevels(mountDir, cgroupPath);
    return (await this.#exists(levels[0]!)) ? levels : [levels.at(-1)!];
  }

  async #exists(file: string): Promise<boolean> {
    try {
      await stat(file);
      return true;
    } catch (err) {
      // Unreadable counts as absent: the sampler then falls back to the next source (never rejects).
      void err;
      return false;
    }
  }
}
