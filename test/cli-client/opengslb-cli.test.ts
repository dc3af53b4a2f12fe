import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '../support/backend-servers.ts';
import { dig } from '../support/dns-client.ts';
import { ACK, freePort, SERVICE, startLiveOverwatch, type LiveOverwatch } from './live-overwatch.ts';
import { cli, cliBin } from './run-cli.ts';

const execFileAsync = promisify(execFile);
const ADDRESSES = ['127.0.0.51', '127.0.0.52', '127.0.0.53'];
let ow: LiveOverwatch;
let tmp: string;

before(async () => {
  ow = await startLiveOverwatch({ addresses: ADDRESSES });
  tmp = mkdtempSync(path.join(tmpdir(), 'opengslb-cli-files-'));
});
after(async () => {
  await ow.close();
  rmSync(tmp, { recursive: true, force: true });
});

const api = () => ['--api', ow.api];

async function served(): Promise<string[]> {
  const out = await dig(ow.dnsPort, ['+short', SERVICE, 'A']);
  return out.trim().split('\n').filter(Boolean).sort();
}

async function apiJson(p: string): Promise<Record<string, unknown>> {
  return (await (await fetch(ow.api + p)).json()) as Record<string, unknown>;
}

function withoutTime(v: Record<string, unknown>): Record<string, unknown> {
  const { generated_at: _g, ...rest } = v;
  return rest;
}

/** Header and rows of an aligned table: every column starts at the same offset on every line. */
function columnStarts(table: string): number[][] {
  return table
    .trimEnd()
    .split('\n')
    .map((line) => [...line.matchAll(/(?:^|(?<=  ))(\S)/g)].map((m) => m.index));
}

test('status reports readiness and counts from /ready and /overwatch/stats and exits 0', async () => {
  const r = await cli([...api(), 'status']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Overwatch\s+ready$/m);
  assert.match(r.stdout, /^Backends\s+3 total, 3 healthy, 0 unhealthy, 0 stale, 3 serving$/m);
  assert.match(r.stdout, /^Services\s+app\.gslb\.test \(3\)$/m);
  assert.equal(r.stderr, '');
});

test('status --json prints both API bodies as returned', async () => {
  const r = await cli([...api(), '--json', 'status']);
  assert.equal(r.code, 0);
  const body = JSON.parse(r.stdout) as { ready: Record<string, unknown>; stats: Record<string, unknown> };
  assert.deepEqual(body.ready, await apiJson('/api/v1/ready'));
  assert.deepEqual(withoutTime(body.stats), withoutTime(await apiJson('/api/v1/overwatch/stats')));
});

test('backends list prints an aligned table with the deciding authority, without colour when not a terminal', async () => {
  const r = await cli([...api(), 'backends', 'list']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^SERVICE\s+BACKEND\s+REGION\s+SOURCE\s+STATUS\s+SERVING\s+AUTHORITY\s+CHECK\s+OVERRIDE$/);
  assert.equal(lines.length, 4);
  for (const a of ADDRESSES) assert.ok(lines.some((l) => l.includes(`${a}:`) && /\bhealthy\s+yes\s+validation\b/.test(l)), `${a} in\n${r.stdout}`);
  const starts = columnStarts(r.stdout);
  for (const row of starts.slice(1)) assert.deepEqual(row.slice(0, 7), starts[0]!.slice(0, 7));
  assert.doesNotMatch(r.stdout, /\x1b\[/);
});

test('colour appears only on a terminal and NO_COLOR turns it off', async () => {
  const tty = await cli([...api(), 'backends', 'list'], { isTty: true });
  assert.match(tty.stdout, /\x1b\[32mhealthy\x1b\[39m/);
  const noColour = await cli([...api(), 'backends', 'list'], { isTty: true, env: { NO_COLOR: '1' } });
  assert.doesNotMatch(noColour.stdout, /\x1b\[/);
  const json = await cli([...api(), '--json', 'backends', 'list'], { isTty: true });
  assert.doesNotMatch(json.stdout, /\x1b\[/);
});

test('--json prints the API body exactly (backends list, servers list)', async () => {
  const r = await cli([...api(), '--json', 'backends', 'list']);
  assert.equal(r.code, 0);
  assert.ok(r.stdout.endsWith('}\n'));
  assert.equal(r.stdout.trim().split('\n').length, 1, 'the compact body as sent, one line');
  assert.deepEqual(withoutTime(JSON.parse(r.stdout) as Record<string, unknown>), withoutTime(await apiJson('/api/v1/backends')));
  const s = await cli([...api(), '--json', 'servers', 'list', '--service', SERVICE]);
  assert.deepEqual(withoutTime(JSON.parse(s.stdout) as Record<string, unknown>), withoutTime(await apiJson(`/api/v1/overwatch/backends?service=${SERVICE}`)));
});

test('OPENGSLB_API is used when --api is not given; --api wins over it', async () => {
  const viaEnv = await cli(['status'], { env: { OPENGSLB_API: ow.api } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  const port = await freePort();
  const flagWins = await cli(['--api', `http://127.0.0.1:${port}`, 'status'], { env: { OPENGSLB_API: ow.api } });
  assert.equal(flagWins.code, 2);
});

test('overrides set takes a backend out of DNS, is listed, and clear brings it back', async () => {
  const target = ADDRESSES[0]!;
  const set = await cli([...api(), 'overrides', 'set', SERVICE, target, '--healthy=false', '--reason', 'maintenance window', '--user', 'alice']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /override set: app\.gslb\.test 127\.0\.0\.51 marked unhealthy \(maintenance window\)/);
  await eventually(async () => assert.deepEqual(await served(), ADDRESSES.slice(1)), 3000);

  const list = await cli([...api(), 'overrides', 'list']);
  assert.match(list.stdout, /^app\.gslb\.test\s+127\.0\.0\.51\s+all\s+unhealthy\s+maintenance window\s+api\s+alice\s+\d+s$/m);
  const backends = await cli([...api(), 'backends', 'list']);
  assert.match(backends.stdout, /127\.0\.0\.51:\d+\s+us\s+static\s+unhealthy\s+no\s+override\b.*unhealthy \(maintenance window\)/);

  const clear = await cli([...api(), 'overrides', 'clear', SERVICE, target]);
  assert.equal(clear.code, 0, clear.stderr);
  await eventually(async () => assert.deepEqual(await served(), ADDRESSES), 3000);
  assert.equal((await cli([...api(), 'overrides', 'list'])).stdout, 'no overrides\n');
});

test('an API error exits 1 with the API message; --unhealthy and --port are passed through', async () => {
  const missing = await cli([...api(), 'overrides', 'clear', SERVICE, '127.0.0.99']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, '');
  assert.equal(missing.stderr, 'opengslb-cli: DELETE /api/v1/overrides/app.gslb.test/127.0.0.99: 404 override not found\n');

  const port = ow.backends[1]!.port;
  const set = await cli([...api(), '--json', 'overrides', 'set', SERVICE, ADDRESSES[1]!, '--unhealthy', '--port', String(port)]);
  assert.equal(set.code, 0, set.stderr);
  assert.equal((JSON.parse(set.stdout) as { port: number }).port, port);
  assert.equal((await cli([...api(), 'overrides', 'clear', SERVICE, ADDRESSES[1]!, '--port', String(port)])).code, 0);
});

test('usage errors exit 1 and say what is wrong', async () => {
  const noHealth = await cli([...api(), 'overrides', 'set', SERVICE, ADDRESSES[0]!]);
  assert.equal(noHealth.code, 1);
  assert.match(noHealth.stderr, /give --healthy/);
  const unknown = await cli([...api(), 'bogus']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown command 'bogus'/);
  const badTimeout = await cli(['--timeout', 'soon', 'status']);
  assert.equal(badTimeout.code, 1);
  assert.match(badTimeout.stderr, /--timeout: expected seconds/);
  const badStatus = await cli([...api(), 'servers', 'list', '--status', 'sick']);
  assert.equal(badStatus.code, 1);
  assert.match(badStatus.stderr, /--status: expected one of healthy, unhealthy, stale, draining, unknown, got "sick"/);
  const badApi = await cli(['--api', 'ftp://x', 'status']);
  assert.equal(badApi.code, 1);
  assert.match(badApi.stderr, /--api: expected an http/);
  assert.equal((await cli(['--version'])).code, 0);
  assert.equal((await cli(['--help'])).code, 0);
});

test('the launcher exits 2 naming the address when nothing listens there', async () => {
  const port = await freePort();
  const r = await cliBin(['--api', `http://127.0.0.1:${port}`, 'status']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `opengslb-cli: cannot connect to the Overwatch API at http://127.0.0.1:${port}: connection refused (ECONNREFUSED)\n`);
});

test('the launcher runs commands against the Overwatch and exits 0 / 1 like runCli', async () => {
  const ok = await cliBin(['--api', ow.api, 'servers', 'list']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^SERVICE\s+ADDRESS\s+PORT\s+WEIGHT\s+REGION\s+STATUS/);
  const apiError = await cliBin(['servers', 'delete', `${SERVICE}:127.0.0.99:80`], { OPENGSLB_API: ow.api });
  assert.equal(apiError.code, 1);
  assert.match(apiError.stderr, /^opengslb-cli: DELETE \/api\/v1\/servers\/app\.gslb\.test%3A127\.0\.0\.99%3A80: 404 server not found: app\.gslb\.test:127\.0\.0\.99:80\n$/);
});

test('servers list filters by status; a failing backend shows unhealthy with its check error', async (t) => {
  const b = ow.backends[2]!;
  b.healthy = false;
  t.after(() => (b.healthy = true));
  await eventually(async () => {
    const r = await cli([...api(), 'servers', 'list', '--status', 'unhealthy']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /127\.0\.0\.53\s+\d+\s+100\s+us\s+unhealthy\s+-\s+-\s+fail: HTTP 503/);
    assert.doesNotMatch(r.stdout, /127\.0\.0\.51/);
  }, 4000);
  b.healthy = true;
  await eventually(async () => assert.equal((await cli([...api(), 'servers', 'list', '--status', 'unhealthy'])).stdout, 'no backends\n'), 4000);
});

test('servers create, update and delete an API-managed server; a config server refuses with the API message', async () => {
  const port = ow.backends[0]!.port;
  const create = await cli([...api(), 'servers', 'create', '--service', SERVICE, '--address', '127.0.0.51', '--port', String(port + 0), '--region', 'eu', '--weight', '50']);
  // same address and port as a config server: the API refuses (conflict), exit 1
  assert.equal(create.code, 1);
  assert.match(create.stderr, /^opengslb-cli: POST \/api\/v1\/servers: 409 /);

  const extra = await startExtraBackend();
  try {
    const made = await cli([...api(), 'servers', 'create', '--service', SERVICE, '--address', extra.address, '--port', String(extra.port), '--region', 'eu', '--weight', '50']);
    assert.equal(made.code, 0, made.stderr);
    const id = `${SERVICE}:${extra.address}:${extra.port}`;
    assert.match(made.stdout, new RegExp(`^created server ${id.replaceAll('.', '\\.')} \\(weight 50, region eu, `));
    const upd = await cli([...api(), 'servers', 'update', id, '--weight', '70']);
    assert.equal(upd.code, 0, upd.stderr);
    assert.match(upd.stdout, /weight 70, region eu/);
    const del = await cli([...api(), 'servers', 'delete', id]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout, `deleted server ${id}\n`);
  } finally {
    await extra.close();
  }
  const cfg = await cli([...api(), 'servers', 'update', `${SERVICE}:127.0.0.51:${port}`, '--weight', '5']);
  assert.equal(cfg.code, 1);
  assert.match(cfg.stderr, /409 .*configuration file/);
  const nothing = await cli([...api(), 'servers', 'update', `${SERVICE}:127.0.0.51:${port}`]);
  assert.equal(nothing.code, 1);
  assert.match(nothing.stderr, /give --weight and\/or --region/);
});

async function startExtraBackend(): Promise<{ address: string; port: number; close(): Promise<void> }> {
  const { startBackends } = await import('../support/backend-servers.ts');
  const b = await startBackends(['127.0.0.54']);
  return { address: b.list[0]!.address, port: b.list[0]!.port, close: () => b.close() };
}

test('agents list shows the pinned agents (none yet); revoke and forget of an unknown agent exit 1 with the API message', async () => {
  const list = await cli([...api(), 'agents', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout, 'no pinned agents\n');
  assert.equal(list.stderr, '');
  const json = await cli([...api(), '--json', 'agents', 'list']);
  assert.equal((JSON.parse(json.stdout) as { total: number }).total, 0);
  const revoke = await cli([...api(), 'agents', 'revoke', 'agent-1', '--reason', 'decommissioned']);
  assert.equal(revoke.code, 1);
  assert.match(revoke.stderr, /^opengslb-cli: POST \/api\/v1\/overwatch\/agents\/agent-1\/revoke: 404 .*agent-1/);
  const forget = await cli([...api(), 'agents', 'forget', 'agent-1']);
  assert.equal(forget.code, 1);
  assert.match(forget.stderr, /^opengslb-cli: DELETE \/api\/v1\/overwatch\/agents\/agent-1: 404 /);
});

test('agents list falls back to heartbeat-known agents where an Overwatch has no pinned-agent API', async (t) => {
  // an older Overwatch: /overwatch/agents answers 503 as the original's did; /cluster/status lists agents
  const old = http.createServer((req, res) => {
    if (req.url === '/api/v1/overwatch/agents') return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"agent auth not configured","code":503}');
    if (req.url === '/api/v1/cluster/status') {
      const agents = [{ agent_id: 'web-1', region: 'us', status: 'stale', last_seen: new Date(Date.now() - 95_000).toISOString(), backend_count: 2 }];
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ agents }));
    }
    res.writeHead(404).end();
  });
  old.listen(0, '127.0.0.1');
  await once(old, 'listening');
  t.after(() => new Promise((r) => old.close(r)));
  const r = await cli(['--api', `http://127.0.0.1:${(old.address() as { port: number }).port}`, 'agents', 'list']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, 'note: GET /api/v1/overwatch/agents: 503 agent auth not configured; showing agents seen by heartbeat (GET /api/v1/cluster/status)\n');
  assert.match(r.stdout, /^AGENT\s+REGION\s+STATUS\s+HEARTBEAT AGE\s+BACKENDS\nweb-1\s+us\s+stale\s+1m3[45]s\s+2\n$/);
});

test('dnssec and geo commands call the documented paths and report a missing or disabled feature cleanly', async () => {
  for (const args of [['dnssec', 'ds', '--zone', 'gslb.test'], ['dnssec', 'status'], ['dnssec', 'sync']]) {
    const r = await cli([...api(), ...args]);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, /^opengslb-cli: GET \/api\/v1\/dnssec\/(ds|status|sync\/status): 404 .+\n$/);
    assert.doesNotMatch(r.stderr, /\n./);
  }
  // The geolocation API exists (issue 7): the commands work end to end, and refusals are reported.
  const geo = await cli([...api(), 'geo', 'test', '192.0.2.1']);
  assert.equal(geo.code, 0, geo.stderr);
  assert.match(geo.stdout, /192\.0\.2\.1/);
  const add = await cli([...api(), 'geo', 'add', '10.0.0.0/8', 'us', '--comment', 'corp']);
  assert.equal(add.code, 0, add.stderr);
  const mappings = await cli([...api(), 'geo', 'mappings']);
  assert.match(mappings.stdout, /10\.0\.0\.0\/8.*us.*api.*corp/);
  const removed = await cli([...api(), 'geo', 'remove', '10.0.0.0/8']);
  assert.equal(removed.code, 0, removed.stderr);
  const refused = await cli([...api(), 'geo', 'add', '10.0.0.0/8', 'nowhere']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /PUT \/api\/v1\/geo\/mappings: 400 region "nowhere" does not exist/);
});

test('dnssec ds, status and sync read a signing Overwatch: the DS record in zone-file form, keys, sync state', async (t) => {
  const signed = await startLiveOverwatch({ addresses: ['127.0.0.55'], dnssec: true });
  t.after(() => signed.close());
  const sapi = ['--api', signed.api];
  const ds = await cli([...sapi, 'dnssec', 'ds']);
  assert.equal(ds.code, 0, ds.stderr);
  assert.match(ds.stdout, /^ZONE\s+KEY TAG\s+ALGORITHM\s+DIGEST TYPE\s+DS RECORD\ngslb\.test\s+\d+\s+13\s+2\s+gslb\.test\. IN DS \d+ 13 2 [0-9A-F]{64}\n$/);
  const records = await cli([...sapi, 'dnssec', 'ds', '--zone', 'gslb.test', '--records']);
  assert.match(records.stdout, /^gslb\.test\. IN DS \d+ 13 2 [0-9A-F]{64}\n$/);
  const wrongZone = await cli([...sapi, 'dnssec', 'ds', '--zone', 'other.test']);
  assert.equal(wrongZone.code, 1);
  assert.match(wrongZone.stderr, /^opengslb-cli: GET \/api\/v1\/dnssec\/ds: 404 /);
  const status = await cli([...sapi, 'dnssec', 'status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^Algorithm\s+ECDSAP256SHA256$/m);
  assert.match(status.stdout, /^gslb\.test\s+\d+\s+257\s+ksk\s+active\s+yes\s+local\s+\d+s\s+\d+\s+in /m);
  const sync = await cli([...sapi, 'dnssec', 'sync']);
  assert.equal(sync.code, 0, sync.stderr);
  assert.match(sync.stdout, /^Key sync\s+disabled \(no dnssec\.key_sync\.peers configured\)$/m);
  const json = await cli([...sapi, '--json', 'dnssec', 'status']);
  assert.equal((JSON.parse(json.stdout) as { algorithm: string }).algorithm, 'ECDSAP256SHA256');
});

test('domains lists served names from the API, or from a config file with -c', async () => {
  const live = await cli([...api(), 'domains']);
  assert.equal(live.code, 0, live.stderr);
  assert.match(live.stdout, /^NAME\s+ROUTING\s+TTL\s+REGIONS\s+BACKENDS\s+HEALTHY\s+SOURCE\napp\.gslb\.test\s+round-robin\s+5\s+us\s+3\s+3\s+config\n$/);
  const file = writeConfig('domains.yaml', validConfig());
  const local = await cli(['domains', '-c', file]);
  assert.equal(local.code, 0, local.stderr);
  assert.match(local.stdout, /^www\.example\.test\s+failover\s+30\s+eu,us\s+8$/m);
});

function writeConfig(name: string, text: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  chmodSync(p, 0o600);
  return p;
}

function validConfig(): string {
  return `mode: overwatch
dns: { listen_address: "127.0.0.1:0", zones: [example.test] }
data_dir: ${path.join(tmp, 'data')}
dnssec: { enabled: false, security_acknowledgment: "${ACK}" }
agent_tokens: { web: "a-token-that-is-long-enough-0123456789" }
regions:
  - { name: eu, servers: [{ address: 192.0.2.1, port: 80, service: www.example.test }] }
  - { name: us, servers: [{ address: 192.0.2.2, port: 80, service: www.example.test }] }
domains:
  - { name: www.example.test, routing_algorithm: failover, regions: [eu, us], ttl: 30 }
`;
}

test('config validate runs the real validation: exit 0 with a summary, exit 1 listing each problem', async () => {
  const good = await cli(['config', 'validate', '-c', writeConfig('good.yaml', validConfig())]);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /good\.yaml: valid \(mode overwatch, 1 zone\(s\), 1 domain\(s\), 2 region\(s\), 2 server\(s\), 1 agent token\(s\), DNSSEC off\)/);
  const bad = await cli(['config', 'validate', '-c', writeConfig('bad.yaml', validConfig().replace('ttl: 30', 'ttl: -3').replace('port: 80, service: www', 'port: 99999, service: www'))]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /bad\.yaml:\d+: .*ttl/);
  assert.match(bad.stderr, /bad\.yaml:\d+: .*port/);
  const missing = await cli(['config', 'validate']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /required option '-c, --config <file>' not specified/);
  const json = await cli(['--json', 'config', 'validate', '-c', writeConfig('good2.yaml', validConfig())]);
  assert.equal((JSON.parse(json.stdout) as { valid: boolean; agent_tokens: number }).agent_tokens, 1);
});

test('watch prints a frame from the event stream and a new one when a backend fails', async (t) => {
  const stop = new AbortController();
  t.after(() => stop.abort());
  const b = ow.backends[1]!;
  // Runs until aborted: other frames (the DNS rate's first sample) may come before the failure's.
  const run = cli([...api(), 'watch'], { signal: stop.signal });
  await new Promise((r) => setTimeout(r, 300));
  b.healthy = false;
  t.after(() => (b.healthy = true));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`${ow.api}/api/v1/backends`);
    const list = ((await res.json()) as { backends: { address: string; healthy: boolean }[] }).backends;
    if (list.some((x) => x.address === '127.0.0.52' && !x.healthy) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1500)); // the hub pushes at most once a second
  stop.abort();
  const r = await run;
  b.healthy = true;
  assert.equal(r.code, 0, r.stderr);
  const frames = r.stdout.split(/\n(?=OpenGSLB )/);
  assert.ok(frames.length >= 2, r.stdout);
  assert.match(frames[0]!, /^OpenGSLB ow-test\s+v\S+\s+ready\s+up \d+s/);
  assert.doesNotMatch(frames[0]!, /unhealthy\s+no/);
  assert.ok(
    frames.slice(1).some((f) => /127\.0\.0\.52:\d+\s+us\s+static\s+unhealthy\s+no\s+validation/.test(f)),
    r.stdout,
  );
});

test('watch --json prints one state per line; Ctrl-C (the abort signal) ends it with exit 0', async () => {
  const stop = new AbortController();
  const run = cli([...api(), '--json', 'watch'], { signal: stop.signal });
  await new Promise((r) => setTimeout(r, 700));
  stop.abort();
  const r = await run;
  assert.equal(r.code, 0, r.stderr);
  const first = JSON.parse(r.stdout.split('\n')[0]!) as { overwatch: { node_id: string }; backends: unknown[] };
  assert.equal(first.overwatch.node_id, 'ow-test');
  assert.equal(first.backends.length, 3);
});

test('watch --poll polls the backends when asked (or when the Overwatch has no event stream)', async () => {
  const r = await cli([...api(), 'watch', '--poll', '--count', '2', '--interval', '0.2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.match(/^OpenGSLB /gm)?.length, 2);
  assert.match(r.stdout, /polling/);
});

test('completion scripts are generated from the command tree; the bash one is valid bash', async () => {
  const bash = await cli(['completion', 'bash']);
  assert.equal(bash.code, 0);
  assert.match(bash.stdout, /"overrides"\) words="list set clear /);
  assert.match(bash.stdout, /complete -o default -F _opengslb_cli opengslb-cli/);
  const file = path.join(tmp, 'completion.bash');
  writeFileSync(file, bash.stdout);
  await execFileAsync('bash', ['-n', file]);
  // the function completes sub-commands of a sub-command
  const { stdout } = await execFileAsync('bash', ['-c', `source ${file}; COMP_WORDS=(opengslb-cli servers cr); COMP_CWORD=2; _opengslb_cli; echo "\${COMPREPLY[@]}"`]);
  assert.equal(stdout.trim(), 'create');
  for (const shell of ['zsh', 'fish', 'powershell']) {
    const r = await cli(['completion', shell]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /opengslb-cli/);
  }
  assert.equal((await cli(['completion', 'tcsh'])).code, 1);
});
