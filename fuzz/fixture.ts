/**
 * One in-process Overwatch for the DNS, API and socket fuzz targets: a signed zone (DNSSEC on,
 * keys generated in a temp data_dir), static servers for every routing policy (IPv4 and IPv6, one
 * name with more servers than fit in 512 bytes), health checks answered by a stub probe (always
 * healthy) so no packet leaves the machine, the API built for inject() and DNS on 127.0.0.1:0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { parseConfigText, type Config } from '../src/config/index.ts';
import { createLogger, type Logger } from '../src/log/index.ts';
import { Overwatch } from '../src/overwatch/index.ts';
import { createApiServer } from '../src/api/index.ts';
import type { Snapshot } from '../src/model/index.ts';

export const ZONE = 'gslb.fuzz.test';

/** Names that exist in the fixture zone (lowercase, without the trailing dot). */
export const SERVED_NAMES = [`www.${ZONE}`, `app6.${ZONE}`, `fo.${ZONE}`, `w.${ZONE}`, `big.${ZONE}`, `svc.eu.${ZONE}`];

export function fixtureConfigText(dataDir: string): string {
  const v4 = (n: number, service: string, prefix = '127.0.10') =>
    Array.from({ length: n }, (_, i) => `      - { address: ${prefix}.${i + 1}, port: 80, service: ${service} }`).join('\n');
  return `mode: overwatch
identity: { node_id: fuzz-ow, region: us }
dns:
  listen_address: "127.0.0.1:0"
  zones: [${ZONE}]
  default_ttl: 30
data_dir: ${dataDir}
dnssec: { enabled: true }
api:
  address: "127.0.0.1:0"
  allowed_networks: [127.0.0.0/8]
logging: { level: error }
regions:
  - name: us
    servers:
${v4(3, `www.${ZONE}`)}
${v4(3, `fo.${ZONE}`, '127.0.11')}
${v4(2, `w.${ZONE}`, '127.0.12')}
${v4(60, `big.${ZONE}`, '127.0.13')}
${v4(1, `svc.eu.${ZONE}`, '127.0.14')}
      - { address: "2001:db8::10", port: 80, service: app6.${ZONE} }
      - { address: "2001:db8::11", port: 80, service: app6.${ZONE} }
    health_check: { type: tcp, interval: 1h, timeout: 1s }
domains:
  - { name: www.${ZONE}, routing_algorithm: round-robin, regions: [us] }
  - { name: app6.${ZONE}, routing_algorithm: round-robin, regions: [us] }
  - { name: fo.${ZONE}, routing_algorithm: failover, regions: [us] }
  - { name: w.${ZONE}, routing_algorithm: weighted, regions: [us], max_answers: 1 }
  - { name: big.${ZONE}, routing_algorithm: round-robin, regions: [us], max_answers: 60 }
  - { name: svc.eu.${ZONE}, routing_algorithm: round-robin, regions: [us] }
`;
}

export interface Fixture {
  config: Config;
  overwatch: Overwatch;
  api: FastifyInstance;
  /** Log lines written at error level or above while fuzzing (none expected). */
  errorLines: string[];
  snapshot(): Snapshot;
  close(): Promise<void>;
}

export function silentLogger(): Logger {
  return createLogger({ level: 'error', format: 'json' }, new Writable({ write: (_c, _e, cb) => cb() }));
}

export async function startFixture(): Promise<Fixture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'opengslb-fuzz-'));
  const errorLines: string[] = [];
  const log = createLogger(
    { level: 'error', format: 'json' },
    new Writable({
      write(chunk: Buffer, _e, cb) {
        if (errorLines.length < 100) errorLines.push(chunk.toString('utf8'));
        cb();
      },
    }),
  );
  const config = parseConfigText(fixtureConfigText(path.join(dir, 'data')), { sourcePath: '' });
  let overwatch: Overwatch;
  try {
    overwatch = await Overwatch.start(config, { log, probe: async () => ({ ok: true, latencyMs: 0.1 }) });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const api = await createApiServer({ control: overwatch.control, config: config.api, logger: log });
  await api.ready();
  return {
    config,
    overwatch,
    api,
    errorLines,
    snapshot: () => overwatch.snapshot,
    async close() {
      await api.close();
      await overwatch.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
