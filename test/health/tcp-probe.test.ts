import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { probeTcp } from '../../src/health/index.ts';
import { blackholePort, checkConfig, closedPort, hasIpv6Loopback, startRawServer } from './test-servers.ts';

const never = new AbortController().signal;
const tcp = checkConfig({ type: 'tcp', path: '' });
const ipv6 = await hasIpv6Loopback();

test('an open port is healthy and the connection is closed right after connecting', async (t) => {
  const { port, sockets } = await startRawServer(t, () => {});
  const result = await probeTcp({ address: '127.0.0.1', port }, tcp, never);
  assert.equal(result.ok, true);
  assert.equal(result.error, undefined);
  assert.equal(result.statusCode, undefined);
  assert.equal(sockets.length, 1);
  const [socket] = sockets;
  let received = 0;
  socket.on('data', (d: Buffer) => (received += d.length));
  if (!socket.closed) await once(socket, 'close');
  assert.equal(received, 0, 'a tcp check writes nothing');
});

test('a closed port is unhealthy with "connect ECONNREFUSED"', async () => {
  const port = await closedPort();
  const result = await probeTcp({ address: '127.0.0.1', port }, tcp, never);
  assert.deepEqual([result.ok, result.error], [false, 'connect ECONNREFUSED']);
});

test('connects to an IPv6 literal', { skip: ipv6 ? false : 'skipped: this machine cannot listen on ::1 (no IPv6 loopback)' }, async (t) => {
  const { port } = await startRawServer(t, () => {}, '::1');
  assert.equal((await probeTcp({ address: '::1', port }, tcp, never)).ok, true);
  assert.equal((await probeTcp({ address: '[::1]', port }, tcp, never)).ok, true, 'a bracketed literal is accepted too');
});

test('an already aborted signal returns "aborted" without connecting', async (t) => {
  const { port, sockets } = await startRawServer(t, () => {});
  const result = await probeTcp({ address: '127.0.0.1', port }, tcp, AbortSignal.abort());
  assert.deepEqual(result, { ok: false, latencyMs: 0, error: 'aborted' });
  assert.equal(sockets.length, 0);
});

test('an unresolvable host name is unhealthy with the resolver error', async () => {
  const result = await probeTcp({ address: 'no-such-host.invalid', port: 80 }, tcp, never);
  assert.equal(result.ok, false);
  assert.match(result.error ?? '', /^getaddrinfo (ENOTFOUND|EAI_AGAIN)$|^timeout after/);
});

test('a connect that hangs (SYN unanswered) times out within timeoutMs', async (t) => {
  const port = await blackholePort(t);
  if (typeof port === 'string') return t.skip(port);
  const started = performance.now();
  const result = await probeTcp({ address: '127.0.0.1', port }, { ...tcp, timeoutMs: 300 }, never);
  const elapsed = performance.now() - started;
  assert.deepEqual([result.ok, result.error], [false, 'timeout after 300ms']);
  assert.ok(elapsed >= 290 && elapsed < 300 + 700, `took ${elapsed}ms`);
});

test('aborting the signal ends a hanging connect at once with "aborted"', async (t) => {
  const port = await blackholePort(t);
  if (typeof port === 'string') return t.skip(port);
  const controller = new AbortController();
  const pending = probeTcp({ address: '127.0.0.1', port }, { ...tcp, timeoutMs: 10_000 }, controller.signal);
  controller.abort();
  const result = await pending;
  assert.deepEqual([result.ok, result.error], [false, 'aborted']);
  assert.ok(result.latencyMs < 1000);
});
