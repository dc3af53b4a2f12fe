import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideHealth, type Backend, type Override } from '../../src/model/index.ts';

const ctx = { nowMs: 100_000, staleThresholdMs: 30_000 };
const check = { type: 'http' as const, path: '/health', intervalMs: 5000, timeoutMs: 1000, failureThreshold: 3, successThreshold: 2 };

function backend(p: Partial<Backend>): Backend {
  return {
    id: 'svc:10.0.0.1:80', service: 'svc', address: '10.0.0.1', port: 80, weight: 1, region: 'r', source: 'agent',
    healthCheck: check, order: 0, draining: false, validation: { healthy: null }, registeredAtMs: 0, ...p,
  };
}
function override(healthy: boolean, source = 'api'): Override {
  return { service: 'svc', address: '10.0.0.1', port: null, healthy, reason: 'r', source, authority: '127.0.0.1', createdAtMs: 0 };
}

// Every combination of the inputs the authority reads, checked against the rules written out plainly.
test('the decision follows override > external > draining > validation > agent claim for every combination', () => {
  const overrides = [undefined, override(true), override(false), override(true, 'cloudwatch'), override(false, 'cloudwatch')];
  for (const o of overrides)
    for (const draining of [false, true])
      for (const validation of [null, true, false])
        for (const claim of [undefined, true, false])
          for (const lastSeen of [undefined, 90_000, 10_000])
            for (const source of ['agent', 'static'] as const) {
              const b = backend({ draining, validation: { healthy: validation }, agentHealthy: claim, agentLastSeenMs: lastSeen, source });
              const d = decideHealth(b, o, ctx);
              const stale = source === 'agent' && lastSeen !== undefined && ctx.nowMs - lastSeen > ctx.staleThresholdMs;
              let serve: boolean;
              let authority: string;
              if (o) {
                serve = o.healthy;
                authority = o.source === 'api' ? 'override' : 'external';
              } else if (draining) {
                serve = false;
                authority = 'agent';
              } else if (validation !== null) {
                serve = validation;
                authority = 'validation';
              } else if (source === 'agent') {
                serve = !stale && claim === true;
                authority = 'agent';
              } else {
                serve = true;
                authority = 'none';
              }
              const label = JSON.stringify({ o: o && [o.healthy, o.source], draining, validation, claim, lastSeen, source });
              assert.equal(d.serve, serve, label);
              assert.equal(d.authority, authority, label);
              assert.equal(d.isStale, stale, label);
            }
});

test('a lying agent (claims healthy, validation fails) is not served', () => {
  const d = decideHealth(backend({ agentHealthy: true, agentLastSeenMs: 99_000, validation: { healthy: false } }), undefined, ctx);
  assert.equal(d.serve, false);
  assert.equal(d.authority, 'validation');
});

test('a stale backend whose validation passes is served (recovered), and without validation it is not', () => {
  const recovered = decideHealth(backend({ agentHealthy: true, agentLastSeenMs: 0, validation: { healthy: true } }), undefined, ctx);
  assert.deepEqual([recovered.serve, recovered.isStale, recovered.status], [true, true, 'healthy']);
  const stale = decideHealth(backend({ agentHealthy: true, agentLastSeenMs: 0 }), undefined, ctx);
  assert.deepEqual([stale.serve, stale.status], [false, 'stale']);
});
