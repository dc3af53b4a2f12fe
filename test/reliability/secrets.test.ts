/**
 * Secrets never leak: an Overwatch and agents run with a known gossip key and agent token, logging
 * at debug into a captured stream; the test drives every API route (from the OpenAPI document),
 * metrics, refused agents (wrong token, wrong key), refused clients, bad bodies and bad
 * configurations (validation, reload, the `opengslb validate` binary), then searches every log
 * line, every response and every error message for the key (base64, base64url, hex, raw bytes) and
 * the token (as written, base64, hex). None may appear.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { parseConfigText } from '../../src/config/index.ts';
import { createLogger, type Logger } from '../../src/log/index.ts';
import { startOverwatchProcess, type RunningOverwatch } from '../../src/cli/overwatch-process.ts';
import { startAgentProcess, type RunningAgent } from '../../src/cli/agent-process.ts';
import { startBackends, eventually, type TestBackend } from '../support/backend-servers.ts';
import { BIN } from '../support/opengslb-process.ts';

const execFileAsync = promisify(execFile);
const KEY_RAW = randomBytes(32);
const KEY = KEY_RAW.toString('base64');
const TOKEN = `svc-token-${randomBytes(18).toString('base64url')}`;
const SERVICE = 'myapp.gslb.test';

/** Every spelling of a secret we search for. */
const NEEDLES: Record<string, Buffer> = {
  'gossip key (base64)': Buffer.from(KEY),
  'gossip key (base64url)': Buffer.from(KEY_RAW.toString('base64url')),
  'gossip key (hex)': Buffer.from(KEY_RAW.toString('hex')),
  'gossip key (HEX)': Buffer.from(KEY_RAW.toString('hex').toUpperCase()),
  'gossip key (raw bytes)': KEY_RAW,
  'gossip key (raw, latin1 text)': Buffer.from(KEY_RAW.toString('latin1'), 'utf8'),
  'agent token': Buffer.from(TOKEN),
  'agent token (base64)': Buffer.from(Buffer.from(TOKEN).toString('base64')),
  'agent token (hex)': Buffer.from(Buffer.from(TOKEN).toString('hex')),
};

/** Names the secrets found in `data` (empty when clean). */
export function leaks(data: Buffer | string): string[] {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Object.entries(NEEDLES)
    .filter(([, needle]) => buf.includes(needle))
    .map(([name]) => name);
}

class Capture extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

const logs = new Capture();
const log: Logger = createLogger({ level: 'debug', format: 'json' }, logs);
const textLogs = new Capture();
const textLog: Logger = createLogger({ level: 'debug', format: 'text' }, textLogs);
const dirs: string[] = [];
let backends: { list: TestBackend[]; close(): Promise<void> };
let ow: RunningOverwatch;
const agents: RunningAgent[] = [];
/** Everything the API, metrics and CLI answered, with where it came from. */
const answers: { where: string; body: Buffer }[] = [];

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'opengslb-secrets-'));
  dirs.push(d);
  return d;
}

function overwatchText(dataDir: string): string {
  return `mode: overwatch
identity: { node_id: ow-secrets, region: us }
dns: { listen_address: "127.0.0.1:0", zones: [gslb.test], default_ttl: 5 }
data_dir: ${dataDir}
dnssec: { enabled: true }
agent_tokens: { ${SERVICE}: "${TOKEN}" }
gossip: { bind_address: "127.0.0.1:0", encryption_key: "${KEY}", probe_interval: 200ms, probe_timeout: 100ms, gossip_interval: 50ms }
validation: { enabled: true, check_interval: 1s, check_timeout: 300ms }
api: { address: "127.0.0.1:0", allowed_networks: [127.0.0.0/8] }
metrics: { address: "127.0.0.1:0" }
logging: { level: debug }
`;
}

function agentText(gossipPort: number, opts: { token?: string; key?: string } = {}): string {
  const list = backends.list
    .map((b) => `  - { service: ${SERVICE}, address: ${b.address}, port: ${b.port}, health_check: { type: http, path: /health, interval: 1s, timeout: 300ms, failure_threshold: 1, success_threshold: 1 } }`)
    .join('\n');
  return `mode: agent
identity: { service_token: "${opts.token ?? TOKEN}", region: us }
data_dir: ${tempDir()}
gossip: { encryption_key: "${opts.key ?? KEY}", bind_address: "127.0.0.1:0", overwatch_nodes: ["127.0.0.1:${gossipPort}"], probe_interval: 200ms, probe_timeout: 100ms, gossip_interval: 50ms }
heartbeat: { interval: 1s, missed_threshold: 3 }
metrics: { address: "127.0.0.1:0" }
logging: { level: debug }
backends:
${list}
`;
}

async function metricsOf(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const body = Buffer.from(await res.arrayBuffer());
  answers.push({ where: `metrics :${port}`, body });
  return body.toString('utf8');
}

/** GET/POST... on the running API over a real socket; streams (SSE) are read for 300 ms. */
async function call(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${ow.api!.port}${url}`, {
    method,
    body,
    headers: body !== undefined ? { 'content-type': 'application/json', ...headers } : headers,
    signal: AbortSignal.timeout(5000),
  });
  const chunks: Buffer[] = [];
  if (res.headers.get('content-type')?.includes('text/event-stream')) {
    const reader = res.body!.getReader();
    const stop = setTimeout(() => void reader.cancel(), 300);
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) break;
      chunks.push(Buffer.from(value));
    }
    clearTimeout(stop);
  } else chunks.push(Buffer.from(await res.arrayBuffer()));
  answers.push({ where: `${method} ${url} -> ${res.status}`, body: Buffer.concat([Buffer.from(JSON.stringify([...res.headers])), ...chunks]) });
  return res.status;
}

before(async () => {
  backends = await startBackends(['127.0.0.61', '127.0.0.62']);
  ow = await startOverwatchProcess(parseConfigText(overwatchText(path.join(tempDir(), 'data')), { sourcePath: '' }), log);
  const port = ow.overwatch.gossipPort!;
  agents.push(await startAgentProcess(parseConfigText(agentText(port), { sourcePath: '' }), log));
  agents.push(await startAgentProcess(parseConfigText(agentText(port, { token: `wrong-token-${randomBytes(12).toString('hex')}` }), { sourcePath: '' }), textLog));
  agents.push(await startAgentProcess(parseConfigText(agentText(port, { key: randomBytes(32).toString('base64') }), { sourcePath: '' }), log));
  await eventually(async () => {
    assert.equal(ow.overwatch.control.backends().filter((b) => b.source === 'agent').length, 2);
    const m = await metricsOf(ow.overwatch.metricsPort!);
    assert.match(m, /opengslb_overwatch_agent_auth_failures_total\{reason="bad_token"\} [1-9]/);
    assert.match(m, /opengslb_gossip_decryption_failures_total [1-9]/);
  }, 15_000);
});

after(async () => {
  for (const a of agents) await a.close();
  await ow?.close();
  await backends?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('no log line, API response or metric carries the gossip key or an agent token', async () => {
  const agentId = agents[0]!.agent.identity.agentId;
  const backend = backends.list[0]!;
  const fill = (p: string): string =>
    p
      .replace('{service}', SERVICE)
      .replace('{address}', backend.address)
      .replace('{port}', String(backend.port))
      .replace('{id}', p.includes('agents') ? agentId : encodeURIComponent(`${SERVICE}:${backend.address}:${backend.port}`))
      .replace('{name}', p.includes('regions') ? 'us' : SERVICE);
  assert.equal(await call('GET', '/api/v1/openapi.json'), 200);
  const doc = JSON.parse(answers.at(-1)!.body.toString('utf8').slice(answers.at(-1)!.body.indexOf('{"openapi"'))) as { paths: Record<string, Record<string, unknown>> };
  const writes: [string, string][] = [];
  for (const [p, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) {
      if (method === 'get') await call('GET', fill(p));
      else if (!p.includes('revoke') && !(method === 'delete' && p.includes('agents'))) writes.push([method.toUpperCase(), fill(p)]);
    }
  }
  const bodies = [
    JSON.stringify({ healthy: false, reason: 'secrets test', service: SERVICE, address: backend.address, port: backend.port, name: SERVICE, region: 'us', weight: 10 }),
    JSON.stringify({ overrides: [{ service: SERVICE, address: backend.address, healthy: true, reason: 'bulk' }] }),
    `{"healthy": tru`,
    JSON.stringify({ healthy: 'maybe', weight: -1, overrides: 'x' }),
  ];
  for (const [method, url] of writes) for (const body of bodies) await call(method, url, method === 'DELETE' ? undefined : body);
  await call('GET', '/api/v1/nope');
  await call('PATCH', '/api/v1/live');
  await call('GET', '/api/v1/backends', undefined, { authorization: `Bearer ${TOKEN}`, 'x-user': 'alice' });
  const refused = await ow.api!.app.inject({ method: 'GET', url: '/api/v1/backends', remoteAddress: '10.9.9.9' });
  assert.equal(refused.statusCode, 403);
  answers.push({ where: 'GET /api/v1/backends from 10.9.9.9', body: refused.rawPayload });
  for (const a of agents) if (a.metricsPort) await metricsOf(a.metricsPort);
  await metricsOf(ow.overwatch.metricsPort!);

  assert.ok(answers.length > 60, `only ${answers.length} answers collected`);
  for (const a of answers) assert.deepEqual(leaks(a.body), [], `${a.where} leaks a secret`);
  const lines = logs.text.split('\n').filter(Boolean);
  assert.ok(lines.some((l) => l.includes('"level":20')), 'debug lines were captured');
  assert.ok(lines.length > 50, `only ${lines.length} log lines`);
  for (const l of [...lines, ...textLogs.text.split('\n')]) assert.deepEqual(leaks(l), [], `log line leaks a secret: ${l.slice(0, 300)}`);
  assert.deepEqual(leaks(Buffer.concat([...logs.chunks, ...textLogs.chunks])), []);
});

/** Configurations that are refused, each next to a secret; the message must name the problem only. */
const BAD_CONFIGS: Record<string, string> = {
  'key one byte short': overwatchLike(`gossip: { bind_address: "127.0.0.1:0", encryption_key: "${KEY_RAW.subarray(0, 31).toString('base64')}" }`),
  'key with junk appended': overwatchLike(`gossip: { bind_address: "127.0.0.1:0", encryption_key: "${KEY}!!" }`),
  'token too short next to a good one': overwatchLike(`agent_tokens: { ${SERVICE}: "${TOKEN}", other.gslb.test: "short" }`),
  // An indented first line makes the rest of the document a stream of unexpected tokens (found by npm run fuzz).
  'YAML syntax error before the secrets': `    success_threshold: 2\nmode: overwatch\ngossip:\n  encryption_key: "${KEY}"\nagent_tokens:\n  ${SERVICE}: "${TOKEN}"\n`,
  'YAML syntax error on the token line': `mode: overwatch\nagent_tokens:\n  ${SERVICE}: "${TOKEN}" "${TOKEN}"\n`,
  'a key as an unknown key': overwatchLike(`gossip: { bind_address: "127.0.0.1:0", encryption_key: "${KEY}", encryption_kee: "${KEY}" }`),
  'an agent with a wrong key length': `mode: agent\nidentity: { service_token: "${TOKEN}", region: us }\ngossip: { encryption_key: "${KEY}AAAA", overwatch_nodes: ["127.0.0.1:7946"] }\nbackends: [{ service: ${SERVICE}, address: 127.0.0.1, port: 80 }]\n`,
  'a token under ${ENV} that is unset next to the real one': overwatchLike(`agent_tokens: { ${SERVICE}: "${TOKEN}", b.gslb.test: "\${UNSET_SECRET_VAR}" }`),
};

function overwatchLike(line: string): string {
  return `mode: overwatch\ndns: { listen_address: "127.0.0.1:0", zones: [gslb.test] }\ndnssec: { enabled: true }\n${line}\n`;
}

test('configuration errors name the key and the problem, never the secret value', () => {
  for (const [name, text] of Object.entries(BAD_CONFIGS)) {
    let message = '';
    try {
      parseConfigText(text, { sourcePath: '/etc/opengslb/x.yaml', env: {}, hostname: 'h' });
    } catch (err) {
      message = (err as Error).message;
    }
    assert.notEqual(message, '', `${name}: expected a ConfigError`);
    assert.deepEqual(leaks(message), [], `${name}: ${message}`);
  }
});

test('a rejected reload says why without the secrets of either configuration', () => {
  let message = '';
  try {
    ow.reload(parseConfigText(`${overwatchText('/nonexistent')}dns: { zones: [] }\n`, { sourcePath: '', env: {} }));
  } catch (err) {
    message = (err as Error).message;
  }
  assert.notEqual(message, '');
  assert.deepEqual(leaks(message), [], message);
});

test('`opengslb validate` on a bad file prints the problems without the secrets', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'overwatch.yaml');
  writeFileSync(file, BAD_CONFIGS['YAML syntax error before the secrets']! + BAD_CONFIGS['key with junk appended']!.split('\n').slice(3).join('\n'));
  chmodSync(file, 0o600);
  const out = await execFileAsync(BIN, ['validate', '--config', file]).then(
    (r) => ({ code: 0, text: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, text: e.stdout + e.stderr }),
  );
  assert.equal(out.code, 1, out.text);
  assert.match(out.text, /invalid YAML|encryption_key/);
  assert.deepEqual(leaks(out.text), [], out.text);
});

test('a key or token written as the wrong kind of YAML node, or without the space after its colon, is not echoed back', () => {
  for (const text of [
    overwatchLike(`gossip: { bind_address: "127.0.0.1:0", encryption_keys: "${KEY}" }`),
    overwatchLike(`agent_tokens: "${SERVICE}: ${TOKEN}"`),
    // `key:"value"` (no space) is one plain scalar in YAML: an unknown key, or a map that is a string
    `mode: overwatch\ngossip:\n  bind_address: "127.0.0.1:0"\n  encryption_key:"${KEY}"\n  probe_interval: 1s\n`,
    `mode: overwatch\ngossip:\n  encryption_key:"${KEY}"\n`,
    `mode: agent\nidentity:\n  service_token:${TOKEN}\n  region: us\n`,
  ]) {
    let message = '';
    try {
      parseConfigText(text, { sourcePath: '', env: {}, hostname: 'h' });
    } catch (err) {
      message = (err as Error).message;
    }
    assert.notEqual(message, '');
    assert.deepEqual(leaks(message), [], message);
  }
});
