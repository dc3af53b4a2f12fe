import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError, StoreErrorCode } from '../../src/store/index.ts';
import { RFC3339, request, startHarness, type Harness } from './api-fixture.ts';
import { APP, T0 } from './fake-control.ts';

const PATH = `/api/v1/overrides/${APP}/10.0.1.10`;

async function backendJson(h: Harness, id: string) {
  const res = await request(h.base, 'GET', '/api/v1/backends');
  return res.body.backends.find((b: { id: string }) => b.id === id);
}

test('PUT sets an override and answers 200 with the original shape, authority = client address', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'PUT', PATH, { healthy: false, reason: 'High latency from CloudWatch' });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, {
    service: APP,
    address: '10.0.1.10',
    port: null,
    healthy: false,
    reason: 'High latency from CloudWatch',
    source: 'api',
    created_at: new Date(T0).toISOString(),
    authority: '127.0.0.1',
  });
  assert.match(res.body.created_at, RFC3339);
});

test('the X-User header becomes the authority', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'PUT', PATH, { healthy: false, reason: 'maintenance' }, { 'x-user': 'alice' });
  assert.equal(res.body.authority, 'alice');
  assert.equal(h.control.getOverride(APP, '10.0.1.10', null)?.authority, 'alice');
});

test('an override changes whether the backend is served, and clearing it restores the checks', async (t) => {
  const h = await startHarness(t);
  const id = `${APP}:10.0.1.10:80`;
  h.control.setValidation(id, true);
  assert.equal((await backendJson(h, id)).healthy, true);
  await request(h.base, 'PUT', PATH, { healthy: false, reason: 'drain' });
  const overridden = await backendJson(h, id);
  assert.equal(overridden.healthy, false);
  assert.equal(overridden.authority, 'override');
  assert.equal(overridden.override.reason, 'drain');
  assert.ok(!(await request(h.base, 'GET', '/api/v1/backends/healthy')).body.backends.some((b: { id: string }) => b.id === id));
  assert.equal((await request(h.base, 'DELETE', PATH)).status, 204);
  const cleared = await backendJson(h, id);
  assert.equal(cleared.healthy, true);
  assert.equal(cleared.authority, 'validation');
  assert.equal(cleared.override, null);
});

test('without ?port= an override covers every port of the address; with it, one port', async (t) => {
  const h = await startHarness(t);
  h.control.addAgentBackend({ service: APP, address: '10.0.1.10', port: 8080, agentId: 'agent-1' });
  await request(h.base, 'PUT', `${PATH}?port=8080`, { healthy: false });
  assert.equal((await backendJson(h, `${APP}:10.0.1.10:8080`)).healthy, false);
  assert.equal((await backendJson(h, `${APP}:10.0.1.10:80`)).healthy, true);
  assert.equal(h.control.getOverride(APP, '10.0.1.10', 8080)?.port, 8080);

  await request(h.base, 'DELETE', `${PATH}?port=8080`);
  await request(h.base, 'PUT', PATH, { healthy: false });
  assert.equal((await backendJson(h, `${APP}:10.0.1.10:8080`)).healthy, false);
  assert.equal((await backendJson(h, `${APP}:10.0.1.10:80`)).healthy, false);
});

test('an override from an external tool carries its source and ranks as external', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'PUT', PATH, { healthy: false, reason: 'alarm', source: 'cloudwatch' });
  assert.equal(res.body.source, 'cloudwatch');
  assert.equal((await backendJson(h, `${APP}:10.0.1.10:80`)).authority, 'external');
});

test('an external tool cannot replace a manual override (409), which stays', async (t) => {
  const h = await startHarness(t);
  await request(h.base, 'PUT', PATH, { healthy: false, reason: 'operator' });
  const res = await request(h.base, 'PUT', PATH, { healthy: true, reason: 'alarm cleared', source: 'cloudwatch' });
  assert.equal(res.status, 409);
  assert.match(res.body.error, /manual override/);
  assert.equal(h.control.getOverride(APP, '10.0.1.10', null)?.reason, 'operator');
});

test('GET answers the override, or 404 "override not found"', async (t) => {
  const h = await startHarness(t);
  const missing = await request(h.base, 'GET', PATH);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { error: 'override not found', code: 404 });
  await request(h.base, 'PUT', PATH, { healthy: true, reason: 'pin' });
  const found = await request(h.base, 'GET', PATH);
  assert.equal(found.status, 200);
  assert.equal(found.body.reason, 'pin');
  assert.equal(found.body.healthy, true);
  assert.equal((await request(h.base, 'GET', `${PATH}?port=80`)).status, 404, 'the any-port override is not the port-80 one');
});

test('DELETE answers 204 with no body, then 404 "override not found"', async (t) => {
  const h = await startHarness(t);
  await request(h.base, 'PUT', PATH, { healthy: false });
  const res = await request(h.base, 'DELETE', PATH);
  assert.equal(res.status, 204);
  assert.equal(res.text, '');
  const again = await request(h.base, 'DELETE', PATH);
  assert.equal(again.status, 404);
  assert.deepEqual(again.body, { error: 'override not found', code: 404 });
});

test('GET /api/v1/overrides lists every override with generated_at', async (t) => {
  const h = await startHarness(t);
  const empty = await request(h.base, 'GET', '/api/v1/overrides');
  assert.deepEqual(empty.body.overrides, []);
  assert.match(empty.body.generated_at, RFC3339);
  await request(h.base, 'PUT', PATH, { healthy: false, reason: 'a' });
  await request(h.base, 'PUT', `/api/v1/overrides/${APP}/10.0.1.11?port=80`, { healthy: true, reason: 'b', source: 'datadog' });
  const res = await request(h.base, 'GET', '/api/v1/overrides');
  assert.equal(res.status, 200);
  assert.deepEqual(
    res.body.overrides.map((o: { address: string; port: number | null; source: string }) => [o.address, o.port, o.source]),
    [['10.0.1.10', null, 'api'], ['10.0.1.11', 80, 'datadog']],
  );
});

test('a served name resolves to the service an agent registered with its short name', async (t) => {
  const h = await startHarness(t);
  const id = h.control.addAgentBackend({ service: 'myapp', address: '10.0.5.1', port: 8080, agentId: 'agent-7' });
  const res = await request(h.base, 'PUT', '/api/v1/overrides/MyApp.GSLB.example.com./10.0.5.1', { healthy: false });
  assert.equal(res.status, 200);
  assert.equal(res.body.service, 'myapp');
  assert.equal((await backendJson(h, id)).healthy, false);
  const byShortName = await request(h.base, 'GET', '/api/v1/overrides/myapp/10.0.5.1');
  assert.equal(byShortName.status, 200);
});

test('an IPv6 address in any spelling names the same backend', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'PUT', `/api/v1/overrides/${APP}/2001:DB8:0::10`, { healthy: false });
  assert.equal(res.status, 200);
  assert.equal(res.body.address, '2001:db8::10');
  assert.equal((await backendJson(h, `${APP}:2001:db8::10:443`)).healthy, false);
});

const BAD_BODIES: Array<[string, string, unknown, string]> = [
  ['missing healthy', '', { reason: 'x' }, 'body.healthy: required (expected boolean)'],
  ['healthy as text', '', { healthy: 'yes' }, 'body.healthy: expected boolean, got "yes"'],
  ['healthy as number', '', { healthy: 1 }, 'body.healthy: expected boolean, got 1'],
  ['reason as number', '', { healthy: true, reason: 5 }, 'body.reason: expected string, got 5'],
  ['source with spaces', '', { healthy: true, source: 'cloud watch' }, 'body.source: expected a tool name such as cloudwatch (letters, digits, . _ -; at most 64), got "cloud watch"'],
  ['no body', '', undefined, 'body: required (expected a JSON object)'],
  ['an array body', '', [true], 'body: expected object, got an array'],
  ['port as text', '?port=abc', { healthy: true }, 'query.port: expected an integer 1-65535, got "abc"'],
  ['port out of range', '?port=70000', { healthy: true }, 'query.port: expected an integer 1-65535, got 70000'],
];

for (const [name, query, body, message] of BAD_BODIES) {
  test(`PUT with ${name} is 400 naming the field`, async (t) => {
    const h = await startHarness(t);
    const res = await request(h.base, 'PUT', PATH + query, body);
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { error: message, code: 400 });
    assert.equal(h.control.overrides().length, 0);
  });
}

test('an address that is not an IP is 400 naming the path part', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'PUT', `/api/v1/overrides/${APP}/web-1`, { healthy: true });
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'path.address: expected an IPv4 or IPv6 address, got "web-1"');
});

// ---- bulk ----

test('bulk PUT applies every override and answers them', async (t) => {
  const h = await startHarness(t);
  const res = await request(
    h.base,
    'PUT',
    '/api/v1/overrides',
    {
      overrides: [
        { service: APP, address: '10.0.1.10', healthy: false, reason: 'r1' },
        { service: APP, address: '10.0.1.11', port: 80, healthy: false, reason: 'r2', source: 'cloudwatch' },
      ],
    },
    { 'x-user': 'bulk-bot' },
  );
  assert.equal(res.status, 200);
  assert.equal(res.body.overrides.length, 2);
  assert.deepEqual(res.body.overrides[1], {
    service: APP,
    address: '10.0.1.11',
    port: 80,
    healthy: false,
    reason: 'r2',
    source: 'cloudwatch',
    created_at: new Date(T0).toISOString(),
    authority: 'bulk-bot',
  });
  assert.equal(h.control.overrides().length, 2);
  const healthy = (await request(h.base, 'GET', '/api/v1/backends/healthy')).body.backends.map((b: { address: string }) => b.address);
  assert.deepEqual(healthy.sort(), ['10.0.3.10', '2001:db8::10']);
});

test('bulk PUT is all or nothing: a conflicting entry fails the request (409) and no entry is applied', async (t) => {
  const h = await startHarness(t);
  await request(h.base, 'PUT', `/api/v1/overrides/${APP}/10.0.1.11`, { healthy: false, reason: 'operator' });
  const res = await request(h.base, 'PUT', '/api/v1/overrides', {
    overrides: [
      { service: APP, address: '10.0.1.10', healthy: false, source: 'cloudwatch' },
      { service: APP, address: '10.0.1.11', healthy: true, source: 'cloudwatch' },
    ],
  });
  assert.equal(res.status, 409);
  assert.equal(h.control.getOverride(APP, '10.0.1.10', null), undefined);
  assert.equal(h.control.getOverride(APP, '10.0.1.11', null)?.reason, 'operator');
});

test('bulk PUT that the store refuses (507) changes nothing', async (t) => {
  const h = await startHarness(t);
  h.control.failNextWrite = new StoreError(StoreErrorCode.Full, '/var/lib/opengslb/opengslb.db', 'database or disk is full');
  const res = await request(h.base, 'PUT', '/api/v1/overrides', {
    overrides: [
      { service: APP, address: '10.0.1.10', healthy: false },
      { service: APP, address: '10.0.1.11', healthy: false },
    ],
  });
  assert.equal(res.status, 507);
  assert.equal(res.body.code, 507);
  assert.equal(h.control.overrides().length, 0);
});

test('bulk PUT with an invalid entry is 400 naming its index, and nothing is applied', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'PUT', '/api/v1/overrides', {
    overrides: [
      { service: APP, address: '10.0.1.10', healthy: false },
      { service: APP, address: '10.0.1.11', reason: 'no verdict' },
    ],
  });
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'body.overrides[1].healthy: required (expected boolean)');
  assert.equal(h.control.overrides().length, 0);
});

test('bulk PUT naming one backend twice is 400 naming both entries', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'PUT', '/api/v1/overrides', {
    overrides: [
      { service: APP, address: '10.0.1.10', port: 80, healthy: false },
      { service: APP.toUpperCase(), address: '10.0.1.10', port: 80, healthy: true },
    ],
  });
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'body.overrides[1]: same service, address and port as body.overrides[0]');
  assert.equal(h.control.overrides().length, 0);
});

test('bulk PUT with an empty list is 400', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'PUT', '/api/v1/overrides', { overrides: [] });
  assert.equal(res.status, 400);
  assert.match(res.body.error, /^body\.overrides: /);
});
