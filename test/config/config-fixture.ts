/**
 * Test fixtures for config/: real files in a private temp directory (removed after the test), keys and
 * tokens for `${VAR}`s, and a helper that runs a loader expecting a ConfigError and returns its problems
 * as formatted lines.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { ConfigError, formatProblem, parseConfigText, type ConfigProblem } from '../../src/config/index.ts';
import type { Config } from '../../src/config/types.ts';

export const GOSSIP_KEY = Buffer.alloc(32, 0x5a).toString('base64');
export const TOKEN_A = 'myapp-token-0123456789abcdef';
export const TOKEN_B = 'otherapp-token-0123456789abcdef';
export const ENV = { GOSSIP_KEY, MYAPP_TOKEN: TOKEN_A, OTHERAPP_TOKEN: TOKEN_B, TOKEN: TOKEN_A };

export async function makeTempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'opengslb-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `text` at `dir/relPath` (creating directories) with `mode` (0600 unless told). */
export async function writeConfig(dir: string, relPath: string, text: string, mode = 0o600): Promise<string> {
  const path = join(dir, relPath);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  await chmod(path, mode); // explicit: the umask must not decide what the test checks
  return path;
}

/** parseConfigText with a fixed host name and the fixture environment. */
export function parse(text: string, options: { env?: NodeJS.ProcessEnv; modeOverride?: string } = {}): Config {
  return parseConfigText(text, { sourcePath: 'cfg.yaml', env: options.env ?? ENV, modeOverride: options.modeOverride, hostname: 'test-host' });
}

/** Problems of a ConfigError thrown by `run` (sync or async). Fails the test if nothing is thrown. */
export async function problemsOf(run: () => unknown): Promise<{ lines: string[]; problems: readonly ConfigProblem[]; error: ConfigError }> {
  try {
    await run();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_CONFIG_INVALID');
    return { lines: err.problems.map(formatProblem), problems: err.problems, error: err };
  }
  assert.fail('expected a ConfigError, but the configuration loaded');
}

/** Problems from parsing `text` (see parse()). */
export function parseProblems(text: string, options: { env?: NodeJS.ProcessEnv; modeOverride?: string } = {}) {
  return problemsOf(() => parse(text, options));
}

/** 1-based line of the first line of `text` containing `needle` (so tests state lines without counting). */
export function lineOf(text: string, needle: string, occurrence = 1): number {
  let seen = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i]!.includes(needle) && ++seen === occurrence) return i + 1;
  throw new Error(`${JSON.stringify(needle)} not in text`);
}
