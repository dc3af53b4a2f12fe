/**
 * TS-to-TS over real UDP/TCP sockets on 127.0.0.1 with AES-256-GCM: convergence, messages, failure
 * detection in real time, labels, and start-up refusal without a key.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MISSING_KEY_MESSAGE, Memberlist, NetTransport, type MemberlistOptions } from '../../src/gossip/index.ts';

const KEY = Buffer.alloc(32, 0x5a);

async function node(name: string, extra: Partial<MemberlistOptions> = {}): Promise<Memberlist> {
  return Memberlist.create({
    name,
    bindHost: '127.0.0.1',
    bindPort: 0,
    keyring: [KEY],
    probeIntervalMs: 100,
    probeTimeoutMs: 50,
    gossipIntervalMs: 30,
    pushPullIntervalMs: 1_000,
    ...extra,
  });
}

async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await sleep(10);
  }
  return Date.now() - start;
}

test('refuses to start without a key, with the original message', async () => {
  await assert.rejects(node('x', { keyring: [] }), { message: MISSING_KEY_MESSAGE });
});

test('binds UDP and TCP to the same ephemeral port', async (t) => {
  const tr = await NetTransport.create({ bindHost: '127.0.0.1', bindPort: 0 });
  t.after(() => tr.close());
  assert.ok(tr.localAddress.port > 0);
  const probe = dgram.createSocket('udp4');
  t.after(() => probe.close());
  await assert.rejects(
    new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(tr.localAddress.port, '127.0.0.1', resolve);
    }),
    /EADDRINUSE/,
  );
});

test('three nodes converge over encrypted sockets and exchange user messages', async (t) => {
  const [a, b, c] = [await node('a'), await node('b'), await node('c')];
  t.after(() => Promise.all([a, b, c].map((n) => n.close())));
  assert.equal(await b.join([`127.0.0.1:${a.address.port}`]), 1);
  assert.equal(await c.join([`127.0.0.1:${b.address.port}`]), 1);
  const ms = await waitUntil(() => [a, b, c].every((n) => n.members().length === 3), 3_000, 'convergence');
  t.diagnostic(`converged in ${ms} ms`);
  const got = once(c, 'message');
  a.sendBestEffort(a.members().find((m) => m.name === 'c')!, Buffer.from('ping-c'));
  assert.equal((await got)[0].toString(), 'ping-c');
  const got2 = once(a, 'message');
  await c.sendReliable(c.members().find((m) => m.name === 'a')!, Buffer.alloc(100_000, 7)); // > one datagram
  assert.equal((await got2)[0].length, 100_000);
  for (const n of [a, b, c]) assert.equal(n.stats().decryptionFailures, 0);
});

test('detects a crashed node in real time: suspect, then dead', async (t) => {
  const [a, b, c] = [await node('a'), await node('b'), await node('c')];
  t.after(() => Promise.all([a, b].map((n) => n.close())));
  await b.join([`127.0.0.1:${a.address.port}`]);
  await c.join([`127.0.0.1:${a.address.port}`]);
  await waitUntil(() => a.members().length === 3 && b.members().length === 3, 3_000, 'convergence');
  await c.close();
  const t0 = Date.now();
  await waitUntil(() => a.allNodes().find((m) => m.name === 'c')?.state === 'suspect' || a.allNodes().find((m) => m.name === 'c')?.state === 'dead', 2_000, 'suspect');
  await waitUntil(() => [a, b].every((n) => n.allNodes().find((m) => m.name === 'c')?.state === 'dead'), 3_000, 'dead');
  t.diagnostic(`dead everywhere ${Date.now() - t0} ms after the crash (probe 100 ms)`);
});

test('nodes with different labels do not talk; the same label works', async (t) => {
  const a = await node('a', { label: 'prod' });
  const b = await node('b', { label: 'prod' });
  const c = await node('c', { label: 'test' });
  t.after(() => Promise.all([a, b, c].map((n) => n.close())));
  assert.equal(await b.join([`127.0.0.1:${a.address.port}`]), 1);
  assert.equal(await c.join([`127.0.0.1:${a.address.port}`]), 0);
  assert.ok(a.stats().labelMismatches >= 1);
});

test('datagrams that do not decrypt are dropped, counted, and reported to the callback', async (t) => {
  let callbacks = 0;
  const a = await node('a', { onDecryptFailure: () => callbacks++ });
  t.after(() => a.close());
  const s = dgram.createSocket('udp4');
  t.after(() => s.close());
  for (let i = 0; i < 3; i++) s.send(Buffer.from(`garbage ${i}`.padEnd(60, 'x')), a.address.port, '127.0.0.1');
  await waitUntil(() => a.stats().decryptionFailures === 3, 2_000, 'three failures');
  assert.equal(callbacks, 3);
});

test('works over IPv6 loopback (16-byte addresses on the wire)', async (t) => {
  const a = await node('a6', { bindHost: '::1' });
  const b = await node('b6', { bindHost: '::1' });
  t.after(() => Promise.all([a, b].map((n) => n.close())));
  assert.equal(await b.join([`[::1]:${a.address.port}`]), 1);
  await waitUntil(() => a.members().length === 2 && b.members().length === 2, 3_000, 'convergence');
  assert.equal(a.members().find((m) => m.name === 'b6')?.host, '::1');
  const got = once(b, 'message');
  a.sendBestEffort(a.members().find((m) => m.name === 'b6')!, Buffer.from('v6'));
  assert.equal((await got)[0].toString(), 'v6');
});

test('refuses node metadata over 512 bytes at start and on update', async (t) => {
  await assert.rejects(node('big', { meta: Buffer.alloc(513) }), /at most 512 bytes/);
  const a = await node('a');
  t.after(() => a.close());
  await assert.rejects(a.updateMeta(Buffer.alloc(600)), /at most 512 bytes/);
});
