import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../src/overwatch/index.ts';

const check = { type: 'http' as const, path: '/health', intervalMs: 5000, timeoutMs: 1000, failureThreshold: 3, successThreshold: 2 };
function registry(): Registry {
  return new Registry({
    zones: ['gslb.example.com', 'gslb.example.net'],
    domains: [{ name: 'web.gslb.example.com', routingAlgorithm: 'failover', regions: ['us'], ttlSeconds: 20, maxAnswers: 4, latencyConfig: { smoothingFactor: 0.3, maxLatencyMs: 500, minSamples: 3 } }],
    defaultTtlSeconds: 60,
    returnLastHealthy: false,
    staleThresholdMs: 30_000,
    removeAfterMs: 300_000,
  });
}
const agentBackend = (address: string, healthy = true) => ({ service: 'myapp', address, port: 8080, weight: 100, region: 'us', healthCheck: check, agentId: 'agent-1', healthy });

test('a short service name is served in every zone; an FQDN in a zone as itself; a domain keeps its settings', () => {
  const r = registry();
  assert.deepEqual(r.servedNames('myapp'), ['myapp.gslb.example.com', 'myapp.gslb.example.net']);
  assert.deepEqual(r.servedNames('api.gslb.example.net'), ['api.gslb.example.net']);
  assert.deepEqual(r.servedNames('web.gslb.example.com'), ['web.gslb.example.com']);
  assert.deepEqual(r.servedNames('elsewhere.example.org'), []);
  r.upsertAgentBackend({ ...agentBackend('10.0.0.1'), service: 'web.gslb.example.com' }, 0);
  r.upsertAgentBackend(agentBackend('10.0.0.2'), 0);
  r.evaluate(0);
  const input = r.snapshotInput(0);
  const web = input.names.find((n) => n.name === 'web.gslb.example.com')!;
  assert.deepEqual([web.policy, web.ttlSeconds, web.maxAnswers], ['failover', 20, 4]);
  const myapp = input.names.find((n) => n.name === 'myapp.gslb.example.com')!;
  assert.deepEqual([myapp.policy, myapp.ttlSeconds, myapp.maxAnswers], ['round-robin', 60, 8]);
});

test('static and agent backends of one service are served side by side, identified by service+address+port', () => {
  const r = registry();
  r.setStatic([{ service: 'web.gslb.example.com', address: '10.0.0.1', port: 80, weight: 1, region: 'us', healthCheck: check }], 0);
  r.upsertAgentBackend({ ...agentBackend('10.0.0.1'), service: 'web.gslb.example.com', port: 8080 }, 0);
  // same address:port in another service is a different backend
  r.upsertAgentBackend({ ...agentBackend('10.0.0.1'), port: 80 }, 0);
  assert.equal(r.backends().length, 3);
  r.setValidation('web.gslb.example.com:10.0.0.1:80', false, 0);
  r.evaluate(0);
  assert.equal(r.decision('web.gslb.example.com:10.0.0.1:80')!.serve, false);
  assert.equal(r.decision('myapp:10.0.0.1:80')!.serve, true);
});

test('stale after the threshold, recovered by validation, removed after remove_after', () => {
  const r = registry();
  r.upsertAgentBackend(agentBackend('10.0.0.1'), 0);
  r.upsertAgentBackend(agentBackend('10.0.0.2'), 0);
  r.evaluate(0);
  assert.equal(r.nextDeadlineMs(0), 30_001);
  r.evaluate(30_001);
  assert.equal(r.decision('myapp:10.0.0.1:8080')!.status, 'stale');
  r.setValidation('myapp:10.0.0.2:8080', true, 30_002);
  r.evaluate(30_002);
  assert.equal(r.decision('myapp:10.0.0.2:8080')!.serve, true);
  assert.equal(r.decision('myapp:10.0.0.1:8080')!.serve, false);
  assert.deepEqual(r.reapStale(330_000), []);
  assert.deepEqual(r.reapStale(330_001).map((b) => b.id).sort(), ['myapp:10.0.0.1:8080', 'myapp:10.0.0.2:8080']);
  assert.equal(r.backends().length, 0);
});

test('a heartbeat without content refreshes every backend of the agent', () => {
  const r = registry();
  r.upsertAgentBackend(agentBackend('10.0.0.1'), 0);
  r.touchAgent('agent-1', 25_000);
  r.evaluate(50_000);
  assert.equal(r.decision('myapp:10.0.0.1:8080')!.status, 'healthy');
});

test('evaluate reports only decisions that changed', () => {
  const r = registry();
  r.upsertAgentBackend(agentBackend('10.0.0.1'), 0);
  assert.equal(r.evaluate(0).length, 1);
  assert.equal(r.evaluate(1).length, 0);
  r.upsertAgentBackend(agentBackend('10.0.0.1', false), 2);
  const changes = r.evaluate(2);
  assert.equal(changes.length, 1);
  assert.equal(changes[0]!.after.status, 'unhealthy');
});

test('an any-port override applies to every port; a port-specific one wins over it', () => {
  const r = registry();
  r.upsertAgentBackend(agentBackend('10.0.0.1'), 0);
  r.upsertAgentBackend({ ...agentBackend('10.0.0.1'), port: 9090 }, 0);
  r.setOverride({ service: 'myapp', address: '10.0.0.1', port: null, healthy: false, reason: 'r', source: 'api', authority: 'x', createdAtMs: 0 });
  r.setOverride({ service: 'myapp', address: '10.0.0.1', port: 9090, healthy: true, reason: 'r', source: 'api', authority: 'x', createdAtMs: 0 });
  r.evaluate(0);
  assert.equal(r.decision('myapp:10.0.0.1:8080')!.serve, false);
  assert.equal(r.decision('myapp:10.0.0.1:9090')!.serve, true);
});

test("an agent that heartbeats fast is stale after its heartbeat.interval x missed_threshold when that is shorter than stale.threshold", () => {
  const r = registry();
  r.upsertAgentBackend({ ...agentBackend('10.0.0.1'), staleAfterMs: 3000 }, 0);
  r.upsertAgentBackend(agentBackend('10.0.0.2'), 0);
  r.evaluate(0);
  assert.equal(r.nextDeadlineMs(0), 3001);
  r.evaluate(3001);
  assert.equal(r.decision('myapp:10.0.0.1:8080')!.status, 'stale');
  assert.equal(r.decision('myapp:10.0.0.2:8080')!.status, 'healthy', 'stale.threshold (30s) still applies to the other');
  // a slow agent (interval x missed longer than stale.threshold) is still bound by stale.threshold
  r.upsertAgentBackend({ ...agentBackend('10.0.0.3'), staleAfterMs: 600_000 }, 0);
  r.evaluate(30_001);
  assert.equal(r.decision('myapp:10.0.0.3:8080')!.status, 'stale');
  assert.deepEqual(r.reapStale(303_002).map((b) => b.id), ['myapp:10.0.0.1:8080']);
});
