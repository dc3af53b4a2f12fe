import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { ResponseRateLimiter, RateVerdict, ipv4ToNumber } from '../../src/dns/index.ts';
import { encodeQuery, decode } from '../support/dns-client.ts';
import { startOneNameServer } from '../support/one-name-server.ts';

const config = { enabled: true, responsesPerSecond: 10, slip: 2, ipv4PrefixLength: 24, ipv6PrefixLength: 56, exempt: ['127.0.0.0/8'] };

test('ipv4ToNumber parses dotted quads (also v4-mapped) and rejects anything else', () => {
  assert.equal(ipv4ToNumber('10.1.2.3'), 0x0a010203);
  assert.equal(ipv4ToNumber('::ffff:192.0.2.1'), 0xc0000201);
  for (const bad of ['1.2.3', '1.2.3.256', '1..2.3', '::1', '1.2.3.4.5', 'a.b.c.d']) assert.equal(ipv4ToNumber(bad), -1, bad);
});

test('a prefix gets its burst, then every second limited response slips and the rest drop; tokens refill with time', () => {
  const rl = new ResponseRateLimiter(config);
  const verdicts = Array.from({ length: 20 }, (_, i) => rl.check(`192.0.2.${i % 200}`, 1000));
  assert.equal(verdicts.filter((v) => v === RateVerdict.Send).length, 10);
  assert.equal(verdicts.filter((v) => v === RateVerdict.Slip).length, 5);
  assert.equal(verdicts.filter((v) => v === RateVerdict.Drop).length, 5);
  // another /24 is independent
  assert.equal(rl.check('192.0.3.1', 1000), RateVerdict.Send);
  // 500 ms later: 5 tokens
  const later = Array.from({ length: 6 }, () => rl.check('192.0.2.7', 1500));
  assert.equal(later.filter((v) => v === RateVerdict.Send).length, 5);
  assert.deepEqual(rl.stats, { dropped: 5 + 1, slipped: 5 });
});

test('exempt prefixes and IPv6 /56 prefixes', () => {
  const rl = new ResponseRateLimiter(config);
  for (let i = 0; i < 100; i++) assert.equal(rl.check('127.0.0.1', 0), RateVerdict.Send);
  const v6 = Array.from({ length: 12 }, (_, i) => rl.check(`2001:db8:0:${i % 0xff}::1`, 0));
  assert.equal(v6.filter((v) => v === RateVerdict.Send).length, 10);
  assert.equal(rl.check('2001:db8:0:100::1', 0), RateVerdict.Send, 'another /56');
});

test('the table stays bounded', () => {
  const rl = new ResponseRateLimiter(config, 1000);
  for (let i = 0; i < 5000; i++) rl.check(`10.${(i >> 8) & 255}.${i & 255}.1`, 0);
  assert.ok(rl.trackedPrefixes <= 1000);
});

function serve(rateLimit = { ...config, exempt: [] as string[] }, perClient = 32) {
  return startOneNameServer('rl.test', { tcpMaxConnectionsPerClient: perClient, rateLimit });
}

test('over UDP a flood from one prefix gets the burst answered, then truncated slips, and no amplification', async (t) => {
  const server = await serve();
  t.after(() => server.close());
  const sock = dgram.createSocket('udp4');
  t.after(() => sock.close());
  const replies: Buffer[] = [];
  sock.on('message', (m) => replies.push(m));
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  for (let i = 0; i < 40; i++) sock.send(encodeQuery('a.rl.test', 'A', { id: i }), server.port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 300));
  const full = replies.filter((m) => !decode(m).flag_tc);
  const tc = replies.filter((m) => decode(m).flag_tc);
  assert.ok(full.length >= 10 && full.length <= 14, `full answers ${full.length}`);
  assert.ok(tc.length >= 12, `slipped ${tc.length}`);
  assert.ok(replies.length < 40, 'some responses were dropped');
  assert.ok(tc.every((m) => decode(m).answers!.length === 0), 'a slip carries no records');
});

test('loopback is exempt by default', async (t) => {
  const server = await serve({ ...config, exempt: ['127.0.0.0/8', '::1/128'] });
  t.after(() => server.close());
  const sock = dgram.createSocket('udp4');
  t.after(() => sock.close());
  const replies: Buffer[] = [];
  sock.on('message', (m) => replies.push(m));
  for (let i = 0; i < 40; i++) sock.send(encodeQuery('a.rl.test', 'A', { id: i }), server.port, '127.0.0.1');
  const deadline = Date.now() + 2000;
  while (replies.length < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(replies.filter((m) => !decode(m).flag_tc).length, 40);
});

test('TCP connections past the per-client limit are closed at accept', async (t) => {
  const server = await serve(undefined, 2);
  t.after(() => server.close());
  const a = net.connect(server.port, '127.0.0.1');
  const b = net.connect(server.port, '127.0.0.1');
  await Promise.all([once(a, 'connect'), once(b, 'connect')]);
  const c = net.connect(server.port, '127.0.0.1');
  await once(c, 'close');
  assert.equal(server.tcpRefused, 1);
  a.destroy();
  b.destroy();
});
