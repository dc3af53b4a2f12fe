/**
 * The guide's two deployment patterns as runnable demos on loopback addresses, each Overwatch and
 * agent a real `opengslb` process with its own config file and data_dir:
 *   pattern1: 1 Overwatch (DNS 127.0.0.1:5353, API :8080) and 3 agents, one per demo backend.
 *   ha:       3 independent Overwatches (127.0.0.1-3:5353) and 3 agents reporting to all of them.
 * Backends are small HTTP servers on 127.0.1.1-3:18080 served by this process (POST /toggle flips
 * /health). Ctrl-C stops every child by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';

export type DemoPattern = 'pattern1' | 'ha';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'opengslb');
const ACK = 'I understand that disabling DNSSEC allows DNS spoofing attacks';

interface Child {
  name: string;
  proc: ChildProcess;
}

function overwatchConfig(i: number, dir: string, key: string, token: string): string {
  const host = `127.0.0.${i}`;
  return `mode: overwatch
identity: { node_id: overwatch-${i}, region: demo }
dns: { listen_address: "${host}:5353", zones: [gslb.demo], default_ttl: 5 }
agent_tokens: { myapp: "${token}" }
gossip: { bind_address: "${host}:7946", encryption_key: "${key}" }
validation: { enabled: true, check_interval: 2s, check_timeout: 1s }
stale: { threshold: 6s, remove_after: 30s }
api: { address: "${host}:8080", allowed_networks: [127.0.0.0/8] }
metrics: { address: "${host}:9090" }
dnssec: { enabled: false, security_acknowledgment: "${ACK}" }
data_dir: ${path.join(dir, `overwatch-${i}`)}
logging: { level: info, format: text }
`;
}

function agentConfig(i: number, dir: string, key: string, token: string, overwatches: number): string {
  const nodes = Array.from({ length: overwatches }, (_, k) => `"127.0.0.${k + 1}:7946"`).join(', ');
  return `mode: agent
identity: { service_token: "${token}", region: zone-${i} }
backends:
  - service: myapp
    address: 127.0.1.${i}
    port: 18080
    weight: 100
    health_check: { type: http, path: /health, interval: 1s, timeout: 500ms, failure_threshold: 2, success_threshold: 1 }
gossip: { encryption_key: "${key}", overwatch_nodes: [${nodes}] }
heartbeat: { interval: 2s, missed_threshold: 3 }
metrics: { address: "127.0.1.${i}:9100" }
data_dir: ${path.join(dir, `agent-${i}`)}
logging: { level: info, format: text }
`;
}

async function startBackends(): Promise<http.Server[]> {
  const servers: http.Server[] = [];
  for (let i = 1; i <= 3; i++) {
    let healthy = true;
    const address = `127.0.1.${i}`;
    const s = http.createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/toggle') {
        healthy = !healthy;
        res.end(`${address} is now ${healthy ? 'healthy' : 'unhealthy'}\n`);
      } else if (req.url === '/health') {
        res.writeHead(healthy ? 200 : 503).end(healthy ? 'ok\n' : 'unhealthy\n');
      } else {
        res.end(`hello from ${address}\n`);
      }
    });
    s.listen(18080, address);
    await once(s, 'listening');
    servers.push(s);
  }
  return servers;
}

export async function runDemoPattern(pattern: DemoPattern): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), `opengslb-${pattern}-`));
  const key = randomBytes(32).toString('base64');
  const token = randomBytes(24).toString('base64');
  const overwatches = pattern === 'ha' ? 3 : 1;
  const children: Child[] = [];
  const servers = await startBackends();
  const start = (name: string, text: string) => {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, text);
    chmodSync(file, 0o600);
    const proc = spawn(BIN, ['--config', file], { stdio: ['ignore', 'inherit', 'inherit'] });
    children.push({ name, proc });
  };
  for (let i = 1; i <= overwatches; i++) start(`overwatch-${i}`, overwatchConfig(i, dir, key, token));
  for (let i = 1; i <= 3; i++) start(`agent-${i}`, agentConfig(i, dir, key, token, overwatches));

  const stopAll = async () => {
    for (const c of children.toReversed()) if (c.proc.exitCode === null) c.proc.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.proc.exitCode === null ? once(c.proc, 'exit') : undefined)));
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stopAll().then(() => process.exit(0)));

  const ows = Array.from({ length: overwatches }, (_, k) => `127.0.0.${k + 1}`);
  const lines = [
    '',
    `OpenGSLB demo (${pattern === 'ha' ? 'Pattern 2: 3 independent Overwatches' : 'Pattern 1: 1 Overwatch'}, 3 agents) — configs in ${dir}`,
    ...ows.map((h) => `  dig @${h} -p 5353 myapp.gslb.demo +short          # answers from the agents' backends`),
    `  curl http://127.0.0.1:8080/api/v1/backends                 # who decided each backend's health`,
    `  curl http://127.0.0.1:8080/api/v1/overwatch/agents         # pinned agents (trust on first use)`,
    `  curl -X POST http://127.0.1.2:18080/toggle                 # fail backend 2: it leaves the answers`,
    ...children.filter((c) => c.name.startsWith('agent')).map((c) => `  kill ${c.proc.pid}   # stop ${c.name} (SIGTERM deregisters it at once)`),
    ...(pattern === 'ha'
      ? children.filter((c) => c.name.startsWith('overwatch')).map((c) => `  kill ${c.proc.pid}   # stop ${c.name}: the other Overwatches keep answering the same`)
      : []),
    'Ctrl-C stops everything.',
    '',
  ];
  setTimeout(() => process.stdout.write(lines.join('\n')), 3000).unref();
  await new Promise(() => {}); // runs until a signal
}
