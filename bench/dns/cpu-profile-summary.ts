/**
 * Self time per function of a V8 .cpuprofile (node --cpu-prof), grouped into our code (src/), Node's
 * own JavaScript (node:*), native/GC/idle, and the rest, so a loaded run shows where a query's CPU goes.
 * Only the loaded window counts: from the first to the last 100 ms in which most samples are inside
 * the UDP receive/send path (dgram or the native batch socket; start-up, module loading and the
 * idle tail are left out).
 *   node bench/dns/cpu-profile-summary.ts FILE.cpuprofile [top=30]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const DNS_PATH = new Set(['#onMessage', 'onMessage', 'doSend', 'onmessage', '#onBatch']);
const BUCKET_US = 100_000;

/** [from, to) sample indices of the loaded window (see the header); the whole profile if none. */
function loadedWindow(p: Profile): [number, number] {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const inDns = new Map<number, boolean>();
  const isDns = (id: number): boolean => {
    const known = inDns.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id);
    const up = parent.get(id);
    const v = n !== undefined && (DNS_PATH.has(n.callFrame.functionName) || (up !== undefined && isDns(up)));
    inDns.set(id, v);
    return v;
  };
  const buckets = new Map<number, { dns: number; all: number; first: number; last: number }>();
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    const k = Math.floor(t / BUCKET_US);
    const b = buckets.get(k) ?? { dns: 0, all: 0, first: i, last: i };
    b.all++;
    b.last = i;
    if (isDns(p.samples[i]!)) b.dns++;
    buckets.set(k, b);
  }
  // 10%, not a majority: on the native path recvmmsg/sendmmsg run in libuv's poll phase, which V8
  // samples as (idle), so a saturated bucket may hold only ~15-30% samples under #onBatch.
  const loaded = [...buckets.entries()].filter(([, b]) => b.dns * 10 > b.all).sort((a, b) => a[0] - b[0]);
  if (loaded.length === 0) return [0, p.samples.length];
  return [loaded[0]![1].first, loaded.at(-1)![1].last + 1];
}

/** '#onBatch' when the profile is of the native UDP path. */
function dnsEntry(p: Profile): string | undefined {
  return p.nodes.find((n) => DNS_PATH.has(n.callFrame.functionName))?.callFrame.functionName;
}

function groupOf(url: string, fn: string): string {
  if (fn === '(idle)') return 'idle (waiting for packets)';
  if (fn === '(garbage collector)') return 'garbage collector';
  if (fn === '(program)') return 'native (program: libuv, syscalls, V8 runtime)';
  if (url.includes('/src/')) return 'OpenGSLB (src/)';
  if (url.startsWith('node:')) return 'Node.js library JavaScript (node:*)';
  if (url === '') return 'native builtins (C++ called from JS)';
  return 'other JavaScript (node_modules, bench)';
}

export function summarizeProfile(file: string, top = 30): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const [from, to] = loadedWindow(p);
  const selfUs = new Map<number, number>();
  for (let i = from; i < to; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  const byFn = new Map<string, number>();
  const byGroup = new Map<string, number>();
  let total = 0;
  let busy = 0;
  for (const n of p.nodes) {
    const t = selfUs.get(n.id) ?? 0;
    if (t === 0) continue;
    const cf = n.callFrame;
    const fn = cf.functionName || '(anonymous)';
    total += t;
    const group = groupOf(cf.url, fn);
    byGroup.set(group, (byGroup.get(group) ?? 0) + t);
    if (fn === '(idle)') continue;
    busy += t;
    const where = cf.url ? `${cf.url.replace(/^.*\/(src|bench|node_modules)\//, '$1/')}:${cf.lineNumber + 1}` : '(native)';
    const key = `${fn}  ${where}`;
    byFn.set(key, (byFn.get(key) ?? 0) + t);
  }
  const pct = (t: number, of: number) => `${((t / of) * 100).toFixed(1).padStart(5)}%`;
  const lines = [
    `profile: ${path.basename(file)}`,
    `loaded window: samples ${from}-${to} of ${p.samples.length}, ${(total / 1e6).toFixed(1)} s, busy (not idle) ${(busy / 1e6).toFixed(1)} s`,
    '',
    'self time by group (% of busy; idle as % of all):',
  ];
  if (dnsEntry(p) === '#onBatch') lines.splice(2, 0, 'native UDP path: its recvmmsg/sendmmsg time is sampled as idle (libuv poll phase); the server CPU from /proc is the cost figure');
  for (const [g, t] of [...byGroup].sort((a, b) => b[1] - a[1])) lines.push(`  ${g === 'idle (waiting for packets)' ? pct(t, total) : pct(t, busy)}  ${g}`);
  lines.push('', `top ${top} functions by self time (% of busy):`);
  for (const [k, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(t, busy)}  ${(t / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/dns/cpu-profile-summary.ts FILE.cpuprofile [top=30]');
    process.exit(2);
  }
  console.log(summarizeProfile(file, Number(process.argv[3] ?? 30)));
}
