/**
 * Wires one Overwatch process: the Overwatch (DNS, checks, state), its REST API when `api` is
 * configured, and the signals: SIGTERM/SIGINT stop in reverse order of start with a deadline,
 * SIGHUP reloads (validated first; a rejected config leaves the running one in place).
 */
import type { Config } from '../config/types.ts';
import { restartRequiredChanges } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import { Overwatch } from '../overwatch/index.ts';
import { DEFAULT_MAX_IN_FLIGHT, InFlightLimit, startApiServer, type RunningApiServer } from '../api/index.ts';
import { Lifecycle, type Closeable } from '../lifecycle/index.ts';

const SHUTDOWN_DEADLINE_MS = 10_000;

export interface RunningOverwatch extends Closeable {
  overwatch: Overwatch;
  api?: RunningApiServer;
  /** Validates and applies a new config; throws (and changes nothing) when it is rejected. */
  reload(next: Config): string[];
}

/** Starts an Overwatch and its API (no signal handling: tests use this directly). */
export async function startOverwatchProcess(config: Config, log: Logger): Promise<RunningOverwatch> {
  const lifecycle = new Lifecycle();
  const overwatch = lifecycle.own(await Overwatch.start(config, { log }));
  let api: RunningApiServer | undefined;
  try {
    if (config.api.enabled) {
      const inFlight = new InFlightLimit(DEFAULT_MAX_IN_FLIGHT);
      overwatch.metrics.apiRequests = () => inFlight.stats();
      api = lifecycle.own(await startApiServer({ control: overwatch.control, config: config.api, logger: log, inFlight }));
      log.info({ api: `${api.host}:${api.port}`, allowed_networks: config.api.allowedNetworks }, 'REST API listening');
    }
  } catch (err) {
    await lifecycle.close();
    throw err;
  }
  return {
    overwatch,
    api,
    close: () => lifecycle.close(),
    reload(next: Config): string[] {
      const needsRestart = restartRequiredChanges(overwatch.config, next);
      overwatch.reload(next);
      return needsRestart;
    },
  };
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Runs until SIGTERM/SIGINT. `reloadFrom` re-reads the config for SIGHUP (null: reload unsupported).
 * `extra` is closed after the Overwatch (the demo's backends).
 */
export async function runOverwatch(config: Config, log: Logger, reloadFrom: (() => Promise<Config>) | null, extra?: Closeable): Promise<void> {
  const running = await startOverwatchProcess(config, log);
  const { overwatch } = running;
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
        await running.close();
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
        const needsRestart = running.reload(await reloadFrom());
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
