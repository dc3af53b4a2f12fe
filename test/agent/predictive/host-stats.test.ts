import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { cpuBusyPercent, memUsedPercent, parseMeminfo, parseProcStat } from '../../../src/agent/predictive/index.ts';

const procStat = (user: number, idle: number, iowait = 0, guest = 0) =>
  [
    `cpu  ${user} 0 0 ${idle} ${iowait} 0 0 0 ${guest} 0`,
    `cpu0 ${user / 2} 0 0 ${idle / 2} 0 0 0 0 0 0`,
    `cpu1 ${user / 2} 0 0 ${idle / 2} 0 0 0 0 0 0`,
    'intr 123 0 0',
    'ctxt 456',
  ].join('\n');

test('parses the aggregate cpu line and counts the CPUs', () => {
  const t = parseProcStat('cpu  10 2 3 100 5 1 1 2 7 1\ncpu0 1 1 1 1 1 1 1 1 0 0\ncpu1 1 1 1 1 1 1 1 1 0 0\nbtime 1\n');
  assert.deepEqual(t, { totalTicks: 10 + 2 + 3 + 100 + 5 + 1 + 1 + 2, idleTicks: 105, cpuCount: 2 });
});

test('busy percent is the share of non-idle ticks between two readings; iowait counts as idle', () => {
  const a = parseProcStat(procStat(100, 900))!;
  const b = parseProcStat(procStat(400, 1100, 100))!;
  assert.equal(cpuBusyPercent(a, b), 50);
});

test('guest time is not counted twice', () => {
  const a = parseProcStat(procStat(100, 900, 0, 0))!;
  const b = parseProcStat(procStat(200, 900, 0, 100))!;
  assert.equal(cpuBusyPercent(a, b), 100);
});

test('no percentage when no ticks passed or the counters went backwards', () => {
  const a = parseProcStat(procStat(100, 900))!;
  assert.equal(cpuBusyPercent(a, a), undefined);
  assert.equal(cpuBusyPercent(parseProcStat(procStat(200, 900))!, a), undefined);
});

test('malformed /proc/stat gives no reading', () => {
  assert.equal(parseProcStat(''), undefined);
  assert.equal(parseProcStat('cpu  1 2\n'), undefined);
  assert.equal(parseProcStat('cpu  a b c d\n'), undefined);
});

test('memory percent is (MemTotal - MemAvailable) / MemTotal', () => {
  const m = parseMeminfo('MemTotal:       1000000 kB\nMemFree:          100000 kB\nMemAvailable:     250000 kB\nBuffers: 1 kB\n');
  assert.deepEqual(m, { totalBytes: 1_024_000_000, availableBytes: 256_000_000 });
  assert.equal(memUsedPercent(m!), 75);
});

test('without MemAvailable (kernels before 3.14) free + buffers + cached stands in', () => {
  const m = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n')!;
  assert.equal(memUsedPercent(m), 60);
});

test('malformed /proc/meminfo gives no reading', () => {
  assert.equal(parseMeminfo(''), undefined);
  assert.equal(parseMeminfo('MemTotal: 0 kB\nMemAvailable: 0 kB\n'), undefined);
  assert.equal(parseMeminfo('MemTotal: 100 kB\n'), undefined);
});

test('property: parsers never throw and busy percent stays within 0-100', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) => {
      parseProcStat(text);
      parseProcStat(`cpu  ${text}`);
      parseMeminfo(text);
    }),
  );
  fc.assert(
    fc.property(fc.array(fc.nat(1e9), { minLength: 8, maxLength: 8 }), fc.array(fc.nat(1e9), { minLength: 8, maxLength: 8 }), (a, d) => {
      const p = parseProcStat(`cpu  ${a.join(' ')}`)!;
      const c = parseProcStat(`cpu  ${a.map((v, i) => v + d[i]!).join(' ')}`)!;
      const busy = cpuBusyPercent(p, c);
      if (busy !== undefined) assert.ok(busy >= 0 && busy <= 100);
    }),
  );
});
