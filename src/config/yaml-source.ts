/**
 * Parses one YAML file into a located tree: every map, list and scalar keeps its file, its 1-based line
 * and its key path as written in that file (`regions[0].servers[1].port`), so any later problem can
 * point at it. Map values carry the line of their key. Aliases are resolved (with a size cap against
 * alias bombs); syntax errors and duplicate keys become problems. Pure: text in, tree out.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { ProblemList } from './config-error.ts';
import { AliasTargets, findExpansionOverflow, MAX_DEPTH } from './yaml-expansion.ts';
import { childPath, itemPath } from './yaml-paths.ts';

export interface SourceLocation {
  file: string;
  /** 1-based; undefined for nodes synthesised by include merging or layout defaults. */
  line?: number;
  /** Key path inside `file`; '' for the root. */
  path: string;
}

export type ScalarValue = string | number | boolean | null;

export interface SourceScalar extends SourceLocation {
  kind: 'scalar';
  value: ScalarValue;
  /** Unquoted in the YAML text: its type came from YAML's core schema (so `${VAR}` results are re-typed). */
  isPlain: boolean;
  /** The scalar as written, for plain numbers that are read as strings (`region: 1`). */
  source: string;
  /** A `${VAR}` in it was unset: that is already reported, so validators stay quiet about this value. */
  hasUnsetVariable?: boolean;
}

export interface SourceEntry {
  key: string;
  keyLine?: number;
  value: SourceNode;
}

export interface SourceMap extends SourceLocation {
  kind: 'map';
  entries: Map<string, SourceEntry>;
}

export interface SourceSeq extends SourceLocation {
  kind: 'seq';
  items: SourceNode[];
}

export type SourceNode = SourceScalar | SourceMap | SourceSeq;

/** More converted nodes than this means aliases are multiplying the document. */
const MAX_NODES = 100_000;
const TOO_BIG = 'document too large or too deeply nested after expanding aliases';

export { childPath, itemPath };

export function emptyMap(location: SourceLocation): SourceMap {
  return { kind: 'map', entries: new Map(), file: location.file, line: location.line, path: location.path };
}

/**
 * The file's top-level map. An empty file is an empty map; a file whose top level is not a map, or
 * that has syntax errors, gives problems (and whatever could be read).
 */
export function parseYamlSource(text: string, file: string, problems: ProblemList): SourceMap {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined || offset < 0 ? undefined : lineCounter.linePos(offset).line;

  for (const error of doc.errors) {
    // yaml quotes the offending token (which may be a key or token value); the line says where it is.
    problems.add({ file, keyPath: '', line: lineAt(error.pos[0]), message: `invalid YAML: ${error.message.replace(/: ".*"$/s, '').replace(/(extra characters): .*$/s, '$1')}` });
  }
  const root = { kind: 'map', entries: new Map(), file, line: 1, path: '' } satisfies SourceMap;
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return root;
  if (!isMap(doc.contents)) {
    problems.add({ file, keyPath: '', line: lineAt(doc.contents.range?.[0]), message: 'expected a map of settings at the top level' });
    return root;
  }
  // Measured before converting: refusing a bomb must not cost the 100k conversions the limit allows.
  const aliases = new AliasTargets(doc);
  const overflow = findExpansionOverflow(doc.contents, aliases, MAX_NODES);
  if (overflow !== undefined) {
    problems.add({ file, keyPath: overflow.path, line: lineAt(overflow.offset), message: TOO_BIG });
    return root;
  }
  const converter = new Converter(aliases, file, lineAt, problems);
  const converted = converter.convert(doc.contents, '', 1);
  return converted.kind === 'map' ? converted : root;
}

class Converter {
  readonly #aliases: AliasTargets;
  readonly #file: string;
  readonly #lineAt: (offset: number | undefined) => number | undefined;
  readonly #problems: ProblemList;
  #count = 0;
  #tooBig = false;

  constructor(aliases: AliasTargets, file: string, lineAt: (offset: number | undefined) => number | undefined, problems: ProblemList) {
    this.#aliases = aliases;
    this.#file = file;
    this.#lineAt = lineAt;
    this.#problems = problems;
  }

  convert(node: unknown, path: string, line: number | undefined, depth = 0): SourceNode {
    const file = this.#file;
    if (++this.#count > MAX_NODES || depth > MAX_DEPTH) {
      if (!this.#tooBig) {
        this.#tooBig = true;
        this.#problems.add({ file, keyPath: path, line, message: TOO_BIG });
      }
      return { kind: 'scalar', value: null, isPlain: true, source: '', file, line, path };
    }
    if (isAlias(node)) {
      const target = this.#aliases.resolve(node);
      if (target === undefined) {
        this.#problems.add({ file, keyPath: path, line, message: `unresolved alias *${node.source}` });
        return { kind: 'scalar', value: null, isPlain: true, source: '', file, line, path };
      }
      return this.convert(target, path, line, depth + 1);
    }
    if (isMap(node)) {
      const entries = new Map<string, SourceEntry>();
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const keyLine = this.#lineAt(keyNode?.range?.[0]) ?? line;
        if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
          this.#problems.add({ file, keyPath: path, line: keyLine, message: 'expected a plain key such as "name:", got a complex or empty key' });
          continue;
        }
        const key = String(keyNode.value);
        const valuePath = childPath(path, key);
        // A map value is reported at its key's line: that is where an operator looks.
        const value =
          pair.value === null || pair.value === undefined
            ? ({ kind: 'scalar', value: null, isPlain: true, source: '', file, line: keyLine, path: valuePath } satisfies SourceScalar)
            : this.convert(pair.value, valuePath, keyLine, depth + 1);
        entries.set(key, { key, keyLine, value });
      }
      return { kind: 'map', entries, file, line, path };
    }
    if (isSeq(node)) {
      const items = node.items.map((item, index) =>
        this.convert(item, itemPath(path, index), this.#lineAt((item as Node | null)?.range?.[0]) ?? line, depth + 1),
      );
      return { kind: 'seq', items, file, line, path };
    }
    if (isScalar(node)) {
      const raw = node.value;
      const value: ScalarValue =
        raw === null || typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean'
          ? raw
          : typeof raw === 'bigint'
            ? Number(raw)
            : String(raw);
      const source = typeof node.source === 'string' ? node.source : String(raw ?? '');
      return { kind: 'scalar', value, isPlain: node.type === 'PLAIN' || node.type === undefined, source, file, line, path };
    }
    this.#problems.add({ file, keyPath: path, line, message: 'unsupported YAML node' });
    return { kind: 'scalar', value: null, isPlain: true, source: '', file, line, path };
  }
}
