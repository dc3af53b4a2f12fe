import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RFC3339, request, startHarness } from './api-fixture.ts';
import { APP, T0 } from './fake-control.ts';

test('GET /api/v1/backends lists every backend with the guide fields', async (t) => {
  const h = await startHarness(t);
  h.control.setValidation(`${APP}:10.0.1.10:80`, true, undefined, 12.5);
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.5.1', port: 8080, agentId: 'agent-7', region: 'eu-west', agentHealthy: true, validation: false });
  const res = await request(h.base, 'GET', '/api/v1/backends');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^application\/json/);
  assert.match(res.body.generated_at, RFC3339);
  assert.equal(res.body.backends.length, 5);

  const stat = res.body.backends.find((b: { id: string }) => b.id === `${APP}:10.0.1.10:80`);
  assert.deepEqual(stat, {
    id: `${APP}:10.0.1.10:80`,
    service: APP,
    address: '10.0.1.10',
    port: 80,
    weight: 100,
    region: 'us-east',
    source: 'static',
    agent_id: null,
    effective_status: 'healthy',
    healthy: true,
    authority: 'validation',
    stale: false,
    draining: false,
    agent_healthy: null,
    agent_last_seen: null,
    validation: { healthy: true, last_check: new Date(T0 - 1000).toISOString(), error: null, latency_ms: 12.5 },
    override: null,
    served_names: [APP],
  });

  const agent = res.body.backends.find((b: { id: string }) => b.id === 'myapp:10.0.5.1:8080');
  assert.equal(agent.source, 'agent');
  assert.equal(agent.agent_id, 'agent-7');
  assert.equal(agent.agent_healthy, true);
  assert.match(agent.agent_last_seen, RFC3339);
  // the lying agent: it claims healthy, the Overwatch's check says no, the check wins
  assert.equal(agent.healthy, false);
  assert.equal(agent.effective_status, 'unhealthy');
  assert.equal(agent.authority, 'validation');
  assert.deepEqual(agent.served_names, ['myapp.gslb.example.com']);
});

test('GET /api/v1/backends/healthy lists only the backends DNS serves', async (t) => {
  const h = await startHarness(t);
  h.control.setValidation(`${APP}:10.0.1.11:80`, false, 'connection refused');
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.5.1', port: 8080, agentId: 'a1', draining: true });
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.5.2', port: 8080, agentId: 'a2', lastSeenAgoMs: 60_000 });
  const all = await request(h.base, 'GET', '/api/v1/backends');
  const stale = all.body.backends.find((b: { address: string }) => b.address === '10.0.5.2');
  assert.equal(stale.stale, true);
  assert.equal(stale.effective_status, 'stale');
  const res = await request(h.base, 'GET', '/api/v1/backends/healthy');
  assert.equal(res.status, 200);
  assert.match(res.body.generated_at, RFC3339);
  assert.deepEqual(res.body.backends.map((b: { id: string }) => b.id).sort(), [`${APP}:10.0.1.10:80`, `${APP}:10.0.3.10:80`, `${APP}:2001:db8::10:443`]);
  assert.ok(res.body.backends.every((b: { healthy: boolean }) => b.healthy));
});

test('a backend under override shows the override object', async (t) => {
  const h = await startHarness(t);
  await request(h.base, 'PUT', `/api/v1/overrides/${APP}/10.0.3.10`, { healthy: false, reason: 'ap-south maintenance' }, { 'x-user': 'ops' });
  const res = await request(h.base, 'GET', '/api/v1/backends');
  const b = res.body.backends.find((x: { address: string }) => x.address === '10.0.3.10');
  assert.deepEqual(b.override, {
    service: APP,
    address: '10.0.3.10',
    port: null,
    healthy: false,
    reason: 'ap-south maintenance',
    source: 'api',
    created_at: new Date(T0).toISOString(),
    authority: 'ops',
  });
  assert.equal(b.authority, 'override');
  assert.equal(b.effective_status, 'unhealthy');
});
