/**
 * File globbing for `includes:`, with the original's semantics (Go filepath.Glob plus `**`): the
 * pattern is relative to a base directory; `*`, `?` and `[...]` match within one path segment (dot
 * files included, as Go did); `**` as a whole segment matches zero or more directories. Returns files
 * only (directories are skipped), sorted lexically, without duplicates. Symlinked directory loops are
 * walked once. I/O: reads directories.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';

export function hasGlobMeta(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** Absolute paths of the files matching `pattern` (relative to `baseDir` unless absolute). */
export async function expandGlob(baseDir: string, pattern: string): Promise<string[]> {
  const absolute = isAbsolute(pattern) ? pattern : join(baseDir, pattern);
  const segments = absolute.split(/[\\/]+/);
  const start = segments[0] === '' ? sep : `${segments[0]}${sep}`;
  const found = new Set<string>();
  await walk(start, segments.slice(1).filter((s) => s !== '' && s !== '.'), found, new Set());
  const files: string[] = [];
  for (const path of found) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) files.push(path);
  }
  return files.toSorted();
}

async function walk(dir: string, segments: string[], found: Set<string>, visitedForGlobstar: Set<string>): Promise<void> {
  if (segments.length === 0) {
    found.add(dir);
    return;
  }
  const [segment, ...rest] = segments as [string, ...string[]];
  if (segment === '**') {
    const real = await realpath(dir).catch(() => undefined);
    if (real === undefined || visitedForGlobstar.has(`${real}\0${rest.length}`)) return;
    visitedForGlobstar.add(`${real}\0${rest.length}`);
    await walk(dir, rest, found, visitedForGlobstar); // zero directories
    for (const name of await listDirectories(dir)) await walk(join(dir, name), segments, found, visitedForGlobstar);
    return;
  }
  if (!hasGlobMeta(segment)) {
    await walk(join(dir, segment), rest, found, visitedForGlobstar);
    return;
  }
  const matcher = segmentMatcher(segment);
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const name of entries.toSorted()) if (matcher.test(name)) await walk(join(dir, name), rest, found, visitedForGlobstar);
}

async function listDirectories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory()) out.push(entry.name);
    else if (entry.isSymbolicLink() && (await stat(join(dir, entry.name)).catch(() => undefined))?.isDirectory()) out.push(entry.name);
  }
  return out.toSorted();
}

/** One path segment's glob as a regular expression (Go's filepath.Match syntax). */
function segmentMatcher(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      if (body.startsWith('^') || body.startsWith('!')) body = `^${body.slice(1)}`;
      source += `[${body.replace(/\\(?!.)/g, '\\\\')}]`;
      i = close;
    } else if (ch === '\\' && i + 1 < segment.length) {
      source += segment[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
