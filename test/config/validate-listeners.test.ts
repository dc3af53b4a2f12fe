import assert from 'node:assert/strict';
import test from 'node:test';
import { parse, parseProblems } from './config-fixture.ts';

test('absent api and metrics sections are disabled, with their default addresses', () => {
  const { api, metrics } = parse('');
  assert.deepEqual(api, { enabled: false, listen: { host: '127.0.0.1', port: 8080 }, allowedNetworks: ['127.0.0.1/32', '::1/128'], trustProxyHeaders: false });
  assert.deepEqual(metrics, { enabled: false, listen: { host: '', port: 9090 } });
});

test('a present api or metrics section without enabled counts as enabled, even when empty', () => {
  assert.equal(parse('api:\n  address: "127.0.0.1:9000"\n').api.enabled, true);
  assert.equal(parse('api:\n').api.enabled, true);
  assert.equal(parse('metrics:\n  address: ":9091"\n').metrics.enabled, true);
});

test('enabled: false switches a present section off', () => {
  assert.equal(parse('api:\n  enabled: false\n').api.enabled, false);
  assert.equal(parse('metrics:\n  enabled: false\n').metrics.enabled, false);
});

test('allowed_networks accepts CIDRs and bare IPs as host routes; an invalid entry names its index', async () => {
  assert.deepEqual(parse('api:\n  allowed_networks: [10.0.0.0/8, 192.0.2.7, "2001:db8::/32", "::1"]\n').api.allowedNetworks, [
    '10.0.0.0/8',
    '192.0.2.7/32',
    '2001:db8::/32',
    '::1/128',
  ]);
  const { lines } = await parseProblems('api:\n  allowed_networks:\n    - 10.0.0.0/8\n    - x\n    - 10.0.0.0/33\n');
  assert.deepEqual(lines, [
    'cfg.yaml:4: api.allowed_networks[1]: expected a CIDR such as 10.0.0.0/8, got "x"',
    'cfg.yaml:5: api.allowed_networks[2]: expected a CIDR such as 10.0.0.0/8, got "10.0.0.0/33"',
  ]);
});

test("unquoted yes/no/on/off read as booleans, as Go's yaml.v3 read them for the original", () => {
  assert.equal(parse('api:\n  enabled: no\n').api.enabled, false);
  assert.equal(parse('metrics:\n  enabled: off\n').metrics.enabled, false);
  assert.equal(parse('api:\n  trust_proxy_headers: yes\n').api.trustProxyHeaders, true);
});

test('trust_proxy_headers and a quoted string where a boolean belongs', async () => {
  assert.equal(parse('api:\n  trust_proxy_headers: true\n').api.trustProxyHeaders, true);
  const { lines } = await parseProblems('metrics:\n  enabled: "yes"\n');
  assert.deepEqual(lines, ['cfg.yaml:2: metrics.enabled: expected true or false, got "yes"']);
});
