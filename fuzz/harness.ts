/**
 * The fuzz loop: runs one target for a bounded time (and at most `maxInputs`), tallies the outcome
 * class of every input, and records findings: an exception escaping the code under test, or a
 * property the target checks (malformed response, next valid input not answered). Heap and RSS are
 * measured before and after (after a forced GC when node runs with --expose-gc).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Rng } from './rng.ts';

/** A violated property (as opposed to an exception escaping the code under test). */
export class FuzzFinding extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuzzFinding';
  }
}

export interface FuzzTarget {
  readonly name: string;
  readonly description: string;
  /** The last input given to the code under test (kept with a finding for reproduction). */
  readonly lastInput: Buffer | string;
  /**
   * Runs one input and checks its outcome; returns the outcome class for the tally ('formerr',
   * 'drop', 'noerror', 'rejected', ...). Throws FuzzFinding on a violated property; anything else
   * thrown is an exception that escaped the code under test.
   */
  one(rng: Rng): string | Promise<string>;
  /** Inputs one call sends (batching targets); 1 when absent. */
  readonly inputsPerCall?: number;
  close?(): Promise<void>;
}

export interface FindingRecord {
  kind: 'exception' | 'property';
  message: string;
  count: number;
  /** base64 of the first input that produced it */
  input: string;
  seed: number;
  index: number;
}

export interface TargetReport {
  name: string;
  description: string;
  inputs: number;
  seconds: number;
  perSecond: number;
  outcomes: Record<string, number>;
  findings: FindingRecord[];
  heapBeforeMB: number;
  heapAfterMB: number;
  rssBeforeMB: number;
  rssAfterMB: number;
  /** RSS sampled every 2 s while the target ran (a leak shows as a steady climb). */
  rssSamplesMB: number[];
}

export interface RunOptions {
  durationMs: number;
  seed: number;
  maxInputs?: number;
}

const MB = 1024 * 1024;

/** A full GC: node's --expose-gc global, else the same function obtained at run time. */
function collect(): void {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
}

function signature(err: unknown): string {
  if (err instanceof Error) {
    const frame = (err.stack ?? '').split('\n').find((l) => l.trim().startsWith('at ')) ?? '';
    return `${err.name}: ${err.message.slice(0, 200)} ${frame.trim()}`;
  }
  return `non-Error thrown: ${String(err).slice(0, 200)}`;
}

export async function runTarget(target: FuzzTarget, opts: RunOptions): Promise<TargetReport> {
  const rng = new Rng(opts.seed);
  const outcomes: Record<string, number> = {};
  const findings = new Map<string, FindingRecord>();
  collect();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const deadline = started + opts.durationMs;
  const max = opts.maxInputs ?? Number.MAX_SAFE_INTEGER;
  let n = 0;
  let calls = 0;
  const perCall = target.inputsPerCall ?? 1;
  let lastYield = started;
  let nextSample = started + 2000;
  const rssSamples: number[] = [];
  while (n < max) {
    if ((calls & 63) === 0 || perCall > 1) {
      const now = performance.now();
      if (now >= deadline) break;
      if (now >= nextSample) {
        rssSamples.push(Math.round(process.memoryUsage().rss / MB));
        nextSample = now + 2000;
      }
      // Let sockets, timers and GC finalisers run now and then (async targets yield anyway).
      if (now - lastYield > 50) {
        await new Promise<void>((r) => setImmediate(r));
        lastYield = performance.now();
      }
    }
    let outcome: string;
    try {
      const r = target.one(rng);
      outcome = typeof r === 'string' ? r : await r;
    } catch (err) {
      const kind = err instanceof FuzzFinding ? 'property' : 'exception';
      const key = `${kind} ${signature(err)}`;
      const seen = findings.get(key);
      if (seen) seen.count++;
      else {
        const input = target.lastInput;
        findings.set(key, {
          kind,
          message: signature(err),
          count: 1,
          input: typeof input === 'string' ? Buffer.from(input, 'utf8').toString('base64') : input.toString('base64'),
          seed: opts.seed,
          index: calls,
        });
      }
      outcome = `finding:${kind}`;
    }
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    calls++;
    n += perCall;
  }
  const seconds = (performance.now() - started) / 1000;
  collect();
  const mem = process.memoryUsage();
  return {
    name: target.name,
    description: target.description,
    inputs: n,
    seconds,
    perSecond: Math.round(n / Math.max(seconds, 1e-9)),
    outcomes,
    findings: [...findings.values()],
    heapBeforeMB: heapBefore / MB,
    heapAfterMB: mem.heapUsed / MB,
    rssBeforeMB: rssBefore / MB,
    rssAfterMB: mem.rss / MB,
    rssSamplesMB: rssSamples,
  };
}

export function formatReport(r: TargetReport): string {
  const outcomes = Object.entries(r.outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const lines = [
    `${r.name.padEnd(16)} ${String(r.inputs).padStart(10)} inputs in ${r.seconds.toFixed(1)} s (${r.perSecond}/s)  heap ${r.heapBeforeMB.toFixed(1)} -> ${r.heapAfterMB.toFixed(1)} MB  rss ${r.rssBeforeMB.toFixed(0)} -> ${r.rssAfterMB.toFixed(0)} MB  findings ${r.findings.length}`,
    `${''.padEnd(16)} ${outcomes}`,
  ];
  if (r.rssSamplesMB.length > 2) lines.push(`${''.padEnd(16)} rss every 2 s (MB): ${r.rssSamplesMB.join(' ')}`);
  for (const f of r.findings) lines.push(`  FINDING (${f.kind}, x${f.count}, seed ${f.seed}, input #${f.index}): ${f.message}\n    input (base64): ${f.input.slice(0, 400)}`);
  return lines.join('\n');
}
