import assert from 'node:assert/strict';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'node:test';
import { loadConfigFile } from '../../src/config/index.ts';
import { ENV, GOSSIP_KEY, makeTempDir, problemsOf, writeConfig } from './config-fixture.ts';

const region = (name: string, service = 'app.example.com') => `regions:\n  - name: ${name}\n    servers: [{ address: 10.0.0.1, service: ${service} }]\n`;
const load = (path: string) => loadConfigFile(path, { env: ENV, hostname: 'h' });

test('glob includes are relative to the including file and merged in sorted order', async (t) => {
  const dir = await makeTempDir(t);
  await writeConfig(dir, 'conf.d/regions/b.yaml', region('b'));
  await writeConfig(dir, 'conf.d/regions/a.yaml', region('a'));
  await writeConfig(dir, 'conf.d/regions/notes.txt', 'not yaml: [');
  const main = await writeConfig(
    dir,
    'conf.d/main.yaml',
    `includes:\n  - "regions/*.yaml"\n${region('main')}domains:\n  - { name: app.example.com, regions: [main, a, b] }\n`,
  );
  const config = await load(main);
  assert.deepEqual(config.regions.map((r) => r.name), ['main', 'a', 'b']);
});

test('** matches zero or more directories', async (t) => {
  const dir = await makeTempDir(t);
  await writeConfig(dir, 'domains/top.yaml', 'domains:\n  - { name: top.example.com, regions: [r] }\n');
  await writeConfig(dir, 'domains/x/y/deep.yaml', 'domains:\n  - { name: deep.example.com, regions: [r] }\n');
  await writeConfig(dir, 'domains/x/mid.yaml', 'domains:\n  - { name: mid.example.com, regions: [r] }\n');
  const main = await writeConfig(dir, 'main.yaml', `includes: ["domains/**/*.yaml"]\n${region('r', 'top.example.com')}`);
  const config = await load(main);
  assert.deepEqual(config.domains.map((d) => d.name), ['top.example.com', 'mid.example.com', 'deep.example.com']);
});

test('a pattern that matches nothing is fine; a plain path that does not exist is a problem', async (t) => {
  const dir = await makeTempDir(t);
  const main = await writeConfig(dir, 'main.yaml', 'includes:\n  - "none/*.yaml"\n  - missing.yaml\n');
  const { lines } = await problemsOf(() => load(main));
  assert.deepEqual(lines, [`${main}:3: includes[1]: file "missing.yaml" not found (only patterns with *, ? or [ may match nothing)`]);
});

test('nested includes: ten levels load, the eleventh exceeds the maximum depth', async (t) => {
  const dir = await makeTempDir(t);
  const chain = async (levels: number, prefix: string): Promise<string> => {
    for (let i = 1; i <= levels; i++) {
      const next = i < levels ? `includes: ["${prefix}${i + 1}.yaml"]\n` : '';
      await writeConfig(dir, `${prefix}${i}.yaml`, `${next}regions:\n  - name: ${prefix}${i}\n    servers: [{ address: 10.0.0.${i}, service: app.example.com }]\n`);
    }
    return writeConfig(dir, `${prefix}main.yaml`, `includes: ["${prefix}1.yaml"]\ndomains:\n  - { name: app.example.com, regions: [${prefix}1] }\n`);
  };
  const ok = await load(await chain(10, 'ok'));
  assert.equal(ok.regions.length, 10);
  assert.equal(ok.regions.at(-1)!.name, 'ok10');

  const tooDeep = await chain(11, 'deep');
  const { lines } = await problemsOf(() => load(tooDeep));
  assert.deepEqual(lines, [`${join(dir, 'deep10.yaml')}:1: includes[0]: maximum include depth (10) exceeded`]);
});

test('a circular include is refused and the cycle is named', async (t) => {
  const dir = await makeTempDir(t);
  await writeConfig(dir, 'a.yaml', 'includes: [b.yaml]\n');
  await writeConfig(dir, 'b.yaml', 'includes: [a.yaml]\n');
  const main = await writeConfig(dir, 'main.yaml', 'includes: [a.yaml]\n');
  const { lines } = await problemsOf(() => load(main));
  const [a, b] = [join(dir, 'a.yaml'), join(dir, 'b.yaml')];
  assert.deepEqual(lines, [`${b}:1: includes[0]: circular include detected: ${a} -> ${b} -> ${a}`]);
});

test('a file including itself (through a symlink too) is a cycle', async (t) => {
  const dir = await makeTempDir(t);
  const main = await writeConfig(dir, 'main.yaml', 'includes: [link.yaml]\n');
  await symlink(main, join(dir, 'link.yaml'));
  const { lines } = await problemsOf(() => load(main));
  assert.deepEqual(lines, [`${main}:1: includes[0]: circular include detected: ${main} -> ${join(dir, 'link.yaml')}`]);
});

test('a world-writable included file is refused', async (t) => {
  const dir = await makeTempDir(t);
  const inc = await writeConfig(dir, 'inc.yaml', region('r'), 0o646);
  const main = await writeConfig(dir, 'main.yaml', 'includes: [inc.yaml]\n');
  const { lines } = await problemsOf(() => load(main));
  assert.deepEqual(lines, [`${inc}: permission check failed: file is world-writable, which is a security risk`]);
});

test("merge rules: tokens later-wins, backends and mappings appended, included files' other keys ignored", async (t) => {
  const dir = await makeTempDir(t);
  await writeConfig(
    dir,
    'inc/1.yaml',
    `agent_tokens:\n  a: "token-a-from-include-1"\n  b: "token-b-from-include-1"\nbackends:\n  - { service: b1, address: 127.0.0.1, port: 81 }\ndns:\n  listen_address: "1.2.3.4:99"\nlogging:\n  level: debug\n`,
  );
  await writeConfig(
    dir,
    'inc/2.yaml',
    `agent_tokens:\n  b: "token-b-from-include-2"\ngeolocation:\n  custom_mappings:\n    - { cidr: 10.2.0.0/16, region: r }\n`,
  );
  const main = await writeConfig(
    dir,
    'main.yaml',
    `includes: ["inc/*.yaml"]
agent_tokens:
  a: "token-a-from-main-file"
backends:
  - { service: b0, address: 127.0.0.1, port: 80 }
geolocation:
  custom_mappings:
    - { cidr: 10.1.0.0/16, region: r }
${region('r')}domains:
  - { name: app.example.com, regions: [r] }
`,
  );
  const config = await load(main);
  assert.deepEqual(config.agentTokens, { a: 'token-a-from-include-1', b: 'token-b-from-include-2' });
  assert.deepEqual(config.backends.map((b) => b.service), ['b0', 'b1']);
  assert.deepEqual(config.geolocation.customMappings.map((m) => m.cidr), ['10.1.0.0/16', '10.2.0.0/16']);
  assert.deepEqual(config.dns.listen, { host: '', port: 53 });
  assert.equal(config.logging.level, 'info');
});

test("included sections land in the main file's nested block when it uses the original layout", async (t) => {
  const dir = await makeTempDir(t);
  await writeConfig(dir, 'tokens.yaml', 'agent_tokens:\n  b: "token-b-from-include"\n');
  await writeConfig(dir, 'backends.yaml', 'agent:\n  backends:\n    - { service: extra, address: 127.0.0.1, port: 81 }\n');
  const main = await writeConfig(
    dir,
    'main.yaml',
    `includes: [tokens.yaml, backends.yaml]
overwatch:
  agent_tokens:
    a: "token-a-from-main-file"
agent:
  identity: { service_token: "token-a-from-main-file" }
  gossip: { encryption_key: "${GOSSIP_KEY}", overwatch_nodes: ["10.0.0.1:7946"] }
  backends:
    - { service: main, address: 127.0.0.1, port: 80 }
`,
  );
  const overwatch = await load(main);
  assert.deepEqual(overwatch.agentTokens, { a: 'token-a-from-main-file', b: 'token-b-from-include' });
  const agent = await loadConfigFile(main, { env: ENV, modeOverride: 'agent' });
  assert.deepEqual(agent.backends.map((b) => b.service), ['main', 'extra']);
});

test('a region duplicated across files names the included file, its line and the first definition', async (t) => {
  const dir = await makeTempDir(t);
  const inc = await writeConfig(dir, 'more.yaml', `# more regions\n${region('east')}`);
  const main = await writeConfig(dir, 'main.yaml', `includes: [more.yaml]\n${region('east')}domains:\n  - { name: app.example.com, regions: [east] }\n`);
  const { lines } = await problemsOf(() => load(main));
  assert.deepEqual(lines, [`${inc}:3: regions[0].name: duplicate region name "east" (first defined at ${main}:3)`]);
});

test('problems inside an included file point into that file', async (t) => {
  const dir = await makeTempDir(t);
  const inc = await writeConfig(dir, 'd.yaml', 'domains:\n  - name: app.example.com\n    regions: [r]\n    routing_algorithm: random\n    tll: 5\n');
  const main = await writeConfig(dir, 'main.yaml', `includes: [d.yaml]\n${region('r')}`);
  const { lines } = await problemsOf(() => load(main));
  assert.deepEqual(lines, [
    `${inc}:4: domains[0].routing_algorithm: unknown routing algorithm "random": expected one of round-robin, weighted, failover, geolocation, latency, learned_latency`,
    `${inc}:5: domains[0].tll: unknown key "tll" (did you mean "ttl"?)`,
  ]);
});

test('an included file with a YAML error or a wrong section type is reported in that file', async (t) => {
  const dir = await makeTempDir(t);
  const broken = await writeConfig(dir, 'broken.yaml', 'regions:\n  - name: [unclosed\n');
  const wrong = await writeConfig(dir, 'wrong.yaml', 'regions:\n  name: x\n');
  const main = await writeConfig(dir, 'main.yaml', 'includes: [broken.yaml, wrong.yaml]\n');
  const { lines } = await problemsOf(() => load(main));
  assert.ok(lines.some((l) => l.startsWith(`${broken}:`) && l.includes('invalid YAML')), lines.join('\n'));
  assert.ok(lines.includes(`${wrong}:1: regions: expected a list of regions, got a map`), lines.join('\n'));
});

test('includes are refused in configuration given as text', async () => {
  const { parseConfigText } = await import('../../src/config/index.ts');
  const { lines } = await problemsOf(() => parseConfigText('includes: ["x/*.yaml"]\n', { sourcePath: '', env: {} }));
  assert.deepEqual(lines, ['(embedded config):1: includes: not supported here: configuration given as text has no directory to resolve include paths against']);
});
