import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RFC3339, request, startHarness } from './api-fixture.ts';

test('GET /api lists the API versions', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'GET', '/api');
  assert.equal(res.status, 200);
  assert.match(res.body.generated_at, RFC3339);
  assert.deepEqual(res.body.versions.map((v: { path: string }) => v.path), ['/api/v1']);
});

test('GET /api/v1 lists every registered endpoint with its methods', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'GET', '/api/v1');
  assert.equal(res.status, 200);
  assert.match(res.body.generated_at, RFC3339);
  const byPath = new Map(res.body.endpoints.map((e: { path: string; methods: string[] }) => [e.path, e.methods]));
  assert.deepEqual(byPath.get('/api/v1/overrides/{service}/{address}'), ['DELETE', 'GET', 'PUT']);
  assert.deepEqual(byPath.get('/api/v1/overrides'), ['GET', 'PUT']);
  assert.deepEqual(byPath.get('/api/v1/servers/{id}'), ['DELETE', 'GET', 'PATCH', 'PUT']);
  assert.deepEqual(byPath.get('/api/v1/overwatch/backends/{service}/{address}/{port}/override'), ['DELETE', 'POST']);
  assert.ok(byPath.has('/api/v1/openapi.json'));
  assert.ok(res.body.endpoints.every((e: { description: string }) => e.description.length > 0));
});

test('the group roots list the endpoints below them', async (t) => {
  const h = await startHarness(t);
  const paths = async (root: string) => (await request(h.base, 'GET', root)).body.endpoints.map((e: { path: string }) => e.path);
  assert.deepEqual(await paths('/api/v1/health'), ['/api/v1/health/regions', '/api/v1/health/servers']);
  assert.deepEqual(await paths('/api/v1/cluster'), ['/api/v1/cluster/status']);
  assert.deepEqual(await paths('/api/v1/overwatch'), [
    '/api/v1/overwatch/agents',
    '/api/v1/overwatch/agents/{id}',
    '/api/v1/overwatch/agents/{id}/revoke',
    '/api/v1/overwatch/agents/expiring',
    '/api/v1/overwatch/backends',
    '/api/v1/overwatch/backends/{service}/{address}/{port}/override',
    '/api/v1/overwatch/latency',
    '/api/v1/overwatch/stats',
    '/api/v1/overwatch/validate',
  ]);
});

test('GET /api/v1/version reports the build, the Node version and the platform', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'GET', '/api/v1/version');
  assert.equal(res.status, 200);
  assert.equal(res.body.version, '9.9.9-test');
  assert.equal(res.body.node_version, process.version);
  assert.equal(res.body.platform, `${process.platform}/${process.arch}`);
  assert.match(res.body.generated_at, RFC3339);
});
