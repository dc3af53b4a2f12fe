/**
 * Loading the configuration from disk: the main file (refused when world-readable), its includes, then
 * the same validation as parseConfigText. I/O: file system and, for defaults, the host name.
 */
import { realpath } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError, ProblemList } from './config-error.ts';
import { readMainFile } from './file-access.ts';
import { resolveIncludes } from './includes.ts';
import { buildConfig } from './normalise.ts';
import { readSourceTree } from './parse-config-text.ts';
import type { Config } from './types.ts';

export interface LoadOptions {
  /** Environment for `${VAR}`; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** `--mode` from the command line; wins over `mode:` in the file. */
  modeOverride?: string;
  /** Default identity.node_id; os.hostname() by default. */
  hostname?: string;
}

/** Reads, merges and validates a configuration file; throws ConfigError listing every problem. */
export async function loadConfigFile(path: string, options: LoadOptions = {}): Promise<Config> {
  const env = options.env ?? process.env;
  const text = await readMainFile(path, path);
  const realPath = await realpath(path).catch(() => resolve(path));
  const problems = new ProblemList();
  const tree = readSourceTree(text, path, env, problems);
  await resolveIncludes(tree, { display: path, path: realPath }, env, problems);
  const config = buildConfig(tree, { sourcePath: resolve(path), modeOverride: options.modeOverride, hostname: options.hostname ?? hostname() }, problems);
  problems.throwIfAny();
  if (config === undefined) throw new ConfigError([{ file: path, keyPath: '', message: 'invalid configuration' }]);
  return config;
}
