/**
 * `includes:` processing with the original's rules: each pattern is a glob relative to the including
 * file (`**` = zero or more directories), matches are taken in lexical order, included files may include
 * others up to depth 10 (`maximum include depth (10) exceeded`), a cycle is refused
 * (`circular include detected: a -> b -> a`), and an included file's mergeable sections are merged into
 * the including file's tree depth-first. One deliberate difference: a plain path (no `*`, `?` or `[`)
 * that matches nothing is a problem, not silently skipped, because it is almost always a typo.
 * I/O: globbing and reading.
 */
import { realpath } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { ProblemList } from './config-error.ts';
import { readIncludedFile } from './file-access.ts';
import { expandGlob, hasGlobMeta } from './glob.ts';
import { mergeIncluded } from './merge-includes.ts';
import { readSourceTree } from './parse-config-text.ts';
import { asList, asString, field, report } from './source-reader.ts';
import type { SourceMap } from './yaml-source.ts';

export const MAX_INCLUDE_DEPTH = 10;

export interface ConfigFileRef {
  /** As shown in messages: the path the operator gave, or joined from an include pattern. */
  display: string;
  /** Real path, for cycle detection. */
  path: string;
}

export async function resolveIncludes(
  tree: SourceMap,
  file: ConfigFileRef,
  env: NodeJS.ProcessEnv,
  problems: ProblemList,
  depth = 0,
  chain: readonly ConfigFileRef[] = [],
): Promise<void> {
  const node = field(tree, 'includes');
  if (node === undefined) return;
  const stack = [...chain, file];
  for (const patternNode of asList(node, problems, 'a list of file patterns') ?? []) {
    const pattern = asString(patternNode, problems);
    if (pattern === undefined) continue;
    const matches = await expandGlob(dirname(file.path), pattern);
    if (matches.length === 0 && !hasGlobMeta(pattern)) {
      report(problems, patternNode, `file ${JSON.stringify(pattern)} not found (only patterns with *, ? or [ may match nothing)`);
      continue;
    }
    for (const match of matches) {
      const path = await realpath(match).catch(() => match);
      const included: ConfigFileRef = { display: join(dirname(file.display), relative(dirname(file.path), match)), path };
      const repeated = stack.findIndex((f) => f.path === path);
      if (repeated >= 0) {
        const names = [...stack.slice(repeated), included].map((f) => f.display);
        report(problems, patternNode, `circular include detected: ${names.join(' -> ')}`);
        continue;
      }
      if (depth + 1 > MAX_INCLUDE_DEPTH) {
        report(problems, patternNode, `maximum include depth (${MAX_INCLUDE_DEPTH}) exceeded`);
        continue;
      }
      const text = await readIncludedFile(included.display, path, problems);
      if (text === undefined) continue;
      const child = readSourceTree(text, included.display, env, problems);
      await resolveIncludes(child, included, env, problems, depth + 1, stack);
      mergeIncluded(tree, child, problems);
    }
  }
}
