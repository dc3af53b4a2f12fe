/**
 * A real Overwatch process whose data_dir lives on a small ext4 file system (a loop-mounted image in
 * a mount namespace this test creates; the Overwatch is started inside it with nsenter, so nothing
 * is mounted in the host's namespace). While it runs:
 *   1. the disk fills up: writes through the API are refused with 507 and a JSON error, DNS keeps
 *      answering, reads keep working, every acknowledged write is still there once space is freed;
 *   2. the file system turns read-only under it (ext4 `errors=remount-ro` after an error, forced
 *      with /sys/fs/ext4/<dev>/trigger_fs_error, as a failing disk would): writes are refused with
 *      503 and a JSON error, DNS keeps answering from memory.
 * Skipped (with the reason) where loop devices, ext4 or mount namespaces are not available.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OpengslbProcess, TempConfigDir } from '../support/opengslb-process.ts';
import { decode, encodeQuery, udpExchange } from '../support/dns-client.ts';

const IMAGE_MB = 12;
const ACK = 'I understand that disabling DNSSEC allows DNS spoofing attacks';

interface Holder {
  child: ChildProcess;
  /** The mount point (in the holder's namespace; an empty directory outside it). */
  inside: string;
  device: string;
}

/** Runs `script` in the holder's mount namespace. */
function inHolder(h: Holder, script: string): string {
  return execFileSync('nsenter', ['-t', String(h.child.pid), '-m', 'sh', '-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A process that owns a private mount namespace with the ext4 image mounted; it dies with the test. */
async function startHolder(work: string): Promise<Holder | string> {
  if (process.platform !== 'linux') return 'needs Linux (mount namespaces, loop devices, ext4)';
  for (const tool of ['unshare', 'nsenter', 'mkfs.ext4', 'losetup']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  const image = path.join(work, 'data.img');
  const inside = path.join(work, 'mnt');
  mkdirSync(inside);
  writeFileSync(image, '');
  truncateSync(image, IMAGE_MB * 1024 * 1024);
  const mkfs = spawnSync('mkfs.ext4', ['-q', '-F', '-m', '0', image], { encoding: 'utf8' });
  if (mkfs.status !== 0) return `mkfs.ext4 failed: ${mkfs.stderr.trim()}`;
  const child = spawn(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', 'mount -o loop,errors=remount-ro "$1" "$2" && findmnt -n -o SOURCE "$2" && exec sleep 600', 'sh', image, inside],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const deadline = Date.now() + 10_000;
  while (!out.includes('\n') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (!out.includes('\n')) {
    child.kill('SIGKILL');
    return `cannot loop-mount an ext4 image in a private mount namespace here (${err.trim() || 'no answer'}); run as root on Linux`;
  }
  return { child, inside, device: path.basename(out.trim()) };
}

async function putOverride(base: string, address: string): Promise<{ status: number; body: { error?: string; code?: number } }> {
  const res = await fetch(`${base}/api/v1/overrides/app.gslb.test/${address}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ healthy: true, reason: 'data-dir-faults' }),
  });
  return { status: res.status, body: (await res.json()) as { error?: string; code?: number } };
}

async function answers(port: number): Promise<string[]> {
  const reply = decode(await udpExchange(port, encodeQuery('app.gslb.test', 'A'), 2000));
  assert.equal(reply.rcode, 'NOERROR');
  return (reply.answers ?? []).flatMap((a) => (a.type === 'A' ? [a.data] : [])).sort();
}

test('disk full -> 507, file system turned read-only -> 503; DNS keeps answering, acknowledged writes kept', { timeout: 120_000 }, async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'opengslb-datadir-'));
  const tmp = new TempConfigDir();
  let ow: OpengslbProcess | undefined;
  let holder: Holder | undefined;
  t.after(async () => {
    await ow?.stop('SIGKILL');
    if (holder) {
      holder.child.kill('SIGKILL');
      await once(holder.child, 'exit').catch(() => undefined);
    }
    tmp.cleanup();
    rmSync(work, { recursive: true, force: true });
  });
  const started = await startHolder(work);
  if (typeof started === 'string') {
    t.skip(started);
    return;
  }
  holder = started;
  const dataDir = path.join(holder.inside, 'data');
  const config = tmp.write(
    'ow.yaml',
    `dns: { listen_address: "127.0.0.1:0", zones: [gslb.test] }
data_dir: ${dataDir}
logging: { level: info, format: json }
dnssec: { enabled: false, security_acknowledgment: "${ACK}" }
validation: { enabled: false }
api: { address: "127.0.0.1:0" }
`,
  );
  ow = new OpengslbProcess(['--config', config], {}, ['nsenter', '-t', String(holder.child.pid), '-m']);
  const dnsPort = await ow.dnsPort();
  const apiLine = await ow.waitForLog((l) => l.msg === 'REST API listening');
  const base = `http://127.0.0.1:${String(apiLine.api).split(':').pop()}`;

  // A served name, pinned healthy (an override beats the failing checks of a closed loopback port).
  const created = await fetch(`${base}/api/v1/servers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'app.gslb.test', address: '127.0.0.2', port: 9, region: 'r' }),
  });
  assert.equal(created.status, 201, await created.text());
  assert.equal((await putOverride(base, '127.0.0.2')).status, 200);
  assert.deepEqual(await answers(dnsPort), ['127.0.0.2']);

  // 1. Disk full. The filler takes every free block; SQLite may still fit a few commits in WAL
  //    pages it already owns, so writes go on until one is refused (bounded).
  inHolder(holder, `dd if=/dev/zero of="${holder.inside}/filler" bs=64k 2>/dev/null; sync; true`);
  const acked: string[] = [];
  let refused: { status: number; body: { error?: string; code?: number } } | undefined;
  const fillStarted = Date.now();
  for (let i = 0; i < 2000 && Date.now() - fillStarted < 30_000; i++) {
    const address = `127.1.${i >> 8}.${i & 255}`;
    const r = await putOverride(base, address);
    if (r.status === 200) acked.push(address);
    else {
      refused = r;
      break;
    }
  }
  assert.ok(refused, `no write was refused after ${acked.length} writes on a full disk`);
  assert.equal(refused.status, 507, JSON.stringify(refused.body));
  assert.equal(refused.body.code, 507);
  assert.match(refused.body.error ?? '', /^state store is full: .*opengslb\.db/);
  assert.deepEqual(await answers(dnsPort), ['127.0.0.2'], 'DNS answers while the disk is full');
  const listed = (await (await fetch(`${base}/api/v1/overrides`)).json()) as { overrides: { address: string }[] };
  assert.ok(listed.overrides.length >= acked.length + 1, 'reads work while the disk is full');
  t.diagnostic(`disk full: ${acked.length} writes fitted after the filler, then ${refused.status}: ${refused.body.error}`);

  // Space freed: writes succeed again, and everything acknowledged is in the store.
  inHolder(holder, `rm -f "${holder.inside}/filler"; sync`);
  const recovered = await putOverride(base, '127.2.0.1');
  assert.equal(recovered.status, 200, JSON.stringify(recovered.body));

  // 2. The file system goes read-only under the running process.
  inHolder(holder, `echo opengslb-test > /sys/fs/ext4/${holder.device}/trigger_fs_error`);
  assert.match(inHolder(holder, `findmnt -n -o OPTIONS "${holder.inside}"`), /(^|,)ro(,|$)|emergency_ro/);
  const readOnly = await putOverride(base, '127.2.0.2');
  assert.equal(readOnly.status, 503, JSON.stringify(readOnly.body));
  assert.equal(readOnly.body.code, 503);
  assert.match(readOnly.body.error ?? '', /^state store unavailable: .*opengslb\.db/);
  const dnsStarted = performance.now();
  for (let i = 0; i < 20; i++) assert.deepEqual(await answers(dnsPort), ['127.0.0.2'], 'DNS answers while data_dir is read-only');
  const after = (await (await fetch(`${base}/api/v1/overrides`)).json()) as { overrides: { address: string }[] };
  const present = new Set(after.overrides.map((o) => o.address));
  for (const address of [...acked, '127.2.0.1']) assert.ok(present.has(address), `acknowledged override ${address} missing`);
  assert.ok(!present.has('127.2.0.2'), 'a refused write is not applied');
  t.diagnostic(
    `read-only: ${readOnly.status}: ${readOnly.body.error}; 20 DNS queries answered in ${(performance.now() - dnsStarted).toFixed(0)} ms`,
  );
  // No unhandled failure took the process down.
  assert.equal(ow.child.exitCode, null);
});
