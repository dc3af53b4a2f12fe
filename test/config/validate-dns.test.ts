import assert from 'node:assert/strict';
import test from 'node:test';
import { lineOf, parse, parseProblems } from './config-fixture.ts';

const legacy = (domains: string[], zones?: string[]) => `
${zones ? `dns:\n  zones: [${zones.join(', ')}]\n` : ''}regions:
  - name: r1
    servers:
${domains.map((d) => `      - { address: 10.0.0.1, service: ${d} }`).join('\n')}
domains:
${domains.map((d) => `  - { name: ${d}, regions: [r1] }`).join('\n')}
`;

test('dns defaults: :53, TTL 60, no last-healthy fallback, 1232-byte UDP cap, TCP limits, rate limiting on with loopback exempt', () => {
  const { dns } = parse('');
  assert.deepEqual(dns, {
    listen: { host: '', port: 53 },
    zones: [],
    defaultTtlSeconds: 60,
    returnLastHealthy: false,
    maxUdpPayload: 1232,
    tcpIdleTimeoutMs: 10_000,
    tcpMaxConnections: 1000,
    tcpMaxConnectionsPerClient: 32,
    rateLimit: { enabled: true, responsesPerSecond: 200, slip: 2, ipv4PrefixLength: 24, ipv6PrefixLength: 56, exempt: ['127.0.0.0/8', '::1/128'] },
    workers: 1,
    udpIo: 'auto',
  });
});

test('dns.udp_io is auto, native or js; anything else names file, line, key and the choices', async () => {
  assert.equal(parse('dns:\n  udp_io: native\n').dns.udpIo, 'native');
  assert.equal(parse('dns:\n  udp_io: js\n').dns.udpIo, 'js');
  const { lines } = await parseProblems('dns:\n  udp_io: fast\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^cfg\.yaml:2: dns\.udp_io: expected one of auto, native, js, got "fast"/);
});

test('dns.workers is read; anything but an integer from 1 to 256 names file, line, key and expectation', async () => {
  assert.equal(parse('dns:\n  workers: 2\n').dns.workers, 2);
  for (const bad of ['0', '-1', '1.5', 'two', '257']) {
    const { lines } = await parseProblems(`dns:\n  workers: ${bad}\n`);
    assert.equal(lines.length, 1, bad);
    assert.match(lines[0]!, /^cfg\.yaml:2: dns\.workers: expected an integer/, bad);
  }
});

test('dns.rate_limit keys are read and a bad exempt CIDR names its line', () => {
  const { dns } = parse(`dns:
  rate_limit:
    responses_per_second: 50
    slip: 0
    ipv4_prefix: 32
    exempt: [10.0.0.0/8, 192.0.2.1]
`);
  assert.deepEqual(dns.rateLimit, { enabled: true, responsesPerSecond: 50, slip: 0, ipv4PrefixLength: 32, ipv6PrefixLength: 56, exempt: ['10.0.0.0/8', '192.0.2.1/32'] });
  assert.throws(() => parse('dns:\n  rate_limit:\n    exempt: [nope]\n'), /:3: dns\.rate_limit\.exempt\[0\]: expected a CIDR/);
});

test('dns optional keys are read, IPv6 listen addresses are unbracketed', () => {
  const { dns } = parse(`dns:
  listen_address: "[::1]:5353"
  return_last_healthy: true
  max_udp_payload: 4096
  tcp_idle_timeout: 2s
  tcp_max_connections: 50
`);
  assert.deepEqual(dns.listen, { host: '::1', port: 5353 });
  assert.equal(dns.returnLastHealthy, true);
  assert.equal(dns.maxUdpPayload, 4096);
  assert.equal(dns.tcpIdleTimeoutMs, 2000);
  assert.equal(dns.tcpMaxConnections, 50);
});

test('a listen address with an out-of-range port names file, line, key and the value', async () => {
  const text = `mode: overwatch
dns:
  listen_address: "0.0.0.0:99999"
`;
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, ['cfg.yaml:3: dns.listen_address: expected host:port with port 1-65535 (or 0 for any free port), got "0.0.0.0:99999"']);
});

test('port 0 on a listen address asks for any free port', () => {
  assert.deepEqual(parse('dns:\n  listen_address: "127.0.0.1:0"\napi:\n  address: "127.0.0.1:0"\n').dns.listen, { host: '127.0.0.1', port: 0 });
});

test('listen addresses without a port, or with an unbracketed IPv6 host, are refused', async () => {
  for (const bad of ['0.0.0.0', '::1:53', 'host:port', '256.1.1.1:53']) {
    const { lines } = await parseProblems(`dns:\n  listen_address: "${bad}"\n`);
    assert.deepEqual(lines, [`cfg.yaml:2: dns.listen_address: expected host:port with port 1-65535 (or 0 for any free port), got ${JSON.stringify(bad)}`], bad);
  }
});

test('zones are lowercased without trailing dot and deduplicated', () => {
  const { dns } = parse('dns:\n  zones: [GSLB.Example.COM., gslb.example.com, other.test]\n');
  assert.deepEqual(dns.zones, ['gslb.example.com', 'other.test']);
});

test('an invalid zone name is a problem at its line', async () => {
  const text = 'dns:\n  zones:\n    - good.example\n    - "bad..example"\n';
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, ['cfg.yaml:4: dns.zones[1]: expected a DNS name without empty labels, got "bad..example"']);
});

test('a legacy config without dns.zones gets the zone implied by its domain: app.demo.local serves in demo.local', () => {
  assert.deepEqual(parse(legacy(['app.demo.local'])).dns.zones, ['demo.local']);
});

test('a two-label domain is its own apex, so no TLD is ever claimed', () => {
  assert.deepEqual(parse(legacy(['example.com'])).dns.zones, ['example.com']);
});

test('implied zones nested in another implied zone fold into it', () => {
  assert.deepEqual(parse(legacy(['a.b.example.com', 'c.example.com'])).dns.zones, ['example.com']);
});

test('domains inside a configured zone imply nothing; others add their parent after the configured zones', () => {
  assert.deepEqual(parse(legacy(['www.gslb.example.com', 'app.other.test'], ['gslb.example.com'])).dns.zones, ['gslb.example.com', 'other.test']);
});

test('default_ttl must be a non-negative integer', async () => {
  const text = 'dns:\n  default_ttl: -5\n';
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [`cfg.yaml:${lineOf(text, 'default_ttl')}: dns.default_ttl: expected an integer from 0 to 2147483647, got -5`]);
});
