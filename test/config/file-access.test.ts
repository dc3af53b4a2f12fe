import assert from 'node:assert/strict';
import test from 'node:test';
import { loadConfigFile } from '../../src/config/index.ts';
import { ENV, makeTempDir, problemsOf, writeConfig } from './config-fixture.ts';

test("a world-readable main file is refused with the original's chmod hint", async (t) => {
  const dir = await makeTempDir(t);
  const path = await writeConfig(dir, 'overwatch.yaml', 'mode: overwatch\n', 0o644);
  const { lines, error } = await problemsOf(() => loadConfigFile(path, { env: ENV }));
  const expected = `config file ${path} has insecure permissions 0644 (world-readable); run 'chmod 640 ${path}' or 'chmod 600 ${path}' to fix`;
  assert.deepEqual(lines, [expected]);
  assert.equal(error.message, expected);
});

test('group-readable (0640) and private (0600) main files load', async (t) => {
  const dir = await makeTempDir(t);
  for (const mode of [0o640, 0o600]) {
    const path = await writeConfig(dir, `m${mode.toString(8)}.yaml`, 'mode: overwatch\n', mode);
    assert.equal((await loadConfigFile(path, { env: ENV })).mode, 'overwatch');
  }
});

test('a world-readable included file is allowed (only world-writable is refused)', async (t) => {
  const dir = await makeTempDir(t);
  await writeConfig(dir, 'inc.yaml', 'regions:\n  - name: r\n    servers: [{ address: 10.0.0.1, service: a.example.com }]\n', 0o644);
  const main = await writeConfig(dir, 'main.yaml', 'includes: [inc.yaml]\ndomains:\n  - { name: a.example.com, regions: [r] }\n');
  assert.deepEqual((await loadConfigFile(main, { env: ENV })).regions.map((r) => r.name), ['r']);
});
