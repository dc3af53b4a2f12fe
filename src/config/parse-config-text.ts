/**
 * Validation of configuration text without touching files (the embedded demo config, tests): parse,
 * substitute `${VAR}`, check unknown keys, normalise. `includes:` is refused here: there is no file to
 * resolve its paths against. Reads only the environment and host name it is given (defaults:
 * process.env, os.hostname()).
 */
import { hostname } from 'node:os';
import { ConfigError, ProblemList } from './config-error.ts';
import { substituteEnv } from './env-substitution.ts';
import { reportUnknownKeys } from './known-keys.ts';
import { buildConfig } from './normalise.ts';
import type { Config } from './types.ts';
import { parseYamlSource, type SourceMap } from './yaml-source.ts';

export interface ParseOptions {
  /** Names the text in messages and becomes Config.sourcePath; '' for an embedded config. */
  sourcePath: string;
  /** Environment for `${VAR}`; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** `--mode` from the command line; wins over `mode:` in the text. */
  modeOverride?: string;
  /** Default identity.node_id; os.hostname() by default. */
  hostname?: string;
}

/** The label used in messages for text that has no file. */
export const EMBEDDED_LABEL = '(embedded config)';

/** Parses one file's text into a substituted tree, with unknown keys reported. */
export function readSourceTree(text: string, file: string, env: NodeJS.ProcessEnv, problems: ProblemList): SourceMap {
  const tree = parseYamlSource(text, file, problems);
  reportUnknownKeys(tree, problems);
  substituteEnv(tree, env, problems);
  return tree;
}

/** Validates and normalises configuration text; throws ConfigError listing every problem. */
export function parseConfigText(text: string, options: ParseOptions): Config {
  const problems = new ProblemList();
  const label = options.sourcePath === '' ? EMBEDDED_LABEL : options.sourcePath;
  const tree = readSourceTree(text, label, options.env ?? process.env, problems);
  const includes = tree.entries.get('includes');
  if (includes !== undefined) {
    problems.add({
      file: label,
      keyPath: 'includes',
      line: includes.keyLine,
      message: 'not supported here: configuration given as text has no directory to resolve include paths against',
    });
  }
  const config = buildConfig(tree, { sourcePath: options.sourcePath, modeOverride: options.modeOverride, hostname: options.hostname ?? hostname() }, problems);
  problems.throwIfAny();
  if (config === undefined) throw new ConfigError([{ file: label, keyPath: '', message: 'invalid configuration' }]);
  return config;
}
