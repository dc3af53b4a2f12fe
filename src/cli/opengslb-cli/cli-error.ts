/**
 * The CLI's failures and their exit codes, decided here once: 1 for a usage error or an error the
 * API answered (its message shown as it said it), 2 when the API could not be reached at all (the
 * address tried is in the message).
 */
import { OpenGslbError } from '../../errors.ts';

export const ExitCode = { Ok: 0, Error: 1, CannotConnect: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends OpenGslbError {
  readonly exitCode: ExitCode;
  constructor(code: string, message: string, exitCode: ExitCode, options?: ErrorOptions) {
    super(code, message, options);
    this.exitCode = exitCode;
  }
}

/** Bad flags or arguments, or a local file that does not validate. */
export class UsageError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_CLI_USAGE', message, ExitCode.Error, options);
  }
}

/** The API answered with a non-2xx status; `message` is its `error` text. */
export class ApiResponseError extends CliError {
  readonly status: number;
  readonly method: string;
  readonly path: string;
  /** The body exactly as the API sent it. */
  readonly bodyText: string;
  /** The API's own `error` text. */
  readonly apiMessage: string;
  constructor(method: string, path: string, status: number, apiMessage: string, bodyText: string, hint?: string) {
    super('ERR_CLI_API', `${method} ${path}: ${status} ${apiMessage}${hint ? ` (${hint})` : ''}`, ExitCode.Error);
    this.apiMessage = apiMessage;
    this.status = status;
    this.method = method;
    this.path = path;
    this.bodyText = bodyText;
  }

  /** The same answer with an explanation appended, e.g. which feature a missing route belongs to. */
  withHint(hint: string): ApiResponseError {
    return new ApiResponseError(this.method, this.path, this.status, this.apiMessage, this.bodyText, hint);
  }
}

/**
 * Rethrows a 404 for a route this Overwatch does not have (the API's generic `not found`, not e.g.
 * `zone not found`) with a hint naming the missing feature; any other error unchanged.
 */
export function explainMissingRoute(err: unknown, feature: string): never {
  if (err instanceof ApiResponseError && err.status === 404 && err.apiMessage === 'not found') {
    throw err.withHint(`this Overwatch does not serve the ${feature} API`);
  }
  throw err;
}

/** Nothing answered at the address (refused, unresolvable, unreachable, or no answer in time). */
export class ConnectError extends CliError {
  readonly url: string;
  constructor(url: string, reason: string, options?: ErrorOptions) {
    super('ERR_CLI_CONNECT', `cannot connect to the Overwatch API at ${url}: ${reason}`, ExitCode.CannotConnect, options);
    this.url = url;
  }
}

/** The command already said everything; only the exit code remains (e.g. `status` when not ready). */
export class QuietExit extends CliError {
  constructor(exitCode: ExitCode) {
    super('ERR_CLI_EXIT', '', exitCode);
  }
}
