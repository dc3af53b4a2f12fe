/**
 * Picks where each setting comes from in the two accepted layouts:
 *   - the guide's: `identity`, `gossip`, `agent_tokens`, `dnssec`, ... at the top level;
 *   - the original's: the same sections nested under `overwatch:` or `agent:`.
 * `dns`, `regions`, `domains`, `logging`, `metrics`, `api` and `includes` are top-level in both.
 * Only the block of the active mode is read; the other block (a file shared by both modes) is ignored
 * apart from unknown-key checks. A section written both at the top level and in the active mode's
 * block is a problem (no silent precedence): the operator is told to keep one. Pure.
 */
import type { ProblemList } from './config-error.ts';
import { AGENT_BLOCK_KEYS, OVERWATCH_BLOCK_KEYS } from './known-keys.ts';
import { asMap, field } from './source-reader.ts';
import type { Mode } from './types.ts';
import { emptyMap, type SourceLocation, type SourceMap, type SourceNode } from './yaml-source.ts';

export const SECTION_NAMES = [
  'identity',
  'agent_tokens',
  'gossip',
  'validation',
  'stale',
  'dnssec',
  'geolocation',
  'data_dir',
  'backends',
  'heartbeat',
  'predictive',
  'latency_learning',
  'dns',
  'regions',
  'domains',
  'logging',
  'metrics',
  'api',
] as const;

export type SectionName = (typeof SECTION_NAMES)[number];

export interface Section {
  /** The key is written, even with an empty value (`api:` alone counts as present). */
  isPresent: boolean;
  /** Its value; undefined when absent or null. */
  node?: SourceNode;
  /** Where it is, or where it would be written (line of the enclosing block when absent). */
  at: SourceLocation;
}

export type Sections = Record<SectionName, Section>;

export function resolveLayout(root: SourceMap, mode: Mode, problems: ProblemList): Sections {
  const nestable: readonly string[] = mode === 'overwatch' ? OVERWATCH_BLOCK_KEYS : AGENT_BLOCK_KEYS;
  let block: SourceMap | undefined;
  for (const blockName of ['overwatch', 'agent'] as const) {
    const node = field(root, blockName);
    const map = node && asMap(node, problems);
    if (blockName === mode) block = map;
  }

  const sections = {} as Sections;
  for (const name of SECTION_NAMES) {
    const top = root.entries.get(name);
    const nested = nestable.includes(name) ? block?.entries.get(name) : undefined;
    if (top !== undefined && nested !== undefined) {
      problems.add({
        file: root.file,
        keyPath: nested.value.path,
        line: nested.keyLine,
        message: `also set at the top level as "${name}" (line ${top.keyLine ?? '?'}); set it in one place only`,
      });
    }
    const chosen = nested ?? top;
    if (chosen !== undefined) {
      const node = chosen.value.kind === 'scalar' && chosen.value.value === null ? undefined : chosen.value;
      sections[name] = { isPresent: true, node, at: { file: chosen.value.file, line: chosen.keyLine, path: chosen.value.path } };
    } else if (block !== undefined && nestable.includes(name)) {
      sections[name] = { isPresent: false, at: { file: block.file, line: block.line, path: `${mode}.${name}` } };
    } else {
      sections[name] = { isPresent: false, at: { file: root.file, path: name } };
    }
  }
  return sections;
}

/** The section as a settings map; an empty one at its would-be place when absent or of the wrong type. */
export function sectionMap(section: Section, problems: ProblemList): SourceMap {
  return (section.node && asMap(section.node, problems)) ?? emptyMap(section.at);
}
