/**
 * `opengslb-cli` entry: runs one command against the Overwatch API and exits with its code
 * (0 ok, 1 usage/API error, 2 cannot connect). SIGINT/SIGTERM stop `watch` cleanly (exit 0).
 */
import { runCli } from './opengslb-cli/program.ts';

const stop = new AbortController();
let signalled = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (signalled) process.exit(130);
    signalled = true;
    stop.abort();
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  isTty: process.stdout.isTTY === true,
  signal: stop.signal,
});
