import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { StateStore, StoreErrorCode } from '../../src/store/index.ts';
import { tempDataDir } from './temp-data-dir.ts';

const WRITER = path.join(import.meta.dirname, 'fixtures', 'store-writer.ts');
const MIN_ROUNDS = 30;
const MAX_ROUNDS = 40;
const TIME_BUDGET_MS = 10_000;

/** Seeded so a failing run can be replayed: the seed is in the assertion message. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

interface RoundResult {
  acked: string[];
  sawReady: boolean;
}

/** Runs the writer until SIGKILL at a random moment; returns the writes it acknowledged. */
async function killedRound(dataDir: string, round: number, rand: () => number): Promise<RoundResult> {
  const child = spawn(process.execPath, [WRITER, 'storm', dataDir, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const kill = () => child.kill('SIGKILL');
  let timer: NodeJS.Timeout;
  if (round % 4 === 0) {
    // Any moment from process start: during start-up, open, integrity check or (round 0) migration.
    timer = setTimeout(kill, Math.floor(rand() * 150));
  } else {
    // Mid-storm: a random moment after the store opened.
    const onReady = () => {
      if (!stdout.startsWith('ready\n')) return;
      child.stdout.off('data', onReady);
      timer = setTimeout(kill, Math.floor(rand() * 40));
    };
    child.stdout.on('data', onReady);
  }
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer!);
  assert.equal(signal, 'SIGKILL', `round ${round}: the writer ended by itself (code ${code}): ${stderr}`);
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  return { acked: lines.filter((l) => l !== 'ready'), sawReady: lines[0] === 'ready' };
}

test('kill -9 at random moments during a write storm loses no acknowledged write', async (t) => {
  const dataDir = tempDataDir(t);
  const seed = Date.now();
  const rand = random(seed);
  const acked: string[] = [];
  const started = performance.now();
  let rounds = 0;
  let midStormKills = 0;
  while (rounds < MAX_ROUNDS && (rounds < MIN_ROUNDS || performance.now() - started < TIME_BUDGET_MS)) {
    const result = await killedRound(dataDir, rounds, rand);
    acked.push(...result.acked);
    if (result.sawReady) midStormKills++;
    rounds++;

    const store = StateStore.open(dataDir); // must always open: intact file, integrity check passes
    try {
      const overrides = new Map(store.overrides.list().map((o) => [o.address, o.reason]));
      const agents = new Set(store.agents.list().map((a) => a.agentId));
      const backends = new Map(store.agentBackends.list().map((b) => [b.address, b.healthCheck]));
      const documents = new Map(store.documents.list('servers').map((d) => [d.id, d.body]));
      for (const line of acked) {
        const [kind, key] = line.split(' ');
        const where = `seed ${seed}, round ${rounds - 1}: acknowledged ${line}`;
        if (kind === 'o') assert.equal(overrides.get(key), key, where);
        else if (kind === 'a') assert.ok(agents.has(key), where);
        else if (kind === 'b') assert.deepEqual(backends.get(key), { type: 'http', path: `/${key}` }, where);
        else if (kind === 'd') assert.deepEqual(documents.get(key), { key }, where);
        else assert.fail(`unexpected line from the writer: ${line}`);
      }
    } finally {
      store.closeSync();
    }
  }
  assert.ok(rounds >= MIN_ROUNDS);
  assert.ok(midStormKills >= MIN_ROUNDS / 2, `only ${midStormKills} kills landed mid-storm`);
  assert.ok(acked.length > rounds, `only ${acked.length} writes acknowledged in ${rounds} rounds`);
  t.diagnostic(`${rounds} kills (${midStormKills} mid-storm), ${acked.length} acknowledged writes, none lost, seed ${seed}, ${Math.round(performance.now() - started)} ms`);
});

test('kill -9 loses at most the heartbeat times not yet flushed', async (t) => {
  const dataDir = tempDataDir(t);
  const child = spawn(process.execPath, [WRITER, 'touch', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const [, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL');
  assert.equal(stdout.trim(), 'pending 1');
  const store = StateStore.open(dataDir);
  t.after(() => store.closeSync());
  assert.equal(store.agents.get('a1')?.lastSeenMs, 16_000);
});

function canMountTmpfs(dir: string): boolean {
  if (process.platform !== 'linux') return false;
  const probe = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$1"', 'sh', dir], { stdio: 'ignore' });
  return probe.status === 0;
}

test('a full disk fails writes with ERR_STORE_FULL, keeps what was written, and recovers when space is freed', (t) => {
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'opengslb-full-'));
  t.after(() => fs.rmSync(mountPoint, { recursive: true, force: true }));
  if (!canMountTmpfs(mountPoint)) {
    t.skip('needs a private mount namespace with a small tmpfs (unshare -m + mount, i.e. root on Linux); error mapping is covered in store-error.test.ts');
    return;
  }
  const run = spawnSync(
    'unshare',
    ['-m', 'sh', '-c', 'mount -t tmpfs -o size=4m tmpfs "$1" && exec "$2" "$3" fill "$1/data"', 'sh', mountPoint, process.execPath, WRITER],
    { encoding: 'utf8', timeout: 20_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as {
    acked: number; code: string; message: string; filePath: string; readableAfterFailure: number; afterReopen: number;
  };
  assert.equal(result.code, StoreErrorCode.Full, result.message);
  assert.ok(result.message.includes(result.filePath), result.message);
  assert.ok(result.acked > 10, `only ${result.acked} writes fitted`);
  assert.equal(result.readableAfterFailure, result.acked, 'every acknowledged write is readable after the failure');
  assert.equal(result.afterReopen, result.acked + 1, 'after freeing space a write succeeds and all survive a reopen');
  t.diagnostic(`disk full after ${result.acked} writes: ${result.message}`);
});
