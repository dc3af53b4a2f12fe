import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RFC3339, request, startHarness } from './api-fixture.ts';
import { APP, T0 } from './fake-control.ts';

test('GET /api/v1/live answers {"alive":true}', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'GET', '/api/v1/live');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { alive: true });
});

test('GET /api/v1/ready answers 200 when ready', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'GET', '/api/v1/ready');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { ready: true, dns_ready: true, health_ready: true });
});

test('GET /api/v1/ready answers 503 with the reason until ready', async (t) => {
  const h = await startHarness(t);
  h.control.ready = { ready: false, dnsReady: false, healthReady: false, message: 'DNS server not ready; health checks not ready' };
  const res = await request(h.base, 'GET', '/api/v1/ready');
  assert.equal(res.status, 503);
  assert.deepEqual(res.body, { ready: false, message: 'DNS server not ready; health checks not ready', dns_ready: false, health_ready: false });
});

test('GET /api/v1/health/servers reports the check results of the configured servers only', async (t) => {
  const h = await startHarness(t);
  h.control.setValidation(`${APP}:10.0.1.10:80`, true, undefined, 3.2);
  h.control.setValidation(`${APP}:10.0.1.11:80`, false, 'connection refused');
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.5.1', port: 8080, agentId: 'a1' });
  const res = await request(h.base, 'GET', '/api/v1/health/servers');
  assert.equal(res.status, 200);
  assert.match(res.body.generated_at, RFC3339);
  assert.deepEqual(res.body.servers, [
    { service: APP, address: '10.0.1.10', port: 80, region: 'us-east', healthy: true, status: 'healthy', last_check: new Date(T0 - 1000).toISOString(), latency_ms: 3.2 },
    { service: APP, address: '10.0.1.11', port: 80, region: 'us-east', healthy: false, status: 'unhealthy', last_check: new Date(T0 - 1000).toISOString(), last_error: 'connection refused' },
    { service: APP, address: '2001:db8::10', port: 443, region: 'eu-west', healthy: false, status: 'unknown' },
    { service: APP, address: '10.0.3.10', port: 80, region: 'ap-south', healthy: false, status: 'unknown' },
  ]);
});

test('GET /api/v1/health/regions summarises the configured servers per region', async (t) => {
  const h = await startHarness(t);
  h.control.setValidation(`${APP}:10.0.1.10:80`, true);
  h.control.setValidation(`${APP}:10.0.1.11:80`, false);
  h.control.setValidation(`${APP}:10.0.3.10:80`, true);
  const res = await request(h.base, 'GET', '/api/v1/health/regions');
  assert.equal(res.status, 200);
  assert.match(res.body.generated_at, RFC3339);
  assert.deepEqual(res.body.regions, [
    { name: 'ap-south', total_servers: 1, healthy_count: 1, unhealthy_count: 0, health_percent: 100 },
    { name: 'eu-west', total_servers: 1, healthy_count: 0, unhealthy_count: 0, health_percent: 0 },
    { name: 'us-east', total_servers: 2, healthy_count: 1, unhealthy_count: 1, health_percent: 50 },
  ]);
});
