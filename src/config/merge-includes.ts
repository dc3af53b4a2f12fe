/**
 * The original's include merge rules, on located trees: `regions`, `domains`, agent `backends` and
 * geolocation `custom_mappings` are appended; `agent_tokens` are merged with the later file winning.
 * Each may be written top-level or in the original's `overwatch:` / `agent:` block, in either file; it
 * lands where the including file keeps it (its nested block if it uses one). Every other key of an
 * included file is ignored, as in the original. Merged items keep their own file, line and path, so
 * problems point into the included file. Mutates the including tree. Pure (no I/O).
 */
import type { ProblemList } from './config-error.ts';
import { asList, asMap } from './source-reader.ts';
import { childPath, type SourceMap, type SourceNode, type SourceSeq } from './yaml-source.ts';

interface Mergeable {
  /** Where the guide's layout writes it. */
  top: readonly string[];
  /** Where the original's layout writes it. */
  nested: readonly string[];
  kind: 'list' | 'map';
  what: string;
}

const MERGEABLE: readonly Mergeable[] = [
  { top: ['regions'], nested: ['regions'], kind: 'list', what: 'a list of regions' },
  { top: ['domains'], nested: ['domains'], kind: 'list', what: 'a list of domains' },
  { top: ['backends'], nested: ['agent', 'backends'], kind: 'list', what: 'a list of backends' },
  { top: ['geolocation', 'custom_mappings'], nested: ['overwatch', 'geolocation', 'custom_mappings'], kind: 'list', what: 'a list of mappings' },
  { top: ['agent_tokens'], nested: ['overwatch', 'agent_tokens'], kind: 'map', what: 'a map of service name to token' },
];

export function mergeIncluded(into: SourceMap, included: SourceMap, problems: ProblemList): void {
  for (const rule of MERGEABLE) {
    const isSamePlace = rule.top.join('.') === rule.nested.join('.');
    const sources = [nodeAt(included, rule.top), isSamePlace ? undefined : nodeAt(included, rule.nested)];
    for (const source of sources) {
      if (source === undefined) continue;
      if (rule.kind === 'list') {
        const items = asList(source, problems, rule.what);
        if (items === undefined || items.length === 0) continue;
        const target = listAt(into, targetPath(into, rule));
        target?.items.push(...items);
      } else {
        const entries = asMap(source, problems, rule.what);
        if (entries === undefined) continue;
        const target = mapAt(into, targetPath(into, rule));
        for (const [key, entry] of entries.entries) target?.entries.set(key, entry);
      }
    }
  }
}

/** The including file's own spelling: existing top-level, else existing nested, else nested if it has the block. */
function targetPath(into: SourceMap, rule: Mergeable): readonly string[] {
  if (nodeAt(into, rule.top) !== undefined) return rule.top;
  if (nodeAt(into, rule.nested) !== undefined) return rule.nested;
  return rule.nested.length > rule.top.length && nodeAt(into, [rule.nested[0]!]) !== undefined ? rule.nested : rule.top;
}

function nodeAt(map: SourceMap, path: readonly string[]): SourceNode | undefined {
  let node: SourceNode | undefined = map;
  for (const key of path) {
    if (node?.kind !== 'map') return undefined;
    node = node.entries.get(key)?.value;
  }
  return node?.kind === 'scalar' && node.value === null ? undefined : node;
}

/** The map at `path`, created (located in the including file) where missing; undefined if a non-map is in the way. */
function mapAt(map: SourceMap, path: readonly string[]): SourceMap | undefined {
  let current = map;
  for (const key of path) {
    const existing = current.entries.get(key)?.value;
    if (existing === undefined || (existing.kind === 'scalar' && existing.value === null)) {
      const created: SourceMap = { kind: 'map', entries: new Map(), file: current.file, line: existing?.line, path: childPath(current.path, key) };
      current.entries.set(key, { key, keyLine: existing?.line, value: created });
      current = created;
    } else if (existing.kind === 'map') current = existing;
    else return undefined; // the validators report the wrong type
  }
  return current;
}

function listAt(map: SourceMap, path: readonly string[]): SourceSeq | undefined {
  const parent = mapAt(map, path.slice(0, -1));
  const key = path.at(-1)!;
  if (parent === undefined) return undefined;
  const existing = parent.entries.get(key)?.value;
  if (existing?.kind === 'seq') return existing;
  if (existing !== undefined && !(existing.kind === 'scalar' && existing.value === null)) return undefined;
  const created: SourceSeq = { kind: 'seq', items: [], file: parent.file, line: existing?.line, path: childPath(parent.path, key) };
  parent.entries.set(key, { key, keyLine: existing?.line, value: created });
  return created;
}
