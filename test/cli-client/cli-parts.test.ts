import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFetchFailure, normaliseApiBase } from '../../src/cli/opengslb-cli/api-client.ts';
import { parseTimeout } from '../../src/cli/opengslb-cli/context.ts';
import { ageSeconds, formatAge, renderAny } from '../../src/cli/opengslb-cli/format.ts';
import { readSse } from '../../src/cli/opengslb-cli/sse-reader.ts';
import { palette, renderTable, shouldColour, visibleLength } from '../../src/cli/opengslb-cli/table.ts';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}

test('readSse assembles events split across chunks, joins multi-line data, skips comments and retry', async () => {
  const got = [];
  for await (const m of readSse(chunks('retry: 3000\n\n: keep', 'alive\n\nid: 7\nevent: st', 'ate\ndata: {"a":\ndata: 1}\r\n\r\ndata: plain\n\n'))) got.push(m);
  assert.deepEqual(got, [
    { event: 'state', data: '{"a":\n1}', id: '7' },
    { event: 'message', data: 'plain', id: '7' },
  ]);
});

test('renderTable aligns columns by visible width, so coloured cells line up', () => {
  const c = palette(true);
  const out = renderTable(['name', 'status', 'note'], [
    ['a', c.status('healthy'), 'x'],
    ['longer-name', c.status('unhealthy'), ''],
  ]);
  const lines = out.split('\n');
  assert.equal(lines[0], 'NAME         STATUS     NOTE');
  assert.equal(visibleLength(lines[1]!), 'a            healthy    x'.length);
  assert.equal(lines[2]!.replace(/\x1b\[[0-9;]*m/g, ''), 'longer-name  unhealthy');
});

test('colour only on a terminal; NO_COLOR and TERM=dumb turn it off, FORCE_COLOR on', () => {
  assert.equal(shouldColour(true, {}), true);
  assert.equal(shouldColour(false, {}), false);
  assert.equal(shouldColour(true, { NO_COLOR: '1' }), false);
  assert.equal(shouldColour(true, { TERM: 'dumb' }), false);
  assert.equal(shouldColour(false, { FORCE_COLOR: '1' }), true);
  assert.equal(palette(false).red('x'), 'x');
});

test('--api accepts host:port and URLs; other schemes are usage errors', () => {
  assert.equal(normaliseApiBase('127.0.0.1:8080'), 'http://127.0.0.1:8080');
  assert.equal(normaliseApiBase('https://ow.example/'), 'https://ow.example');
  assert.equal(normaliseApiBase('http://[::1]:8080/prefix/'), 'http://[::1]:8080/prefix');
  assert.throws(() => normaliseApiBase('ftp://x'), /--api: expected an http/);
  assert.throws(() => normaliseApiBase('http://'), /--api: expected a URL/);
});

test('--timeout takes seconds or a duration within (0, 1h]', () => {
  assert.equal(parseTimeout('10'), 10);
  assert.equal(parseTimeout('2.5'), 2.5);
  assert.equal(parseTimeout('500ms'), 0.5);
  assert.equal(parseTimeout('1m'), 60);
  assert.throws(() => parseTimeout('0'), /more than 0/);
  assert.throws(() => parseTimeout('2h'), /--timeout/);
});

test('fetch failures are described by their cause code; timeouts name --timeout', () => {
  const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
  assert.equal(describeFetchFailure(refused, 10_000), 'connection refused (ECONNREFUSED)');
  assert.equal(describeFetchFailure(new DOMException('x', 'TimeoutError'), 2500), 'no answer within 2.5s (--timeout)');
  const dns = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND ow'), { code: 'ENOTFOUND' }) });
  assert.equal(describeFetchFailure(dns, 1000), 'host not found (ENOTFOUND)');
});

test('ages read like 4s, 3m12s, 2h5m, 3d4h', () => {
  assert.equal(formatAge(4.9), '4s');
  assert.equal(formatAge(192), '3m12s');
  assert.equal(formatAge(7500), '2h5m');
  assert.equal(formatAge(273_600), '3d4h');
  assert.equal(formatAge(null), '-');
  assert.equal(ageSeconds('1970-01-01T00:00:10.000Z', 15_000), 5);
  assert.equal(ageSeconds('not a time', 0), null);
});

test('renderAny shows unknown shapes as pairs, nested blocks and tables', () => {
  const out = renderAny({ enabled: true, zone: 'gslb.test', keys: [{ key_tag: 1, age: 3 }, { key_tag: 22, age: null }], next: { at: 'soon' } });
  assert.equal(out, 'enabled  true\nzone     gslb.test\nkeys:\n  KEY_TAG  AGE\n  1        3\n  22       -\nnext:\n  at  soon\n');
});
