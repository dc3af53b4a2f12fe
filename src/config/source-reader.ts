/**
 * Typed reads from the located YAML tree. Each reader either returns a value or records a problem that
 * names the key path and line and says what was expected and what was found, then returns the fallback so
 * validation can carry on and report everything in one run. A YAML null (`key:` with no value) reads as
 * absent, as Go's decoder treated it. Readers given `secret` never echo the value.
 */
import type { ProblemList } from './config-error.ts';
import { formatDuration, tryParseDuration } from './duration.ts';
import { parseHostPort } from './network-address.ts';
import type { HostPort } from './types.ts';
import { childPath, emptyMap, type SourceLocation, type SourceMap, type SourceNode } from './yaml-source.ts';

export interface SecretOption {
  /** Tokens and keys: the value never appears in a message. */
  secret?: boolean;
}

export function report(problems: ProblemList, at: SourceLocation, message: string): void {
  // A value built from an unset variable is already reported; judging what is left would only add noise.
  if ('hasUnsetVariable' in at && at.hasUnsetVariable === true) return;
  problems.add({ file: at.file, keyPath: at.path, line: at.line, message });
}

/** A required key is absent: reported at the parent's line with the key's would-be path. */
export function reportMissing(problems: ProblemList, parent: SourceMap, key: string, message: string): void {
  problems.add({ file: parent.file, keyPath: childPath(parent.path, key), line: parent.line, message });
}

/** True when the key is written, even with an empty value (`api:` counts as present). */
export function hasKey(map: SourceMap, key: string): boolean {
  return map.entries.has(key);
}

/** The key's value; undefined when absent or null. */
export function field(map: SourceMap, key: string): SourceNode | undefined {
  const node = map.entries.get(key)?.value;
  if (node === undefined || (node.kind === 'scalar' && node.value === null)) return undefined;
  return node;
}

/** How a found value is shown in a message. */
export function describe(node: SourceNode, options: SecretOption = {}): string {
  if (options.secret) return '(redacted)';
  if (node.kind === 'map') return 'a map';
  if (node.kind === 'seq') return 'a list';
  if (node.value === null) return 'nothing';
  if (typeof node.value !== 'string') return String(node.value);
  const text = node.value.length > 80 ? `${node.value.slice(0, 77)}...` : node.value;
  return JSON.stringify(text);
}

function expected(problems: ProblemList, node: SourceNode, what: string, options: SecretOption = {}): undefined {
  report(problems, node, `expected ${what}, got ${describe(node, options)}`);
  return undefined;
}

export function asString(node: SourceNode, problems: ProblemList, options: SecretOption & { what?: string } = {}): string | undefined {
  const what = options.what ?? 'a string';
  if (node.kind !== 'scalar' || node.value === null) return expected(problems, node, what, options);
  // Unquoted numbers and booleans read as the text written, as Go's decoder did for string fields.
  const text = typeof node.value === 'string' ? node.value : node.source;
  if (text.trim() === '') return expected(problems, node, `${what} (not empty)`, options);
  return text.trim();
}

export interface RangeOption {
  min?: number;
  max?: number;
}

function rangeText(kind: string, { min, max }: RangeOption): string {
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min !== undefined) return `${kind} of at least ${min}`;
  if (max !== undefined) return `${kind} of at most ${max}`;
  return kind;
}

export function asInt(node: SourceNode, problems: ProblemList, range: RangeOption = {}): number | undefined {
  const value = node.kind === 'scalar' ? node.value : undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) return expected(problems, node, rangeText('an integer', range));
  if ((range.min !== undefined && value < range.min) || (range.max !== undefined && value > range.max)) {
    return expected(problems, node, rangeText('an integer', range));
  }
  return value;
}

export interface NumberRangeOption extends RangeOption {
  /** Lower bound is exclusive (`> min`). */
  isMinExclusive?: boolean;
}

export function asNumber(node: SourceNode, problems: ProblemList, range: NumberRangeOption = {}): number | undefined {
  const value = node.kind === 'scalar' ? node.value : undefined;
  const what = range.isMinExclusive
    ? `a number above ${range.min}${range.max === undefined ? '' : ` and at most ${range.max}`}`
    : rangeText('a number', range);
  if (typeof value !== 'number' || !Number.isFinite(value)) return expected(problems, node, what);
  const tooLow = range.min !== undefined && (range.isMinExclusive ? value <= range.min : value < range.min);
  if (tooLow || (range.max !== undefined && value > range.max)) return expected(problems, node, what);
  return value;
}

// Go's yaml.v3 read these YAML 1.1 spellings into bool fields, so the original's configs may use them.
const YAML11_TRUE = /^(?:y|Y|yes|Yes|YES|on|On|ON)$/;
const YAML11_FALSE = /^(?:n|N|no|No|NO|off|Off|OFF)$/;

export function asBool(node: SourceNode, problems: ProblemList): boolean | undefined {
  if (node.kind === 'scalar' && typeof node.value === 'boolean') return node.value;
  if (node.kind === 'scalar' && node.isPlain && typeof node.value === 'string') {
    if (YAML11_TRUE.test(node.value)) return true;
    if (YAML11_FALSE.test(node.value)) return false;
  }
  return expected(problems, node, 'true or false');
}

export function asDuration(node: SourceNode, problems: ProblemList, options: { minMs?: number } = {}): number | undefined {
  const value = node.kind === 'scalar' ? node.value : undefined;
  let ms: number | undefined;
  if (value === 0) ms = 0;
  else if (typeof value === 'number') {
    report(problems, node, `expected a duration with a unit such as "30s" or "500ms", got ${value} (a plain number needs a unit: ms, s, m or h)`);
    return undefined;
  } else if (typeof value === 'string') ms = tryParseDuration(value);
  if (ms === undefined) return expected(problems, node, 'a duration such as "30s", "500ms" or "1h30m"');
  const minMs = options.minMs ?? 0;
  if (ms < minMs) {
    return expected(problems, node, minMs === 0 ? 'a duration that is not negative' : `a duration of at least ${formatDuration(minMs)}`);
  }
  return ms;
}

export function asMap(node: SourceNode, problems: ProblemList, what = 'a map of settings', options: SecretOption = {}): SourceMap | undefined {
  if (node.kind === 'map') return node;
  // `section:\n  key:"value"` (no space after the colon) makes the section one string holding the
  // value, which may be a key or a token: show only the key.
  if (!options.secret && node.kind === 'scalar' && typeof node.value === 'string') {
    const cut = node.value.search(/[:=]/);
    if (cut > 0) {
      report(problems, node, `expected ${what}, got "${node.value.slice(0, cut)}${node.value[cut]}(redacted)" (a space is missing after the colon?)`);
      return undefined;
    }
  }
  return expected(problems, node, what, options);
}

export function asList(node: SourceNode, problems: ProblemList, what = 'a list', options: SecretOption = {}): SourceNode[] | undefined {
  if (node.kind === 'seq') return node.items;
  return expected(problems, node, what, options);
}

// Field readers: absent or invalid gives the fallback (invalid also records a problem).

export function readString(map: SourceMap, key: string, problems: ProblemList, fallback: string, options: SecretOption = {}): string {
  const node = field(map, key);
  return (node && asString(node, problems, options)) ?? fallback;
}

export function readOptionalString(map: SourceMap, key: string, problems: ProblemList, options: SecretOption = {}): string | undefined {
  const node = field(map, key);
  return node && asString(node, problems, options);
}

export function readInt(map: SourceMap, key: string, problems: ProblemList, fallback: number, range: RangeOption = {}): number {
  const node = field(map, key);
  return (node && asInt(node, problems, range)) ?? fallback;
}

export function readNumber(map: SourceMap, key: string, problems: ProblemList, fallback: number, range: NumberRangeOption = {}): number {
  const node = field(map, key);
  return (node && asNumber(node, problems, range)) ?? fallback;
}

export function readBool(map: SourceMap, key: string, problems: ProblemList, fallback: boolean): boolean {
  const node = field(map, key);
  return (node && asBool(node, problems)) ?? fallback;
}

export function readDuration(map: SourceMap, key: string, problems: ProblemList, fallbackMs: number, options: { minMs?: number } = {}): number {
  const node = field(map, key);
  return (node && asDuration(node, problems, options)) ?? fallbackMs;
}

/** A nested settings map; an empty one (located at the would-be path) when absent or not a map. */
export function readMap(map: SourceMap, key: string, problems: ProblemList): SourceMap {
  const node = field(map, key);
  return (node && asMap(node, problems)) ?? emptyMap({ file: map.file, line: map.entries.get(key)?.keyLine ?? map.line, path: childPath(map.path, key) });
}

export function readList(map: SourceMap, key: string, problems: ProblemList, what = 'a list'): SourceNode[] {
  const node = field(map, key);
  return (node && asList(node, problems, what)) ?? [];
}

/** Each item as a string; invalid items are reported and left out. */
export function readStringList(map: SourceMap, key: string, problems: ProblemList, what = 'a list of strings'): { value: string; node: SourceNode }[] {
  const out: { value: string; node: SourceNode }[] = [];
  for (const node of readList(map, key, problems, what)) {
    const value = asString(node, problems);
    if (value !== undefined) out.push({ value, node });
  }
  return out;
}

/**
 * A `host:port` to listen on, or the fallback when absent. Port 0 asks the OS for any free port (tests
 * and ephemeral setups; the runtime reports the port it got).
 */
export function readListenAddress(map: SourceMap, key: string, problems: ProblemList, fallback: HostPort): HostPort {
  const node = field(map, key);
  if (node === undefined) return fallback;
  const text = readString(map, key, problems, '');
  if (text === '') return fallback;
  const parsed = parseHostPort(text, 0);
  if (parsed === undefined) {
    report(problems, node, `expected host:port with port 1-65535 (or 0 for any free port), got ${JSON.stringify(text)}`);
    return fallback;
  }
  return parsed;
}
