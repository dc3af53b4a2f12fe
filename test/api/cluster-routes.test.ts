import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RFC3339, request, startHarness } from './api-fixture.ts';
import { APP, T0 } from './fake-control.ts';

test('GET /api/v1/cluster/status reports this node, its agents and a backend summary', async (t) => {
  const h = await startHarness(t);
  h.control.setValidation(`${APP}:10.0.1.10:80`, true);
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.5.1', port: 8080, agentId: 'agent-a', region: 'eu-west', agentHealthy: true, lastSeenAgoMs: 2000 });
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.5.1', port: 8081, agentId: 'agent-a', region: 'eu-west', agentHealthy: false, lastSeenAgoMs: 5000 });
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.6.1', port: 8080, agentId: 'agent-b', region: 'us-east', agentHealthy: false });
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.7.1', port: 8080, agentId: 'agent-c', region: 'ap-south', lastSeenAgoMs: 31_000 });
  const res = await request(h.base, 'GET', '/api/v1/cluster/status');
  assert.equal(res.status, 200);
  const { generated_at, ...status } = res.body;
  assert.match(generated_at, RFC3339);
  assert.deepEqual(status, {
    cluster_healthy: true,
    overwatch: { node_id: 'ow-test-1', status: 'healthy', uptime_seconds: 3600 },
    agents: [
      { agent_id: 'agent-a', region: 'eu-west', status: 'healthy', last_seen: new Date(T0 - 2000).toISOString(), backend_count: 2 },
      { agent_id: 'agent-b', region: 'us-east', status: 'unhealthy', last_seen: new Date(T0 - 1000).toISOString(), backend_count: 1 },
      { agent_id: 'agent-c', region: 'ap-south', status: 'stale', last_seen: new Date(T0 - 31_000).toISOString(), backend_count: 1 },
    ],
    healthy_agents: 1,
    gossip_members: 2,
    backend_summary: { total: 8, healthy: 2, unhealthy: 2, stale: 1 },
  });
});

test('cluster_healthy is false with fewer healthy agents than expected_agents', async (t) => {
  const h = await startHarness(t);
  h.control.setValidation(`${APP}:10.0.1.10:80`, true);
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.5.1', port: 8080, agentId: 'agent-a' });
  const one = await request(h.base, 'GET', '/api/v1/cluster/status?expected_agents=1');
  assert.equal(one.body.cluster_healthy, true);
  assert.equal(one.body.expected_agents, 1);
  const two = await request(h.base, 'GET', '/api/v1/cluster/status?expected_agents=2');
  assert.equal(two.body.cluster_healthy, false);
  assert.equal(two.body.expected_agents, 2);
});

test('cluster_healthy is false when there are backends and none is healthy', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'GET', '/api/v1/cluster/status');
  assert.equal(res.body.backend_summary.total, 4);
  assert.equal(res.body.backend_summary.healthy, 0);
  assert.equal(res.body.cluster_healthy, false);
  assert.equal('expected_agents' in res.body, false);
});

test('a bad expected_agents is 400 naming it', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'GET', '/api/v1/cluster/status?expected_agents=many');
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'query.expected_agents: expected a non-negative integer, got "many"');
});
