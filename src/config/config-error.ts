/**
 * The one error the configuration module throws: every problem found, each naming the file, the key path
 * (as written in that file, e.g. `regions[0].servers[1].port`), the line when known, and what was
 * expected versus received. Secrets never reach a message: validators render them as `(redacted)`.
 */
import { OpenGslbError } from '../errors.ts';

export interface ConfigProblem {
  /** The file as the caller named it (main file) or as joined from its `includes:` pattern. */
  file: string;
  /** Dotted key path inside that file; '' when the problem concerns the whole file. */
  keyPath: string;
  /** 1-based line, when the problem can be pinned to one. */
  line?: number;
  message: string;
}

/** `file:line: keyPath: message`; parts that are unknown are left out. */
export function formatProblem(problem: ConfigProblem): string {
  // The original's main-file permission text already names the file: don't say it twice.
  if (problem.keyPath === '' && problem.line === undefined && problem.message.startsWith(`config file ${problem.file} `)) {
    return problem.message;
  }
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return problem.keyPath === '' ? `${where}: ${problem.message}` : `${where}: ${problem.keyPath}: ${problem.message}`;
}

export class ConfigError extends OpenGslbError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[], options?: ErrorOptions) {
    super('ERR_CONFIG_INVALID', problems.map(formatProblem).join('\n'), options);
    this.problems = problems;
  }
}

/**
 * Collects problems while validation carries on, so one run reports all of them. Problems are sorted
 * for the final error: files in the order they were first seen, lines ascending within a file.
 */
export class ProblemList {
  readonly #items: ConfigProblem[] = [];

  add(problem: ConfigProblem): void {
    this.#items.push(problem);
  }

  get size(): number {
    return this.#items.length;
  }

  sorted(): ConfigProblem[] {
    const fileOrder = new Map<string, number>();
    for (const p of this.#items) if (!fileOrder.has(p.file)) fileOrder.set(p.file, fileOrder.size);
    return this.#items
      .map((p, index) => ({ p, index }))
      .toSorted(
        (a, b) =>
          fileOrder.get(a.p.file)! - fileOrder.get(b.p.file)! ||
          (a.p.line ?? Number.MAX_SAFE_INTEGER) - (b.p.line ?? Number.MAX_SAFE_INTEGER) ||
          a.index - b.index,
      )
      .map(({ p }) => p);
  }

  /** Throws a ConfigError listing every problem, if there is any. */
  throwIfAny(): void {
    if (this.#items.length > 0) throw new ConfigError(this.sorted());
  }
}
