import assert from 'node:assert/strict';
import test from 'node:test';
import { parseConfigText } from '../../src/config/index.ts';
import { GOSSIP_KEY, parse, parseProblems } from './config-fixture.ts';

test('${VAR} is replaced inside string values, also as part of a longer string', () => {
  const config = parse('dns:\n  listen_address: "${HOST}:${PORT}"\ndata_dir: /srv/${NAME}/data\n', { env: { HOST: '127.0.0.1', PORT: '5300', NAME: 'gslb' } });
  assert.deepEqual(config.dns.listen, { host: '127.0.0.1', port: 5300 });
  assert.equal(config.dataDir, '/srv/gslb/data');
});

test('an unquoted value that was wholly substituted is typed as YAML would type it', () => {
  const config = parse('dns:\n  default_ttl: ${TTL}\n  return_last_healthy: ${LAST}\n', { env: { TTL: '15', LAST: 'true' } });
  assert.equal(config.dns.defaultTtlSeconds, 15);
  assert.equal(config.dns.returnLastHealthy, true);
});

test('a quoted value stays a string after substitution', async () => {
  const { lines } = await parseProblems('dns:\n  default_ttl: "${TTL}"\n', { env: { TTL: '15' } });
  assert.deepEqual(lines, ['cfg.yaml:2: dns.default_ttl: expected an integer from 0 to 2147483647, got "15"']);
});

test('a variable cannot inject YAML structure: its value stays one string', () => {
  const config = parse('logging:\n  level: info\ndata_dir: ${EVIL}\n', { env: { EVIL: '/x\nlogging:\n  level: debug' } });
  assert.equal(config.dataDir, '/x\nlogging:\n  level: debug');
  assert.equal(config.logging.level, 'info');
});

test('an unset variable is one problem naming the variable, key path and line, with no follow-on noise', async () => {
  const text = `mode: overwatch
gossip:
  encryption_key: "\${GOSSIP_KEY}"
agent_tokens:
  myapp: "\${MISSING_TOKEN}"
`;
  const { lines } = await parseProblems(text, { env: { GOSSIP_KEY } });
  assert.deepEqual(lines, ['cfg.yaml:5: agent_tokens.myapp: environment variable MISSING_TOKEN is not set']);
});

test('a variable set to the empty string is set: the value is judged as empty', async () => {
  const { lines } = await parseProblems('data_dir: "${DIR}"\n', { env: { DIR: '' } });
  assert.deepEqual(lines, ['cfg.yaml:1: data_dir: expected a string (not empty), got ""']);
});

test('$${VAR} is a literal ${VAR}', () => {
  assert.equal(parse('data_dir: "/srv/$${HOME}"\n', { env: {} }).dataDir, '/srv/${HOME}');
});

test('a malformed reference is a problem', async () => {
  const { lines } = await parseProblems('data_dir: "/srv/${1BAD}"\nidentity:\n  region: "${OPEN"\n', { env: {} });
  assert.deepEqual(lines, [
    'cfg.yaml:1: data_dir: invalid variable reference "${1BAD}": expected ${NAME} with a name of letters, digits and underscores (write $${ for a literal ${)',
    'cfg.yaml:3: identity.region: invalid variable reference "${OPEN": expected ${NAME} with a name of letters, digits and underscores (write $${ for a literal ${)',
  ]);
});

test('the environment defaults to process.env', () => {
  process.env.OPENGSLB_TEST_REGION = 'from-process-env';
  try {
    const config = parseConfigText('identity:\n  region: ${OPENGSLB_TEST_REGION}\n', { sourcePath: '' });
    assert.equal(config.identity.region, 'from-process-env');
    assert.equal(config.sourcePath, '');
  } finally {
    delete process.env.OPENGSLB_TEST_REGION;
  }
});
