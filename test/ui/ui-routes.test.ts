import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UI_DIR, UI_FILES } from '../../src/api/ui-routes.ts';
import { startLiveOverwatch, type LiveOverwatch } from '../cli-client/live-overwatch.ts';

let ow: LiveOverwatch;
before(async () => {
  ow = await startLiveOverwatch({ addresses: ['127.0.0.71'] });
});
after(() => ow.close());

test('GET /ui serves the dashboard page with a strict CSP, nosniff and no framing', async () => {
  for (const p of ['/ui', '/ui/']) {
    const res = await fetch(ow.api + p);
    assert.equal(res.status, 200, p);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const html = await res.text();
    assert.match(html, /<script type="module" src="\/ui\/app\.js"><\/script>/);
  }
});

test('every asset the page references is served with its type, and the whole page is under 200 KB', async () => {
  const html = await (await fetch(`${ow.api}/ui`)).text();
  const refs = [...html.matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)].map((m) => m[1]!);
  const app = readFileSync(path.join(UI_DIR, 'app.js'), 'utf8');
  refs.push(...[...app.matchAll(/from '\.\/([^']+)'/g)].map((m) => `/ui/${m[1]}`));
  assert.deepEqual(new Set(refs), new Set(['/ui/favicon.svg', '/ui/app.css', '/ui/app.js', '/ui/view-model.js']));
  let total = Buffer.byteLength(html);
  for (const ref of refs) {
    const res = await fetch(ow.api + ref);
    assert.equal(res.status, 200, ref);
    const type = res.headers.get('content-type')!;
    if (ref.endsWith('.js')) assert.equal(type, 'text/javascript; charset=utf-8');
    if (ref.endsWith('.css')) assert.equal(type, 'text/css; charset=utf-8');
    if (ref.endsWith('.svg')) assert.equal(type, 'image/svg+xml');
    total += (await res.arrayBuffer()).byteLength;
  }
  assert.ok(total < 200 * 1024, `page weighs ${total} bytes`);
});

test('an unchanged asset answers 304 to If-None-Match', async () => {
  const first = await fetch(`${ow.api}/ui/app.js`);
  const etag = first.headers.get('etag')!;
  await first.arrayBuffer();
  const again = await fetch(`${ow.api}/ui/app.js`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
});

test('only the listed dashboard files are reachable: other names and traversal answer 404 JSON', async () => {
  for (const p of ['/ui/nothing.js', '/ui/..%2Fapi%2Fui-routes.ts', '/ui/%2e%2e%2fpackage.json', '/ui/index.ts']) {
    const res = await fetch(ow.api + p);
    assert.equal(res.status, 404, p);
    assert.deepEqual(await res.json(), { error: 'not found', code: 404 });
  }
  assert.deepEqual([...UI_FILES].sort(), ['app.css', 'app.js', 'favicon.svg', 'index.html', 'view-model.js']);
});

test('the dashboard is behind api.allowed_networks like the rest of the API', async (t) => {
  const closed = await startLiveOverwatch({ addresses: ['127.0.0.72'], allowedNetworks: ['10.0.0.0/8'] });
  t.after(() => closed.close());
  for (const p of ['/ui', '/ui/app.js']) {
    const res = await fetch(closed.api + p);
    assert.equal(res.status, 403, p);
  }
});

test('the dashboard routes stay out of the OpenAPI document; the event stream is in it', async () => {
  const doc = (await (await fetch(`${ow.api}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
  assert.ok('/api/v1/events' in doc.paths);
  assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/ui')));
});
