import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { dig } from '../support/dns-client.ts';
import { DnsRateSampler } from '../../src/api/events-routes.ts';
import { SERVICE, startLiveOverwatch, type LiveOverwatch } from '../cli-client/live-overwatch.ts';
import { EventStreamClient } from './event-stream-client.ts';

const ADDRESSES = ['127.0.0.61', '127.0.0.62', '127.0.0.63'];
let ow: LiveOverwatch;

before(async () => {
  ow = await startLiveOverwatch({ addresses: ADDRESSES });
});
after(() => ow.close());

const byAddress = (s: Record<string, any>, address: string) => (s.backends as Record<string, any>[]).find((b) => b.address === address)!;

test('the stream is text/event-stream and sends the whole state at once on connect', async (t) => {
  const started = Date.now();
  const es = await EventStreamClient.open(`${ow.api}/api/v1/events`);
  t.after(() => es.close());
  assert.equal(es.response.status, 200);
  assert.match(es.response.headers.get('content-type')!, /^text\/event-stream/);
  assert.equal(es.response.headers.get('cache-control'), 'no-cache, no-transform');
  const first = await es.waitFor(() => true, 2000);
  assert.ok(first.atMs - started < 1000, 'the first frame does not wait for a tick');
  const s = first.state;
  assert.equal(s.overwatch.node_id, 'ow-test');
  assert.equal(s.overwatch.ready, true);
  assert.equal(s.summary.backends, 3);
  assert.deepEqual((s.backends as { address: string }[]).map((b) => b.address).sort(), ADDRESSES);
  assert.deepEqual(Object.keys(s).sort(), [
    'agents', 'backends', 'dns', 'dnssec_ds', 'dnssec_status', 'dnssec_sync', 'generated_at', 'gossip_members', 'overrides', 'overwatch', 'pinned_agents', 'summary',
  ]);
  const b = byAddress(s, ADDRESSES[0]!);
  assert.equal(b.effective_status, 'healthy');
  assert.equal(b.authority, 'validation');
});

test('a failing backend is pushed as unhealthy (decided by validation) within the check interval plus a tick', async (t) => {
  const es = await EventStreamClient.open(`${ow.api}/api/v1/events`);
  t.after(() => es.close());
  await es.waitFor(() => true);
  const backend = ow.backends[1]!;
  backend.healthy = false;
  t.after(() => (backend.healthy = true));
  const failedAt = Date.now();
  const frame = await es.waitFor((s) => byAddress(s, ADDRESSES[1]!).effective_status === 'unhealthy', 4000);
  assert.ok(frame.atMs - failedAt < 2600, `pushed ${frame.atMs - failedAt}ms after the failure`);
  const b = byAddress(frame.state, ADDRESSES[1]!);
  assert.equal(b.authority, 'validation');
  assert.equal(b.healthy, false);
  assert.match(b.validation.error, /503/);
  backend.healthy = true;
  await es.waitFor((s) => byAddress(s, ADDRESSES[1]!).effective_status === 'healthy' && s.backends.every((x: { healthy: boolean }) => x.healthy), 4000);
});

test('an override set through the API appears with its reason and authority; clearing it is pushed too', async (t) => {
  const es = await EventStreamClient.open(`${ow.api}/api/v1/events`);
  t.after(() => es.close());
  await es.waitFor(() => true);
  const put = await fetch(`${ow.api}/api/v1/overrides/${SERVICE}/${ADDRESSES[2]}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-user': 'dashboard-test' },
    body: JSON.stringify({ healthy: false, reason: 'drain for deploy' }),
  });
  assert.equal(put.status, 200);
  const frame = await es.waitFor((s) => s.overrides.length === 1, 3000);
  const b = byAddress(frame.state, ADDRESSES[2]!);
  assert.equal(b.authority, 'override');
  assert.equal(b.healthy, false);
  assert.equal(frame.state.overrides[0].reason, 'drain for deploy');
  assert.equal(frame.state.overrides[0].authority, 'dashboard-test');
  assert.equal(frame.state.summary.by_authority.override, 1);
  assert.equal((await fetch(`${ow.api}/api/v1/overrides/${SERVICE}/${ADDRESSES[2]}?reason=done`, { method: 'DELETE' })).status, 204);
  await es.waitFor((s) => s.overrides.length === 0 && byAddress(s, ADDRESSES[2]!).authority === 'validation', 3000);
});

test('DNS queries show up as a total and a rate by rcode, read from the query counters', async (t) => {
  const es = await EventStreamClient.open(`${ow.api}/api/v1/events`);
  t.after(() => es.close());
  await es.waitFor(() => true);
  for (let i = 0; i < 5; i++) await dig(ow.dnsPort, ['+short', SERVICE, 'A']);
  await dig(ow.dnsPort, ['+short', `nope.${SERVICE}`, 'A']);
  const frame = await es.waitFor((s) => s.dns.source === 'control' && s.dns.total >= 6 && s.dns.qps !== null, 4000);
  const rcodes = Object.fromEntries((frame.state.dns.by_rcode as { rcode: string; total: number }[]).map((r) => [r.rcode, r.total]));
  assert.ok(rcodes.NOERROR >= 5, JSON.stringify(rcodes));
  assert.ok(rcodes.NXDOMAIN >= 1, JSON.stringify(rcodes));
});

test('nothing is pushed while nothing changes (heartbeat ages, uptime and check timings do not count)', async (t) => {
  const es = await EventStreamClient.open(`${ow.api}/api/v1/events`);
  t.after(() => es.close());
  await es.waitFor(() => true);
  // let the DNS rate settle at 0 and the checks run a few rounds
  await sleep(2500);
  const before = es.frames.length;
  await sleep(3000);
  assert.equal(es.frames.length, before, 'no frame in 3 s of an idle Overwatch whose checks ran three rounds');
});

test('frames come at most once a second, and every subscriber gets the same frame', async (t) => {
  const a = await EventStreamClient.open(`${ow.api}/api/v1/events`);
  const b = await EventStreamClient.open(`${ow.api}/api/v1/events`);
  t.after(() => Promise.all([a.close(), b.close()]));
  await a.waitFor(() => true);
  await b.waitFor(() => true);
  // a burst of changes: flip a backend five times quickly
  for (let i = 0; i < 5; i++) {
    await fetch(`${ow.api}/api/v1/overrides/${SERVICE}/${ADDRESSES[0]}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ healthy: i % 2 === 0, reason: `flip ${i}` }) });
  }
  await fetch(`${ow.api}/api/v1/overrides/${SERVICE}/${ADDRESSES[0]}`, { method: 'DELETE' });
  await a.waitFor((s) => s.overrides.length === 0 && a.frames.length > 1, 4000);
  await sleep(1200);
  const times = a.frames.slice(1).map((f) => f.atMs);
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 800, `frames ${times[i]! - times[i - 1]!}ms apart`);
  const ids = (c: EventStreamClient) => c.frames.slice(1).map((f) => f.id);
  assert.deepEqual(ids(b).slice(-2), ids(a).slice(-2));
});

test('the stream is behind the API ACL', async (t) => {
  const closed = await startLiveOverwatch({ addresses: ['127.0.0.64'], allowedNetworks: ['10.0.0.0/8'] });
  t.after(() => closed.close());
  const res = await fetch(`${closed.api}/api/v1/events`);
  assert.equal(res.status, 403);
  assert.deepEqual(await res.json(), { error: 'forbidden: 127.0.0.1 is not in api.allowed_networks', code: 403 });
});

test('closing the Overwatch ends open streams instead of waiting for them', async () => {
  const own = await startLiveOverwatch({ addresses: ['127.0.0.65'] });
  const es = await EventStreamClient.open(`${own.api}/api/v1/events`);
  await es.waitFor(() => true);
  const started = Date.now();
  await own.close();
  assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started}ms`);
  await es.done;
});

test('DnsRateSampler turns counters into rates per second; a counter reset never goes negative', () => {
  const s = new DnsRateSampler();
  assert.equal(s.sample('metrics', new Map([['NOERROR', 10]]), 1000).qps, null);
  const second = s.sample('metrics', new Map([['NOERROR', 30], ['SERVFAIL', 2]]), 3000);
  assert.equal(second.qps, 11);
  assert.deepEqual(second.by_rcode, [{ rcode: 'NOERROR', total: 30, qps: 10 }, { rcode: 'SERVFAIL', total: 2, qps: 1 }]);
  assert.equal(s.sample('metrics', new Map([['NOERROR', 0]]), 4000).qps, 0);
  assert.equal(s.unavailable('off').source, 'unavailable');
});

test('with DNSSEC on, the state carries the keys, DS records and key-sync status read from the DNSSEC API', async (t) => {
  const signed = await startLiveOverwatch({ addresses: ['127.0.0.66'], dnssec: true });
  t.after(() => signed.close());
  const es = await EventStreamClient.open(`${signed.api}/api/v1/events`);
  t.after(() => es.close());
  const { state } = await es.waitFor(() => true);
  assert.equal(state.dnssec_status.status, 200);
  const zone = state.dnssec_status.body.zones[0];
  assert.equal(zone.zone, 'gslb.test');
  assert.equal(zone.keys[0].signing, true);
  assert.equal(state.dnssec_ds.status, 200);
  assert.match(state.dnssec_ds.body.ds_records[0].ds_record, /^gslb\.test\. IN DS \d+ 13 2 [0-9A-F]{64}$/);
  assert.equal(state.dnssec_sync.status, 200);
  assert.equal(state.dnssec_sync.body.enabled, false);
});

test('with DNSSEC off, the DNSSEC readings say so (404 with the reason), and they never count as a change', async (t) => {
  const es = await EventStreamClient.open(`${ow.api}/api/v1/events`);
  t.after(() => es.close());
  const { state } = await es.waitFor(() => true);
  assert.equal(state.dnssec_status.status, 404);
  assert.match(state.dnssec_status.body.error, /DNSSEC is disabled/);
});
