import assert from 'node:assert/strict';
import test from 'node:test';
import { normaliseRoutingAlgorithm } from '../../src/config/index.ts';
import { lineOf, parse, parseProblems } from './config-fixture.ts';

const withDomain = (domainYaml: string) => `regions:
  - name: east
    servers:
      - { address: 10.0.0.1, service: app.example.com }
  - name: west
    servers:
      - { address: 10.0.0.2, service: app.example.com }
domains:
  - name: app.example.com
${domainYaml}`;

test("the original's routing aliases normalise to canonical names", () => {
  const cases: [string, string][] = [
    ['round-robin', 'round-robin'],
    ['roundrobin', 'round-robin'],
    ['rr', 'round-robin'],
    ['weighted', 'weighted'],
    ['weight', 'weighted'],
    ['failover', 'failover'],
    ['active-standby', 'failover'],
    ['activestandby', 'failover'],
    ['geolocation', 'geolocation'],
    ['geo', 'geolocation'],
    ['latency', 'latency'],
    ['learned_latency', 'learned_latency'],
    ['learned-latency', 'learned_latency'],
    ['RR', 'round-robin'],
  ];
  for (const [alias, canonical] of cases) {
    assert.equal(normaliseRoutingAlgorithm(alias), canonical, alias);
    assert.equal(parse(withDomain(`    routing_algorithm: ${alias}\n    regions: [east]\n`)).domains[0]!.routingAlgorithm, canonical, alias);
  }
});

test('an unknown routing algorithm lists the accepted ones', async () => {
  const text = withDomain('    routing_algorithm: fastest\n    regions: [east]\n');
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    `cfg.yaml:${lineOf(text, 'fastest')}: domains[0].routing_algorithm: unknown routing algorithm "fastest": expected one of round-robin, weighted, failover, geolocation, latency, learned_latency`,
  ]);
});

test('domain defaults: round-robin, ttl from dns.default_ttl, 8 answers, latency 0.3/500ms/3 samples', () => {
  const config = parse(`dns:\n  default_ttl: 42\n${withDomain('    regions: [west, east]\n')}`);
  assert.deepEqual(config.domains, [
    {
      name: 'app.example.com',
      routingAlgorithm: 'round-robin',
      regions: ['west', 'east'],
      ttlSeconds: 42,
      maxAnswers: 8,
      latencyConfig: { smoothingFactor: 0.3, maxLatencyMs: 500, minSamples: 3 },
    },
  ]);
});

test('explicit ttl, max_answers and latency_config are kept', () => {
  const [domain] = parse(
    withDomain('    regions: [east]\n    ttl: 0\n    max_answers: 64\n    latency_config: { smoothing_factor: 0.5, max_latency_ms: 250, min_samples: 10 }\n'),
  ).domains;
  assert.equal(domain!.ttlSeconds, 0);
  assert.equal(domain!.maxAnswers, 64);
  assert.deepEqual(domain!.latencyConfig, { smoothingFactor: 0.5, maxLatencyMs: 250, minSamples: 10 });
});

test('max_answers outside 1-64 is a problem', async () => {
  const text = withDomain('    regions: [east]\n    max_answers: 65\n');
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [`cfg.yaml:${lineOf(text, 'max_answers')}: domains[0].max_answers: expected an integer from 1 to 64, got 65`]);
});

test('domain names are lowercased without trailing dot, and servers match them whatever their case', () => {
  const config = parse(`regions:
  - name: east
    servers:
      - { address: 10.0.0.1, service: App.Example.COM }
domains:
  - name: APP.example.com.
    regions: [east]
`);
  assert.equal(config.domains[0]!.name, 'app.example.com');
  assert.equal(config.regions[0]!.servers[0]!.service, 'app.example.com');
});

test('a duplicate domain name (after normalisation) points at the first definition', async () => {
  const text = withDomain('    regions: [east]\n  - name: APP.example.com.\n    regions: [west]\n');
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    `cfg.yaml:${lineOf(text, 'APP.example.com.')}: domains[1].name: duplicate domain name "app.example.com" (first defined at cfg.yaml:${lineOf(text, '- name: app.example.com')})`,
  ]);
});

test('a domain needs regions, and every region it names must exist', async () => {
  const text = `${withDomain('    regions: [east, north]\n')}  - name: other.example.com\n`;
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    `cfg.yaml:${lineOf(text, 'north')}: domains[0].regions[1]: region "north" not found: define it in the regions section`,
    `cfg.yaml:${lineOf(text, 'other.example.com')}: domains[1].regions: required: at least one region name`,
  ]);
});

test('invalid DNS names are refused: long labels, wildcards, bad characters', async () => {
  const long = 'a'.repeat(64);
  for (const [name, message] of [
    [`${long}.example.com`, `expected DNS labels of at most 63 characters, got 64 in "${long}.example.com"`],
    ['*.example.com', 'expected a DNS name of letters, digits, hyphens and underscores (no wildcards, no hyphen at a label\'s ends), got "*.example.com"'],
    ['-x.example.com', 'expected a DNS name of letters, digits, hyphens and underscores (no wildcards, no hyphen at a label\'s ends), got "-x.example.com"'],
  ] as const) {
    const { lines } = await parseProblems(`domains:\n  - name: "${name}"\n    regions: [x]\n`);
    assert.ok(lines.includes(`cfg.yaml:2: domains[0].name: ${message}`), lines.join('\n'));
  }
});

test('underscore labels are valid DNS names (service labels)', () => {
  const config = parse(`regions:
  - name: r
    servers: [{ address: 10.0.0.1, service: _sip._udp.example.com }]
domains:
  - { name: _sip._udp.example.com, regions: [r] }
`);
  assert.equal(config.domains[0]!.name, '_sip._udp.example.com');
});
