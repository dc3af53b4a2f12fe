/**
 * Hostile configuration text is refused quickly: validation runs on the event loop that answers DNS
 * (SIGHUP reload validates the new file before applying it), so a small file must not stall it for
 * seconds. Found by `npm run fuzz` (config target).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from '../../src/config/index.ts';

function timeToRefuse(text: string): { ms: number; message: string } {
  const started = performance.now();
  try {
    parseConfigText(text, { sourcePath: '', env: {}, hostname: 'h' });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return { ms: performance.now() - started, message: err.message };
  }
  assert.fail('expected a ConfigError');
}

const PREFIX = 'mode: overwatch\ndns: { listen_address: "127.0.0.1:0", zones: [gslb.test] }\ndnssec: { enabled: true }\n';

test('a YAML alias bomb (a 300-byte billion laughs) is refused within 250 ms, naming the alias that tips it over', () => {
  const bomb =
    'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n' +
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n' +
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n' +
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n' +
    'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';
  // Warm once so the first-call compile cost of the yaml package is not what is measured.
  timeToRefuse(PREFIX + bomb);
  const { ms, message } = timeToRefuse(PREFIX + bomb);
  // The expansion is measured (sizes per anchor, reused at each alias), not performed: ~5 ms here.
  assert.match(message, /:8: e\[\d\]: document too large or too deeply nested/);
  assert.ok(ms < 250, `took ${ms.toFixed(0)} ms`);
});

test('an alias into its own anchor (a cycle) is refused within 250 ms', () => {
  for (const cycle of ['a: &a [*a, *a]\n', 'x: &x {y: &y [1, *x, *y]}\n']) {
    const { ms, message } = timeToRefuse(PREFIX + cycle);
    assert.match(message, /too large or too deeply nested/);
    assert.ok(ms < 250, `took ${ms.toFixed(0)} ms`);
  }
});

test('aliases that stay within the node limit still expand', () => {
  const text = PREFIX + 'regions:\n  - &r { name: eu, servers: [{ address: 127.0.0.1, port: 80, service: a.gslb.test }] }\n';
  const { ms, message } = timeToRefuse(text + `extra: [${'*r,'.repeat(50)}*r]\n`);
  // Refused for the unknown key, not for size: the 51 copies were expanded and validated.
  assert.doesNotMatch(message, /too large/);
  assert.match(message, /extra/);
  assert.ok(ms < 250, `took ${ms.toFixed(0)} ms`);
});

test('deeply nested flow collections are refused within 250 ms', () => {
  for (const deep of [`x: ${'['.repeat(1000)}${']'.repeat(1000)}\n`, `x: ${'{a: '.repeat(300)}1${'}'.repeat(300)}\n`]) {
    const { ms } = timeToRefuse(PREFIX + deep);
    assert.ok(ms < 250, `took ${ms.toFixed(0)} ms`);
  }
});

test('a secret folded into a key by a missing colon is never echoed (found by npm run fuzz)', () => {
  const token = 'fuzz-token-7Hq2Lw9Zp4Rk8Vb3';
  for (const text of [
    `mode: agent\nidentity:\n  service_token "${token}"\n  region: us\n`,
    `mode: agent\nidentity: { service_token: "${token}", region: us }\nheartbeat:\n  interval 10s\n  missed_thre "${token}"\n shold: 3\n`,
    `mode: agent\nidentity: { service_token: "${token}", region: us }\ngossip:\n  encryption_key '${token}'\n  bind_address: "127.0.0.1:0"\n`,
  ]) {
    const { message } = timeToRefuse(text);
    assert.ok(!message.includes(token), message);
    assert.match(message, /\(redacted\)|invalid YAML/);
  }
});
