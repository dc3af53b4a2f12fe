/**
 * `npm run fuzz [-- --seconds 60 --target dns,config --seed 7]`: runs every fuzz target for its
 * share of the time (bounded), prints totals per target (inputs, rate, outcome classes, heap and
 * RSS before and after, findings with the input in base64) and writes a JSON report to the OS temp
 * dir. Exit status 1 when anything was found. Targets and what each checks: fuzz/targets/*.ts.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport, runTarget, type FuzzTarget, type TargetReport } from './harness.ts';
import { SERVED_NAMES, ZONE, startFixture } from './fixture.ts';
import { dnsTarget, dnsUdpTarget } from './targets/dns.ts';
import { gossipNodeTarget, gossipPacketTarget, startEnvelopeTarget } from './targets/gossip.ts';
import { configTarget } from './targets/config.ts';
import { apiTarget } from './targets/api.ts';

/** Share of the total time per target. */
const SHARES: Record<string, number> = {
  dns: 0.3,
  'dns-udp': 0.1,
  'gossip-packet': 0.1,
  'gossip-node': 0.15,
  envelope: 0.1,
  config: 0.1,
  api: 0.15,
};

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    target: { type: 'string', default: Object.keys(SHARES).join(',') },
    seed: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) {
  console.error(`--seconds: expected a number of seconds in (0, 86400], got ${JSON.stringify(values.seconds)}`);
  process.exit(2);
}
const wanted = values.target.split(',').filter(Boolean);
for (const w of wanted) {
  if (!(w in SHARES)) {
    console.error(`--target: unknown target ${JSON.stringify(w)}; known: ${Object.keys(SHARES).join(', ')}`);
    process.exit(2);
  }
}
const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : (Date.now() ^ process.pid) >>> 0;
const totalShare = wanted.reduce((s, w) => s + SHARES[w]!, 0);
if (!(globalThis as { gc?: unknown }).gc) console.log('note: run with node --expose-gc for heap figures after a full GC');
console.log(`fuzzing ${wanted.join(', ')} for ${seconds} s, seed ${seed}`);

const fixture = await startFixture();
const reports: TargetReport[] = [];
const memStart = process.memoryUsage();
try {
  for (const name of wanted) {
    const durationMs = (seconds * 1000 * SHARES[name]!) / totalShare;
    let target: FuzzTarget & { close?(): Promise<void> };
    switch (name) {
      case 'dns':
        target = dnsTarget(() => fixture.snapshot(), SERVED_NAMES, ZONE);
        break;
      case 'dns-udp':
        target = await dnsUdpTarget(fixture.overwatch.dnsPort, SERVED_NAMES, ZONE);
        break;
      case 'gossip-packet':
        target = gossipPacketTarget();
        break;
      case 'gossip-node':
        target = gossipNodeTarget();
        break;
      case 'envelope':
        target = await startEnvelopeTarget();
        break;
      case 'config':
        target = configTarget();
        break;
      default:
        target = apiTarget(fixture.api);
    }
    try {
      const report = await runTarget(target, { durationMs, seed });
      reports.push(report);
      console.log(formatReport(report));
    } finally {
      await target.close?.();
    }
  }
} finally {
  await fixture.close();
}
const memEnd = process.memoryUsage();
const total = reports.reduce((s, r) => s + r.inputs, 0);
const findings = reports.reduce((s, r) => s + r.findings.length, 0);
console.log(
  `\ntotal ${total} inputs in ${reports.reduce((s, r) => s + r.seconds, 0).toFixed(1)} s; ${findings} distinct findings; ` +
    `heap ${(memStart.heapUsed / 2 ** 20).toFixed(1)} -> ${(memEnd.heapUsed / 2 ** 20).toFixed(1)} MB, rss ${(memStart.rss / 2 ** 20).toFixed(0)} -> ${(memEnd.rss / 2 ** 20).toFixed(0)} MB` +
    (fixture.errorLines.length > 0 ? `; the Overwatch logged ${fixture.errorLines.length} error lines, first: ${fixture.errorLines[0]}` : ''),
);
const file = path.join(tmpdir(), `opengslb-fuzz-${seed}.json`);
writeFileSync(file, JSON.stringify({ seed, seconds, reports }, null, 2));
console.log(`report: ${file}`);
process.exitCode = findings > 0 || fixture.errorLines.length > 0 ? 1 : 0;
