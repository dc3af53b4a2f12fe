/**
 * npm run bench:dns [-- --quick] [--profile] [--secs=5] [--reps=3] [--only=REGEX] [--ours=DIR] [--ours-b=DIR]
 *   [--udp-io=auto|native|js] [--ours-b-udp-io=auto|native|js] [--nice=N] [--out=DIR]
 *   [--workers=N] [--ours-b-workers=N] [--ours-cpus=LIST|all] [--dnsperf-cpus=LIST|all]
 *
 * OpenGSLB's DNS data plane side by side with gdnsd (C), PowerDNS with LUA records (the original's
 * kind of dynamic answers: `ifportup` / `pickwrandom`, health-checked) and the floor of Node's own
 * UDP path (`node-floor.mjs --mode=patch`), in one run, on the same zone shape (../shared/reference):
 * each server pinned to CPU 0, dnsperf pinned to CPU 1 (run-dnsperf.sh), 80% A / 20% NXDOMAIN,
 * DO=1 against DO=0, round-robin / weighted / failover with 10, 100 and 1,000 backends per name.
 * Every target is run `reps` times, interleaved (rep r visits the targets in a rotated order), and
 * the median is reported; then one latency pass per target at a capped rate gives p50/p99.
 *
 * Our server is the real `bin/opengslb --config FILE` process (not an in-process DnsServer): its cost
 * per query then includes what a deployment pays (metrics counters, timing histogram, the health
 * scheduler's timers). Static servers are health-checked, so each backend gets a distinct 127.x address
 * and this process listens on every one of them (TCP, one port) for the checks, which run once at
 * start (interval 1h) and so never during a measured run.
 *
 * Everything it starts is stopped by PID at the end, on error, on SIGINT/SIGTERM and at a deadline;
 * all traffic is to 127.x; every dnsperf run stops itself after --secs.
 * Output: a table on stdout and bench/results/<date>-<host>[-quick]/ (table.md, results.json,
 * machine.txt, raw/: every dnsperf output and summary line, server logs and configs, profiles).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessSet, type Started } from './bench-processes.ts';
import { runDnsperf, type DnsperfResult } from './dnsperf-run.ts';
import { probe, waitForAnswer } from './dns-probe.ts';
import { summarizeProfile } from './cpu-profile-summary.ts';
import { backendAddress, backendWeight } from '../overwatch/bench-fleet.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ZONE = 'gslb.example.com';
const ACK = 'I understand that disabling DNSSEC allows DNS spoofing attacks';

// ------------------------------------------------------------------ options
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string, dflt: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const QUICK = flag('quick');
const PROFILE = flag('profile');
const SECS = Number(opt('secs', QUICK ? '2' : '5'));
const REPS = Number(opt('reps', QUICK ? '1' : '3'));
const LAT_SECS = Number(opt('lat-secs', QUICK ? '2' : '3'));
/** The latency pass offers this rate: below every server's saturation here, so p50/p99 is service time, not queueing. */
const LAT_QPS = Number(opt('lat-qps', '10000'));
const ONLY = new RegExp(opt('only', '.'));
const OURS_ROOT = path.resolve(opt('ours', REPO));
/** A second OpenGSLB tree (a changed copy) served beside the first: A/B of a change in one interleaved run. */
const OURS_B_ROOT = opt('ours-b', '') ? path.resolve(opt('ours-b', '')) : '';
const DEADLINE_MIN = Number(opt('deadline-min', '15'));
/** dns.udp_io for ours (and ours-signed, ours-geo) / for ours-b: native vs js in one run. Unset: the tree's default. */
const UDP_IO = opt('udp-io', '');
const OURS_B_UDP_IO = opt('ours-b-udp-io', '');
/** dns.workers for ours / ours-b (1 vs 2 in one run: --ours-b=. --ours-b-workers=2). Unset: the default (1). */
const WORKERS = opt('workers', '');
const OURS_B_WORKERS = opt('ours-b-workers', '');
/** taskset CPU lists for our servers (default 0, as every server) and for dnsperf (default 1); `all` = unpinned. */
const OURS_CPUS = opt('ours-cpus', '0');
const DNSPERF_CPUS = opt('dnsperf-cpus', '1');
/** --nice=-10: run servers and dnsperf at a higher priority, for hosts where other work shares the CPUs. */
const NICE = Number(opt('nice', '0'));
const niced = (cmd: string, args: string[]): [string, string[]] => (NICE === 0 ? [cmd, args] : ['nice', ['-n', String(NICE), cmd, ...args]]);
const REFERENCE = path.resolve(process.env.OPENGSLB_REFERENCE ?? path.join(REPO, '../shared/reference'));
if (!(SECS >= 2 && REPS >= 1)) throw new Error('--secs must be >= 2 and --reps >= 1');

// ------------------------------------------------------------------ scenarios and targets
interface Scenario {
  /** First label of the served name; `app` is the floor's own shape. */
  tag: string;
  policy: 'round-robin' | 'weighted' | 'failover' | 'geolocation';
  backends: number;
  /** geolocation: the ECS subnet the queries carry, mapped (custom_mappings) to the name's "eu" region. */
  ecs?: { cidr: string; hex: string };
}
const SCENARIOS: Scenario[] = [{ tag: 'app', policy: 'round-robin', backends: 3 }];
for (const [t, policy] of [['rr', 'round-robin'], ['w', 'weighted'], ['fo', 'failover']] as const) {
  for (const n of [10, 100, 1000]) SCENARIOS.push({ tag: `${t}${n}`, policy, backends: n });
}
// Geolocation with ECS: half the backends in region "eu" (where the ECS subnet maps), half in "us"
// (default_region). dnsperf sends the option as -E 8:<family 1><source /24><scope 0><3 address bytes>.
const GEO_SCENARIOS: Scenario[] = [
  { tag: 'geo10', policy: 'geolocation', backends: 10, ecs: { cidr: '198.51.100.0/24', hex: '00011800c63364' } },
  { tag: 'geo1000', policy: 'geolocation', backends: 1000, ecs: { cidr: '203.0.113.0/24', hex: '00011800cb0071' } },
];
SCENARIOS.push(...GEO_SCENARIOS);
/** Every name answers at most 3 A records, as the floor and gdnsd do for app: same response size. */
const MAX_ANSWERS = 3;

type ServerKind = 'floor' | 'gdnsd' | 'pdns-lua' | 'pdns-lua-shared' | 'ours' | 'ours-signed' | 'ours-b' | 'ours-geo';
interface Target {
  id: string;
  server: ServerKind;
  tag: string;
  policy: string;
  backends: number;
  dnssecOk: boolean;
}
const allTargets: Target[] = [
  { id: 'floor app DO=0', server: 'floor', tag: 'app', policy: 'static', backends: 3, dnssecOk: false },
  { id: 'floor app DO=1', server: 'floor', tag: 'app', policy: 'static', backends: 3, dnssecOk: true },
  { id: 'gdnsd app DO=0', server: 'gdnsd', tag: 'app', policy: 'static', backends: 3, dnssecOk: false },
  { id: 'gdnsd app DO=1', server: 'gdnsd', tag: 'app', policy: 'static', backends: 3, dnssecOk: true },
  { id: 'gdnsd appw DO=0', server: 'gdnsd', tag: 'appw', policy: 'weighted (plugin)', backends: 3, dnssecOk: false },
  // PowerDNS LUA records: enable-lua-records=yes (a Lua state per evaluation) and =shared (one state).
  { id: 'pdns-lua app DO=0', server: 'pdns-lua', tag: 'app', policy: 'LUA ifportup, all up', backends: 3, dnssecOk: false },
  { id: 'pdns-lua appw DO=0', server: 'pdns-lua', tag: 'appw', policy: 'LUA pickwrandom', backends: 3, dnssecOk: false },
  { id: 'pdns-lua-shared app DO=0', server: 'pdns-lua-shared', tag: 'app', policy: 'LUA ifportup, all up', backends: 3, dnssecOk: false },
  // The same PowerDNS with a plain A RRset: what the LUA evaluation adds.
  { id: 'pdns-lua-shared apps DO=0', server: 'pdns-lua-shared', tag: 'apps', policy: 'static (no LUA)', backends: 3, dnssecOk: false },
  { id: 'ours app DO=0', server: 'ours', tag: 'app', policy: 'round-robin', backends: 3, dnssecOk: false },
  { id: 'ours-signed app DO=0', server: 'ours-signed', tag: 'app', policy: 'round-robin', backends: 3, dnssecOk: false },
  { id: 'ours-signed app DO=1', server: 'ours-signed', tag: 'app', policy: 'round-robin', backends: 3, dnssecOk: true },
  ...SCENARIOS.slice(1)
    .filter((s) => !s.ecs)
    .map((s) => ({ id: `ours ${s.tag} DO=0`, server: 'ours' as const, tag: s.tag, policy: s.policy, backends: s.backends, dnssecOk: false })),
  // A separate instance: a build without geolocation refuses the config, and only these rows are lost.
  ...GEO_SCENARIOS.map((s) => ({ id: `ours ${s.tag} DO=0 ECS`, server: 'ours-geo' as const, tag: s.tag, policy: 'geolocation + ECS', backends: s.backends, dnssecOk: false })),
  ...(OURS_B_ROOT
    ? [
        { id: 'ours-b app DO=0', server: 'ours-b' as const, tag: 'app', policy: 'round-robin', backends: 3, dnssecOk: false },
        { id: 'ours-b w1000 DO=0', server: 'ours-b' as const, tag: 'w1000', policy: 'weighted', backends: 1000, dnssecOk: false },
      ]
    : []),
];
const QUICK_IDS = new Set(['floor app DO=0', 'floor app DO=1', 'gdnsd app DO=0', 'pdns-lua app DO=0', 'ours app DO=0', 'ours-signed app DO=1', 'ours rr1000 DO=0', 'ours w1000 DO=0', 'ours geo1000 DO=0 ECS']);
const targets = allTargets.filter((t) => (!QUICK || QUICK_IDS.has(t.id)) && ONLY.test(t.id));
if (targets.length === 0) throw new Error(`--only=${ONLY.source} matches no target; targets: ${allTargets.map((t) => t.id).join(', ')}`);
const needs = (k: ServerKind) => targets.some((t) => t.server === k);
const oursScenarios = SCENARIOS.filter((s) => targets.some((t) => t.server === 'ours' && t.tag === s.tag));
const geoScenarios = SCENARIOS.filter((s) => targets.some((t) => t.server === 'ours-geo' && t.tag === s.tag));

// ------------------------------------------------------------------ preflight
function requireFile(p: string, why: string): void {
  if (!existsSync(p)) throw new Error(`${why}: ${p} is missing`);
}
requireFile(
  REFERENCE,
  'bench:dns needs the reference set-up (run-dnsperf.sh, node-floor.mjs, gdnsd config, query files) beside the clone as ../shared/reference, or OPENGSLB_REFERENCE=DIR',
);
for (const f of ['run-dnsperf.sh', 'node-floor.mjs', 'servers/gdnsd-1/config', 'servers/gdnsd/zones', 'queries/app-nx.txt']) requireFile(path.join(REFERENCE, f), 'reference set-up incomplete');
for (const tool of ['dnsperf', 'gdnsd', 'taskset', 'bc', 'pgrep']) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`bench:dns needs ${tool} on PATH (apt-get install -y dnsperf gdnsd bc procps util-linux)`);
  }
}
requireFile('/usr/bin/time', 'run-dnsperf.sh needs /usr/bin/time (apt-get install -y time)');
requireFile(path.join(OURS_ROOT, 'bin/opengslb'), '--ours must be an OpenGSLB checkout');
if (OURS_B_ROOT) requireFile(path.join(OURS_B_ROOT, 'bin/opengslb'), '--ours-b must be an OpenGSLB checkout');
const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
if (major < 22 || (major === 22 && minor < 13)) throw new Error(`run with Node >= 22.13 (npm run bench:dns uses the project's Node 24); this is ${process.version}`);
if (os.cpus().length < 2) throw new Error('bench:dns pins the server to CPU 0 and dnsperf to CPU 1: it needs 2 CPUs');

// ------------------------------------------------------------------ output
const date = new Date().toISOString().slice(0, 10);
const host = os.hostname().replace(/[^A-Za-z0-9_.-]/g, '_');
const OUT = path.resolve(opt('out', path.join(REPO, 'bench/results', `${date}-${host}${QUICK ? '-quick' : ''}`)));
const RAW = path.join(OUT, 'raw');
// A re-run replaces what bench:dns wrote, not bench:control's or the micro-benches' files beside it.
for (const f of [RAW, 'table.md', 'results.json', 'machine.txt', 'profile-summary.txt']) rmSync(path.resolve(OUT, f), { recursive: true, force: true });
mkdirSync(path.join(RAW, 'dnsperf'), { recursive: true });
const RUN = mkdtempSync(path.join(os.tmpdir(), 'opengslb-bench-dns-'));
const log = (msg: string) => console.error(`[bench:dns ${new Date().toISOString().slice(11, 19)}] ${msg}`);

// ------------------------------------------------------------------ cleanup
const procs = new ProcessSet();
const checkListeners: net.Server[] = [];
let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  await procs.stopAll();
  await Promise.all(checkListeners.map((s) => new Promise((r) => s.close(r))));
  rmSync(RUN, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping everything this bench started`);
    void cleanup().finally(() => process.exit(130));
  });
}
const deadline = setTimeout(() => {
  log(`deadline of ${DEADLINE_MIN} min reached: stopping`);
  void cleanup().finally(() => process.exit(124));
}, DEADLINE_MIN * 60_000);
deadline.unref();

// ------------------------------------------------------------------ helpers
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = dgram.createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port on 127.0.0.1');
}

/** One TCP listener per backend address, all on one port: the health checks' targets. */
async function listenForChecks(addresses: string[]): Promise<number> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const opened: net.Server[] = [];
    try {
      for (const address of addresses) {
        const s = net.createServer((sock) => sock.destroy());
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.listen(port, address, () => resolve());
        });
        opened.push(s);
      }
      checkListeners.push(...opened);
      return port;
    } catch {
      await Promise.all(opened.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error('could not bind the health-check listeners');
}

function queryFile(tag: string): string {
  const file = path.join(RUN, `queries-${tag}.txt`);
  if (!existsSync(file)) {
    const src = readFileSync(path.join(REFERENCE, 'queries/app-nx.txt'), 'utf8');
    writeFileSync(file, src.replaceAll(`app.${ZONE} `, `${tag}.${ZONE} `));
  }
  return file;
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function sh(cmd: string): string {
  try {
    return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

// ------------------------------------------------------------------ servers
interface RunningServer {
  kind: ServerKind;
  port: number;
  proc: Started;
  /** What the server answered when checked (e.g. whether DO=1 answers carry RRSIGs). */
  notes: string[];
}

async function startFloor(): Promise<RunningServer> {
  const port = await freePort();
  const out = openSync(path.join(RAW, 'floor.log'), 'w');
  const proc = procs.spawn(
    'node-floor',
    ...niced('taskset', ['-c', '0', process.execPath, path.join(REFERENCE, 'node-floor.mjs'), '--mode=patch', `--port=${port}`, `--max-seconds=${DEADLINE_MIN * 60}`]),
    { stdio: ['ignore', out, out] },
  );
  closeSync(out);
  await waitForAnswer(port, `app.${ZONE}`, (a) => a.addresses.length === 3, 10_000, 'node floor');
  return { kind: 'floor', port, proc, notes: [`node-floor.mjs --mode=patch on ${process.version}`] };
}

async function startGdnsd(checkPort: number): Promise<RunningServer> {
  const port = await freePort();
  const dir = path.join(RUN, 'gdnsd');
  mkdirSync(path.join(dir, 'run'), { recursive: true });
  mkdirSync(path.join(dir, 'state'), { recursive: true });
  cpSync(path.join(REFERENCE, 'servers/gdnsd/zones'), path.join(dir, 'zones'), { recursive: true, dereference: true });
  // The reference single-thread config (servers/gdnsd-1/config) with our port, our run/state dirs and
  // our check listener's port; the zone file is the reference's as is.
  const config = readFileSync(path.join(REFERENCE, 'servers/gdnsd-1/config'), 'utf8')
    .replace(/listen => \[[^\]]*\]/, `listen => [ 127.0.0.1:${port} ]`)
    .replace(/run_dir = \S+/, `run_dir = ${dir}/run`)
    .replace(/state_dir = \S+/, `state_dir = ${dir}/state`)
    .replace(/port => \d+/, `port => ${checkPort}`);
  writeFileSync(path.join(dir, 'config'), config);
  writeFileSync(path.join(RAW, 'gdnsd.config'), config);
  const out = openSync(path.join(RAW, 'gdnsd.log'), 'w');
  const proc = procs.spawn('gdnsd', ...niced('taskset', ['-c', '0', 'gdnsd', '-c', dir, 'start']), { stdio: ['ignore', out, out] });
  closeSync(out);
  await waitForAnswer(port, `app.${ZONE}`, (a) => a.addresses.length === 3, 15_000, 'gdnsd');
  const notes = [sh('gdnsd -h 2>&1 | grep -i version | head -1')];
  if (needs('gdnsd') && targets.some((t) => t.tag === 'appw')) {
    // tcp_connect marks the appw backends up after up_thresh (2) intervals of 2 s.
    const w = await waitForAnswer(port, `appw.${ZONE}`, (a) => a.addresses.length >= 1, 15_000, 'gdnsd weighted').catch((e: Error) => e);
    notes.push(w instanceof Error ? `appw not ready: ${w.message}` : `appw answers ${w.addresses.length} A`);
  }
  return { kind: 'gdnsd', port, proc, notes };
}

/** The addresses gdnsd's appw and PowerDNS's LUA records health-check (TCP, checkPort). */
const CHECKED = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];

/**
 * PowerDNS 4 (bind backend, single-threaded like gdnsd-1: one receiver, one distributor) with the
 * reference zone's static records replaced by LUA records: `app` = ifportup over the three checked
 * addresses with selector 'all' (3 A when all are up: the floor's answer size), `appw` =
 * pickwrandom with gdnsd appw's weights. Security polling off: no query leaves the host.
 */
async function startPdns(kind: 'pdns-lua' | 'pdns-lua-shared', checkPort: number): Promise<RunningServer | string> {
  if (sh('command -v pdns_server') === '?' || sh('ls /usr/lib/*/pdns/libbindbackend.so') === '?') {
    return `${kind} not measured: needs PowerDNS with the bind backend (apt-get install -y pdns-server pdns-backend-bind)`;
  }
  const port = await freePort();
  const dir = path.join(RUN, kind);
  mkdirSync(dir, { recursive: true });
  const list = CHECKED.map((a) => `'${a}'`).join(',');
  const zone = [
    `$ORIGIN ${ZONE}.`,
    '$TTL 30',
    `@       IN SOA  ns1.${ZONE}. hostmaster.${ZONE}. 2024112401 3600 600 86400 30`,
    `@       IN NS   ns1.${ZONE}.`,
    'ns1     IN A    127.0.0.1',
    `app     IN LUA  A "ifportup(${checkPort}, {${list}}, {selector='all'})"`,
    `appw    IN LUA  A "pickwrandom({{3,'${CHECKED[0]}'},{2,'${CHECKED[1]}'},{1,'${CHECKED[2]}'}})"`,
    ...CHECKED.map((a) => `apps    IN A    ${a}`),
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'zone'), zone);
  writeFileSync(path.join(dir, 'named.conf'), `zone "${ZONE}" { type master; file "${dir}/zone"; };\n`);
  const config = [
    'launch=bind',
    `bind-config=${dir}/named.conf`,
    'local-address=127.0.0.1',
    `local-port=${port}`,
    `enable-lua-records=${kind === 'pdns-lua-shared' ? 'shared' : 'yes'}`,
    'receiver-threads=1',
    'distributor-threads=1',
    'daemon=no',
    'guardian=no',
    `socket-dir=${dir}`,
    'disable-syslog=yes',
    'loglevel=4',
    'webserver=no',
    'security-poll-suffix=',
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'pdns.conf'), config);
  writeFileSync(path.join(RAW, `${kind}.conf`), config);
  writeFileSync(path.join(RAW, `${kind}.zone`), zone);
  const out = openSync(path.join(RAW, `${kind}.log`), 'w');
  const proc = procs.spawn(kind, ...niced('taskset', ['-c', '0', 'pdns_server', `--config-dir=${dir}`]), { stdio: ['ignore', out, out] });
  closeSync(out);
  // ifportup answers from its check results: all three once the first checks have run.
  await waitForAnswer(port, `app.${ZONE}`, (a) => a.addresses.length === 3, 20_000, `${kind} (LUA ifportup checks)`);
  await waitForAnswer(port, `appw.${ZONE}`, (a) => a.addresses.length === 1, 10_000, `${kind} appw`);
  return { kind, port, proc, notes: [`${sh('pdns_server --version 2>&1 | grep -o "PowerDNS Authoritative Server [0-9.]*"')}, enable-lua-records=${kind === 'pdns-lua-shared' ? 'shared' : 'yes'}`] };
}

function oursConfig(kind: 'ours' | 'ours-signed' | 'ours-b' | 'ours-geo', scenarios: Scenario[], checkPort: number, dataDir: string): string {
  const regions: string[] = [];
  const domains: string[] = [];
  const geo: string[] = [];
  for (const s of scenarios) {
    const k = SCENARIOS.indexOf(s);
    const name = `${s.tag}.${ZONE}`;
    const regionNames = s.ecs ? [`r-${s.tag}-eu`, `r-${s.tag}-us`] : [`r-${s.tag}`];
    regionNames.forEach((region, r) => {
      const servers: string[] = [];
      for (let i = r; i < s.backends; i += regionNames.length) {
        servers.push(`      - { address: ${backendAddress(k, i)}, port: ${checkPort}, service: ${name}, weight: ${backendWeight(i)} }`);
      }
      regions.push(
        `  - name: ${region}\n    servers:\n${servers.join('\n')}\n` +
          `    health_check: { type: tcp, interval: 1h, timeout: 2s, failure_threshold: 3, success_threshold: 1 }`,
      );
    });
    if (s.ecs) geo.push(`    - { cidr: ${s.ecs.cidr}, region: ${regionNames[0]} }`);
    domains.push(`  - { name: ${name}, routing_algorithm: ${s.policy}, regions: [${regionNames.join(', ')}], ttl: 30, max_answers: ${MAX_ANSWERS} }`);
  }
  const geoScenario = scenarios.find((s) => s.ecs);
  const geolocation = geo.length ? ['geolocation:', `  default_region: r-${geoScenario!.tag}-us`, '  ecs_enabled: true', '  custom_mappings:', ...geo] : [];
  const dnssec = kind === 'ours-signed' ? 'dnssec:\n  enabled: true' : `dnssec:\n  enabled: false\n  security_acknowledgment: "${ACK}"`;
  return [
    '# generated by bench/dns/dns-load.ts',
    'mode: overwatch',
    'identity: { node_id: bench }',
    'dns:',
    '  listen_address: "127.0.0.1:0"',
    `  zones: [${ZONE}]`,
    '  default_ttl: 30',
    ...((kind === 'ours-b' ? OURS_B_UDP_IO : UDP_IO) ? [`  udp_io: ${kind === 'ours-b' ? OURS_B_UDP_IO : UDP_IO}`] : []),
    ...((kind === 'ours-b' ? OURS_B_WORKERS : WORKERS) ? [`  workers: ${kind === 'ours-b' ? OURS_B_WORKERS : WORKERS}`] : []),
    `data_dir: ${dataDir}`,
    'logging: { level: info, format: json }',
    dnssec,
    ...geolocation,
    'regions:',
    ...regions,
    'domains:',
    ...domains,
    '',
  ].join('\n');
}

async function startOurs(
  kind: 'ours' | 'ours-signed' | 'ours-b' | 'ours-geo',
  scenarios: Scenario[],
  checkPort: number,
  extraEnv: NodeJS.ProcessEnv = {},
  tag: string = kind,
  root = kind === 'ours-b' ? OURS_B_ROOT : OURS_ROOT,
): Promise<RunningServer> {
  const dir = path.join(RUN, tag);
  mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'config.yaml');
  const config = oursConfig(kind, scenarios, checkPort, path.join(dir, 'data'));
  writeFileSync(configFile, config, { mode: 0o600 });
  writeFileSync(path.join(RAW, `${tag}.config.yaml`), config);
  const logFile = path.join(RAW, `${tag}.log`);
  const out = openSync(logFile, 'w');
  const cmd: [string, string[]] = OURS_CPUS === 'all' ? [path.join(root, 'bin/opengslb'), ['--config', configFile]] : ['taskset', ['-c', OURS_CPUS, path.join(root, 'bin/opengslb'), '--config', configFile]];
  const proc = procs.spawn(tag, ...niced(...cmd), {
    stdio: ['ignore', out, out],
    env: { ...process.env, ...extraEnv },
  });
  closeSync(out);
  try {
    return await waitUntilServing(kind, tag, proc, logFile, scenarios);
  } catch (err) {
    await procs.stop(proc);
    throw err;
  }
}

async function waitUntilServing(kind: RunningServer['kind'], tag: string, proc: Started, logFile: string, scenarios: Scenario[]): Promise<RunningServer> {
  const started = Date.now();
  let port = 0;
  while (port === 0) {
    if (!procs.isRunning(proc.pid)) throw new Error(`${tag} exited during start-up; log ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    if (Date.now() - started > 60_000) throw new Error(`${tag} did not log "overwatch serving DNS" within 60 s; see ${logFile}`);
    const m = /"msg":"overwatch serving DNS".*?"dns":"[^"]*:(\d+)"|"dns":"[^"]*:(\d+)".*?"msg":"overwatch serving DNS"/.exec(readFileSync(logFile, 'utf8'));
    if (m) port = Number(m[1] ?? m[2]);
    else await new Promise((r) => setTimeout(r, 100));
  }
  const notes = [`start-up to serving: ${((Date.now() - started) / 1000).toFixed(1)} s with ${scenarios.reduce((n, s) => n + s.backends, 0)} backends`];
  for (const s of scenarios) {
    const want = s.policy === 'failover' ? 1 : Math.min(MAX_ANSWERS, s.ecs ? s.backends / 2 : s.backends);
    await waitForAnswer(port, `${s.tag}.${ZONE}`, (a) => a.addresses.length === want, 20_000, `${tag} ${s.tag} (health checks passed?)`);
  }
  for (const s of scenarios.filter((x) => x.ecs)) {
    // With the ECS subnet the answer must come from the mapped region (even-numbered backends).
    const k = SCENARIOS.indexOf(s);
    const eu = new Set(Array.from({ length: Math.ceil(s.backends / 2) }, (_, j) => backendAddress(k, 2 * j)));
    const [net, bits] = s.ecs!.cidr.split('/');
    const a = await probe(port, `${s.tag}.${ZONE}`, 'A', false, 1000, { family: 1, sourcePrefix: Number(bits), address: net! });
    if (a.addresses.length === 0 || !a.addresses.every((x) => eu.has(x))) throw new Error(`${tag}: ECS ${s.ecs!.cidr} answer for ${s.tag} is not the mapped region: ${a.addresses.join(' ')}`);
    notes.push(`${s.tag} with ECS ${s.ecs!.cidr} answers from the mapped region`);
  }
  const nx = await probe(port, `nx0001.${ZONE}`);
  if (nx.rcode !== 'NXDOMAIN') throw new Error(`${tag}: expected NXDOMAIN for nx0001.${ZONE}, got ${nx.rcode}`);
  const signed = scenarios.some((x) => x.tag === 'app') ? await probe(port, `app.${ZONE}`, 'A', true).catch(() => undefined) : undefined;
  if (signed) notes.push(`DO=1 answer for app ${signed.hasRrsig ? 'carries RRSIG (signed)' : 'has no RRSIG (unsigned)'}`);
  notes.push(`RSS after start: ${rssMiB(proc.pid).toFixed(0)} MiB`);
  return { kind, port, proc, notes };
}

// ------------------------------------------------------------------ measure
interface RunRecord extends DnsperfResult {
  target: string;
  rep: number;
  pass: 'throughput' | 'latency';
  rssMiB?: number;
}

function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const machine = {
    date: new Date().toISOString(),
    host: os.hostname(),
    nproc: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '?',
    kernel: os.release(),
    node: process.version,
    dnsperf: `dnsperf ${sh('dnsperf -h 2>&1 | grep -i version | head -1')}`,
    gdnsd: sh('gdnsd -h 2>&1 | grep -i version | head -1'),
    pdns: sh('pdns_server --version 2>&1 | grep -o "PowerDNS Authoritative Server [0-9.]*"'),
    udpIo: { ours: UDP_IO || 'default', oursB: OURS_B_UDP_IO || 'default' },
    loadAvgAtStart: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    loadAvgAtEnd: '',
    ours: `${OURS_ROOT === REPO ? 'this checkout' : OURS_ROOT} at ${sh(`git -C ${OURS_ROOT} rev-parse --short HEAD`)}${
      sh(`git -C ${OURS_ROOT} status --porcelain -- src | head -1`) ? ` + uncommitted src/ changes (src tree sha1 ${sh(`cd ${OURS_ROOT} && find src -type f -name '*.ts' | sort | xargs sha1sum | sha1sum | cut -c1-12`)})` : ''
    }`,
    oursB: OURS_B_ROOT || 'none',
    settings: { quick: QUICK, secs: SECS, reps: REPS, latencySecs: LAT_SECS, latencyQps: LAT_QPS, maxAnswers: MAX_ANSWERS, clients: 4, outstanding: 100, nice: NICE, workers: { ours: WORKERS || 'default', oursB: OURS_B_WORKERS || 'default' }, oursCpus: OURS_CPUS, dnsperfCpus: DNSPERF_CPUS },
  };
  log(`results -> ${path.relative(REPO, OUT) || OUT}; ${targets.length} targets x ${REPS} reps x ${SECS} s + latency pass; load average ${machine.loadAvgAtStart}`);

  const addresses = [...CHECKED];
  const oursBScenarios = SCENARIOS.filter((s) => targets.some((t) => t.server === 'ours-b' && t.tag === s.tag));
  const oursAll = [...new Set([...oursScenarios, ...oursBScenarios, ...geoScenarios, SCENARIOS[0]!])];
  for (const s of oursAll) for (let i = 0; i < s.backends; i++) addresses.push(backendAddress(SCENARIOS.indexOf(s), i));
  const checkPort = await listenForChecks([...new Set(addresses)]);
  log(`health-check listeners on ${new Set(addresses).size} addresses, port ${checkPort}`);

  const servers = new Map<ServerKind, RunningServer>();
  if (needs('floor')) servers.set('floor', await startFloor());
  if (needs('gdnsd')) servers.set('gdnsd', await startGdnsd(checkPort));
  const skipped: string[] = [];
  for (const kind of ['pdns-lua', 'pdns-lua-shared'] as const) {
    if (!needs(kind)) continue;
    const started = await startPdns(kind, checkPort);
    if (typeof started === 'string') skipped.push(`- ${started}`);
    else servers.set(kind, started);
  }
  if (needs('ours')) servers.set('ours', await startOurs('ours', oursScenarios, checkPort));
  if (needs('ours-signed')) servers.set('ours-signed', await startOurs('ours-signed', [SCENARIOS[0]!], checkPort));
  if (needs('ours-b')) servers.set('ours-b', await startOurs('ours-b', oursBScenarios, checkPort));
  if (needs('ours-geo')) {
    try {
      servers.set('ours-geo', await startOurs('ours-geo', geoScenarios, checkPort));
    } catch (err) {
      const why = (err as Error).message.split('\n').find((l) => l.includes('geolocation')) ?? (err as Error).message.split('\n')[0]!;
      skipped.push(`- ours-geo (geolocation + ECS rows) not measured: ${why.slice(0, 300)}`);
      log(skipped.at(-1)!);
    }
  }
  const runTargets = targets.filter((t) => servers.has(t.server));
  for (const s of servers.values()) log(`${s.kind} up: port ${s.port}, pid ${s.proc.pid}; ${s.notes.join('; ')}`);

  const records: RunRecord[] = [];
  const runsLog = path.join(RAW, 'runs.txt');
  const runOne = async (t: Target, rep: number, pass: 'throughput' | 'latency'): Promise<RunRecord> => {
    const s = servers.get(t.server)!;
    const label = `${t.id.replaceAll(' ', '_').replaceAll('=', '')}.${pass === 'latency' ? 'lat' : `rep${rep}`}`;
    const r = await runDnsperf(procs, {
      script: path.join(REFERENCE, 'run-dnsperf.sh'),
      port: s.port,
      queryFile: queryFile(t.tag),
      serverPid: s.proc.pid,
      label,
      secs: pass === 'latency' ? LAT_SECS : SECS,
      dnssecOk: t.dnssecOk,
      outDir: path.join(RAW, 'dnsperf'),
      latency: pass === 'latency',
      maxQps: pass === 'latency' ? LAT_QPS : undefined,
      cpus: DNSPERF_CPUS,
      nice: NICE,
      ecsHex: SCENARIOS.find((x) => x.tag === t.tag)?.ecs?.hex,
    });
    const rec: RunRecord = { ...r, target: t.id, rep, pass, rssMiB: t.server.startsWith('ours') ? rssMiB(s.proc.pid) : undefined };
    records.push(rec);
    writeFileSync(runsLog, `${rec.line}${rec.rssMiB ? ` server_rss_mib=${rec.rssMiB.toFixed(1)}` : ''}\n`, { flag: 'a' });
    log(`${pass === 'latency' ? 'lat ' : `rep ${rep}`} ${t.id.padEnd(22)} ${r.qps.toFixed(0).padStart(7)} q/s  ${r.cpuMicrosPerQuery.toFixed(2).padStart(6)} us/q  server ${r.serverCpuPercent}%  cpu0 ${r.cpu0BusyPercent}%${r.p99Ms !== undefined ? `  p50 ${r.p50Ms} p99 ${r.p99Ms} ms` : ''}${r.lost ? `  lost ${r.lost}` : ''}`);
    return rec;
  };

  // Warm-up, not reported: JIT-compile every path (each name and policy, NXDOMAIN, DO=0 and DO=1)
  // before the first measured run, so rep 1 is not a cold start.
  for (const s of servers.values()) {
    const tags =
      s.kind === 'ours'
        ? oursScenarios.map((x) => x.tag)
        : s.kind === 'ours-b'
          ? oursBScenarios.map((x) => x.tag)
          : s.kind === 'ours-geo'
            ? geoScenarios.map((x) => x.tag)
            : s.kind === 'gdnsd' || s.kind === 'pdns-lua'
              ? ['app', 'appw']
              : s.kind === 'pdns-lua-shared'
                ? ['app', 'apps']
              : ['app'];
    const warm = path.join(RUN, `warmup-${s.kind}.txt`);
    writeFileSync(warm, tags.map((t) => readFileSync(queryFile(t), 'utf8')).join(''));
    for (const dnssecOk of [false, true]) {
      await runDnsperf(procs, {
        script: path.join(REFERENCE, 'run-dnsperf.sh'),
        port: s.port,
        queryFile: warm,
        serverPid: s.proc.pid,
        label: `warmup_${s.kind}_DO${dnssecOk ? 1 : 0}`,
        secs: 2,
        dnssecOk,
        outDir: path.join(RAW, 'dnsperf'),
        nice: NICE,
        ecsHex: s.kind === 'ours-geo' ? geoScenarios[0]?.ecs?.hex : undefined,
      });
    }
  }
  log('warm-up done');

  for (let rep = 1; rep <= REPS; rep++) {
    const shift = Math.floor(((rep - 1) * runTargets.length) / REPS);
    for (const t of [...runTargets.slice(shift), ...runTargets.slice(0, shift)]) await runOne(t, rep, 'throughput');
  }
  for (const t of runTargets) await runOne(t, 0, 'latency');

  // --profile: a separate, profiled instance of our server (so the measured runs carry no profiler),
  // loaded for SECS with app-nx DO=0, stopped with SIGTERM so that V8 writes the profile.
  let profileText = '';
  if (PROFILE) {
    const profDir = path.join(RAW, 'profile');
    mkdirSync(profDir, { recursive: true });
    const s = await startOurs('ours', [SCENARIOS[0]!], checkPort, { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profDir}` }, 'ours-profiled');
    const r = await runDnsperf(procs, {
      script: path.join(REFERENCE, 'run-dnsperf.sh'),
      port: s.port,
      queryFile: queryFile('app'),
      serverPid: s.proc.pid,
      label: 'ours-profiled_app_DO0',
      secs: SECS,
      dnssecOk: false,
      outDir: path.join(RAW, 'dnsperf'),
      nice: NICE,
    });
    await procs.stop(s.proc);
    // The largest profile is the server's (bin/opengslb's Node version check is a short node run too).
    const file = readdirSync(profDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort((a, b) => statSync(path.join(profDir, b)).size - statSync(path.join(profDir, a)).size)[0];
    profileText = file
      ? `${summarizeProfile(path.join(profDir, file), 35)}\n\nthe profiled run: ${r.line}\n`
      : 'no .cpuprofile was written (did the server exit cleanly?)';
    writeFileSync(path.join(OUT, 'profile-summary.txt'), profileText);
    // Keep the server's profile (gzipped: open it in Chrome DevTools or speedscope after gunzip), drop the rest.
    for (const f of readdirSync(profDir)) {
      if (f === file) writeFileSync(path.join(profDir, `${f}.gz`), gzipSync(readFileSync(path.join(profDir, f)), { level: 9 }));
      rmSync(path.join(profDir, f));
    }
    log(`profile summary -> ${path.relative(REPO, path.join(OUT, 'profile-summary.txt'))}`);
  }

  machine.loadAvgAtEnd = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const notes = [...[...servers.values()].map((s) => `- ${s.kind}: ${s.notes.join('; ')}`), ...skipped];
  const report = buildReport(runTargets, records, machine, notes, (Date.now() - t0) / 1000);
  console.log(report);
  writeFileSync(path.join(OUT, 'table.md'), report);
  writeFileSync(path.join(OUT, 'results.json'), JSON.stringify({ machine, targets: runTargets, records }, null, 2));
  // Big raw files (our server's log with one line per backend, the generated config) are kept gzipped.
  for (const f of readdirSync(RAW)) {
    const file = path.join(RAW, f);
    if (statSync(file).isFile() && statSync(file).size > 64 * 1024) {
      writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
      rmSync(file);
    }
  }
  writeFileSync(
    path.join(OUT, 'machine.txt'),
    `${Object.entries(machine)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join('\n')}\n\nlscpu:\n${sh('lscpu')}\n`,
  );
}

// ------------------------------------------------------------------ report
interface Row {
  t: Target;
  us: number;
  qps: number;
  serverCpu: number;
  cpu0Other: number;
  avgMs: number;
  p50?: number;
  p99?: number;
  spread: string;
  lost: number;
}

function buildReport(runTargets: Target[], records: RunRecord[], machine: Record<string, unknown>, notes: string[], elapsedS: number): string {
  const rows = new Map<string, Row>();
  for (const t of runTargets) {
    const th = records.filter((r) => r.target === t.id && r.pass === 'throughput');
    const lat = records.find((r) => r.target === t.id && r.pass === 'latency');
    const us = th.map((r) => r.cpuMicrosPerQuery);
    rows.set(t.id, {
      t,
      us: median(us),
      qps: median(th.map((r) => r.qps)),
      serverCpu: median(th.map((r) => r.serverCpuPercent)),
      cpu0Other: median(th.map((r) => r.cpu0BusyPercent - r.serverCpuPercent)),
      avgMs: median(th.map((r) => r.avgLatencyMs)),
      p50: lat?.p50Ms,
      p99: lat?.p99Ms,
      spread: th.length > 1 ? `${Math.min(...us).toFixed(1)}-${Math.max(...us).toFixed(1)}` : '-',
      lost: th.reduce((n, r) => n + (r.lost || 0), 0),
    });
  }
  const ref = (server: ServerKind, doBit: boolean) => rows.get(`${server} app DO=${doBit ? 1 : 0}`);
  const f = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
  const ratio = (a: number | undefined, b: number | undefined) => (a && b && Number.isFinite(a / b) ? (a / b).toFixed(2) : '-');

  const lines: string[] = [];
  lines.push(`# bench:dns ${machine.date} on ${machine.host}`, '');
  lines.push(
    `${machine.nproc} CPU (${machine.cpuModel}), ${machine.node}, ${machine.dnsperf}, ${machine.gdnsd}; load average ${machine.loadAvgAtStart} at start, ${machine.loadAvgAtEnd} at end. Ours: ${machine.ours}.`,
    '',
    `Servers pinned to CPU 0, dnsperf (4 clients, 100 outstanding, EDNS on: -e for DO=0, -D for DO=1) pinned to CPU 1; query mix 80% A / 20% NXDOMAIN (reference queries/app-nx.txt, with \`app\` replaced by the row's name); every name answers at most ${MAX_ANSWERS} A records. ${NICE ? `Servers and dnsperf at nice ${NICE} (other work shares these CPUs). ` : ''}Median of ${REPS} interleaved runs of ${SECS} s after a 2 s warm-up of each server; p50/p99 from one extra run per row at ${LAT_QPS} q/s offered (${LAT_SECS} s). Whole run ${(elapsedS / 60).toFixed(1)} min.`,
    '',
    '- **us/q**: server CPU (user+sys, whole process) per answered query: the cost figure. **QPS**: answered queries/s; a server below ~95% CPU was waiting for queries (dnsperf-bound, or dnsperf starved by other work on CPU 1), so compare us/q first. **CPU0 other%**: CPU 0 busy time not spent by the server (other processes; high values mean a shared, noisy host).',
    '- **xfloor / xgdnsd**: our QPS over theirs (same DO), and their us/q over ours (= capacity per core relative to theirs; 1.00 = same cost).',
    '',
    '| target | policy | backends | DO | us/q | us/q range | QPS | server CPU% | CPU0 other% | avg ms (saturated) | p50 ms | p99 ms | QPS xfloor | capacity xfloor | QPS xgdnsd | capacity xgdnsd |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of rows.values()) {
    const floor = ref('floor', r.t.dnssecOk);
    const gd = ref('gdnsd', r.t.dnssecOk);
    const mine = r.t.server.startsWith('ours');
    lines.push(
      `| ${r.t.id} | ${r.t.policy} | ${r.t.backends} | ${r.t.dnssecOk ? 1 : 0} | ${f(r.us, 2)} | ${r.spread} | ${f(r.qps, 0)} | ${f(r.serverCpu, 0)} | ${f(r.cpu0Other, 0)} | ${f(r.avgMs, 2)} | ${f(r.p50, 3)} | ${f(r.p99, 3)} | ` +
        `${mine ? ratio(r.qps, floor?.qps) : '-'} | ${mine ? ratio(floor?.us, r.us) : '-'} | ${mine ? ratio(r.qps, gd?.qps) : '-'} | ${mine ? ratio(gd?.us, r.us) : '-'} |${r.lost ? ` lost ${r.lost}` : ''}`,
    );
  }

  lines.push('', '## Against the goals of issue 8', '');
  const s0 = rows.get('ours-signed app DO=0');
  const s1 = rows.get('ours-signed app DO=1');
  const o0 = rows.get('ours app DO=0');
  const fl1 = ref('floor', true);
  const fl0 = ref('floor', false);
  const gd0 = ref('gdnsd', false);
  const signedNote = notes.find((n) => n.startsWith('- ours-signed'))?.includes('carries RRSIG') ? 'answers signed' : 'NOTE: answers are NOT signed yet (DNSSEC signing not in this build), so this is the unsigned path with DO=1';
  lines.push(
    `- DO=1 vs the floor (goal >= 0.80): QPS ${ratio(s1?.qps, fl1?.qps)}, capacity ${ratio(fl1?.us, s1?.us)} (${signedNote}).`,
    `- DO=1 within 15% of DO=0 (goal QPS ratio >= 0.85): QPS ${ratio(s1?.qps, s0?.qps)}, us/q ${ratio(s1?.us, s0?.us)} (DO=1 / DO=0, signed config).`,
    `- Unsigned, DO=0, vs the floor: QPS ${ratio(o0?.qps, fl0?.qps)}, capacity ${ratio(fl0?.us, o0?.us)}.`,
    `- vs gdnsd on one core (goal >= 0.70): QPS ${ratio(o0?.qps, gd0?.qps)}, capacity ${ratio(gd0?.us, o0?.us)} (gdnsd at ${f(gd0?.serverCpu, 0)}% CPU: below ~95% its QPS is bounded by dnsperf, so capacity is the fair figure).`,
  );
  const lua = rows.get('pdns-lua app DO=0');
  const luaShared = rows.get('pdns-lua-shared app DO=0');
  if (lua || luaShared) {
    lines.push(
      `- vs PowerDNS LUA records (goal >= 2x), app (ifportup, 3 A): enable-lua-records=yes: QPS ${ratio(o0?.qps, lua?.qps)}, capacity ${ratio(lua?.us, o0?.us)}; =shared: QPS ${ratio(o0?.qps, luaShared?.qps)}, capacity ${ratio(luaShared?.us, o0?.us)} (PowerDNS at ${f(lua?.serverCpu, 0)}% / ${f(luaShared?.serverCpu, 0)}% CPU).`,
    );
  } else {
    lines.push('- vs PowerDNS LUA records (goal >= 2x): not measured in this run (see Servers).');
  }
  for (const p of ['rr', 'w', 'fo']) {
    const a = rows.get(`ours ${p}10 DO=0`);
    const b = rows.get(`ours ${p}100 DO=0`);
    const c = rows.get(`ours ${p}1000 DO=0`);
    if (a || c) lines.push(`- Flat cost 10 -> 1,000 backends, ${p === 'rr' ? 'round-robin' : p === 'w' ? 'weighted' : 'failover'}: us/q ${f(a?.us, 2)} / ${f(b?.us, 2)} / ${f(c?.us, 2)} (10 / 100 / 1,000), 1,000 vs 10 = ${ratio(c?.us, a?.us)}.`);
  }
  const g10 = rows.get('ours geo10 DO=0 ECS');
  const g1000 = rows.get('ours geo1000 DO=0 ECS');
  if (g10 || g1000) lines.push(`- Geolocation with ECS (custom mapping), 10 -> 1,000 backends: us/q ${f(g10?.us, 2)} / ${f(g1000?.us, 2)}, 1,000 vs 10 = ${ratio(g1000?.us, g10?.us)}; vs round-robin without ECS (rr10): ${ratio(g10?.us, rows.get('ours rr10 DO=0')?.us)}.`);
  const rss = records.filter((r) => r.target.startsWith('ours ') && !r.target.includes('ECS') && r.rssMiB).map((r) => r.rssMiB!);
  if (rss.length) lines.push(`- RSS of our server (${oursScenarios.reduce((n, s) => n + s.backends, 0)} backends) across its runs: ${Math.min(...rss).toFixed(0)}-${Math.max(...rss).toFixed(0)} MiB (first ${rss[0]!.toFixed(0)}, last ${rss.at(-1)!.toFixed(0)}).`);
  lines.push('', '## Servers', '', ...notes, '');
  return lines.join('\n');
}

try {
  await main();
} catch (err) {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
