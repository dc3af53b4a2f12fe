import assert from 'node:assert/strict';
import test from 'node:test';
import { ConfigError, formatProblem } from '../../src/config/index.ts';
import { OpenGslbError } from '../../src/errors.ts';
import { parseProblems } from './config-fixture.ts';

test('ConfigError lists every problem, one per line, sorted by line, with code ERR_CONFIG_INVALID', async () => {
  const text = `logging:
  level: loud
dns:
  listen_address: "0.0.0.0:99999"
  default_ttl: ten
regions: "none"
`;
  const { error } = await parseProblems(text);
  assert.ok(error instanceof OpenGslbError);
  assert.equal(error.code, 'ERR_CONFIG_INVALID');
  assert.equal(error.name, 'ConfigError');
  assert.equal(
    error.message,
    [
      'cfg.yaml:2: logging.level: expected debug, info, warn or error, got "loud"',
      'cfg.yaml:4: dns.listen_address: expected host:port with port 1-65535 (or 0 for any free port), got "0.0.0.0:99999"',
      'cfg.yaml:5: dns.default_ttl: expected an integer from 0 to 2147483647, got "ten"',
      'cfg.yaml:6: regions: expected a list of regions, got "none"',
    ].join('\n'),
  );
  assert.equal(error.problems.length, 4);
  assert.deepEqual(error.problems[1], {
    file: 'cfg.yaml',
    keyPath: 'dns.listen_address',
    line: 4,
    message: 'expected host:port with port 1-65535 (or 0 for any free port), got "0.0.0.0:99999"',
  });
});

test('YAML syntax errors and duplicate keys are problems with their line', async () => {
  const duplicate = await parseProblems('dns:\n  default_ttl: 5\n  default_ttl: 6\n');
  assert.deepEqual(duplicate.lines, ['cfg.yaml:3: invalid YAML: Map keys must be unique']);
  const broken = await parseProblems('dns:\n  zones: [a.example\nlogging: {}\n');
  assert.ok(broken.lines.every((l) => /^cfg\.yaml:\d+: invalid YAML: /.test(l)), broken.lines.join('\n'));
});

test('a top level that is not a map is a problem', async () => {
  const { lines } = await parseProblems('- just\n- a list\n');
  assert.deepEqual(lines, ['cfg.yaml:1: expected a map of settings at the top level']);
});

test('formatProblem leaves out the parts it does not know', () => {
  assert.equal(formatProblem({ file: 'a.yaml', keyPath: 'x.y', line: 3, message: 'm' }), 'a.yaml:3: x.y: m');
  assert.equal(formatProblem({ file: 'a.yaml', keyPath: 'x.y', message: 'm' }), 'a.yaml: x.y: m');
  assert.equal(formatProblem({ file: 'a.yaml', keyPath: '', line: 1, message: 'm' }), 'a.yaml:1: m');
  assert.equal(new ConfigError([{ file: 'f', keyPath: '', message: 'm' }]).message, 'f: m');
});

test('alias bombs are cut off instead of expanding without bound', async () => {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 8; i++) levels.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? '*a' : `*l${i - 1}`).join(', ')}]`);
  const { lines } = await parseProblems(`${levels.join('\n')}\n`);
  assert.ok(lines.some((l) => l.includes('document too large or too deeply nested after expanding aliases')), lines.join('\n'));
});
