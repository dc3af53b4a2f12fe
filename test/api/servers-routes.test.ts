import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError, StoreErrorCode } from '../../src/store/index.ts';
import { RFC3339, request, startHarness } from './api-fixture.ts';
import { APP, T0 } from './fake-control.ts';

const NEW = { name: APP, address: '10.0.9.1', port: 8443, weight: 50, region: 'eu-west' };
const NEW_ID = `${APP}:10.0.9.1:8443`;

test('GET /api/v1/servers lists every backend in the BackendServer shape with total', async (t) => {
  const h = await startHarness(t);
  h.control.setValidation(`${APP}:10.0.1.10:80`, true);
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.5.1', port: 8080, agentId: 'a1', draining: true });
  const res = await request(h.base, 'GET', '/api/v1/servers');
  assert.equal(res.status, 200);
  assert.equal(res.body.total, 5);
  assert.match(res.body.generated_at, RFC3339);
  const s = res.body.servers[0];
  assert.deepEqual(s, {
    id: `${APP}:10.0.1.10:80`,
    name: APP,
    address: '10.0.1.10',
    port: 80,
    protocol: 'tcp',
    weight: 100,
    region: 'us-east',
    enabled: true,
    healthy: true,
    status: 'healthy',
    metadata: { service: APP, source: 'static', effective_status: 'healthy', authority: 'validation', serve: 'true', validation_check: 'healthy' },
    created_at: new Date(T0 - 3_600_000).toISOString(),
    health_check: {
      enabled: true,
      type: 'http',
      path: '/health',
      interval: 30_000_000_000,
      timeout: 5_000_000_000,
      healthy_threshold: 2,
      unhealthy_threshold: 3,
    },
  });
  const agent = res.body.servers.find((x: { id: string }) => x.id === 'myapp:10.0.5.1:8080');
  assert.equal(agent.enabled, false, 'a draining backend is not enabled');
  assert.equal(agent.metadata.agent_id, 'a1');
  assert.equal(agent.metadata.source, 'agent');
});

test('GET /api/v1/servers filters by region, enabled and healthy', async (t) => {
  const h = await startHarness(t);
  h.control.setValidation(`${APP}:10.0.1.10:80`, true);
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.5.1', port: 8080, agentId: 'a1', draining: true, region: 'us-east' });
  const ids = async (q: string) => (await request(h.base, 'GET', `/api/v1/servers?${q}`)).body.servers.map((s: { address: string }) => s.address);
  assert.deepEqual(await ids('region=us-east'), ['10.0.1.10', '10.0.1.11', '10.0.5.1']);
  assert.deepEqual(await ids('region=us-east&enabled=false'), ['10.0.5.1']);
  assert.deepEqual(await ids('healthy=true'), ['10.0.1.10']);
  const bad = await request(h.base, 'GET', '/api/v1/servers?healthy=yes');
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /^query\.healthy: .*"yes"/);
});

test('POST creates a server: 201 {"server":...}, then it is listed and served', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'POST', '/api/v1/servers', NEW);
  assert.equal(res.status, 201);
  assert.equal(res.body.server.id, NEW_ID);
  assert.equal(res.body.server.weight, 50);
  assert.equal(res.body.server.region, 'eu-west');
  assert.equal(res.body.server.metadata.source, 'api');
  assert.equal(h.control.backend(NEW_ID)?.serve, true);
  const listed = await request(h.base, 'GET', '/api/v1/servers?region=eu-west');
  assert.ok(listed.body.servers.some((s: { id: string }) => s.id === NEW_ID));
});

test('POST takes the service from metadata.service before name, and defaults port and weight', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'POST', '/api/v1/servers', { name: 'web-9', address: '10.0.9.2', region: 'us-east', metadata: { service: 'Shop.GSLB.example.com.' } });
  assert.equal(res.status, 201);
  assert.equal(res.body.server.id, 'shop.gslb.example.com:10.0.9.2:80');
  assert.equal(res.body.server.weight, 100);
});

test('POST without region or service answers the original messages', async (t) => {
  const h = await startHarness(t);
  const noRegion = await request(h.base, 'POST', '/api/v1/servers', { name: APP, address: '10.0.9.1', port: 80 });
  assert.equal(noRegion.status, 400);
  assert.deepEqual(noRegion.body, { error: 'region is required', code: 400 });
  const noService = await request(h.base, 'POST', '/api/v1/servers', { address: '10.0.9.1', port: 80, region: 'us-east' });
  assert.equal(noService.status, 400);
  assert.deepEqual(noService.body, { error: 'service is required (set via name or metadata.service)', code: 400 });
});

test('POST with a bad address or port is 400 naming the field', async (t) => {
  const h = await startHarness(t);
  const address = await request(h.base, 'POST', '/api/v1/servers', { ...NEW, address: 'db.local' });
  assert.equal(address.status, 400);
  assert.equal(address.body.error, 'body.address: expected an IPv4 or IPv6 address, got "db.local"');
  const port = await request(h.base, 'POST', '/api/v1/servers', { ...NEW, port: '80' });
  assert.equal(port.status, 400);
  assert.equal(port.body.error, 'body.port: expected number, got "80"');
});

test('POST of an existing server is 409; of an unknown region, the control says 400', async (t) => {
  const h = await startHarness(t);
  const dup = await request(h.base, 'POST', '/api/v1/servers', { name: APP, address: '10.0.1.10', port: 80, region: 'us-east' });
  assert.equal(dup.status, 409);
  const region = await request(h.base, 'POST', '/api/v1/servers', { ...NEW, region: 'mars' });
  assert.equal(region.status, 400);
  assert.match(region.body.error, /region "mars"/);
});

test('GET /api/v1/servers/{id} answers the server or 404 "server not found"', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'GET', `/api/v1/servers/${APP}:2001:DB8::10:443`);
  assert.equal(res.status, 200);
  assert.equal(res.body.server.id, `${APP}:2001:db8::10:443`);
  const missing = await request(h.base, 'GET', `/api/v1/servers/${APP}:10.0.1.10:81`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { error: `server not found: ${APP}:10.0.1.10:81`, code: 404 });
  const bad = await request(h.base, 'GET', '/api/v1/servers/nonsense');
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /^path\.id: expected service:address:port/);
});

test('PUT and PATCH change weight and region of an API-created server', async (t) => {
  const h = await startHarness(t);
  await request(h.base, 'POST', '/api/v1/servers', NEW);
  const put = await request(h.base, 'PUT', `/api/v1/servers/${NEW_ID}`, { weight: 7, region: 'us-east' });
  assert.equal(put.status, 200);
  assert.equal(put.body.server.weight, 7);
  assert.equal(put.body.server.region, 'us-east');
  const patch = await request(h.base, 'PATCH', `/api/v1/servers/${NEW_ID}`, { weight: 9 });
  assert.equal(patch.status, 200);
  assert.equal(patch.body.server.weight, 9);
  assert.equal(patch.body.server.region, 'us-east');
  const bad = await request(h.base, 'PATCH', `/api/v1/servers/${NEW_ID}`, { weight: -1 });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /^body\.weight: /);
});

test('changing or deleting a server from the configuration file is 409 pointing at the file', async (t) => {
  const h = await startHarness(t);
  const id = `${APP}:10.0.1.10:80`;
  const put = await request(h.base, 'PUT', `/api/v1/servers/${id}`, { weight: 1 });
  assert.equal(put.status, 409);
  assert.match(put.body.error, /configuration file/);
  const del = await request(h.base, 'DELETE', `/api/v1/servers/${id}`);
  assert.equal(del.status, 409);
  assert.match(del.body.error, /configuration file/);
  assert.ok(h.control.backend(id));
});

test('DELETE removes an API-created server: 204, then 404', async (t) => {
  const h = await startHarness(t);
  await request(h.base, 'POST', '/api/v1/servers', NEW);
  const res = await request(h.base, 'DELETE', `/api/v1/servers/${NEW_ID}`);
  assert.equal(res.status, 204);
  assert.equal(res.text, '');
  assert.equal(h.control.backend(NEW_ID), undefined);
  const again = await request(h.base, 'DELETE', `/api/v1/servers/${NEW_ID}`);
  assert.equal(again.status, 404);
});

test('a create the store refuses is 503 and adds nothing', async (t) => {
  const h = await startHarness(t);
  h.control.failNextWrite = new StoreError(StoreErrorCode.ReadOnly, '/var/lib/opengslb/opengslb.db', 'attempt to write a readonly database');
  const res = await request(h.base, 'POST', '/api/v1/servers', NEW);
  assert.equal(res.status, 503);
  assert.equal(h.control.backend(NEW_ID), undefined);
});
