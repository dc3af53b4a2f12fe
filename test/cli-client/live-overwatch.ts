/**
 * A real Overwatch (DNS, checks, state store, REST API, metrics listener) in this test process, in
 * front of real HTTP backends on loopback whose /health the test flips. The metrics listener gets
 * a fixed free port (not 0) so the dashboard's event stream can read the DNS query counters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseConfigText } from '../../src/config/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { startOverwatchProcess, type RunningOverwatch } from '../../src/cli/overwatch-process.ts';
import { startBackends, type TestBackend } from '../support/backend-servers.ts';

export const ACK = 'I understand that disabling DNSSEC allows DNS spoofing attacks';
export const SERVICE = 'app.gslb.test';

export interface LiveOverwatch {
  running: RunningOverwatch;
  backends: TestBackend[];
  /** http://127.0.0.1:PORT of the API. */
  api: string;
  dnsPort: number;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

const silent = createLogger({ level: 'error', format: 'json' }, new Writable({ write: (_c, _e, cb) => cb() }));

export interface LiveOptions {
  addresses: string[];
  allowedNetworks?: string[];
  /** Health check interval (default 1s, the minimum; thresholds 1/1). */
  interval?: string;
  /** Sign the zone (keys generated in the temp data_dir); default off. */
  dnssec?: boolean;
}

export async function startLiveOverwatch(opts: LiveOptions): Promise<LiveOverwatch> {
  const backends = await startBackends(opts.addresses);
  const dir = mkdtempSync(path.join(tmpdir(), 'opengslb-cli-'));
  const servers = backends.list.map((b) => `      - { address: ${b.address}, port: ${b.port}, service: ${SERVICE} }`).join('\n');
  const interval = opts.interval ?? '1s';
  const text = `dns:
  listen_address: "127.0.0.1:0"
  zones: [gslb.test]
identity: { node_id: ow-test }
data_dir: ${path.join(dir, 'data')}
${opts.dnssec ? 'dnssec: { enabled: true }' : `dnssec: { enabled: false, security_acknowledgment: "${ACK}" }`}
api:
  address: "127.0.0.1:0"
  allowed_networks: [${(opts.allowedNetworks ?? ['127.0.0.0/8']).join(', ')}]
metrics:
  address: "127.0.0.1:${await freePort()}"
regions:
  - name: us
    servers:
${servers}
    health_check: { type: http, path: /health, interval: ${interval}, timeout: 400ms, failure_threshold: 1, success_threshold: 1 }
domains:
  - { name: ${SERVICE}, routing_algorithm: round-robin, regions: [us], ttl: 5 }
`;
  let running: RunningOverwatch;
  try {
    running = await startOverwatchProcess(parseConfigText(text, { sourcePath: '' }), silent);
  } catch (err) {
    await backends.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    running,
    backends: backends.list,
    api: `http://127.0.0.1:${running.api!.port}`,
    dnsPort: running.overwatch.dnsPort,
    close: async () => {
      await running.close();
      await backends.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

