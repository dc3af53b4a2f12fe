/**
 * Measures how many nodes a YAML document becomes once its aliases are expanded, without expanding
 * them: each anchored collection's size is computed once and reused at every alias to it, so a
 * 300-byte billion laughs costs a few dozen steps instead of the 100k conversions the limit allows.
 * Pure: a parsed document in, the first place the limit is passed (or nothing) out.
 */
import { isAlias, isMap, isSeq, type Alias, type Document, type Node } from 'yaml';
import { childPath, itemPath } from './yaml-paths.ts';

/** Deeper than this is refused by the converter anyway; the measure stops counting there. */
export const MAX_DEPTH = 64;

export interface ExpansionOverflow {
  path: string;
  /** Byte offset of the node (usually an alias) at which the expanded size passed the limit. */
  offset?: number;
}

/** Resolves aliases once each: `Alias.resolve` walks the whole document on every call. */
export class AliasTargets {
  readonly #doc: Document;
  readonly #targets = new Map<Alias, unknown>();

  constructor(doc: Document) {
    this.#doc = doc;
  }

  resolve(alias: Alias): unknown {
    if (!this.#targets.has(alias)) this.#targets.set(alias, alias.resolve(this.#doc));
    return this.#targets.get(alias);
  }
}

/**
 * Walks the document in order, adding up expanded sizes (an alias counts as its target's size), and
 * returns where the running total first exceeds `limit`. The converter counts the same way (one per
 * scalar, collection and alias), so a document that passes here converts within the limit.
 */
export function findExpansionOverflow(root: unknown, aliases: AliasTargets, limit: number): ExpansionOverflow | undefined {
  const sizes = new Map<unknown, number>();
  const inProgress = new Set<unknown>();
  const over = limit + 1;

  /** Expanded size of `node`, capped at `over`; an alias back into its own anchor counts as too big. */
  const sizeOf = (node: unknown, depth: number): number => {
    if (depth > MAX_DEPTH) return 1;
    if (isAlias(node)) {
      const target = aliases.resolve(node);
      return target === undefined ? 1 : Math.min(over, 1 + sizeOf(target, depth + 1));
    }
    if (!isMap(node) && !isSeq(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (inProgress.has(node)) return over;
    inProgress.add(node);
    let total = 1;
    for (const item of node.items) {
      const child = isMap(node) ? (item as { value?: unknown }).value : item;
      if (child !== null && child !== undefined) total += sizeOf(child, depth + 1);
      if (total >= over) break;
    }
    inProgress.delete(node);
    total = Math.min(total, over);
    sizes.set(node, total);
    return total;
  };

  let running = 0;
  /** Document order, so the reported place is the first alias that tips the total over. */
  const walk = (node: unknown, path: string, depth: number): ExpansionOverflow | undefined => {
    if (depth > MAX_DEPTH) return undefined;
    if (isAlias(node) || (!isMap(node) && !isSeq(node))) {
      running += sizeOf(node, depth);
      return running > limit ? { path, offset: (node as Node | null)?.range?.[0] } : undefined;
    }
    running += 1;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = (pair.key as { value?: unknown } | null)?.value;
        if (pair.value === null || pair.value === undefined) continue;
        const found = walk(pair.value, childPath(path, String(key)), depth + 1);
        if (found !== undefined) return found;
      }
    } else {
      for (let index = 0; index < node.items.length; index++) {
        const found = walk(node.items[index], itemPath(path, index), depth + 1);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  return walk(root, '', 0);
}
