/**
 * Reading configuration files with the original's permission rules. The main file holds secrets, so a
 * world-readable one is refused (with the original's chmod hint); an included file may be readable but
 * not world-writable (anyone could inject settings). Checks are skipped on Windows, where POSIX modes
 * mean nothing. I/O.
 */
import { readFile, stat } from 'node:fs/promises';
import { ConfigError, type ProblemList } from './config-error.ts';

const isPosix = process.platform !== 'win32';

/** Node's fs message without its trailing `, stat '/path'` (the problem already names the file). */
function causeText(err: unknown): string {
  return err instanceof Error ? err.message.replace(/, \w+ '[^']*'(?: -> '[^']*')?$/, '') : String(err);
}

/** The main file's text; throws ConfigError when it cannot be read or is world-readable. */
export async function readMainFile(display: string, path: string): Promise<string> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (err) {
    throw new ConfigError([{ file: display, keyPath: '', message: `failed to read file: ${causeText(err)}` }], { cause: err });
  }
  if (isPosix && (mode & 0o004) !== 0) {
    const perm = (mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError([
      {
        file: display,
        keyPath: '',
        message: `config file ${display} has insecure permissions ${perm} (world-readable); run 'chmod 640 ${display}' or 'chmod 600 ${display}' to fix`,
      },
    ]);
  }
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file: display, keyPath: '', message: `failed to read file: ${causeText(err)}` }], { cause: err });
  }
}

/** An included file's text, or undefined with a problem when it cannot be read or is world-writable. */
export async function readIncludedFile(display: string, path: string, problems: ProblemList): Promise<string | undefined> {
  try {
    const { mode } = await stat(path);
    if (isPosix && (mode & 0o002) !== 0) {
      problems.add({ file: display, keyPath: '', message: 'permission check failed: file is world-writable, which is a security risk' });
      return undefined;
    }
    return await readFile(path, 'utf8');
  } catch (err) {
    problems.add({ file: display, keyPath: '', message: `failed to read file: ${causeText(err)}` });
    return undefined;
  }
}
