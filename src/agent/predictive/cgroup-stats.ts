/**
 * Parsers for the cgroup files the predictive monitor reads, and the path maths of walking a cgroup
 * up to its mount. Pure: text in, numbers out; never throws on malformed text (returns undefined).
 *
 * cgroup v2 (unified): `cpu.max` ("max 100000" or "QUOTA PERIOD", µs), `cpu.stat` (`usage_usec`),
 * `memory.max` ("max" or bytes), `memory.current`, `memory.stat` (`inactive_file`).
 * cgroup v1: `cpu.cfs_quota_us` (-1 = none) / `cpu.cfs_period_us`, `cpuacct.usage` (ns),
 * `memory.limit_in_bytes` (a huge number = none), `memory.usage_in_bytes`, `memory.stat`
 * (`total_inactive_file`, else `inactive_file`).
 */
import { posix } from 'node:path';

export interface CgroupMembership {
  /** Path of the process in the unified (v2) hierarchy, from the `0::PATH` line. */
  readonly unifiedPath: string | undefined;
  /** v1 controller → its hierarchy's controller list as mounted (e.g. "cpu,cpuacct") and the path. */
  readonly v1: ReadonlyMap<string, { readonly controllers: string; readonly path: string }>;
}

/** Parses /proc/self/cgroup (`ID:CONTROLLERS:PATH` lines). */
export function parseProcSelfCgroup(text: string): CgroupMembership {
  let unifiedPath: string | undefined;
  const v1 = new Map<string, { controllers: string; path: string }>();
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1).trim();
    if (!path.startsWith('/')) continue;
    if (controllers === '') {
      unifiedPath = path;
      continue;
    }
    for (const c of controllers.split(',')) if (c !== '' && !c.startsWith('name=')) v1.set(c, { controllers, path });
  }
  return { unifiedPath, v1 };
}

/** `key value` lines (cpu.stat, memory.stat) to a map of finite numbers. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(-?\d+(?:\.\d+)?)\s*$/.exec(line);
    if (m !== null) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** A single integer file (memory.current, cpuacct.usage, …). */
export function parseInteger(text: string): number | undefined {
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) : undefined;
}

/** v2 `cpu.max` → CPUs allowed (quota / period); undefined for "max" or malformed text. */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period = '100000'] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return undefined;
  const q = Number(quota);
  const p = Number(period);
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : undefined;
}

/** v1 quota/period (µs) → CPUs allowed; undefined for -1 (no quota) or malformed text. */
export function parseCfsQuota(quotaText: string, periodText: string): number | undefined {
  const q = parseInteger(quotaText);
  const p = parseInteger(periodText);
  return q !== undefined && p !== undefined && q > 0 && p > 0 ? q / p : undefined;
}

/** v2 `memory.max` / v1 `memory.limit_in_bytes` → bytes; undefined for "max" or malformed text. */
export function parseMemoryLimit(text: string): number | undefined {
  const t = text.trim();
  if (t === 'max') return undefined;
  const n = parseInteger(t);
  return n !== undefined && n > 0 ? n : undefined;
}

/**
 * Directories from the process's own cgroup up to the mount, own first. A path that leaves the mount
 * (it cannot, but it is kernel text we did not write) is clamped to the mount.
 */
export function cgroupLevels(mountDir: string, cgroupPath: string): string[] {
  const mount = posix.normalize(mountDir).replace(/(.)\/+$/, '$1');
  const own = posix.join(mount, posix.normalize(`/${cgroupPath}`));
  const levels: string[] = [];
  for (let dir = own; ; dir = posix.dirname(dir)) {
    if (dir !== mount && !dir.startsWith(mount === '/' ? '/' : `${mount}/`)) return [mount];
    levels.push(dir);
    if (dir === mount || dir === '/') return levels;
  }
}
