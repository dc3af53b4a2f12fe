/**
 * Agent and Overwatch end to end over real encrypted gossip on 127.0.0.1: registration with token +
 * TOFU, DNS answers from agent backends, deregistration on shutdown, join retry, wrong key/token.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { parseConfigText } from '../../src/config/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { startOverwatchProcess, type RunningOverwatch } from '../../src/cli/overwatch-process.ts';
import { startAgentProcess, type RunningAgent } from '../../src/cli/agent-process.ts';
import { startBackends, eventually, type TestBackend } from '../support/backend-servers.ts';
import { encodeQuery, udpExchange, decode } from '../support/dns-client.ts';

const ACK = 'I understand that disabling DNSSEC allows DNS spoofing attacks';
const KEY = randomBytes(32).toString('base64');
const TOKEN = randomBytes(24).toString('base64');
const silent = createLogger({ level: 'error', format: 'json' }, new Writable({ write: (_c, _e, cb) => cb() }));
let backends: { list: TestBackend[]; close(): Promise<void> };
const dirs: string[] = [];

before(async () => {
  backends = await startBackends(['127.0.0.41', '127.0.0.42']);
});
after(async () => {
  await backends.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'opengslb-ag-'));
  dirs.push(d);
  return d;
}

function overwatchText(gossipPort = 0, keys = [KEY]): string {
  return `mode: overwatch
identity: { node_id: ow-test }
dns: { listen_address: "127.0.0.1:0", zones: [gslb.test], default_ttl: 5 }
data_dir: ${tempDir()}
dnssec: { enabled: false, security_acknowledgment: "${ACK}" }
agent_tokens: { myapp: "${TOKEN}" }
gossip: { bind_address: "127.0.0.1:${gossipPort}", encryption_keys: [${keys.map((k) => `"${k}"`).join(', ')}], probe_interval: 200ms, probe_timeout: 100ms, gossip_interval: 50ms }
validation: { enabled: true, check_interval: 1s, check_timeout: 300ms }
metrics: { address: "127.0.0.1:0" }
api: { address: "127.0.0.1:0" }
`;
}

function startOverwatch(gossipPort = 0, keys = [KEY]): Promise<RunningOverwatch> {
  return startOverwatchProcess(parseConfigText(overwatchText(gossipPort, keys), { sourcePath: '' }), silent);
}

function startAgent(gossipPort: number, opts: { token?: string; key?: string; keys?: string[]; extraService?: string } = {}): Promise<RunningAgent> {
  const extra = opts.extraService
    ? `\n  - { service: ${opts.extraService}, address: 127.0.0.43, port: 80, weight: 100, health_check: { type: tcp, interval: 1s, timeout: 300ms } }`
    : '';
  const list = backends.list
    .map((b) => `  - { service: myapp, address: ${b.address}, port: ${b.port}, weight: 100, health_check: { type: http, path: /health, interval: 1s, timeout: 300ms, failure_threshold: 1, success_threshold: 1 } }`)
    .join('\n') + extra;
  const text = `mode: agent
identity: { service_token: "${opts.token ?? TOKEN}", region: us }
data_dir: ${tempDir()}
gossip:
  encryption_keys: [${(opts.keys ?? [opts.key ?? KEY]).map((k) => `"${k}"`).join(', ')}]
  bind_address: "127.0.0.1:0"
  overwatch_nodes: ["127.0.0.1:${gossipPort}"]
  probe_interval: 200ms
  probe_timeout: 100ms
  gossip_interval: 50ms
heartbeat: { interval: 1s, missed_threshold: 3 }
backends:
${list}
`;
  return startAgentProcess(parseConfigText(text, { sourcePath: '' }), silent);
}

async function answer(ow: RunningOverwatch): Promise<{ rcode: string; ips: string[] }> {
  const res = decode(await udpExchange(ow.overwatch.dnsPort, encodeQuery('myapp.gslb.test', 'A')));
  return { rcode: res.rcode!, ips: (res.answers ?? []).map((a) => (a as { data: string }).data).sort() };
}

async function metrics(ow: RunningOverwatch): Promise<string> {
  return (await fetch(`http://127.0.0.1:${ow.overwatch.metricsPort}/metrics`)).text();
}

test('an agent registers its backends with its token; the Overwatch pins it and answers for them; shutdown deregisters', async (t) => {
  const ow = await startOverwatch();
  t.after(() => ow.close());
  const agent = await startAgent(ow.overwatch.gossipPort!);
  let agentClosed = false;
  t.after(() => (agentClosed ? undefined : agent.close()));

  await eventually(async () => assert.deepEqual((await answer(ow)).ips, ['127.0.0.41', '127.0.0.42']), 10_000);
  const views = ow.overwatch.control.backends();
  assert.ok(views.every((b) => b.source === 'agent' && b.agentId === agent.agent.identity.agentId));
  assert.match(await metrics(ow), /^opengslb_overwatch_agent_certs_pinned 1$/m);
  assert.match(await metrics(ow), /^opengslb_overwatch_agents_registered 1$/m);

  // a backend failing its agent check leaves the answer (agent claim and validation agree)
  backends.list[1]!.healthy = false;
  t.after(() => (backends.list[1]!.healthy = true));
  await eventually(async () => assert.deepEqual((await answer(ow)).ips, ['127.0.0.41']), 6000);
  backends.list[1]!.healthy = true;

  await agent.close();
  agentClosed = true;
  await eventually(async () => assert.equal((await answer(ow)).rcode, 'NXDOMAIN'), 3000);
});

test('an agent with a wrong service token is refused and registers nothing', async (t) => {
  const ow = await startOverwatch();
  t.after(() => ow.close());
  const agent = await startAgent(ow.overwatch.gossipPort!, { token: randomBytes(24).toString('base64') });
  t.after(() => agent.close());
  await eventually(async () => assert.match(await metrics(ow), /^opengslb_overwatch_agent_auth_failures_total\{reason="bad_token"\} [1-9]/m), 8000);
  assert.equal(ow.overwatch.control.backends().length, 0);
  assert.equal((await answer(ow)).rcode, 'NXDOMAIN');
});

test('an agent with another gossip key cannot talk to the Overwatch; failures are counted', async (t) => {
  const ow = await startOverwatch();
  t.after(() => ow.close());
  const agent = await startAgent(ow.overwatch.gossipPort!, { key: randomBytes(32).toString('base64') });
  t.after(() => agent.close());
  await eventually(async () => assert.match(await metrics(ow), /^opengslb_gossip_decryption_failures_total [1-9]/m), 8000);
  assert.equal(ow.overwatch.control.backends().length, 0);
});

test('an agent started before its Overwatch keeps retrying and registers once it is up', async (t) => {
  // reserve a port for the Overwatch by starting and stopping one
  const probe = await startOverwatch();
  const port = probe.overwatch.gossipPort!;
  await probe.close();
  const agent = await startAgent(port);
  t.after(() => agent.close());
  await new Promise((r) => setTimeout(r, 1500)); // the agent's first join attempts fail
  const ow = await startOverwatch(port);
  t.after(() => ow.close());
  await eventually(async () => assert.deepEqual((await answer(ow)).ips, ['127.0.0.41', '127.0.0.42']), 15_000);
});

test('a token for one service cannot register backends of another service', async (t) => {
  const ow = await startOverwatch();
  t.after(() => ow.close());
  const agent = await startAgent(ow.overwatch.gossipPort!, { extraService: 'otherapp' });
  t.after(() => agent.close());
  await eventually(async () => assert.deepEqual((await answer(ow)).ips, ['127.0.0.41', '127.0.0.42']), 10_000);
  await eventually(async () => assert.match(await metrics(ow), /^opengslb_overwatch_agent_auth_failures_total\{reason="unauthorised_service"\} [1-9]/m));
  assert.ok(ow.overwatch.control.backends().every((b) => b.service === 'myapp'));
  const other = decode(await udpExchange(ow.overwatch.dnsPort, encodeQuery('otherapp.gslb.test', 'A')));
  assert.equal(other.rcode, 'NXDOMAIN');
});

test('the API lists the pinned agent and revokes it: its backends go, its messages are refused; deleting the pin lets it re-pin', async (t) => {
  const ow = await startOverwatch();
  t.after(() => ow.close());
  const agent = await startAgent(ow.overwatch.gossipPort!);
  t.after(() => agent.close());
  await eventually(async () => assert.equal((await answer(ow)).ips.length, 2), 10_000);
  const api = `http://127.0.0.1:${ow.api!.port}/api/v1/overwatch/agents`;
  const list = (await (await fetch(api)).json()) as { agents: { agent_id: string; fingerprint: string; services: string[]; revoked: boolean }[]; total: number };
  assert.equal(list.total, 1);
  assert.equal(list.agents[0]!.agent_id, agent.agent.identity.agentId);
  assert.equal(list.agents[0]!.fingerprint, agent.agent.identity.keyId);
  assert.deepEqual(list.agents[0]!.services, ['myapp']);
  const members = (await (await fetch(`http://127.0.0.1:${ow.api!.port}/api/v1/gossip/members`)).json()) as { members: { name: string; role: string }[] };
  assert.deepEqual(members.members.map((m) => [m.name, m.role]).sort(), [[agent.agent.identity.agentId, 'agent'], ['ow-test', 'overwatch']].sort());

  const id = agent.agent.identity.agentId;
  const res = await fetch(`${api}/${id}/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'test' }) });
  assert.equal(res.status, 200);
  await eventually(async () => assert.equal((await answer(ow)).rcode, 'NXDOMAIN'), 2000);
  await eventually(async () => assert.match(await metrics(ow), /^opengslb_overwatch_agent_auth_failures_total\{reason="revoked"\} [1-9]/m), 5000);
  assert.equal((await answer(ow)).rcode, 'NXDOMAIN');

  assert.equal((await fetch(`${api}/${id}`, { method: 'DELETE' })).status, 204);
  // the agent re-authenticates every few heartbeats and pins again
  await eventually(async () => assert.equal((await answer(ow)).ips.length, 2), 15_000);
});

test('the Overwatch keyring follows a reload without a restart (key rotation)', async (t) => {
  const NEW = randomBytes(32).toString('base64');
  const ow = await startOverwatch(0, [KEY]);
  t.after(() => ow.close());
  const port = ow.overwatch.gossipPort!;
  const text = (keys: string[]) => parseConfigText(overwatchText(0, keys).replace(/data_dir: .*\n/, `data_dir: ${ow.overwatch.config.dataDir}\n`), { sourcePath: '' });
  // an agent that only knows the new key cannot talk yet
  const early = await startAgent(port, { keys: [NEW] });
  await eventually(async () => assert.match(await metrics(ow), /^opengslb_gossip_decryption_failures_total [1-9]/m), 8000);
  await early.close();
  // step 2 of a rotation: the new key is primary, the old one still accepted; no restart named
  assert.deepEqual(ow.reload(text([NEW, KEY])), []);
  const agent = await startAgent(port, { keys: [NEW, KEY] });
  t.after(() => agent.close());
  await eventually(async () => assert.deepEqual((await answer(ow)).ips, ['127.0.0.41', '127.0.0.42']), 10_000);
  assert.equal(ow.overwatch.gossipKeyCount, 2);
  ow.reload(text([NEW]));
  assert.equal(ow.overwatch.gossipKeyCount, 1);
});

test("an original (unsigned) agent's heartbeat registers only with gossip.allow_unsigned_agents", async (t) => {
  const { Memberlist, encodeEnvelope } = await import('../../src/gossip/index.ts');
  for (const allow of [false, true]) {
    const text = overwatchText(0).replace('probe_interval: 200ms', `probe_interval: 200ms, allow_unsigned_agents: ${allow}`);
    const ow = await startOverwatchProcess(parseConfigText(text, { sourcePath: '' }), silent);
    t.after(() => ow.close());
    // a memberlist node speaking like the original Go agent: JSON envelope, no auth member
    const goAgent = await Memberlist.create({ name: `go-agent-${allow}`, bindHost: '127.0.0.1', bindPort: 0, keyring: [Buffer.from(KEY, 'base64')], probeIntervalMs: 200, probeTimeoutMs: 100, gossipIntervalMs: 50 });
    t.after(() => goAgent.close());
    assert.equal(await goAgent.join([`127.0.0.1:${ow.overwatch.gossipPort}`]), 1);
    const b = backends.list[0]!;
    const heartbeat = encodeEnvelope({
      type: 'heartbeat',
      agent_id: 'legacy-agent',
      region: 'us',
      timestamp: new Date().toISOString(),
      payload: { backends: [{ service: 'myapp', address: b.address, port: b.port, weight: 100, healthy: true }] },
    });
    const owMember = goAgent.members().find((m) => m.name === 'ow-test')!;
    await goAgent.sendReliable(owMember, heartbeat);
    if (allow) {
      await eventually(async () => assert.deepEqual((await answer(ow)).ips, ['127.0.0.41']), 8000);
      assert.match(await metrics(ow), /^opengslb_overwatch_agent_unsigned_accepted_total [1-9]/m);
    } else {
      await eventually(async () => assert.match(await metrics(ow), /^opengslb_overwatch_agent_auth_failures_total\{reason="unsigned"\} [1-9]/m), 8000);
      assert.equal(ow.overwatch.control.backends().length, 0);
    }
  }
});

test('learned latency end to end: the agent reports client RTTs per prefix and the Overwatch answers each subnet with its fastest backend', async (t) => {
  const { Agent } = await import('../../src/agent/index.ts');
  const ow = await startOverwatch();
  t.after(() => ow.close());
  ow.overwatch.control.createDomain({ name: 'myapp.gslb.test', routingPolicy: 'learned_latency' });
  const [a, b] = backends.list;
  // what `ss` would show: subnet 10.1.1.0/24 is close to .41, 10.2.2.0/24 to .42
  const source = async () => [
    { localPort: a!.port, peerAddress: '10.1.1.5', rttMs: 4 },
    { localPort: b!.port, peerAddress: '10.1.1.6', rttMs: 60 },
    { localPort: a!.port, peerAddress: '10.2.2.5', rttMs: 90 },
    { localPort: b!.port, peerAddress: '10.2.2.6', rttMs: 3 },
  ];
  const list = backends.list
    .map((x) => `  - { service: myapp, address: ${x.address}, port: ${x.port}, weight: 100, health_check: { type: http, path: /health, interval: 1s, timeout: 300ms, failure_threshold: 1, success_threshold: 1 } }`)
    .join('\n');
  const config = parseConfigText(
    `mode: agent
identity: { service_token: "${TOKEN}", region: us }
data_dir: ${tempDir()}
gossip: { encryption_key: "${KEY}", bind_address: "127.0.0.1:0", overwatch_nodes: ["127.0.0.1:${ow.overwatch.gossipPort}"], probe_interval: 200ms, probe_timeout: 100ms, gossip_interval: 50ms }
heartbeat: { interval: 1s }
latency_learning: { enabled: true, poll_interval: 100ms, report_interval: 300ms, min_samples: 1 }
backends:
${list}
`,
    { sourcePath: '' },
  );
  const agent = await Agent.start(config, { log: silent, connectionSource: source });
  t.after(() => agent.close());
  const first = async (subnet: string) => {
    const res = decode(await udpExchange(ow.overwatch.dnsPort, encodeQuery('myapp.gslb.test', 'A', { edns: { ecs: { family: 1, sourcePrefix: 24, address: subnet } } })));
    return (res.answers?.[0] as { data: string } | undefined)?.data;
  };
  await eventually(async () => {
    assert.equal(await first('10.1.1.0'), '127.0.0.41');
    assert.equal(await first('10.2.2.0'), '127.0.0.42');
  }, 15_000);
});
