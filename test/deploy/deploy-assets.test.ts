import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { BIN } from '../support/opengslb-process.ts';
import { cli } from '../cli-client/run-cli.ts';

const execFileAsync = promisify(execFile);
const ROOT = path.join(import.meta.dirname, '..', '..');
const DEPLOY = path.join(ROOT, 'deploy');
const tmp = mkdtempSync(path.join(tmpdir(), 'opengslb-deploy-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Secrets the example configs take from the environment (systemd EnvironmentFile / compose .env). */
const SECRETS = {
  GOSSIP_KEY: Buffer.alloc(32, 7).toString('base64'),
  MYAPP_TOKEN: 'myapp-token-0123456789abcdefghijklmnopqrstuv',
  OTHERAPP_TOKEN: 'otherapp-token-0123456789abcdefghijklmnopqr',
  TOKEN: 'web-token-0123456789abcdefghijklmnopqrstuvwxyz',
  NODE_ID: 'overwatch-1',
};

const EXAMPLES = ['config/overwatch.yaml', 'config/agent.yaml', 'config/agent-multi-backend.yaml', 'docker/pattern2/overwatch.yaml'];

/** A copy that is not world-readable, as the loader demands of a main config file. */
function privateCopy(rel: string): string {
  const dest = path.join(tmp, rel.replaceAll('/', '_'));
  copyFileSync(path.join(DEPLOY, rel), dest);
  chmodSync(dest, 0o600);
  return dest;
}

for (const rel of EXAMPLES) {
  test(`deploy/${rel} passes \`opengslb validate\``, async () => {
    const { stdout } = await execFileAsync(BIN, ['validate', '--config', privateCopy(rel)], { env: { ...process.env, ...SECRETS } });
    assert.match(stdout, /: valid \(mode (overwatch|agent),/);
  });
}

test('the example configs are the guide\'s: the Overwatch one carries its keys and values', () => {
  const ow = parse(readFileSync(path.join(DEPLOY, 'config/overwatch.yaml'), 'utf8')) as Record<string, any>;
  assert.equal(ow.mode, 'overwatch');
  assert.equal(ow.dns.listen_address, '0.0.0.0:53');
  assert.equal(ow.api.address, '127.0.0.1:8080');
  assert.equal(ow.gossip.encryption_key, '${GOSSIP_KEY}');
  assert.equal(ow.stale.threshold, '30s');
  const agent = parse(readFileSync(path.join(DEPLOY, 'config/agent.yaml'), 'utf8')) as Record<string, any>;
  assert.equal(agent.identity.service_token, '${MYAPP_TOKEN}');
  assert.equal(agent.backends[0].health_check.path, '/health');
});

test('opengslb-cli config validate accepts the example Overwatch config and names a missing secret', async () => {
  const file = privateCopy('config/overwatch.yaml');
  if (process.env.MYAPP_TOKEN === undefined) {
    // the loader substitutes ${VAR} from this process's environment, which lacks the secrets
    const missing = await cli(['config', 'validate', '-c', file]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /MYAPP_TOKEN/);
  }
  const { stdout } = await execFileAsync(path.join(ROOT, 'bin', 'opengslb-cli'), ['config', 'validate', '-c', file], { env: { ...process.env, ...SECRETS } });
  assert.match(stdout, /valid \(mode overwatch, 1 zone\(s\), 0 domain\(s\), 0 region\(s\), 0 server\(s\), 2 agent token\(s\), DNSSEC on\)/);
});

/** Metric names exported somewhere under src/ (registered by name in a prom-client constructor). */
function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = path.join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/['"](opengslb_[a-z0-9_]+)['"]/g)) names.add(m[1]!);
    }
  };
  walk(path.join(ROOT, 'src'));
  return names;
}

/** Referenced by a rule before the DNSSEC signer exports it (see deploy/README.md). */
const PENDING_METRICS = new Set(['opengslb_dnssec_signature_expiry_seconds']);

function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(opengslb_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));
}

test('the Prometheus rules parse as YAML, include the guide\'s two rules verbatim, and cover DNSSEC expiry and key sync', () => {
  const doc = parse(readFileSync(path.join(DEPLOY, 'prometheus/opengslb-alerts.yml'), 'utf8')) as { groups: { name: string; rules: Record<string, any>[] }[] };
  const rules = doc.groups.flatMap((g) => g.rules);
  const names = rules.map((r) => r.alert as string);
  assert.equal(new Set(names).size, names.length, 'alert names are unique');
  for (const r of rules) {
    assert.equal(typeof r.alert, 'string');
    assert.equal(typeof r.expr, 'string');
    assert.match(r.labels.severity, /^(critical|warning|info)$/, r.alert);
    assert.equal(typeof r.annotations.summary, 'string', r.alert);
    if (r.for !== undefined) assert.match(r.for, /^\d+[smhd]$/, r.alert);
  }
  const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
  assert.deepEqual(
    { expr: byName.HighStaleAgents.expr, for: byName.HighStaleAgents.for, severity: byName.HighStaleAgents.labels.severity, summary: byName.HighStaleAgents.annotations.summary },
    { expr: 'opengslb_overwatch_stale_agents_total > 0', for: '5m', severity: 'warning', summary: 'Agents are stale' },
  );
  assert.deepEqual(
    { expr: byName.LowHealthyBackends.expr, for: byName.LowHealthyBackends.for, severity: byName.LowHealthyBackends.labels.severity, summary: byName.LowHealthyBackends.annotations.summary },
    { expr: 'opengslb_overwatch_backends_healthy < 2', for: '2m', severity: 'critical', summary: 'Less than 2 healthy backends' },
  );
  assert.ok(byName.DnssecSignaturesExpiringSoon, 'DNSSEC signature expiry');
  assert.ok(byName.DnssecKeySyncFailing, 'key-sync failure');
  const exported = exportedMetrics();
  for (const r of rules) for (const m of metricsIn(r.expr)) assert.ok(exported.has(m) || PENDING_METRICS.has(m), `${r.alert}: ${m} is neither exported nor a known pending metric`);
});

test('the Grafana dashboard is valid JSON whose panels query metrics this build exports', () => {
  const dash = JSON.parse(readFileSync(path.join(DEPLOY, 'grafana/opengslb-overwatch.json'), 'utf8')) as { uid: string; panels: { title: string; targets: { expr: string }[] }[] };
  assert.equal(dash.uid, 'opengslb-overwatch');
  assert.ok(dash.panels.length >= 10);
  const exported = exportedMetrics();
  for (const p of dash.panels) {
    assert.ok(p.targets.length > 0, p.title);
    for (const t of p.targets) for (const m of metricsIn(t.expr)) assert.ok(exported.has(m), `${p.title}: ${m}`);
  }
});

/** `Key=Value` lines of a unit file, values of repeated keys in order. */
function unitKeys(file: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    keys.set(m[1]!, [...(keys.get(m[1]!) ?? []), m[2]!]);
  }
  return keys;
}

for (const unit of ['opengslb-overwatch.service', 'opengslb-agent.service']) {
  test(`systemd ${unit}: dedicated user, SIGHUP reload, validation before start, hardening`, async () => {
    const file = path.join(DEPLOY, 'systemd', unit);
    const k = unitKeys(file);
    const one = (key: string) => k.get(key)?.at(-1);
    assert.equal(one('User'), 'opengslb');
    assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.match(one('ExecStart')!, /^\/usr\/local\/bin\/opengslb --config \/etc\/opengslb\/(overwatch|agent)\.yaml/);
    assert.match(one('ExecStartPre')!, /opengslb validate --config/);
    for (const [key, value] of Object.entries({ NoNewPrivileges: 'true', ProtectSystem: 'strict', ProtectHome: 'true', PrivateTmp: 'true', PrivateDevices: 'true', StateDirectory: 'opengslb' })) {
      assert.equal(one(key), value, key);
    }
    if (unit.includes('overwatch')) {
      assert.equal(one('AmbientCapabilities'), 'CAP_NET_BIND_SERVICE');
      assert.equal(one('CapabilityBoundingSet'), 'CAP_NET_BIND_SERVICE');
    } else {
      assert.equal(one('AmbientCapabilities'), '');
    }
    const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
    if (!analyze) return;
    // systemd-analyze verify wants the binary to exist: point the copy at this checkout's launcher
    const copy = path.join(tmp, unit);
    writeFileSync(copy, readFileSync(file, 'utf8').replaceAll('/usr/local/bin/opengslb', BIN));
    const { stderr } = await execFileAsync(analyze, ['verify', copy]);
    assert.equal(stderr.trim(), '');
  });
}

test('the Dockerfile is multi-stage and runs as a non-root user; the Pattern 2 compose file parses and mounts the example config', () => {
  const dockerfile = readFileSync(path.join(DEPLOY, 'docker/Dockerfile'), 'utf8');
  assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
  assert.match(dockerfile, /^USER opengslb:opengslb$/m);
  assert.match(dockerfile, /npm ci --omit=dev/);
  const compose = parse(readFileSync(path.join(DEPLOY, 'docker/compose.pattern2.yaml'), 'utf8'), { merge: true }) as { services: Record<string, any> };
  const overwatches = Object.keys(compose.services).filter((s) => s.startsWith('ow'));
  assert.deepEqual(overwatches, ['ow1', 'ow2', 'ow3']);
  for (const s of overwatches) {
    const svc = compose.services[s];
    assert.ok(svc.volumes.some((v: string) => v.startsWith('./pattern2/overwatch.yaml:/etc/opengslb/overwatch.yaml:ro')), s);
    assert.deepEqual(svc.cap_drop, ['ALL']);
    assert.equal(svc.environment.NODE_ID, `overwatch-${s.slice(2)}`);
  }
  assert.ok(existsSync(path.join(DEPLOY, 'docker/pattern2/overwatch.yaml')));
});
