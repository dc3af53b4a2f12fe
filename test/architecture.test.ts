import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.join(import.meta.dirname, '..', 'src');
/** Folders of pure logic: no sockets, files, timers or wall clock (STYLE.md §2.1). */
const PURE = ['dns/wire', 'model', 'routing'];
const IO_MODULES = /^(node:)?(dgram|net|fs|fs\/promises|http|https|http2|tls|child_process|worker_threads|timers|timers\/promises)$/;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

function moduleOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  if (rel.length === 1) return '';
  return rel[0] === 'dns' && rel[1] === 'wire' ? 'dns/wire' : rel[0]!;
}

test('pure folders import no I/O modules and never read the wall clock', () => {
  for (const folder of PURE) {
    for (const file of walk(path.join(SRC, folder))) {
      for (const spec of importsOf(file)) assert.doesNotMatch(spec, IO_MODULES, `${path.relative(SRC, file)} imports ${spec}`);
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /Date\.now\(|setTimeout\(|setInterval\(/, `${path.relative(SRC, file)} uses time directly`);
    }
  }
});

test("modules reach each other only through index.ts (config/types.ts and errors.ts are shared contracts)", () => {
  for (const file of walk(SRC)) {
    const from = moduleOf(file);
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec);
      const to = moduleOf(target);
      if (to === from || to === '') continue;
      const rel = path.relative(SRC, target);
      const allowed = rel.endsWith(`${to}${path.sep}index.ts`) || rel === path.join('config', 'types.ts');
      assert.ok(allowed, `${path.relative(SRC, file)} imports ${rel} past ${to}/index.ts`);
    }
  }
});
