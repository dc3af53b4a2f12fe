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
import { loadConfigFile, parseConfigText, restartRequiredChanges, ConfigError } from '../config/index.ts';
import type { Config } from '../config/types.ts';
import { createLogger, type Logger } from '../log/index.ts';
import { Overwatch } from '../overwatch/index.ts';
import { Lifecycle } from '../lifecycle/index.ts';
import { demoConfigText, startDemoBackends, DEMO_DNS_PORT } from './demo.ts';

const SHUTDOWN_DEADLINE_MS = 10_000;

/** The Go flag package accepted `-config x` and `-config=x`; commander wants `--config`. */
export function normaliseArgv(argv: string[]): string[] {
  return argv.map((a) => (/^-(config|mode|version|help)(=|$)/.test(a) ? `-${a}` : a));
}

function describeError(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

async function runOverwatch(config: Config, log: Logger, reloadFrom: (() => Promise<Config>) | null, extra?: Lifecycle): Promise<void> {
  if (config.mode === 'agent') {
    throw new Error('agent mode is not available in this build yet (see the agent issue); run with mode: overwatch');
  }
  if (config.dnssec.enabled) {
    log.warn('dnssec.enabled is true but online signing is not in this build yet: answers are unsigned');
  }
  const overwatch = await Overwatch.start(config, { log });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'received shutdown signal, stopping');
    const deadline = setTimeout(() => {
      log.error('shutdown deadline exceeded, exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    void (async () => {
      try {
        await overwatch.close();
        await extra?.close();
        log.info('stopped');
        process.exitCode = 0;
      } catch (err) {
        log.error({ err }, 'error while stopping');
        process.exitCode = 1;
      }
      process.removeAllListeners('SIGHUP');
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => {
    if (!reloadFrom) {
      log.warn('SIGHUP ignored: the embedded demo configuration cannot be reloaded');
      return;
    }
    void (async () => {
      try {
        const next = await reloadFrom();
        const needsRestart = restartRequiredChanges(overwatch.config, next);
        overwatch.reload(next);
        overwatch.metrics.configReloads.inc({ result: 'success' });
        overwatch.metrics.configReloadTimestamp.setToCurrentTime();
        if (needsRestart.length > 0) {
          log.warn({ settings: needsRestart }, 'configuration reloaded; these changes need a restart to take effect');
        } else {
          log.info('configuration reloaded successfully');
        }
      } catch (err) {
        overwatch.metrics.configReloads.inc({ result: 'failure' });
        log.error({ reason: describeError(err) }, 'configuration reload failed; keeping the running configuration');
      }
    })();
  });
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
        await runOverwatch(config, log, load);
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
        const { unservablePolicies } = await import('../overwatch/index.ts');
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
    .action(async (opts: { port: string }) => {
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
