import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  cgroupLevels,
  parseCfsQuota,
  parseCpuMax,
  parseFlatKeyed,
  parseMemoryLimit,
  parseProcSelfCgroup,
} from '../../../src/agent/predictive/index.ts';

test('reads the unified path and the v1 controllers from /proc/self/cgroup', () => {
  const m = parseProcSelfCgroup('12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n0::/system.slice/app.service\n');
  assert.equal(m.unifiedPath, '/system.slice/app.service');
  assert.deepEqual(m.v1.get('cpu'), { controllers: 'cpu,cpuacct', path: '/docker/abc' });
  assert.deepEqual(m.v1.get('cpuacct'), { controllers: 'cpu,cpuacct', path: '/docker/abc' });
  assert.deepEqual(m.v1.get('memory'), { controllers: 'memory', path: '/docker/abc' });
  assert.equal(m.v1.has('name=systemd'), false);
});

test('cpu.max gives CPUs allowed, none for max', () => {
  assert.equal(parseCpuMax('50000 100000\n'), 0.5);
  assert.equal(parseCpuMax('200000 100000'), 2);
  assert.equal(parseCpuMax('max 100000\n'), undefined);
  assert.equal(parseCpuMax('garbage'), undefined);
});

test('v1 CFS quota gives CPUs allowed, none for -1', () => {
  assert.equal(parseCfsQuota('150000\n', '100000\n'), 1.5);
  assert.equal(parseCfsQuota('-1\n', '100000\n'), undefined);
  assert.equal(parseCfsQuota('x', '100000'), undefined);
});

test('memory limits: bytes, none for max', () => {
  assert.equal(parseMemoryLimit('536870912\n'), 536_870_912);
  assert.equal(parseMemoryLimit('max\n'), undefined);
  assert.equal(parseMemoryLimit('9223372036854771712\n'), 9223372036854771712);
});

test('flat keyed files parse to numbers', () => {
  const m = parseFlatKeyed('usage_usec 123\nuser_usec 100\nnr_periods 0\nbroken line here\n');
  assert.equal(m.get('usage_usec'), 123);
  assert.equal(m.get('nr_periods'), 0);
  assert.equal(m.has('broken'), false);
});

test('levels run from the own cgroup up to the mount', () => {
  assert.deepEqual(cgroupLevels('/sys/fs/cgroup', '/a/b'), ['/sys/fs/cgroup/a/b', '/sys/fs/cgroup/a', '/sys/fs/cgroup']);
  assert.deepEqual(cgroupLevels('/sys/fs/cgroup/', '/'), ['/sys/fs/cgroup']);
  assert.deepEqual(cgroupLevels('/sys/fs/cgroup', '/../../etc'), ['/sys/fs/cgroup/etc', '/sys/fs/cgroup']);
});

test('property: parsers never throw; levels always end at the mount and stay inside it', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) => {
      parseProcSelfCgroup(text);
      parseCpuMax(text);
      parseCfsQuota(text, text);
      parseMemoryLimit(text);
      parseFlatKeyed(text);
      const levels = cgroupLevels('/mnt/cg', text);
      assert.equal(levels.at(-1), '/mnt/cg');
      for (const l of levels) assert.ok(l === '/mnt/cg' || l.startsWith('/mnt/cg/'), l);
    }),
  );
});
