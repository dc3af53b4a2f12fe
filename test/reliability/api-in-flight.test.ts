/**
 * The API's in-flight request cap over real sockets: requests held open by a slow handler fill it,
 * the next one is answered 503 with Retry-After (JSON, before its body is read) and counted, the
 * slots come back when the held requests finish or their clients go away, event streams do not use
 * slots, and the counters reach /metrics through OverwatchMetrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { startApiServer, InFlightLimit } from '../../src/api/index.ts';
import { DnsQueryStats, OverwatchMetrics } from '../../src/metrics/index.ts';
import { apiConfig, capturingLogger } from '../api/api-fixture.ts';
import { FakeControl } from '../api/fake-control.ts';

const MAX = 4;

async function eventually(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('past the in-flight cap requests get 503 + Retry-After at once; slots come back; streams are not counted; metrics count it', async (t) => {
  const control = new FakeControl();
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  control.validateImpl = () => held;
  const inFlight = new InFlightLimit(MAX);
  const server = await startApiServer({ control, config: apiConfig({ listen: { host: '127.0.0.1', port: 0 } }), logger: capturingLogger('error').logger, inFlight });
  t.after(() => server.close());
  const base = `http://127.0.0.1:${server.port}`;

  // An event stream first: it stays open for the whole test and must not take a slot.
  const stream = new AbortController();
  const events = await fetch(`${base}/api/v1/events`, { signal: stream.signal });
  assert.equal(events.status, 200);
  t.after(() => stream.abort());

  // MAX requests held by a validation round that does not finish.
  const slow = Array.from({ length: MAX }, () => fetch(`${base}/api/v1/overwatch/validate?wait=true`, { method: 'POST' }));
  await eventually('the held requests to fill the cap', () => inFlight.stats().inFlight === MAX);

  const started = performance.now();
  const refused = await fetch(`${base}/api/v1/overrides`);
  const refusedMs = performance.now() - started;
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.deepEqual(await refused.json(), { error: `too many API requests in flight (at most ${MAX} at once); retry shortly`, code: 503 });
  // Refused before the body is read: a large body is not waited for.
  const big = await fetch(`${base}/api/v1/overrides/app/10.0.0.1`, { method: 'PUT', body: 'x'.repeat(50_000), headers: { 'content-type': 'application/json' } });
  assert.equal(big.status, 503);
  assert.equal(inFlight.stats().refused, 2);

  const metrics = new OverwatchMetrics({ backends: () => [], overrides: () => [], nowMs: () => 0 }, new DnsQueryStats(), {
    version: 't', mode: 'overwatch', nodeId: 'n', region: 'r', configuredDomains: () => 0, configuredServers: () => 0,
  });
  metrics.apiRequests = () => inFlight.stats();
  const text = await metrics.registry.metrics();
  assert.match(text, new RegExp(`^opengslb_api_requests_in_flight ${MAX}$`, 'm'));
  assert.match(text, /^opengslb_api_requests_refused_total 2$/m);

  // The held requests finish: every slot comes back, requests pass again.
  release();
  for (const r of await Promise.all(slow)) assert.equal(r.status, 200);
  await eventually('slots released', () => inFlight.stats().inFlight === 0);
  assert.equal((await fetch(`${base}/api/v1/overrides`)).status, 200);

  // A client that goes away mid-request gives its slot back too.
  control.validateImpl = () => new Promise(() => {});
  const aborted = httpRequest(`${base}/api/v1/overwatch/validate?wait=true`, { method: 'POST' });
  aborted.on('error', () => {});
  aborted.end();
  await eventually('the abandoned request to take a slot', () => inFlight.stats().inFlight === 1);
  aborted.destroy();
  await eventually('the abandoned request to give its slot back', () => inFlight.stats().inFlight === 0);
  t.diagnostic(`503 at the cap answered in ${refusedMs.toFixed(1)} ms with ${MAX} requests held`);
});

test('the in-flight limit refuses a nonsensical maximum', () => {
  assert.throws(() => new InFlightLimit(0), RangeError);
  assert.throws(() => new InFlightLimit(1.5), RangeError);
});
