/**
 * `opengslb`: the server entry point.
 *   opengslb --config FILE [--mode agent|overwatch]   run (Go-style -config/-mode/-version accepted)
 *   opengslb validate --config FILE                    full validation, every error listed; exit 0/1
 *   opengslb demo                                      Overwatch on an embedded config + local backends
 * Exit codes: 0 clean stop, 1 configuration or start-up failure. SIGINT/SIGTERM stop gracefully;
 * SIGHUP reloads the configuration (validated first; a bad one is rejected and the old one serves).
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.ts';
import { loadConfigFile, parseConfigText } from '../config/index.ts';
import type { Config } from '../config/types.ts';
import { createLogger } from '../log/index.ts';
import { Lifecycle } from '../lifecycle/index.ts';
import { runOverwatch, describeError } from './overwatch-process.ts';
import { runAgent } from './agent-process.ts';
import { unservablePolicies } from '../overwatch/index.ts';
import { demoConfigText, startDemoBackends, DEMO_DNS_PORT } from './demo.ts';
import { runDemoPattern } from './demo-patterns.ts';


/** The Go flag package accepted `-config x` and `-config=x`; commander wants `--config`. */
export function normaliseArgv(argv: string[]): string[] {
  return argv.map((a) => (/^-(config|mode|version|help)(=|$)/.test(a) ? `-${a}` : a));
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  let exitCode = 0;
  program
    .name('opengslb')
    .description('OpenGSLB: authoritative DNS answering with healthy, policy-routed backends')
    .version(`OpenGSLB ${VERSION}`, '-v, --version')
    .option('-c, --config <file>', 'configuration file', '/etc/opengslb/config.yaml')
    .option('-m, --mode <mode>', 'agent or overwatch (overrides the file)')
    .exitOverride()
    .enablePositionalOptions()
    .action(async (opts: { config: string; mode?: string }) => {
      const load = () => loadConfigFile(opts.config, { modeOverride: opts.mode });
      let config: Config;
      try {
        config = await load();
      } catch (err) {
        process.stderr.write(`opengslb: cannot start: ${describeError(err)}\n`);
        exitCode = 1;
        return;
      }
      const log = createLogger(config.logging);
      log.info({ version: VERSION, config: config.sourcePath, mode: config.mode }, 'OpenGSLB starting');
      try {
        if (config.mode === 'agent') await runAgent(config, log, load);
        else await runOverwatch(config, log, load);
      } catch (err) {
        log.error({ reason: describeError(err) }, 'start-up failed');
        process.stderr.write(`opengslb: cannot start: ${describeError(err)}\n`);
        exitCode = 1;
      }
    });

  program
    .command('validate')
    .description('validate a configuration file without starting anything')
    .option('-c, --config <file>', 'configuration file', '/etc/opengslb/config.yaml')
    .option('-m, --mode <mode>', 'agent or overwatch (overrides the file)')
    .action(async (opts: { config: string; mode?: string }) => {
      try {
        const config = await loadConfigFile(opts.config, { modeOverride: opts.mode });
        const refused = config.mode === 'overwatch' ? unservablePolicies(config) : [];
        if (refused.length > 0) throw new Error(refused.join('\n'));
        process.stdout.write(
          `${config.sourcePath}: valid (mode ${config.mode}, ${config.dns.zones.length} zone(s), ${config.domains.length} domain(s), ${config.regions.length} region(s), ${config.backends.length} agent backend(s))\n`,
        );
      } catch (err) {
        process.stderr.write(`${describeError(err)}\n`);
        exitCode = 1;
      }
    });

  program
    .command('demo')
    .description(`run a demo Overwatch on 127.0.0.1:${DEMO_DNS_PORT} with three local backends`)
    .option('-p, --port <port>', 'DNS port', String(DEMO_DNS_PORT))
    .option('--pattern <pattern>', "the guide's deployment patterns with agents: pattern1 (1 Overwatch) or ha (3 Overwatches)")
    .action(async (opts: { port: string; pattern?: string }) => {
      if (opts.pattern !== undefined) {
        if (opts.pattern !== 'pattern1' && opts.pattern !== 'ha') {
          process.stderr.write(`opengslb demo: --pattern expects pattern1 or ha, got "${opts.pattern}"\n`);
          exitCode = 1;
          return;
        }
        await runDemoPattern(opts.pattern);
        return;
      }
      const config = parseConfigText(demoConfigText(Number(opts.port)), { sourcePath: '' });
      const log = createLogger(config.logging);
      const extra = new Lifecycle();
      try {
        extra.own(await startDemoBackends());
        await runOverwatch(config, log, null, extra);
        log.info(
          `demo ready: try  dig @127.0.0.1 -p ${config.dns.listen.port} app.demo.gslb.local  and  curl -X POST http://127.0.0.2:18080/toggle`,
        );
      } catch (err) {
        await extra.close();
        process.stderr.write(`opengslb demo: cannot start: ${describeError(err)}\n`);
        exitCode = 1;
      }
    });

  try {
    await program.parseAsync(normaliseArgv(argv), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    throw err;
  }
  return exitCode;
}
