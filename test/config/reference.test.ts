import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_REFERENCE, knownKeyPaths } from '../../src/config/index.ts';
import { withReference } from '../../scripts/render-docs.ts';

test('the configuration reference documents exactly the keys the loader knows', () => {
  const documented = CONFIG_REFERENCE.flatMap((e) => e.keys);
  const known = knownKeyPaths();
  assert.deepEqual(documented.filter((k) => !known.includes(k)), [], 'documented keys the loader does not know');
  assert.deepEqual(known.filter((k) => !documented.includes(k)), [], 'keys the loader knows that are not documented');
  assert.equal(new Set(documented).size, documented.length, 'a key documented twice');
});

test('README.md carries the generated reference (run npm run docs after changing it)', () => {
  const readme = readFileSync(path.join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  assert.equal(withReference(readme), readme);
});
