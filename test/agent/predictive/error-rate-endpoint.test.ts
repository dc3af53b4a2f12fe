import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { test, type TestContext } from 'node:test';
import { ErrorRateEndpoint, errorRateUserAgent, parseErrorRateEndpointUrl, PredictiveError, PredictiveErrorCode } from '../../../src/agent/predictive/index.ts';
import { reply, startServer } from './test-server.ts';

function endpoint(t: TestContext, url: string, timeoutMs = 2000): ErrorRateEndpoint {
  const e = new ErrorRateEndpoint(url, { timeoutMs });
  t.after(() => e.close());
  return e;
}

async function failure(p: Promise<unknown>): Promise<PredictiveError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PredictiveError, `not a PredictiveError: ${String(err)}`);
    assert.equal(err.code, PredictiveErrorCode.EndpointFailed);
    return err;
  }
  assert.fail('read() resolved');
}

const never = new AbortController().signal;

test('reads {"error_rate": N} with a GET to the configured path and query', async (t) => {
  const server = await startServer(t, reply(200, '{"error_rate": 3.2}'));
  const e = endpoint(t, `${server.url}/metrics/errors?window=60s`);
  assert.equal(await e.read(never), 3.2);
  const req = server.requests[0]!;
  assert.equal(req.method, 'GET');
  assert.equal(req.url, '/metrics/errors?window=60s');
  assert.equal(req.headers['user-agent'], errorRateUserAgent);
  assert.match(req.headers.accept ?? '', /application\/json/);
});

test('reads a Prometheus-style text body and a bare number', async (t) => {
  let body = '# TYPE error_rate gauge\nerror_rate{app="shop"} 12.5\n';
  const server = await startServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(body);
  });
  const e = endpoint(t, `${server.url}/metrics`);
  assert.equal(await e.read(never), 12.5);
  body = '7\n';
  assert.equal(await e.read(never), 7);
});

test('reuses one connection across reads', async (t) => {
  const server = await startServer(t, reply(200, '1'));
  const e = endpoint(t, server.url);
  await e.read(never);
  await e.read(never);
  await e.read(never);
  assert.equal(server.requests.length, 3);
  assert.equal(server.sockets.length, 1);
});

test('a non-2xx status fails with the status', async (t) => {
  const server = await startServer(t, reply(503, '{"error_rate": 1}'));
  const err = await failure(endpoint(t, server.url).read(never));
  assert.match(err.message, /HTTP 503/);
  assert.match(err.message, new RegExp(`error-rate endpoint ${server.url}/`));
});

test('redirects are not followed', async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.writeHead(302, { location: '/elsewhere' });
    res.end();
  });
  const err = await failure(endpoint(t, server.url).read(never));
  assert.match(err.message, /HTTP 302/);
  assert.equal(server.requests.length, 1);
});

test('a body in none of the formats fails with the parser reason', async (t) => {
  const server = await startServer(t, reply(200, '<html>ok</html>', 'text/html'));
  const err = await failure(endpoint(t, server.url).read(never));
  assert.match(err.message, /neither/);
});

test('a body over 64 KiB fails', async (t) => {
  const server = await startServer(t, reply(200, `${' '.repeat(70 * 1024)}1`));
  const err = await failure(endpoint(t, server.url).read(never));
  assert.match(err.message, /larger than 65536 bytes/);
});

test('a server that never answers fails at the deadline', async (t) => {
  const server = await startServer(t, () => {
    /* never responds */
  });
  const started = performance.now();
  const err = await failure(endpoint(t, server.url, 200).read(never));
  const elapsed = performance.now() - started;
  assert.match(err.message, /timeout after 200ms/);
  assert.ok(elapsed >= 150 && elapsed < 2000, `took ${elapsed} ms`);
});

test('a body that stalls fails at the deadline', async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('1');
  });
  const err = await failure(endpoint(t, server.url, 200).read(never));
  assert.match(err.message, /timeout after 200ms/);
});

test('a refused connection fails with the cause', async (t) => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as { port: number }).port;
  probe.close();
  await once(probe, 'close');
  const err = await failure(endpoint(t, `http://127.0.0.1:${port}/`).read(never));
  assert.match(err.message, /ECONNREFUSED/);
  assert.ok(err.cause !== undefined);
});

test('the caller signal aborts a read in flight', async (t) => {
  const server = await startServer(t, () => {
    /* never responds */
  });
  const controller = new AbortController();
  const read = endpoint(t, server.url).read(controller.signal);
  setImmediate(() => controller.abort());
  const err = await failure(read);
  assert.match(err.message, /aborted/);
});

test('after close() reads fail and close() is idempotent', async (t) => {
  const server = await startServer(t, reply(200, '1'));
  const e = endpoint(t, server.url);
  await e.read(never);
  await Promise.all([e.close(), e.close()]);
  const err = await failure(e.read(never));
  assert.match(err.message, /closed/);
});

test('refuses URLs that are not absolute http(s), or carry credentials', () => {
  for (const bad of ['not a url', '/relative', 'ftp://example.com/x', 'http://user:secret@example.com/']) {
    assert.throws(
      () => parseErrorRateEndpointUrl(bad),
      (err: unknown) => err instanceof PredictiveError && err.code === PredictiveErrorCode.InvalidConfig && !err.message.includes('secret'),
      bad,
    );
  }
  assert.equal(parseErrorRateEndpointUrl('https://[::1]:8443/e').port, '8443');
  assert.throws(() => new ErrorRateEndpoint('http://127.0.0.1/', { timeoutMs: 0 }), /timeoutMs/);
});
