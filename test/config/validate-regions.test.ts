import assert from 'node:assert/strict';
import test from 'node:test';
import { lineOf, parse, parseProblems } from './config-fixture.ts';

const LEGACY = `# A standalone (Sprint 3) config: regions, servers and domains only.
regions:
  - name: us-east
    countries: [us, CA]
    continents: [na]
    servers:
      - address: 10.0.1.10
        port: 8080
        weight: 200
        service: app.demo.local
        host: app.internal
      - address: "2001:db8::10"
        service: app.demo.local
    health_check:
      type: https
      path: /healthz
      interval: 10s
      timeout: 2s
      failure_threshold: 5
      success_threshold: 4
  - name: eu-west
    servers:
      - address: 10.0.2.10
        service: app.demo.local
domains:
  - name: app.demo.local
    routing_algorithm: failover
    regions: [us-east, eu-west]
    ttl: 15
`;

test('a legacy regions/servers/domains config loads with defaults and an implied zone', () => {
  const config = parse(LEGACY);
  assert.equal(config.mode, 'overwatch');
  assert.deepEqual(config.dns.zones, ['demo.local']);
  assert.equal(config.gossip.bind, undefined); // standalone: gossip off
  assert.deepEqual(config.gossip.encryptionKeys, []);
  assert.deepEqual(config.regions[0], {
    name: 'us-east',
    servers: [
      { address: '10.0.1.10', port: 8080, weight: 200, service: 'app.demo.local', host: 'app.internal' },
      { address: '2001:db8::10', port: 80, weight: 100, service: 'app.demo.local' },
    ],
    healthCheck: { type: 'https', path: '/healthz', intervalMs: 10_000, timeoutMs: 2000, failureThreshold: 5, successThreshold: 4 },
    countries: ['US', 'CA'],
    continents: ['NA'],
  });
  assert.deepEqual(config.domains[0]!.regions, ['us-east', 'eu-west']);
  assert.equal(config.domains[0]!.routingAlgorithm, 'failover');
});

test("health-check thresholds are kept per region (the original applied region 0's to all)", () => {
  const [east, west] = parse(LEGACY).regions;
  assert.deepEqual([east!.healthCheck.failureThreshold, east!.healthCheck.successThreshold], [5, 4]);
  assert.deepEqual(west!.healthCheck, { type: 'http', path: '/health', intervalMs: 30_000, timeoutMs: 5000, failureThreshold: 3, successThreshold: 2 });
});

test('a server without service gets the v1.1.0 hint; one naming an unknown domain is told to define it', async () => {
  const text = `regions:
  - name: r
    servers:
      - address: 10.0.0.1
      - address: 10.0.0.2
        service: nope.example.com
domains:
  - { name: app.example.com, regions: [r] }
`;
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    'cfg.yaml:4: regions[0].servers[0].service: required (v1.1.0): each server must name the domain (service) it belongs to, for example service: webapp.example.com',
    'cfg.yaml:6: regions[0].servers[1].service: domain "nope.example.com" not found. Ensure this domain is defined in the domains section',
  ]);
});

test('a region needs a name and servers; names are unique', async () => {
  const text = `regions:
  - servers: [{ address: 10.0.0.1, service: a.example.com }]
  - name: r
  - name: r
    servers: []
domains:
  - { name: a.example.com, regions: [r] }
`;
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    'cfg.yaml:2: regions[0].name: required: the region\'s name',
    'cfg.yaml:3: regions[1].servers: required: at least one server',
    'cfg.yaml:4: regions[2].name: duplicate region name "r" (first defined at cfg.yaml:3)',
    'cfg.yaml:5: regions[2].servers: expected at least one server, got an empty list',
  ]);
});

test('server addresses must be IP literals; ports 1-65535', async () => {
  const text = `regions:
  - name: r
    servers:
      - { address: app.internal, service: a.example.com }
      - { address: 10.0.0.300, service: a.example.com }
      - { address: 10.0.0.1, port: 0, service: a.example.com }
domains:
  - { name: a.example.com, regions: [r] }
`;
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    'cfg.yaml:4: regions[0].servers[0].address: expected an IPv4 or IPv6 address, got "app.internal"',
    'cfg.yaml:5: regions[0].servers[1].address: expected an IPv4 or IPv6 address, got "10.0.0.300"',
    'cfg.yaml:6: regions[0].servers[2].port: expected an integer from 1 to 65535, got 0',
  ]);
});

test('country and continent codes are checked and upper-cased', async () => {
  const text = `regions:
  - name: r
    countries: [us, USA]
    continents: [eu, XX]
    servers: [{ address: 10.0.0.1, service: a.example.com }]
domains:
  - { name: a.example.com, regions: [r] }
`;
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    'cfg.yaml:3: regions[0].countries[1]: expected a 2-letter ISO 3166-1 country code such as US, got "USA"',
    'cfg.yaml:4: regions[0].continents[1]: expected a continent code, one of AF, AN, AS, EU, NA, OC, SA, got "XX"',
  ]);
});

test('health-check rules: interval at least 1s, timeout at least 100ms and shorter than the interval, known type', async () => {
  const text = `regions:
  - name: r
    servers: [{ address: 10.0.0.1, service: a.example.com }]
    health_check:
      type: icmp
      interval: 500ms
      timeout: 50ms
      path: health
  - name: s
    servers: [{ address: 10.0.0.2, service: a.example.com }]
    health_check:
      interval: 5s
      timeout: 5s
domains:
  - { name: a.example.com, regions: [r] }
`;
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    'cfg.yaml:5: regions[0].health_check.type: expected http, https or tcp, got "icmp"',
    'cfg.yaml:6: regions[0].health_check.interval: expected a duration of at least 1s, got "500ms"',
    'cfg.yaml:7: regions[0].health_check.timeout: expected a duration of at least 100ms, got "50ms"',
    'cfg.yaml:8: regions[0].health_check.path: expected a URL path starting with "/", got "health"',
    `cfg.yaml:${lineOf(text, 'timeout: 5s')}: regions[1].health_check.timeout: expected a timeout shorter than the interval (5s), got 5s`,
  ]);
});

test('a plain number where a duration belongs asks for a unit', async () => {
  const text = `regions:
  - name: r
    servers: [{ address: 10.0.0.1, service: a.example.com }]
    health_check:
      interval: 30
domains:
  - { name: a.example.com, regions: [r] }
`;
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    'cfg.yaml:5: regions[0].health_check.interval: expected a duration with a unit such as "30s" or "500ms", got 30 (a plain number needs a unit: ms, s, m or h)',
  ]);
});
