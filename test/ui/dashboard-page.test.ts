/**
 * The dashboard without a browser (playwright-core is not installed): the page's modules load under
 * Node, its pure view model is tested with real states, and the page script is checked for the
 * rules that keep it safe (text-only insertion, same-origin URLs, the event stream, no polling).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { UI_DIR } from '../../src/api/ui-routes.ts';
// @ts-expect-error: plain browser JavaScript without type declarations
import * as vm from '../../src/ui/view-model.js';

const execFileAsync = promisify(execFile);
const appJs = readFileSync(path.join(UI_DIR, 'app.js'), 'utf8');
const html = readFileSync(path.join(UI_DIR, 'index.html'), 'utf8');

function state(overrides: Record<string, unknown> = {}) {
  return {
    generated_at: '2026-01-01T00:01:00.000Z',
    overwatch: { node_id: 'ow1', version: '0.1.0', started_at: '2026-01-01T00:00:00.000Z', uptime_seconds: 60, ready: true, stale_threshold_seconds: 30, dnssec_enabled: false },
    summary: { backends: 2, serving: 1, by_status: { healthy: 1, unhealthy: 1, stale: 0 }, by_authority: {}, overrides: 1, agents: 1, stale_agents: 1 },
    backends: [
      { id: 'app:10.0.0.1:80', service: 'app', address: '10.0.0.1', port: 80, region: 'us', source: 'static', agent_id: null, effective_status: 'healthy', healthy: true, authority: 'validation', validation: { healthy: true, error: null, latency_ms: 3.4 }, override: null },
      { id: 'app:2001:db8::1:443', service: 'app', address: '2001:db8::1', port: 443, region: '', source: 'agent', agent_id: 'a1', effective_status: 'unhealthy', healthy: false, authority: 'override', validation: { healthy: false, error: 'HTTP 503', latency_ms: null }, override: { healthy: false, reason: '<b>maint</b>', port: null } },
    ],
    agents: [{ agent_id: 'a1', region: 'us', last_seen: '2026-01-01T00:00:20.000Z', stale: false, backend_count: 1, healthy_claims: 1 }],
    overrides: [{ service: 'app', address: '2001:db8::1', port: null, healthy: false, reason: '<b>maint</b>', source: 'api', authority: 'alice', created_at: '2026-01-01T00:00:50.000Z' }],
    dns: { source: 'metrics', total: 120, qps: 2.5, by_rcode: [{ rcode: 'NOERROR', total: 100, qps: 2 }, { rcode: 'SERVFAIL', total: 20, qps: 0.5 }] },
    dnssec_status: null,
    dnssec_ds: { path: '/api/v1/dnssec/ds', status: 200, body: { zone: 'gslb.test', ds_records: [{ key_tag: 1, ds_record: 'gslb.test. IN DS 1 13 2 AB' }] } },
    dnssec_sync: null,
    gossip_members: { path: '/api/v1/gossip/members', status: 503, body: { error: 'gossip not running', code: 503 } },
    pinned_agents: null,
    ...overrides,
  };
}

test('the page modules parse as JavaScript modules', async () => {
  for (const f of ['app.js', 'view-model.js']) await execFileAsync(process.execPath, ['--check', path.join(UI_DIR, f)]);
});

test('the page script inserts server data only as text and talks only to its own origin', () => {
  assert.doesNotMatch(appJs, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  assert.match(appJs, /new EventSource\('\/api\/v1\/events'\)/);
  assert.doesNotMatch(appJs, /https?:\/\//, 'no absolute URLs');
  assert.doesNotMatch(appJs, /setInterval\([^)]*fetch/, 'no polling of the API');
  const intervals = [...appJs.matchAll(/setInterval\(/g)].length;
  assert.equal(intervals, 1, 'one local timer (ticking ages), no polling');
  assert.doesNotMatch(html, /<script>(?!<)/, 'no inline script (the CSP forbids it)');
  assert.doesNotMatch(html, /\sstyle="/, 'no inline style (the CSP forbids it)');
});

test('every element the script looks up by id exists in the page', () => {
  const ids = new Set([...appJs.matchAll(/\$\('([a-z0-9-]+)'\)/g)].map((m) => m[1]!));
  for (const id of ids) assert.match(html, new RegExp(`id="${id}"`), `#${id}`);
});

test('summary cards: serving, unhealthy, stale, overrides, agents, DNS q/s with tones', () => {
  const cards = vm.summaryCards(state());
  assert.deepEqual(
    cards.map((c: { label: string; value: string; tone: string }) => [c.label, c.value, c.tone]),
    [
      ['Serving', '1 / 2', 'ok'],
      ['Unhealthy', '1', 'bad'],
      ['Stale', '0', 'ok'],
      ['Overrides', '1', 'warn'],
      ['Agents', '1 (1 stale)', 'warn'],
      ['DNS q/s', '2.5', 'muted'],
    ],
  );
  const off = vm.summaryCards(state({ dns: { source: 'unavailable', reason: 'metrics.enabled is false', total: 0, qps: null, by_rcode: [] } }));
  assert.equal(off[5].value, 'n/a');
  assert.equal(off[5].title, 'metrics.enabled is false');
});

test('backend rows carry status colour, the deciding authority in words, check and override text; the filter matches any column', () => {
  const rows = vm.backendRows(state());
  assert.equal(rows[0].statusClass, 'ok');
  assert.equal(rows[0].authorityLabel, 'Overwatch check');
  assert.equal(rows[0].check, 'pass 3ms');
  assert.equal(rows[1].backend, '[2001:db8::1]:443');
  assert.equal(rows[1].statusClass, 'bad');
  assert.equal(rows[1].authorityLabel, 'manual override');
  assert.equal(rows[1].source, 'agent (a1)');
  assert.equal(rows[1].check, 'fail: HTTP 503');
  assert.equal(rows[1].overrideText, 'unhealthy — <b>maint</b>');
  assert.deepEqual(vm.backendRows(state(), 'UNHEALTHY').map((r: { id: string }) => r.id), ['app:2001:db8::1:443']);
  assert.deepEqual(vm.backendRows(state(), '10.0.0.1:80').map((r: { id: string }) => r.id), ['app:10.0.0.1:80']);
});

test('agent heartbeat age and staleness are computed on the server clock', () => {
  const now = Date.parse('2026-01-01T00:00:45.000Z');
  const [a] = vm.agentRows(state(), now);
  assert.equal(a.ageText, '25s');
  assert.equal(a.stale, false);
  const [late] = vm.agentRows(state(), now + 10_000);
  assert.equal(late.stale, true);
  assert.equal(late.stateClass, 'warn');
  assert.equal(vm.clockOffsetMs('2026-01-01T00:01:00.000Z', Date.parse('2026-01-01T00:00:58.000Z')), 2000);
});

test('override rows and the override URL (every port unless one is chosen; addresses encoded)', () => {
  const [o] = vm.overrideRows(state(), Date.parse('2026-01-01T00:01:00.000Z'));
  assert.equal(o.target, '2001:db8::1 (all ports)');
  assert.equal(o.ageText, '10s');
  assert.equal(vm.overridePath('app.gslb.test', '2001:db8::1', null), '/api/v1/overrides/app.gslb.test/2001%3Adb8%3A%3A1');
  assert.equal(vm.overridePath('app', '10.0.0.1', 80), '/api/v1/overrides/app/10.0.0.1?port=80');
});

test('DNS rows, q/s history and sparkline', () => {
  assert.deepEqual(vm.dnsRows(state()).map((r: { rcode: string; qps: string; tone: string }) => [r.rcode, r.qps, r.tone]), [['NOERROR', '2', 'ok'], ['SERVFAIL', '0.5', 'bad']]);
  let h: number[] = [];
  for (let i = 0; i < 70; i++) h = vm.pushHistory(h, i);
  assert.equal(h.length, 60);
  assert.equal(h[59], 69);
  assert.equal(vm.sparklinePoints([0, 2], 100, 10), '0,9 100,1');
});

test('optional features: absent route, error answer, DS records, first list', () => {
  const s = state();
  assert.deepEqual(vm.featureOf(s.dnssec_status), { state: 'absent' });
  assert.deepEqual(vm.featureOf(s.gossip_members), { state: 'error', message: '/api/v1/gossip/members: 503 gossip not running' });
  const ds = vm.featureOf(s.dnssec_ds);
  assert.equal(ds.state, 'ok');
  assert.deepEqual(vm.dsRecordsOf(ds.body).map((d: { ds_record: string }) => d.ds_record), ['gslb.test. IN DS 1 13 2 AB']);
  assert.deepEqual(vm.firstListOf({ count: 1, members: [{ name: 'a' }] }), [{ name: 'a' }]);
  assert.deepEqual(vm.scalarPairs({ enabled: true, keys: [], next: { a: 1 } }), [['enabled', 'true'], ['next', '{"a":1}']]);
});

test('DNSSEC: a route that says the feature is off is "off", not an error; key rows and sync peers from the real shapes', () => {
  assert.deepEqual(vm.featureOf({ path: '/api/v1/dnssec/status', status: 404, body: { error: 'DNSSEC is disabled on this Overwatch (dnssec.enabled: false)', code: 404 } }), {
    state: 'off',
    message: 'DNSSEC is disabled on this Overwatch (dnssec.enabled: false)',
  });
  assert.equal(vm.featureOf({ path: '/x', status: 404, body: { error: 'not found', code: 404 } }).state, 'error');
  const now = Date.parse('2026-01-02T00:00:00.000Z');
  const status = {
    enabled: true,
    algorithm: 'ECDSAP256SHA256',
    zones: [{ zone: 'gslb.test', keys: [{ key_tag: 63668, algorithm: 13, flags: 257, created_at: '2026-01-01T00:00:00.000Z', source: 'local', signing: true }], signatures_cached: 6, next_refresh: '2026-01-02T01:00:00.000Z' }],
  };
  assert.deepEqual(vm.dnssecKeyRows(status, now), [
    { zone: 'gslb.test', key_tag: '63668', flags: '257', signing: 'yes', source: 'local', age: '1d0h', signatures_cached: '6', next_refresh: 'in 1h0m' },
  ]);
  const sync = { peers: [{ peer: 'https://ow2:8080', last_success: null, last_error: 'connect ECONNREFUSED', last_error_at: '2026-01-01T23:59:00.000Z', failures: 3, keys_adopted: 0 }] };
  assert.deepEqual(vm.syncPeerRows(sync, now), [{ peer: 'https://ow2:8080', last_success: 'never', ok: false, failures: '3', keys_adopted: '0', last_error: 'connect ECONNREFUSED' }]);
});
