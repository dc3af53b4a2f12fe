import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh directory under the OS temp dir, removed when the test ends. Returns `<tmp>/data` (not yet created). */
export function tempDataDir(t: TestContext): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'opengslb-store-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  return path.join(root, 'data');
}
