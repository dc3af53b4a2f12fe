/** Runs `opengslb-cli` in-process (runCli) or as the real bin/opengslb-cli child process. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { runCli } from '../../src/cli/opengslb-cli/program.ts';

export const CLI_BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'opengslb-cli');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  isTty?: boolean;
  signal?: AbortSignal;
}

export async function cli(args: string[], opts: RunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: opts.env ?? {},
    isTty: opts.isTty ?? false,
    signal: opts.signal,
  });
  return { code, stdout, stderr };
}

/** The real launcher, as an operator runs it (async: the Overwatch under test lives in this process). */
export function cliBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(CLI_BIN, args, { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
