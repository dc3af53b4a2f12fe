import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProbe, probe } from '../../src/health/index.ts';
import { checkConfig, startHttpServer } from './test-servers.ts';

const never = new AbortController().signal;

test('probe() runs the check its type names: tcp only connects, http sends a request', async (t) => {
  let requests = 0;
  const { port, sockets } = await startHttpServer(t, (_req, res) => {
    requests++;
    res.writeHead(500).end();
  });
  const target = { address: '127.0.0.1', port };
  assert.equal((await probe(target, checkConfig({ type: 'tcp' }), never)).ok, true);
  assert.equal(requests, 0);
  assert.equal(sockets.length, 1);
  const http = await probe(target, checkConfig({ type: 'http' }), never);
  assert.deepEqual([http.ok, http.error, requests], [false, 'HTTP 500', 1]);
});

test('probe() reports an unsupported type instead of throwing', async () => {
  const result = await probe({ address: '127.0.0.1', port: 1 }, checkConfig({ type: 'icmp' as never }), never);
  assert.deepEqual(result, { ok: false, latencyMs: 0, error: 'unsupported check type "icmp"' });
});

test('createProbe() binds probe options such as maxBodyBytes', async (t) => {
  const { port } = await startHttpServer(t, (_req, res) => res.end('x'.repeat(10_000)));
  const bound = createProbe({ maxBodyBytes: 10 });
  assert.equal((await bound({ address: '127.0.0.1', port }, checkConfig(), never)).ok, true);
});
