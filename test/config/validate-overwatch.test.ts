import assert from 'node:assert/strict';
import test from 'node:test';
import { lineOf, parse, parseProblems } from './config-fixture.ts';

const REGIONS = `regions:
  - name: eu
    servers: [{ address: 10.0.0.1, service: a.example.com }]
domains:
  - { name: a.example.com, regions: [eu] }
`;

test('validation is on by default (the guide), checking every 30s with a 5s timeout; stale 30s / 5m', () => {
  const config = parse('');
  assert.deepEqual(config.validation, { enabled: true, checkIntervalMs: 30_000, checkTimeoutMs: 5000 });
  assert.deepEqual(config.stale, { thresholdMs: 30_000, removeAfterMs: 300_000 });
});

test('validation timeout must be shorter than its interval; remove_after at least the stale threshold', async () => {
  const text = 'validation:\n  check_interval: 5s\n  check_timeout: 10s\nstale:\n  threshold: 1m\n  remove_after: 30s\n';
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    'cfg.yaml:3: validation.check_timeout: expected a timeout shorter than check_interval (5s), got 10s',
    'cfg.yaml:6: stale.remove_after: expected remove_after to be at least the stale threshold (1m), got 30s',
  ]);
});

test('agent tokens must be at least 16 characters and are never echoed', async () => {
  const text = 'agent_tokens:\n  good: "0123456789abcdef0123"\n  weak: "hunter2"\n  empty:\n';
  const { lines, error } = await parseProblems(text);
  assert.deepEqual(lines, [
    'cfg.yaml:3: agent_tokens.weak: expected a token of at least 16 characters, got (redacted, 7 characters)',
    'cfg.yaml:4: agent_tokens.empty: expected a token, got nothing',
  ]);
  assert.ok(!error.message.includes('hunter2'));
  assert.ok(!error.message.includes('0123456789abcdef0123'));
});

test('geolocation: ECS on by default; regions it names must exist; mapping CIDRs are checked', async () => {
  assert.deepEqual(parse(REGIONS).geolocation, { ecsEnabled: true, customMappings: [] });
  const config = parse(`${REGIONS}geolocation:
  database_path: /var/lib/geo.mmdb
  default_region: eu
  ecs_enabled: false
  custom_mappings:
    - { cidr: 10.1.0.0/16, region: eu, comment: office }
    - { cidr: 192.0.2.1, region: eu }
`);
  assert.deepEqual(config.geolocation, {
    databasePath: '/var/lib/geo.mmdb',
    defaultRegion: 'eu',
    ecsEnabled: false,
    customMappings: [
      { cidr: '10.1.0.0/16', region: 'eu', comment: 'office' },
      { cidr: '192.0.2.1/32', region: 'eu' },
    ],
  });

  const text = `${REGIONS}geolocation:
  default_region: mars
  custom_mappings:
    - { cidr: 10.1.0.0/99, region: eu }
    - { region: venus }
`;
  const { lines } = await parseProblems(text);
  assert.deepEqual(lines, [
    `cfg.yaml:${lineOf(text, 'mars')}: geolocation.default_region: region "mars" does not exist in regions`,
    `cfg.yaml:${lineOf(text, '10.1.0.0/99')}: geolocation.custom_mappings[0].cidr: expected a CIDR such as 10.0.0.0/8, got "10.1.0.0/99"`,
    `cfg.yaml:${lineOf(text, 'venus')}: geolocation.custom_mappings[1].cidr: required: a CIDR such as 10.0.0.0/8`,
    `cfg.yaml:${lineOf(text, 'venus')}: geolocation.custom_mappings[1].region: region "venus" does not exist in regions`,
  ]);
});

test('logging: level case-insensitive with warning = warn; unknown level or format refused', async () => {
  assert.deepEqual(parse('').logging, { level: 'info', format: 'json' });
  assert.deepEqual(parse('logging:\n  level: WARNING\n  format: Text\n').logging, { level: 'warn', format: 'text' });
  const { lines } = await parseProblems('logging:\n  level: verbose\n  format: xml\n');
  assert.deepEqual(lines, ['cfg.yaml:2: logging.level: expected debug, info, warn or error, got "verbose"', 'cfg.yaml:3: logging.format: expected json or text, got "xml"']);
});

test('data_dir defaults to /var/lib/opengslb', () => {
  assert.equal(parse('').dataDir, '/var/lib/opengslb');
  assert.equal(parse('data_dir: /srv/x\n').dataDir, '/srv/x');
});
