import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { ApiError, createApiServer, startApiServer } from '../../src/api/index.ts';
import { ControlError, ControlErrorCode } from '../../src/overwatch/index.ts';
import { StoreError, StoreErrorCode } from '../../src/store/index.ts';
import { apiConfig, capturingLogger, injectable, request, startHarness } from './api-fixture.ts';
import { APP, FakeControl } from './fake-control.ts';

const OVERRIDE = `/api/v1/overrides/${APP}/10.0.1.10`;

// ---- ACL ----

test('refuses a client outside allowed_networks with 403 JSON naming its address', async (t) => {
  const { app } = await injectable(t, { api: { allowedNetworks: ['10.0.0.0/8'] } });
  const res = await app.inject({ method: 'GET', url: '/api/v1/backends', remoteAddress: '203.0.113.5' });
  assert.equal(res.statusCode, 403);
  assert.match(res.headers['content-type'] as string, /^application\/json/);
  assert.deepEqual(res.json(), { error: 'forbidden: 203.0.113.5 is not in api.allowed_networks', code: 403 });
});

test('refuses over real HTTP a loopback client when loopback is not allowed', async (t) => {
  const h = await startHarness(t, { api: { allowedNetworks: ['10.0.0.0/8'] } });
  const res = await request(h.base, 'GET', '/api/v1/overrides');
  assert.equal(res.status, 403);
  assert.deepEqual(res.body, { error: 'forbidden: 127.0.0.1 is not in api.allowed_networks', code: 403 });
});

test('refuses before reading the body: a refused write changes nothing', async (t) => {
  const { app, control } = await injectable(t, { api: { allowedNetworks: ['10.0.0.0/8'] } });
  const res = await app.inject({ method: 'PUT', url: OVERRIDE, remoteAddress: '203.0.113.5', payload: { healthy: false } });
  assert.equal(res.statusCode, 403);
  assert.equal(control.overrides().length, 0);
});

test('admits clients inside an IPv4 CIDR, an IPv6 CIDR, and IPv4-mapped IPv6 peers of an IPv4 CIDR', async (t) => {
  const { app } = await injectable(t, { api: { allowedNetworks: ['10.0.0.0/8', '2001:db8::/32'] } });
  for (const remoteAddress of ['10.1.2.3', '2001:db8::42', '::ffff:10.1.2.3']) {
    const res = await app.inject({ method: 'GET', url: '/api/v1/backends', remoteAddress });
    assert.equal(res.statusCode, 200, remoteAddress);
  }
  const mapped = await app.inject({ method: 'GET', url: '/api/v1/backends', remoteAddress: '::ffff:11.1.2.3' });
  assert.equal(mapped.statusCode, 403);
  assert.equal(mapped.json().error, 'forbidden: 11.1.2.3 is not in api.allowed_networks');
});

test('ignores X-Forwarded-For unless trust_proxy_headers is on', async (t) => {
  const { app } = await injectable(t, { api: { allowedNetworks: ['10.0.0.0/8'] } });
  const spoofed = await app.inject({ method: 'GET', url: '/api/v1/backends', remoteAddress: '203.0.113.5', headers: { 'x-forwarded-for': '10.1.2.3' } });
  assert.equal(spoofed.statusCode, 403);
  assert.equal(spoofed.json().error, 'forbidden: 203.0.113.5 is not in api.allowed_networks');
  const fromInside = await app.inject({ method: 'GET', url: '/api/v1/backends', remoteAddress: '10.1.1.1', headers: { 'x-forwarded-for': '203.0.113.5' } });
  assert.equal(fromInside.statusCode, 200);
});

test('with trust_proxy_headers the first X-Forwarded-For entry (trimmed) is the client', async (t) => {
  const { app } = await injectable(t, { api: { allowedNetworks: ['10.0.0.0/8'], trustProxyHeaders: true } });
  const admitted = await app.inject({ method: 'GET', url: '/api/v1/backends', remoteAddress: '203.0.113.1', headers: { 'x-forwarded-for': ' 10.1.2.3 , 198.51.100.1' } });
  assert.equal(admitted.statusCode, 200);
  const refused = await app.inject({ method: 'GET', url: '/api/v1/backends', remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': '198.51.100.1, 10.1.2.3' } });
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.json().error, 'forbidden: 198.51.100.1 is not in api.allowed_networks');
});

test('liveness, readiness and the discovery roots answer clients outside allowed_networks', async (t) => {
  const { app } = await injectable(t, { api: { allowedNetworks: ['10.0.0.0/8'] } });
  for (const url of ['/api/v1/live', '/api/v1/ready', '/api', '/api/v1', '/api/v1/health', '/api/v1/overwatch', '/api/v1/cluster']) {
    const res = await app.inject({ method: 'GET', url, remoteAddress: '203.0.113.5' });
    assert.equal(res.statusCode, 200, url);
  }
  for (const url of ['/api/v1/version', '/api/v1/backends', '/api/v1/overrides', '/api/v1/openapi.json', '/api/v1/health/servers', '/api/v1/overwatch/stats', '/api/v1/cluster/status', '/api/v1/servers']) {
    const res = await app.inject({ method: 'GET', url, remoteAddress: '203.0.113.5' });
    assert.equal(res.statusCode, 403, url);
  }
});

test('an unknown path is refused to outside clients too (no route probing)', async (t) => {
  const { app } = await injectable(t, { api: { allowedNetworks: ['10.0.0.0/8'] } });
  const res = await app.inject({ method: 'GET', url: '/api/v1/nothing-here', remoteAddress: '203.0.113.5' });
  assert.equal(res.statusCode, 403);
});

test('refuses to build with an allowed_networks entry that is no CIDR', async () => {
  const { logger } = capturingLogger();
  await assert.rejects(
    createApiServer({ control: new FakeControl(), config: apiConfig({ allowedNetworks: ['10.0.0.0/8', 'corp-lan'] }), logger }),
    (err: unknown) => err instanceof ApiError && err.code === 'ERR_API_CONFIG' && /allowed_networks\[1\].*"corp-lan"/.test(err.message),
  );
});

// ---- 404 / 405 ----

test('answers an unknown path with 404 JSON', async (t) => {
  const h = await startHarness(t);
  for (const path of ['/nope', '/api/v1/nothing', '/api/v1/overrides/a/b/c', '/api/v2']) {
    const res = await request(h.base, 'GET', path);
    assert.equal(res.status, 404, path);
    assert.deepEqual(res.body, { error: 'not found', code: 404 });
  }
});

test('answers a known path with the wrong method with 405 JSON and an Allow header', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'POST', OVERRIDE, { healthy: true });
  assert.equal(res.status, 405);
  assert.equal(res.body.code, 405);
  assert.match(res.body.error, /^method not allowed: POST is not one of DELETE, GET, PUT$/);
  assert.equal(res.headers.get('allow'), 'DELETE, GET, HEAD, PUT');
  const live = await request(h.base, 'DELETE', '/api/v1/live');
  assert.equal(live.status, 405);
  const withQuery = await request(h.base, 'PATCH', `${OVERRIDE}?port=80`, { healthy: true });
  assert.equal(withQuery.status, 405);
});

test('a URL the router cannot decode is 400 JSON, an over-long path part 414 JSON', async (t) => {
  const { app } = await injectable(t);
  const bad = await app.inject({ method: 'GET', url: '/api/v1/overrides/%E0%A4%A/10.0.1.10', remoteAddress: '127.0.0.1' });
  assert.equal(bad.statusCode, 400);
  assert.deepEqual(bad.json(), { error: 'invalid URL: bad percent-encoding', code: 400 });
  const long = await app.inject({ method: 'GET', url: `/api/v1/servers/${'a'.repeat(600)}`, remoteAddress: '127.0.0.1' });
  assert.equal(long.statusCode, 414);
  assert.deepEqual(long.json(), { error: 'URI too long: a path part is longer than 512 characters', code: 414 });
});

test('HEAD follows its GET route, ACL included', async (t) => {
  const { app } = await injectable(t, { api: { allowedNetworks: ['10.0.0.0/8'] } });
  assert.equal((await app.inject({ method: 'HEAD', url: '/api/v1/live', remoteAddress: '203.0.113.5' })).statusCode, 200);
  assert.equal((await app.inject({ method: 'HEAD', url: '/api/v1/backends', remoteAddress: '203.0.113.5' })).statusCode, 403);
});

test('a trailing slash names the same route', async (t) => {
  const h = await startHarness(t);
  assert.equal((await request(h.base, 'GET', '/api/v1/backends/')).status, 200);
});

// ---- bodies ----

test('refuses a body over the default 64 KiB limit with 413 JSON', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'PUT', OVERRIDE, { healthy: false, reason: 'x'.repeat(70 * 1024) });
  assert.equal(res.status, 413);
  assert.deepEqual(res.body, { error: 'request body too large: the limit is 65536 bytes', code: 413 });
  assert.equal(h.control.overrides().length, 0);
});

test('refuses a body over a configured limit with 413 JSON', async (t) => {
  const h = await startHarness(t, { bodyLimitBytes: 200 });
  const res = await request(h.base, 'PUT', OVERRIDE, { healthy: false, reason: 'y'.repeat(300) });
  assert.equal(res.status, 413);
  assert.equal(res.body.error, 'request body too large: the limit is 200 bytes');
});

test('answers malformed JSON with 400 quoting where it broke', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'PUT', OVERRIDE, '{"healthy": fals, "reason": "x"}');
  assert.equal(res.status, 400);
  assert.equal(res.body.code, 400);
  assert.match(res.body.error, /^request body: expected JSON, .*fals/);
});

test('refuses a JSON body with a __proto__ key', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'PUT', OVERRIDE, '{"healthy": false, "__proto__": {"polluted": true}}');
  assert.equal(res.status, 400);
  assert.match(res.body.error, /^request body: expected JSON/);
});

test('reads a JSON body sent without a JSON content type (curl -d)', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'PUT', OVERRIDE, { healthy: false, reason: 'curl' }, { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(res.status, 200);
  assert.equal(h.control.overrides().length, 1);
});

test('a DELETE with a JSON content type and an empty body is fine', async (t) => {
  const h = await startHarness(t);
  await request(h.base, 'PUT', OVERRIDE, { healthy: false });
  const res = await fetch(h.base + OVERRIDE, { method: 'DELETE', headers: { 'content-type': 'application/json' } });
  assert.equal(res.status, 204);
});

// ---- error mapping ----

const CONTROL_CASES: Array<[string, ControlErrorCode, number, RegExp]> = [
  ['NotFound', ControlErrorCode.NotFound, 404, /^no such thing$/],
  ['Conflict', ControlErrorCode.Conflict, 409, /^no such thing$/],
  ['Invalid', ControlErrorCode.Invalid, 400, /^no such thing$/],
  ['ValidatorDisabled', ControlErrorCode.ValidatorDisabled, 503, /^validator not available$/],
  ['ReadOnlyItem', ControlErrorCode.ReadOnlyItem, 409, /^no such thing; it is defined in the configuration file, change it there$/],
];

for (const [name, code, status, message] of CONTROL_CASES) {
  test(`maps ControlError ${name} to ${status}`, async (t) => {
    const h = await startHarness(t);
    h.control.failNextWrite = new ControlError(code, 'no such thing');
    const res = await request(h.base, 'PUT', OVERRIDE, { healthy: false });
    assert.equal(res.status, status);
    assert.equal(res.body.code, status);
    assert.match(res.body.error, message);
  });
}

const STORE_CASES: Array<[StoreErrorCode, number]> = [
  [StoreErrorCode.Full, 507],
  [StoreErrorCode.ReadOnly, 503],
  [StoreErrorCode.Io, 503],
  [StoreErrorCode.Locked, 503],
  [StoreErrorCode.Unavailable, 503],
  [StoreErrorCode.Closed, 503],
];

for (const [code, status] of STORE_CASES) {
  test(`maps StoreError ${code} to ${status} and changes nothing`, async (t) => {
    const h = await startHarness(t);
    h.control.failNextWrite = new StoreError(code, '/var/lib/opengslb/opengslb.db', 'write failed');
    const res = await request(h.base, 'PUT', OVERRIDE, { healthy: false });
    assert.equal(res.status, status);
    assert.equal(res.body.code, status);
    assert.match(res.body.error, /^state store (is full|unavailable): write failed$/);
    assert.equal(h.control.overrides().length, 0);
  });
}

test('an unexpected error is 500 "internal error", logged with its stack, its text not sent', async (t) => {
  const h = await startHarness(t);
  h.control.failNextWrite = new Error('secret internals at /srv/x');
  const res = await request(h.base, 'PUT', OVERRIDE, { healthy: false });
  assert.equal(res.status, 500);
  assert.deepEqual(res.body, { error: 'internal error', code: 500 });
  const logged = h.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'api request failed unexpectedly');
  assert.ok(logged, 'the failure is logged');
  assert.equal(logged.level, 50);
  assert.match(logged.err.stack, /secret internals/);
});

// ---- logging ----

test('logs each request without its body', async (t) => {
  const h = await startHarness(t);
  await request(h.base, 'PUT', OVERRIDE, { healthy: false, reason: 'marker-7f3a9c' });
  const lines = h.lines.map((l) => JSON.parse(l));
  const entry = lines.find((l) => l.msg === 'api request' && l.method === 'PUT');
  assert.ok(entry);
  assert.equal(entry.status, 200);
  assert.equal(entry.client, '127.0.0.1');
  assert.ok(!h.lines.some((l) => l.includes('marker-7f3a9c')), 'the body must not be logged');
});

// ---- OpenAPI ----

test('serves an OpenAPI document generated from the schemas', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'GET', '/api/v1/openapi.json');
  assert.equal(res.status, 200);
  const doc = res.body;
  assert.match(doc.openapi, /^3\./);
  assert.equal(doc.info.version, '9.9.9-test');
  for (const path of [
    '/api/v1/backends',
    '/api/v1/backends/healthy',
    '/api/v1/overrides',
    '/api/v1/overrides/{service}/{address}',
    '/api/v1/overwatch/backends',
    '/api/v1/overwatch/backends/{service}/{address}/{port}/override',
    '/api/v1/overwatch/stats',
    '/api/v1/overwatch/validate',
    '/api/v1/cluster/status',
    '/api/v1/live',
    '/api/v1/ready',
    '/api/v1/health/servers',
    '/api/v1/health/regions',
    '/api/v1/version',
    '/api/v1/servers',
    '/api/v1/servers/{id}',
  ]) {
    assert.ok(doc.paths[path], `missing ${path}`);
  }
  assert.deepEqual(Object.keys(doc.paths['/api/v1/overrides/{service}/{address}']).sort(), ['delete', 'get', 'put']);
  const put = doc.paths['/api/v1/overrides/{service}/{address}'].put;
  const body = put.requestBody.content['application/json'].schema;
  assert.deepEqual(body.required, ['healthy']);
  assert.equal(body.properties.healthy.type, 'boolean');
  assert.ok(put.parameters.some((p: { name: string; in: string }) => p.name === 'port' && p.in === 'query'));
  assert.ok(put.responses['200'] && put.responses['400'] && put.responses['403']);
  assert.equal(doc.paths['/api/v1/openapi.json'], undefined, 'the document does not list itself');
});

// ---- listening ----

test('listens on port 0, reports the bound port, and close is idempotent', async () => {
  const { logger } = capturingLogger();
  const server = await startApiServer({ control: new FakeControl(), config: apiConfig(), logger });
  assert.ok(server.port > 0);
  const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/live`);
  assert.deepEqual(await res.json(), { alive: true });
  await Promise.all([server.close(), server.close()]);
  await server.close();
  await assert.rejects(fetch(`http://127.0.0.1:${server.port}/api/v1/live`));
});

test('a port already in use fails the start with an error naming api.address', async (t) => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as { port: number }).port;
  const { logger } = capturingLogger();
  await assert.rejects(
    startApiServer({ control: new FakeControl(), config: apiConfig({ listen: { host: '127.0.0.1', port } }), logger }),
    (err: unknown) => err instanceof ApiError && err.code === 'ERR_API_LISTEN' && err.message.startsWith(`api.address 127.0.0.1:${port}: cannot listen:`),
  );
});

test('a write a browser marks as cross-site is refused; same-origin and command-line writes pass', async (t) => {
  const control = new FakeControl();
  const app = await createApiServer({ control, config: apiConfig(), logger: capturingLogger('error').logger });
  t.after(() => app.close());
  const body = JSON.stringify({ healthy: false, reason: 'x' });
  const url = `/api/v1/overrides/${APP}/10.0.1.10`;
  const cross = await app.inject({ method: 'PUT', url, body, remoteAddress: '127.0.0.1', headers: { host: '127.0.0.1:8080', origin: 'https://evil.example', 'content-type': 'text/plain' } });
  assert.equal(cross.statusCode, 403);
  assert.match(cross.json().error, /cross-site/);
  const fetchMeta = await app.inject({ method: 'PUT', url, body, remoteAddress: '127.0.0.1', headers: { host: '127.0.0.1:8080', 'sec-fetch-site': 'cross-site' } });
  assert.equal(fetchMeta.statusCode, 403);
  const same = await app.inject({ method: 'PUT', url, body, remoteAddress: '127.0.0.1', headers: { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080', 'content-type': 'application/json' } });
  assert.equal(same.statusCode, 200);
  const curl = await app.inject({ method: 'PUT', url, body, remoteAddress: '127.0.0.1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(curl.statusCode, 200);
});
