/**
 * The dashboard in a real browser (Debian's chromium, headless, driven over CDP): the page loads
 * and goes live, a killed backend turns red within the check interval, an override set from the
 * page changes the DNS answer `kdig` sees, and clearing it from the page restores the answer.
 * Skipped when no chromium is installed (`apt-get install chromium`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { kdig } from '../support/dns-client.ts';
import { eventually } from '../support/backend-servers.ts';
import { SERVICE, startLiveOverwatch, type LiveOverwatch } from '../cli-client/live-overwatch.ts';
import { Browser, CHROMIUM, type CdpPage } from './cdp-browser.ts';

const ADDRESSES = ['127.0.0.91', '127.0.0.92', '127.0.0.93'];
const skip = CHROMIUM === undefined ? 'chromium is not installed' : false;
let ow: LiveOverwatch;
let browser: Browser;
let page: CdpPage;

before(async () => {
  if (skip) return;
  ow = await startLiveOverwatch({ addresses: ADDRESSES });
  browser = await Browser.launch(CHROMIUM!);
  page = await browser.newPage();
});
after(async () => {
  page?.close();
  await browser?.close();
  await ow?.close();
});

async function answers(): Promise<string[]> {
  const out = await kdig(ow.dnsPort, ['+short', SERVICE, 'A']);
  return out.trim().split('\n').filter(Boolean).sort();
}

const row = (address: string) => `[...document.querySelectorAll('#backends tbody tr')].find((tr) => tr.dataset.backend.includes(':${address}:'))`;

test('the page loads, connects to the event stream and lists every backend as healthy', { skip }, async () => {
  await page.navigate(`${ow.api}/ui`);
  await page.waitFor(`document.getElementById('connection').textContent === 'live'`);
  await page.waitFor(`document.querySelectorAll('#backends tbody tr').length === 3`);
  const statuses = await page.evaluate<string[]>(`[...document.querySelectorAll('#backends tbody tr [data-role=status]')].map((e) => e.textContent)`);
  assert.deepEqual(statuses, ['healthy', 'healthy', 'healthy']);
  assert.equal(await page.evaluate(`document.getElementById('node-id').textContent`), 'ow-test');
  assert.equal(await page.evaluate(`document.getElementById('ready').textContent`), 'ready');
  assert.deepEqual(page.consoleErrors, []);
});

test('a killed backend turns red within the check interval', { skip }, async () => {
  const victim = ow.backends[2]!;
  const killedAt = Date.now();
  victim.server.closeAllConnections();
  await new Promise((r) => victim.server.close(r));
  await page.waitFor(`${row(victim.address)}?.dataset.status === 'unhealthy'`, 4000);
  const elapsed = Date.now() - killedAt;
  // check interval 1s + at most one push per second + the browser's render
  assert.ok(elapsed < 3000, `turned red after ${elapsed}ms`);
  const cell = await page.evaluate<{ cls: string; row: string; colour: string }>(`(() => {
    const r = ${row(victim.address)};
    const badge = r.querySelector('[data-role=status]');
    return { cls: badge.className, row: r.className, colour: getComputedStyle(badge).color };
  })()`);
  assert.equal(cell.cls, 'badge bad');
  assert.equal(cell.row, 'row-bad');
  assert.match(cell.colour, /^rgb\((180, 35, 24|255, 123, 114)\)$/, 'the --bad colour (light or dark scheme)');
  await eventually(async () => assert.deepEqual(await answers(), ADDRESSES.slice(0, 2)), 3000);
});

test('an override set from the page changes the kdig answer; clearing it from the page restores it', { skip }, async () => {
  const target = ADDRESSES[0]!;
  await page.evaluate(`${row(target)}.querySelector('[data-action=override]').click()`);
  await page.waitFor(`document.getElementById('override-dialog').open`);
  await page.evaluate(`(() => {
    document.getElementById('user').value = 'browser-test';
    document.querySelector('#override-form input[name=healthy][value=false]').checked = true;
    document.getElementById('od-reason').value = 'maintenance from the dashboard';
    document.getElementById('od-submit').click();
  })()`);
  await page.waitFor(`!document.getElementById('override-dialog').open`, 3000);
  await eventually(async () => assert.deepEqual(await answers(), [ADDRESSES[1]!]), 3000);
  await page.waitFor(`document.querySelectorAll('#overrides tbody tr').length === 1`, 3000);
  const overrideRow = await page.evaluate<string[]>(`[...document.querySelectorAll('#overrides tbody tr td')].map((td) => td.textContent)`);
  assert.deepEqual(overrideRow.slice(0, 6), [SERVICE, `${target} (all ports)`, 'unhealthy', 'maintenance from the dashboard', 'api', 'browser-test']);
  await page.waitFor(`${row(target)}.querySelector('[data-role=authority]').title === 'override'`);

  await page.evaluate(`document.querySelector('#overrides tbody tr [data-action=clear]').click()`);
  await page.waitFor(`document.getElementById('clear-dialog').open`);
  await page.evaluate(`(() => {
    document.getElementById('cd-reason').value = 'maintenance done';
    document.getElementById('cd-submit').click();
  })()`);
  await eventually(async () => assert.deepEqual(await answers(), ADDRESSES.slice(0, 2)), 3000);
  await page.waitFor(`document.querySelectorAll('#overrides tbody tr').length === 0`, 3000);
  assert.deepEqual(page.consoleErrors, []);
});

test('an override the API refuses shows the API message in the dialog', { skip }, async () => {
  // a reason over 1024 characters: the API answers 400 naming the field
  await page.evaluate(`${row(ADDRESSES[1]!)}.querySelector('[data-action=override]').click()`);
  await page.evaluate(`(() => {
    const input = document.getElementById('od-reason');
    input.removeAttribute('maxlength');
    input.value = 'x'.repeat(1100);
    document.getElementById('od-submit').click();
  })()`);
  await page.waitFor(`!document.getElementById('od-error').hidden`, 3000);
  assert.match(await page.evaluate<string>(`document.getElementById('od-error').textContent`), /^Not set: 400 .*reason/);
  await page.evaluate(`document.getElementById('od-cancel').click()`);
  assert.deepEqual(await answers(), ADDRESSES.slice(0, 2));
});
