/**
 * The native UDP path (native/udp-batch, dns.udp_io: native) with real clients: dig, kdig, Node's
 * resolver, a burst that must come back in batches with every id matched, IPv6, malformed and
 * oversized datagrams, rate limiting, TC, SO_REUSEPORT. On Linux the addon must be there (npm ci
 * builds it): a missing build fails here rather than skipping. The choice logic is tested alone.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Resolver } from 'node:dns/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { UdpListener } from '../../src/dns/udp-listener.ts';
import { chooseUdpIo, loadUdpBatch, type LoadResult } from '../../src/dns/native-udp.ts';
import { ResponseRateLimiter } from '../../src/dns/rate-limiter.ts';
import { buildSnapshot, type BackendView, type SnapshotInput } from '../../src/overwatch/snapshot-builder.ts';
import { encodeQuery, decode, rcodeOf, dig, kdig, udpExchange, udpGetsReply } from '../support/dns-client.ts';
import type { ResponseOutcome } from '../../src/dns/responder.ts';

const ZONE = 'native.example';
const linux = process.platform === 'linux';
const execFileAsync = promisify(execFile);

function input(): SnapshotInput {
  const backends: BackendView[] = [];
  for (let i = 1; i <= 3; i++) backends.push({ id: `a${i}`, name: `app.${ZONE}`, address: `10.0.0.${i}`, port: 80, weight: 1, region: 'r', serve: true });
  for (let i = 0; i < 100; i++) backends.push({ id: `b${i}`, name: `big.${ZONE}`, address: `10.9.0.${i}`, port: 80, weight: 1, region: 'r', serve: true });
  return {
    zones: [{ apex: ZONE, nameservers: [`ns1.${ZONE}`], hostmaster: `hostmaster.${ZONE}`, soaTtlSeconds: 60 }],
    names: [
      { name: `app.${ZONE}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 8 },
      { name: `big.${ZONE}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 64 },
    ],
    backends,
    returnLastHealthy: false,
    nowMs: Date.UTC(2026, 10, 28),
  };
}

const snapshot = buildSnapshot(input(), null);
const loaded = (): LoadResult => ({ ok: true, binding: {} as never });
const missing = (): LoadResult => ({ ok: false, reason: 'no addon here' });

describe('choosing the UDP I/O path', () => {
  test('js is dgram whatever is installed', () => {
    assert.deepEqual(chooseUdpIo('js', '127.0.0.1', loaded), { io: 'js' });
  });
  test('auto takes the addon when it loaded', () => {
    assert.equal(chooseUdpIo('auto', '127.0.0.1', loaded).io, 'native');
    assert.equal(chooseUdpIo('auto', '', loaded).io, 'native');
    assert.equal(chooseUdpIo('auto', '::1', loaded).io, 'native');
  });
  test('auto falls back to dgram with the reason when the addon is missing', () => {
    assert.deepEqual(chooseUdpIo('auto', '127.0.0.1', missing), { io: 'js', fallbackReason: 'no addon here' });
  });
  test('auto falls back to dgram for a listen address that is not an IP', () => {
    const choice = chooseUdpIo('auto', 'localhost', loaded);
    assert.equal(choice.io, 'js');
    assert.match((choice as { fallbackReason: string }).fallbackReason, /not an IP address/);
  });
  test('native without the addon is a start-up error that says why', () => {
    assert.throws(() => chooseUdpIo('native', '127.0.0.1', missing), /dns\.udp_io is native but native UDP I\/O is unavailable: no addon here/);
  });
  test('the addon loads on Linux (npm ci builds it)', { skip: linux ? false : 'recvmmsg/sendmmsg are Linux-only' }, () => {
    const result = loadUdpBatch();
    assert.ok(result.ok, result.ok ? '' : result.reason);
  });
  test('a listener asked for dgram reports js, and auto reports a fallback only when it happens', async () => {
    const reasons: string[] = [];
    const l = await UdpListener.start({ host: '127.0.0.1', port: 0, maxUdpPayload: 1232, currentSnapshot: () => snapshot, udpIo: 'js', onUdpIoFallback: (r) => reasons.push(r) });
    try {
      assert.equal(l.io, 'js');
      assert.equal(l.nativeStats(), undefined);
      assert.equal(decode(await udpExchange(l.port, encodeQuery(`app.${ZONE}`, 'A'))).rcode, 'NOERROR');
    } finally {
      await l.close();
    }
    assert.deepEqual(reasons, []);
  });
});

describe('native UDP I/O', { skip: linux ? false : 'recvmmsg/sendmmsg are Linux-only' }, () => {
  let listener: UdpListener;
  const outcomes: ResponseOutcome['rcode'][] = [];
  const timings: number[] = [];

  before(async () => {
    listener = await UdpListener.start({
      host: '127.0.0.1',
      port: 0,
      maxUdpPayload: 1232,
      currentSnapshot: () => snapshot,
      udpIo: 'native',
      onResponse: (outcome) => outcomes.push(outcome.rcode),
      onTiming: (s) => timings.push(s),
    });
  });
  after(() => listener.close());

  test('runs on the native socket', () => {
    assert.equal(listener.io, 'native');
    assert.ok(listener.port > 0);
  });

  test('dig, kdig and Node resolver get the answer', async () => {
    const out = await dig(listener.port, [`app.${ZONE}`, 'A', '+short']);
    assert.deepEqual(out.trim().split('\n').sort(), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    const k = await kdig(listener.port, [`nope.${ZONE}`, 'A']);
    assert.match(k, /status: NXDOMAIN/);
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${listener.port}`]);
    assert.deepEqual((await resolver.resolve4(`app.${ZONE}`)).sort(), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  });

  test('a burst of 2,000 queries from 4 sockets comes back whole, in batches, every id matched', async () => {
    const before = listener.nativeStats()!;
    const sockets = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const s = dgram.createSocket('udp4');
        s.bind(0, '127.0.0.1');
        await once(s, 'listening');
        s.setRecvBufferSize(4 * 1024 * 1024);
        return s;
      }),
    );
    const perSocket = 500;
    try {
      const results = await Promise.all(
        sockets.map(async (s, k) => {
          const seen = new Map<number, string>();
          const done = new Promise<void>((resolve) => {
            s.on('message', (msg) => {
              const res = decode(msg);
              const id = res.id! - k * 10_000;
              const [rcode, name] = id % 2 === 0 ? ['NOERROR', `app.${ZONE}`] : ['NXDOMAIN', `x${id}.${ZONE}`];
              seen.set(id, res.rcode === rcode && res.questions![0]!.name === name ? 'ok' : `bad: ${res.rcode} ${res.questions![0]!.name}`);
              if (seen.size === perSocket) resolve();
            });
          });
          for (let id = 0; id < perSocket; id++) {
            const name = id % 2 === 0 ? `app.${ZONE}` : `x${id}.${ZONE}`;
            s.send(encodeQuery(name, 'A', { id: k * 10_000 + id }), listener.port, '127.0.0.1');
          }
          await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
          return seen;
        }),
      );
      for (const seen of results) {
        assert.equal(seen.size, perSocket);
        assert.deepEqual([...seen.values()].filter((v) => v !== 'ok'), []);
      }
    } finally {
      for (const s of sockets) s.close();
    }
    const after = listener.nativeStats()!;
    assert.equal(after.datagrams - before.datagrams, 4 * perSocket);
    assert.equal(after.sent - before.sent, 4 * perSocket);
    assert.ok(after.largestBatch > 1, `largest batch ${after.largestBatch}: nothing was batched`);
    assert.ok(after.batches - before.batches < 4 * perSocket, 'one batch per datagram');
  });

  test('counts responses and samples timings', () => {
    assert.ok(outcomes.length >= 2000);
    assert.ok(timings.length >= 2000 / 16 - 5);
    assert.ok(timings.every((s) => s >= 0 && s < 1));
  });

  test('drops short, response and oversized datagrams, FORMERRs a bad question, keeps serving', async () => {
    const port = listener.port;
    assert.equal(await udpGetsReply(port, Buffer.from([1, 2, 3])), null);
    const response = Buffer.from(encodeQuery(`app.${ZONE}`, 'A'));
    response[2]! |= 0x80;
    assert.equal(await udpGetsReply(port, response), null);
    const truncatedBefore = listener.nativeStats()!.truncated;
    const huge = Buffer.concat([encodeQuery(`app.${ZONE}`, 'A'), Buffer.alloc(5000)]);
    assert.equal(await udpGetsReply(port, huge), null);
    assert.equal(listener.nativeStats()!.truncated, truncatedBefore + 1);
    const bad = Buffer.from(encodeQuery(`app.${ZONE}`, 'A'));
    bad[12] = 0xc0; // compression pointer in the question
    assert.equal(rcodeOf(await udpExchange(port, bad)), 1);
    const junk = Buffer.alloc(64, 0xff);
    junk[2] = 0; // a query's QR bit, then garbage
    const reply = await udpGetsReply(port, junk);
    if (reply) assert.notEqual(rcodeOf(reply), 0);
    assert.equal(decode(await udpExchange(port, encodeQuery(`app.${ZONE}`, 'A'))).rcode, 'NOERROR');
  });

  test('sets TC when the answer does not fit the client buffer', async () => {
    const small = await udpExchange(listener.port, encodeQuery(`big.${ZONE}`, 'A', { edns: { udpPayloadSize: 512 } }));
    assert.ok(small.length <= 512);
    assert.equal(decode(small).flag_tc, true);
    const big = decode(await udpExchange(listener.port, encodeQuery(`big.${ZONE}`, 'A', { edns: { udpPayloadSize: 4096 } })));
    assert.equal(big.answers!.length, 64);
  });
});

describe('native UDP I/O: addresses, limits, sharing', { skip: linux ? false : 'recvmmsg/sendmmsg are Linux-only' }, () => {
  test('IPv6 on ::1, with the client address passed on as text', async () => {
    const seen: string[] = [];
    const limiter = new ResponseRateLimiter({ enabled: true, responsesPerSecond: 1000, slip: 2, ipv4PrefixLength: 24, ipv6PrefixLength: 56, exempt: ['::1/128'] });
    const check = limiter.check.bind(limiter);
    limiter.check = (address, now) => (seen.push(address), check(address, now));
    const l = await UdpListener.start({ host: '::1', port: 0, maxUdpPayload: 1232, currentSnapshot: () => snapshot, udpIo: 'native', rateLimiter: limiter });
    try {
      const { stdout } = await execFileAsync('dig', ['@::1', '-p', String(l.port), '+tries=1', '+time=2', `app.${ZONE}`, 'A', '+short']);
      assert.equal(stdout.trim().split('\n').length, 3);
      assert.deepEqual([...new Set(seen)], ['::1']);
    } finally {
      await l.close();
    }
  });

  test('a dual-stack socket names IPv4 clients ::ffff:a.b.c.d, as dgram does', async () => {
    for (const udpIo of ['native', 'js'] as const) {
      const seen: string[] = [];
      const limiter = new ResponseRateLimiter({ enabled: true, responsesPerSecond: 1000, slip: 2, ipv4PrefixLength: 24, ipv6PrefixLength: 56, exempt: ['127.0.0.0/8'] });
      const check = limiter.check.bind(limiter);
      limiter.check = (address, now) => (seen.push(address), check(address, now));
      // An IPv6 socket bound to the IPv4-mapped loopback: what ":53" (every address) sees, kept on loopback.
      const l = await UdpListener.start({ host: '::ffff:127.0.0.1', port: 0, maxUdpPayload: 1232, currentSnapshot: () => snapshot, udpIo, rateLimiter: limiter });
      try {
        assert.equal(l.io, udpIo);
        for (let i = 0; i < 2; i++) assert.equal(decode(await udpExchange(l.port, encodeQuery(`app.${ZONE}`, 'A'))).rcode, 'NOERROR');
        assert.deepEqual([...new Set(seen)], ['::ffff:127.0.0.1'], udpIo);
      } finally {
        await l.close();
      }
    }
  });

  test('rate limiting drops and slips (TC) on the native path as on dgram', async () => {
    const limiter = new ResponseRateLimiter({ enabled: true, responsesPerSecond: 2, slip: 2, ipv4PrefixLength: 24, ipv6PrefixLength: 56, exempt: ['192.0.2.0/24'] });
    const l = await UdpListener.start({ host: '127.0.0.1', port: 0, maxUdpPayload: 1232, currentSnapshot: () => snapshot, udpIo: 'native', rateLimiter: limiter });
    try {
      const replies = [];
      for (let i = 0; i < 8; i++) replies.push(await udpGetsReply(l.port, encodeQuery(`app.${ZONE}`, 'A', { id: i }), 300));
      const answered = replies.filter((r) => r !== null).map((r) => decode(r!));
      assert.ok(answered.filter((r) => !r.flag_tc).length <= 3, 'more full answers than the rate allows');
      assert.ok(answered.some((r) => r.flag_tc), 'no slipped (TC) answer');
      assert.ok(limiter.stats.dropped > 0 && limiter.stats.slipped > 0);
    } finally {
      await l.close();
    }
  });

  test('two native listeners share a port with reusePort (SO_REUSEPORT), both answering', async () => {
    const opts = { host: '127.0.0.1', maxUdpPayload: 1232, currentSnapshot: () => snapshot, udpIo: 'native' as const, reusePort: true };
    const a = await UdpListener.start({ ...opts, port: 0 });
    const b = await UdpListener.start({ ...opts, port: a.port });
    try {
      assert.equal(b.port, a.port);
      for (let i = 0; i < 10; i++) assert.equal(decode(await udpExchange(a.port, encodeQuery(`app.${ZONE}`, 'A'))).rcode, 'NOERROR');
      const served = a.nativeStats()!.datagrams + b.nativeStats()!.datagrams;
      assert.equal(served, 10);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('a port held by another socket is EADDRINUSE, as from dgram', async () => {
    const holder = dgram.createSocket('udp4');
    holder.bind(0, '127.0.0.1');
    await once(holder, 'listening');
    try {
      await assert.rejects(
        UdpListener.start({ host: '127.0.0.1', port: holder.address().port, maxUdpPayload: 1232, currentSnapshot: () => snapshot, udpIo: 'native' }),
        (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE',
      );
    } finally {
      holder.close();
    }
  });

  test('a worker thread that exits with its native listener open frees the port (env cleanup)', async () => {
    const url = new URL('../../src/dns/udp-listener.ts', import.meta.url).href;
    const snapshotUrl = new URL('../../src/model/index.ts', import.meta.url).href;
    const code = `
      const { parentPort } = require('node:worker_threads');
      (async () => {
        const { UdpListener } = await import(${JSON.stringify(url)});
        const { emptySnapshot } = await import(${JSON.stringify(snapshotUrl)});
        const snap = emptySnapshot();
        const l = await UdpListener.start({ host: '127.0.0.1', port: 0, maxUdpPayload: 1232, currentSnapshot: () => snap, udpIo: 'native', reusePort: true });
        parentPort.postMessage(l.port);
      })();`;
    for (const ending of ['terminate', 'exit'] as const) {
      const worker = new Worker(ending === 'exit' ? `${code}\nparentPort.once('message', () => process.exit(0));` : code, { eval: true });
      const [port] = (await once(worker, 'message')) as [number];
      assert.equal(rcodeOf(await udpExchange(port, encodeQuery(`app.${ZONE}`, 'A'))), 5); // REFUSED: empty snapshot
      if (ending === 'terminate') await worker.terminate();
      else {
        worker.postMessage('exit');
        await once(worker, 'exit');
      }
      // The fd is closed: a socket without SO_REUSEPORT can bind the port again.
      const probe = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.bind(port, '127.0.0.1', () => resolve());
      });
      probe.close();
    }
  });

  test('close stops answering and frees the port', async () => {
    const l = await UdpListener.start({ host: '127.0.0.1', port: 0, maxUdpPayload: 1232, currentSnapshot: () => snapshot, udpIo: 'native' });
    const port = l.port;
    await l.close();
    await l.close();
    assert.equal(await udpGetsReply(port, encodeQuery(`app.${ZONE}`, 'A')), null);
    const again = await UdpListener.start({ host: '127.0.0.1', port, maxUdpPayload: 1232, currentSnapshot: () => snapshot, udpIo: 'js' });
    await again.close();
  });
});
