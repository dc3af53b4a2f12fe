/**
 * `opengslb-cli`: the operator's client for a running Overwatch's REST API (commander), with the
 * original CLI's commands and flags plus `backends`, `agents` and `watch`.
 *
 * Global flags: `--api URL` (env OPENGSLB_API, default http://localhost:8080), `--timeout` seconds
 * (10; also `500ms`, `30s`), `--json` (print what the API returned, exactly). Human output is
 * aligned tables, coloured only on a terminal (NO_COLOR turns colour off).
 * Exit codes: 0 ok; 1 usage error, invalid local file, or an API error (its message printed as the
 * API said it); 2 the API could not be reached (the address tried is printed).
 * runCli() never calls process.exit and writes only to the io it is given, so tests run it in-process.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../../version.ts';
import { CliError, ExitCode, UsageError } from './cli-error.ts';
import { contextFactory, DEFAULT_TIMEOUT_SECONDS, parseTimeout, type CliIo } from './context.ts';
import { registerAgents } from './commands/agents.ts';
import { registerBackends } from './commands/backends.ts';
import { registerCompletion } from './commands/completion.ts';
import { registerConfig } from './commands/config.ts';
import { registerDnssec } from './commands/dnssec.ts';
import { registerDomains } from './commands/domains.ts';
import { registerGeo } from './commands/geo.ts';
import { registerOverrides } from './commands/overrides.ts';
import { registerServers } from './commands/servers.ts';
import { registerStatus } from './commands/status.ts';
import { registerWatch } from './commands/watch.ts';

export const CLI_NAME = 'opengslb-cli';

export function buildProgram(io: CliIo): Command {
  const program = new Command();
  program
    .name(CLI_NAME)
    .description('Operate a running OpenGSLB Overwatch through its REST API')
    .version(`${CLI_NAME} ${VERSION}`, '-v, --version')
    .option('--api <url>', 'Overwatch API URL (env OPENGSLB_API; default http://localhost:8080)')
    .option('--timeout <seconds>', 'request timeout in seconds (or 500ms, 30s)', parseTimeout, DEFAULT_TIMEOUT_SECONDS)
    .option('--json', 'print the API response as JSON, exactly as returned', false)
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s),
    })
    .exitOverride();
  const ctxOf = contextFactory(io);
  registerStatus(program, ctxOf);
  registerServers(program, ctxOf);
  registerBackends(program, ctxOf);
  registerAgents(program, ctxOf);
  registerOverrides(program, ctxOf);
  registerDomains(program, ctxOf);
  registerGeo(program, ctxOf);
  registerDnssec(program, ctxOf);
  registerConfig(program, ctxOf);
  registerWatch(program, ctxOf);
  registerCompletion(program, ctxOf);
  // Every sub-command reports usage errors through the same override (no process.exit).
  const inherit = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true);
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** Runs one command line; resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.Error;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and --version "fail" with exit code 0; the usage message is already written
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    }
    if (err instanceof CliError) {
      if (err.message !== '') io.stderr.write(`${CLI_NAME}: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`${CLI_NAME}: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.Error;
  }
}

export { UsageError };
