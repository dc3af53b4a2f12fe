/**
 * An agent re-authenticates every 6 heartbeats (agent_auth over TCP) and sends the heartbeat right
 * after (UDP). The heartbeat carries the higher sequence number and usually arrives first, so the
 * Overwatch refuses the agent_auth as a replay: a warning and an auth failure every 6 heartbeats per
 * agent, for a healthy agent. Waiting for the agent_auth to be written before heartbeating does not
 * help (the soak's simulated agents do that): TCP processing on the Overwatch is still overtaken.
 * Found by the soak (1,000 simulated agents: ~900 refusals a minute).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { parseConfigText } from '../../src/config/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { startOverwatchProcess } from '../../src/cli/overwatch-process.ts';
import { startAgentProcess } from '../../src/cli/agent-process.ts';
import { startBackends, eventually } from '../support/backend-servers.ts';

const ACK = 'I understand that disabling DNSSEC allows DNS spoofing attacks';
const silent = createLogger({ level: 'error', format: 'json' }, new Writable({ write: (_c, _e, cb) => cb() }));

test('a healthy agent\'s periodic re-authentication is never refused as a replay', async (t) => {
  const key = randomBytes(32).toString('base64');
  const token = randomBytes(24).toString('base64');
  const dir = mkdtempSync(path.join(tmpdir(), 'opengslb-reauth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const backends = await startBackends(['127.0.0.91']);
  t.after(() => backends.close());
  const ow = await startOverwatchProcess(
    parseConfigText(
      `mode: overwatch
dns: { listen_address: "127.0.0.1:0", zones: [gslb.test] }
data_dir: ${path.join(dir, 'ow')}
dnssec: { enabled: false, security_acknowledgment: "${ACK}" }
agent_tokens: { myapp.gslb.test: "${token}" }
gossip: { bind_address: "127.0.0.1:0", encryption_key: "${key}" }
metrics: { address: "127.0.0.1:0" }
`,
      { sourcePath: '' },
    ),
    silent,
  );
  t.after(() => ow.close());
  const b = backends.list[0]!;
  const agent = await startAgentProcess(
    parseConfigText(
      `mode: agent
identity: { service_token: "${token}", region: us }
data_dir: ${path.join(dir, 'agent')}
gossip: { encryption_key: "${key}", bind_address: "127.0.0.1:0", overwatch_nodes: ["127.0.0.1:${ow.overwatch.gossipPort}"] }
heartbeat: { interval: 1s }
backends:
  - { service: myapp.gslb.test, address: ${b.address}, port: ${b.port}, health_check: { type: http, path: /health, interval: 1s, timeout: 500ms } }
`,
      { sourcePath: '' },
    ),
    silent,
  );
  t.after(() => agent.close());
  const metrics = async () => (await fetch(`http://127.0.0.1:${ow.overwatch.metricsPort}/metrics`)).text();
  // 8 heartbeats: one re-authentication (every 6).
  await eventually(async () => assert.match(await metrics(), /^opengslb_gossip_messages_received_total\{type="heartbeat"\} ([89]|[1-9]\d)/m), 30_000);
  const text = await metrics();
  assert.doesNotMatch(text, /agent_auth_failures_total\{reason="replayed"\} [1-9]/, text.split('\n').filter((l) => l.includes('auth_failures')).join('\n'));
});
