import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlError, ControlErrorCode } from '../../src/overwatch/index.ts';
import { RFC3339, request, startHarness } from './api-fixture.ts';
import { APP, T0 } from './fake-control.ts';

const OVERRIDE = `/api/v1/overwatch/backends/${APP}/10.0.1.10/80/override`;

test('GET /api/v1/overwatch/backends lists backends in the original shape', async (t) => {
  const h = await startHarness(t);
  h.control.setValidation(`${APP}:10.0.1.11:80`, false, 'connection refused');
  await request(h.base, 'POST', OVERRIDE, { healthy: false, reason: 'maint' }, { 'x-user': 'bob' });
  const res = await request(h.base, 'GET', '/api/v1/overwatch/backends');
  assert.equal(res.status, 200);
  assert.match(res.body.generated_at, RFC3339);
  assert.equal(res.body.backends.length, 4);
  const [b10, b11] = res.body.backends;
  assert.deepEqual(b10, {
    service: APP,
    address: '10.0.1.10',
    port: 80,
    weight: 100,
    agent_id: null,
    region: 'us-east',
    effective_status: 'unhealthy',
    agent_healthy: null,
    agent_last_seen: null,
    override_status: false,
    override_reason: 'maint',
    override_by: 'bob',
    override_at: new Date(T0).toISOString(),
  });
  assert.equal(b11.validation_healthy, false);
  assert.equal(b11.validation_error, 'connection refused');
  assert.match(b11.validation_last_check, RFC3339);
  assert.equal('override_status' in b11, false);
});

test('filters by service (registry or served name), region and status', async (t) => {
  const h = await startHarness(t);
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.5.1', port: 8080, agentId: 'a1', region: 'eu-west' });
  h.control.setValidation(`${APP}:10.0.1.11:80`, false);
  const q = async (query: string) => (await request(h.base, 'GET', `/api/v1/overwatch/backends?${query}`)).body.backends.map((b: { address: string }) => b.address);
  assert.deepEqual(await q('service=myapp'), ['10.0.5.1']);
  assert.deepEqual(await q('service=myapp.gslb.example.com'), ['10.0.5.1']);
  assert.deepEqual(await q('region=eu-west'), ['2001:db8::10', '10.0.5.1']);
  assert.deepEqual(await q('status=unhealthy'), ['10.0.1.11']);
  assert.deepEqual(await q(`service=${APP}&region=us-east&status=unknown`), ['10.0.1.10']);
  const bad = await request(h.base, 'GET', '/api/v1/overwatch/backends?status=sick');
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /^query\.status: .*"sick"/);
});

test('POST …/override sets a manual override of that port with the original message', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'POST', OVERRIDE, { healthy: false, reason: 'maintenance' }, { 'x-user': 'alice' });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { success: true, message: 'Override set: backend marked as unhealthy' });
  const o = h.control.getOverride(APP, '10.0.1.10', 80);
  assert.equal(o?.source, 'api');
  assert.equal(o?.authority, 'alice');
  assert.equal(h.control.backend(`${APP}:10.0.1.10:80`)?.serve, false);
  const healthy = await request(h.base, 'POST', OVERRIDE, { healthy: true, reason: 'back' });
  assert.deepEqual(healthy.body, { success: true, message: 'Override set: backend marked as healthy' });
});

test('POST …/override for an unknown backend is 404 naming it', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'POST', `/api/v1/overwatch/backends/${APP}/10.0.1.10/81/override`, { healthy: false, reason: 'x' });
  assert.equal(res.status, 404);
  assert.deepEqual(res.body, { error: `backend not found: ${APP}:10.0.1.10:81`, code: 404 });
});

test('POST …/override with a bad port or body is 400 naming the field', async (t) => {
  const h = await startHarness(t);
  const port = await request(h.base, 'POST', `/api/v1/overwatch/backends/${APP}/10.0.1.10/http/override`, { healthy: false });
  assert.equal(port.status, 400);
  assert.equal(port.body.error, 'path.port: expected an integer 1-65535, got "http"');
  const body = await request(h.base, 'POST', OVERRIDE, { healthy: 'no' });
  assert.equal(body.status, 400);
  assert.equal(body.body.error, 'body.healthy: expected boolean, got "no"');
});

test('DELETE …/override clears it, then 404', async (t) => {
  const h = await startHarness(t);
  await request(h.base, 'POST', OVERRIDE, { healthy: false, reason: 'x' });
  const res = await request(h.base, 'DELETE', OVERRIDE);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { success: true, message: 'Override cleared' });
  assert.equal(h.control.overrides().length, 0);
  const again = await request(h.base, 'DELETE', OVERRIDE);
  assert.equal(again.status, 404);
  assert.equal(again.body.error, 'override not found');
});

test('GET /api/v1/overwatch/stats counts from the backends', async (t) => {
  const h = await startHarness(t);
  h.control.setValidation(`${APP}:10.0.1.10:80`, true);
  h.control.setValidation(`${APP}:10.0.1.11:80`, false);
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.5.1', port: 8080, agentId: 'a1', region: 'eu-west', agentHealthy: true, validation: false });
  h.control.addAgentBackend({ service: 'myapp', address: '10.0.5.2', port: 8080, agentId: 'a2', region: 'eu-west', agentHealthy: true, validation: true });
  h.control.addAgentBackend({ service: 'other', address: '10.0.6.1', port: 80, agentId: 'a3', region: '', lastSeenAgoMs: 45_000 });
  await request(h.base, 'PUT', `/api/v1/overrides/${APP}/10.0.3.10`, { healthy: false });
  const res = await request(h.base, 'GET', '/api/v1/overwatch/stats');
  assert.equal(res.status, 200);
  const { generated_at, ...stats } = res.body;
  assert.match(generated_at, RFC3339);
  assert.deepEqual(stats, {
    total_backends: 7,
    healthy_backends: 2, // 10.0.1.10 (check), 10.0.5.2 (check)
    unhealthy_backends: 3, // 10.0.1.11 (check), 10.0.5.1 (check beats agent), 10.0.3.10 (override)
    stale_backends: 1,
    served_backends: 3, // + 2001:db8::10, not yet checked
    active_overrides: 1,
    validation_enabled: true,
    validated_backends: 4,
    disagreement_count: 1,
    active_agents: 2,
    unique_services: 3,
    backends_by_service: { [APP]: 4, myapp: 2, other: 1 },
    backends_by_region: { 'us-east': 2, 'eu-west': 3, 'ap-south': 1, unknown: 1 },
  });
});

test('POST /api/v1/overwatch/validate triggers a round for every backend', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'POST', '/api/v1/overwatch/validate');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { success: true, message: 'Validation triggered for all backends' });
  assert.deepEqual(h.control.validateCalls, [undefined]);
});

test('POST /api/v1/overwatch/validate with service, address and port triggers one backend', async (t) => {
  const h = await startHarness(t);
  const res = await request(h.base, 'POST', `/api/v1/overwatch/validate?service=${APP}&address=10.0.1.11&port=80`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { success: true, message: 'Validation triggered for specific backend' });
  assert.deepEqual(h.control.validateCalls, [{ service: APP, address: '10.0.1.11', port: 80 }]);
});

test('validate answers 503 "validator not available" when validation is off', async (t) => {
  const h = await startHarness(t);
  h.control.validationEnabled = false;
  const res = await request(h.base, 'POST', '/api/v1/overwatch/validate');
  assert.equal(res.status, 503);
  assert.deepEqual(res.body, { error: 'validator not available', code: 503 });
});

test('validate answers 400 for a bad port or a partial target, 404 for an unknown backend', async (t) => {
  const h = await startHarness(t);
  const port = await request(h.base, 'POST', `/api/v1/overwatch/validate?service=${APP}&address=10.0.1.11&port=x`);
  assert.equal(port.status, 400);
  assert.equal(port.body.error, 'query.port: expected an integer 1-65535, got "x"');
  const partial = await request(h.base, 'POST', `/api/v1/overwatch/validate?service=${APP}`);
  assert.equal(partial.status, 400);
  assert.match(partial.body.error, /service, address and port together/);
  const unknown = await request(h.base, 'POST', `/api/v1/overwatch/validate?service=${APP}&address=10.9.9.9&port=80`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error, `backend not found: ${APP}:10.9.9.9:80`);
  assert.deepEqual(h.control.validateCalls, []);
});

test('validate with wait=true answers after the round, with its error mapped', async (t) => {
  const h = await startHarness(t);
  let finished = false;
  h.control.validateImpl = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    finished = true;
  };
  const ok = await request(h.base, 'POST', '/api/v1/overwatch/validate?wait=true');
  assert.equal(ok.status, 200);
  assert.equal(finished, true);
  h.control.validateImpl = async () => {
    throw new ControlError(ControlErrorCode.ValidatorDisabled, 'validator stopped');
  };
  const failed = await request(h.base, 'POST', '/api/v1/overwatch/validate?wait=true');
  assert.equal(failed.status, 503);
  assert.equal(failed.body.error, 'validator not available');
});

test('a round that fails after the answer is logged, not thrown', async (t) => {
  const h = await startHarness(t);
  h.control.validateImpl = async () => {
    throw new Error('probe pool exploded');
  };
  const res = await request(h.base, 'POST', '/api/v1/overwatch/validate');
  assert.equal(res.status, 200);
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(h.lines.some((l) => l.includes('validation round requested through the API failed')));
});
