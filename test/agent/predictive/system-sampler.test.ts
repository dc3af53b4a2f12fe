import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { SystemSampler } from '../../../src/agent/predictive/index.ts';

/** A fake machine: `proc/` and `cgroup/` trees in a temp dir, removed after the test. */
async function fixture(t: TestContext, files: Record<string, string>): Promise<{ sampler: SystemSampler; write: (files: Record<string, string>) => Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'opengslb-predictive-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const write = async (more: Record<string, string>): Promise<void> => {
    for (const [rel, text] of Object.entries(more)) {
      const file = path.join(root, rel);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
    }
  };
  await mkdir(path.join(root, 'proc'), { recursive: true });
  await mkdir(path.join(root, 'cgroup'), { recursive: true });
  await write(files);
  return { sampler: new SystemSampler({ procRoot: path.join(root, 'proc'), cgroupRoot: path.join(root, 'cgroup') }), write };
}

const GiB = 1024 ** 3;
/** A 4-CPU host with 8 GiB, 25% of it in use. */
function hostFiles(user = 1000, idle = 9000): Record<string, string> {
  return {
    'proc/stat': `cpu  ${user} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\ncpu2 0 0 0 0 0 0 0 0 0 0\ncpu3 0 0 0 0 0 0 0 0 0 0\n`,
    'proc/meminfo': `MemTotal: ${8 * 1024 * 1024} kB\nMemFree: 1000 kB\nMemAvailable: ${6 * 1024 * 1024} kB\n`,
  };
}

test('host without cgroup limits: the first sample primes CPU (no fake 0%), memory is MemTotal - MemAvailable', async (t) => {
  const { sampler, write } = await fixture(t, { ...hostFiles(1000, 9000), 'proc/self/cgroup': '0::/\n', 'cgroup/cgroup.controllers': 'cpu memory\n' });
  const first = await sampler.sample(0);
  assert.deepEqual(first, { cpuPercent: undefined, cpuSource: 'host', memPercent: 25, memSource: 'host', errors: [] });
  await write(hostFiles(1600, 9400)); // 600 busy of 1000 ticks
  const second = await sampler.sample(10_000);
  assert.equal(second.cpuPercent, 60);
  assert.equal(second.cpuSource, 'host');
});

test('cgroup v2 container with limits: CPU against cpu.max, memory against memory.max without inactive file pages', async (t) => {
  const { sampler, write } = await fixture(t, {
    ...hostFiles(),
    'proc/self/cgroup': '0::/\n',
    'cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n',
    'cgroup/cpu.max': '50000 100000\n',
    'cgroup/cpu.stat': 'usage_usec 1000000\nuser_usec 800000\nsystem_usec 200000\n',
    'cgroup/memory.max': `${GiB}\n`,
    'cgroup/memory.current': `${Math.round(0.75 * GiB)}\n`,
    'cgroup/memory.stat': `anon 1000\nfile 2000\ninactive_file ${Math.round(0.25 * GiB)}\nactive_file 10\n`,
  });
  const first = await sampler.sample(0);
  assert.deepEqual(first, { cpuPercent: undefined, cpuSource: 'cgroup-v2', memPercent: 50, memSource: 'cgroup-v2', errors: [] });
  // 2.5 s of CPU in 10 s with half a CPU allowed = 50%.
  await write({ 'cgroup/cpu.stat': 'usage_usec 3500000\n' });
  const second = await sampler.sample(10_000);
  assert.equal(second.cpuPercent, 50);
  assert.equal(second.cpuSource, 'cgroup-v2');
});

test('cgroup v2 without limits (max) uses the host figures', async (t) => {
  const { sampler } = await fixture(t, {
    ...hostFiles(),
    'proc/self/cgroup': '0::/\n',
    'cgroup/cgroup.controllers': 'cpu memory\n',
    'cgroup/cpu.max': 'max 100000\n',
    'cgroup/cpu.stat': 'usage_usec 1\n',
    'cgroup/memory.max': 'max\n',
    'cgroup/memory.current': '100\n',
  });
  const s = await sampler.sample(0);
  assert.equal(s.memSource, 'host');
  assert.equal(s.memPercent, 25);
  assert.equal(s.cpuSource, 'host');
});

test('limits at or above the host size are not limits', async (t) => {
  const { sampler } = await fixture(t, {
    ...hostFiles(),
    'proc/self/cgroup': '0::/\n',
    'cgroup/cgroup.controllers': 'cpu memory\n',
    'cgroup/cpu.max': '400000 100000\n', // 4 CPUs on a 4-CPU host
    'cgroup/cpu.stat': 'usage_usec 1\n',
    'cgroup/memory.max': `${Math.round(16 * GiB)}\n`,
    'cgroup/memory.current': `${GiB}\n`,
  });
  const s = await sampler.sample(0);
  assert.equal(s.memSource, 'host');
  assert.equal(s.cpuSource, 'host');
});

test('cgroup v2 service: finds its own cgroup from /proc/self/cgroup and a limit set on a parent', async (t) => {
  const { sampler } = await fixture(t, {
    ...hostFiles(),
    'proc/self/cgroup': '0::/system.slice/app.service\n',
    'cgroup/cgroup.controllers': 'cpu memory\n',
    'cgroup/system.slice/memory.max': `${Math.round(2 * GiB)}\n`,
    'cgroup/system.slice/memory.current': `${GiB}\n`,
    'cgroup/system.slice/memory.stat': 'inactive_file 0\n',
    'cgroup/system.slice/app.service/memory.max': 'max\n',
    'cgroup/system.slice/app.service/memory.current': '4096\n',
  });
  const s = await sampler.sample(0);
  assert.equal(s.memSource, 'cgroup-v2');
  assert.equal(s.memPercent, 50);
});

test('with limits at several levels the most pressed one is reported', async (t) => {
  const { sampler, write } = await fixture(t, {
    ...hostFiles(),
    'proc/self/cgroup': '0::/pod/app\n',
    'cgroup/cgroup.controllers': 'cpu memory\n',
    'cgroup/pod/memory.max': `${Math.round(4 * GiB)}\n`,
    'cgroup/pod/memory.current': `${Math.round(3.6 * GiB)}\n`, // 90% (a sidecar uses the rest)
    'cgroup/pod/cpu.max': '100000 100000\n',
    'cgroup/pod/cpu.stat': 'usage_usec 0\n',
    'cgroup/pod/app/memory.max': `${Math.round(2 * GiB)}\n`,
    'cgroup/pod/app/memory.current': `${GiB}\n`, // 50%
    'cgroup/pod/app/cpu.max': '200000 100000\n',
    'cgroup/pod/app/cpu.stat': 'usage_usec 0\n',
  });
  const first = await sampler.sample(0);
  assert.equal(Math.round(first.memPercent!), 90);
  await write({ 'cgroup/pod/cpu.stat': 'usage_usec 8000000\n', 'cgroup/pod/app/cpu.stat': 'usage_usec 4000000\n' });
  const second = await sampler.sample(10_000);
  assert.equal(second.cpuPercent, 80, 'pod: 8 s of 1 CPU over 10 s, above app: 4 s of 2 CPUs');
});

test('cgroup v2 path not visible inside the mount: the mount root is the container', async (t) => {
  const { sampler } = await fixture(t, {
    ...hostFiles(),
    'proc/self/cgroup': '0::/kubepods/burstable/pod1/abc\n',
    'cgroup/cgroup.controllers': 'cpu memory\n',
    'cgroup/memory.max': `${GiB}\n`,
    'cgroup/memory.current': `${Math.round(0.1 * GiB)}\n`,
  });
  const s = await sampler.sample(0);
  assert.equal(s.memSource, 'cgroup-v2');
  assert.equal(Math.round(s.memPercent! * 100) / 100, 10);
});

test('cgroup v1 container (docker without a cgroup namespace): limits at the mount roots', async (t) => {
  const { sampler, write } = await fixture(t, {
    ...hostFiles(),
    'proc/self/cgroup': '12:cpu,cpuacct:/docker/abc\n9:memory:/docker/abc\n1:name=systemd:/docker/abc\n',
    'cgroup/memory/memory.limit_in_bytes': `${GiB}\n`,
    'cgroup/memory/memory.usage_in_bytes': `${Math.round(0.9 * GiB)}\n`,
    'cgroup/memory/memory.stat': `cache 1\ninactive_file 1\ntotal_inactive_file ${Math.round(0.1 * GiB)}\n`,
    'cgroup/cpu,cpuacct/cpu.cfs_quota_us': '200000\n',
    'cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    'cgroup/cpu,cpuacct/cpuacct.usage': '0\n',
  });
  const first = await sampler.sample(0);
  assert.equal(first.memSource, 'cgroup-v1');
  assert.equal(Math.round(first.memPercent!), 80);
  assert.equal(first.cpuSource, 'cgroup-v1');
  assert.equal(first.cpuPercent, undefined);
  await write({ 'cgroup/cpu,cpuacct/cpuacct.usage': `${5e9}\n` }); // 5 s of 2 CPUs over 10 s
  const second = await sampler.sample(10_000);
  assert.equal(second.cpuPercent, 25);
  assert.deepEqual(second.errors, []);
});

test('cgroup v1 with separate cpu and cpuacct mounts and the process in a sub-cgroup', async (t) => {
  const { sampler, write } = await fixture(t, {
    ...hostFiles(),
    'proc/self/cgroup': '3:cpu:/app\n2:cpuacct:/app\n4:memory:/app\n',
    'cgroup/cpu/app/cpu.cfs_quota_us': '100000\n',
    'cgroup/cpu/app/cpu.cfs_period_us': '100000\n',
    'cgroup/cpu/cpu.cfs_quota_us': '-1\n',
    'cgroup/cpu/cpu.cfs_period_us': '100000\n',
    'cgroup/cpuacct/app/cpuacct.usage': '1000000000\n',
    'cgroup/memory/app/memory.limit_in_bytes': '9223372036854771712\n',
    'cgroup/memory/app/memory.usage_in_bytes': '100\n',
  });
  const first = await sampler.sample(0);
  assert.equal(first.memSource, 'host', 'the v1 "unlimited" value is no limit');
  assert.equal(first.cpuSource, 'cgroup-v1');
  await write({ 'cgroup/cpuacct/app/cpuacct.usage': '4000000000\n' });
  assert.equal((await sampler.sample(10_000)).cpuPercent, 30);
});

test('CPU above the quota (a CFS burst) is clamped to 100%', async (t) => {
  const { sampler, write } = await fixture(t, {
    ...hostFiles(),
    'cgroup/cgroup.controllers': 'cpu\n',
    'cgroup/cpu.max': '50000 100000\n',
    'cgroup/cpu.stat': 'usage_usec 0\n',
  });
  await sampler.sample(0);
  await write({ 'cgroup/cpu.stat': 'usage_usec 9000000\n' });
  assert.equal((await sampler.sample(10_000)).cpuPercent, 100);
});

test('a cgroup that appears later primes before reporting CPU instead of reporting a jump', async (t) => {
  const { sampler, write } = await fixture(t, { ...hostFiles(1000, 9000), 'cgroup/cgroup.controllers': 'cpu\n' });
  await sampler.sample(0);
  await write({ 'cgroup/cpu.max': '100000 100000\n', 'cgroup/cpu.stat': 'usage_usec 500000000\n' });
  const s = await sampler.sample(10_000);
  assert.equal(s.cpuSource, 'cgroup-v2');
  assert.equal(s.cpuPercent, undefined);
});

test('missing or malformed files leave the figures undefined, list the problem and never reject', async (t) => {
  const { sampler } = await fixture(t, {});
  const s = await sampler.sample(0);
  assert.equal(s.cpuPercent, undefined);
  assert.equal(s.memPercent, undefined);
  assert.equal(s.cpuSource, undefined);
  assert.equal(s.errors.length, 2);
  assert.match(s.errors[0]!, /proc\/stat: ENOENT/);
  assert.match(s.errors[1]!, /proc\/meminfo: ENOENT/);

  const broken = await fixture(t, { 'proc/stat': 'nonsense\n', 'proc/meminfo': 'nonsense\n', 'cgroup/cgroup.controllers': '', 'cgroup/memory.max': '100\n', 'cgroup/memory.current': 'x\n' });
  const b = await broken.sampler.sample(0);
  assert.equal(b.memPercent, undefined);
  assert.deepEqual(b.errors.map((e) => e.replace(/^.*\/(proc|cgroup)\//, '')), ['stat: no aggregate cpu line', 'meminfo: no MemTotal/MemAvailable', 'memory.current: not an integer']);
});

test('reads the real /proc and /sys/fs/cgroup of this machine', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
  const sampler = new SystemSampler();
  await sampler.sample(Date.now());
  const s = await sampler.sample(Date.now() + 100);
  assert.ok(s.memPercent !== undefined && s.memPercent > 0 && s.memPercent <= 100, `memPercent ${s.memPercent}`);
  assert.ok(s.cpuSource !== undefined);
  assert.deepEqual(s.errors, []);
});
