/**
 * Slow and hanging health-check targets: an Overwatch checks servers that accept and never answer,
 * answer after the timeout, drip or stream their body forever, or never finish a TLS handshake, plus
 * 100 more that hang. Every check must end (its connection closed by us) within the configured
 * timeout, no target ever holds more than one of our connections, and the total never exceeds the
 * scheduler's concurrency limit: checks time out as configured and never pile up. The healthy
 * control target stays served throughout, and so does a 200 with an endless body (the probe reads
 * 64 KiB of it and hangs up).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseConfigText } from '../../src/config/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { startOverwatchProcess } from '../../src/cli/overwatch-process.ts';
import { eventually } from '../support/backend-servers.ts';
import { encodeQuery, udpExchange, decode } from '../support/dns-client.ts';
import { startMisbehaving, type Behaviour, type MisbehavingServer } from './support/misbehaving-servers.ts';

const ACK = 'I understand that disabling DNSSEC allows DNS spoofing attacks';
const TIMEOUT_MS = 400;
/**
 * Scheduling delay on a shared 2-core machine, on top of twice the event-loop delay measured during
 * the test: the Overwatch, its checks and the targets share this process's event loop, so a timer
 * that fires late here (GC, a snapshot build, a starved core) lengthens every lifetime measured.
 */
const SLACK_MS = 250;
const silent = createLogger({ level: 'error', format: 'json' }, new Writable({ write: (_c, _e, cb) => cb() }));

test('hanging, late, dripping, endless and TLS-stalled targets time out as configured and never pile up', async (t) => {
  const kinds: [Behaviour, string, 'http' | 'https'][] = [
    ['healthy', '127.0.0.71', 'http'],
    ['hang', '127.0.0.72', 'http'],
    ['late', '127.0.0.73', 'http'],
    ['drip', '127.0.0.74', 'http'],
    ['endless', '127.0.0.75', 'http'],
    ['tls-hang', '127.0.0.76', 'https'],
  ];
  const servers: MisbehavingServer[] = [];
  t.after(async () => {
    for (const s of servers) await s.close();
  });
  // The late target answers past the timeout by more than the slack below, so a check that does
  // not time out shows as a connection held past the bound.
  for (const [b, addr] of kinds) servers.push(await startMisbehaving(b, addr, { lateMs: TIMEOUT_MS + SLACK_MS + 600 }));
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  t.after(() => loopDelay.disable());
  const crowd: MisbehavingServer[] = [];
  for (let i = 0; i < 100; i++) crowd.push(await startMisbehaving('hang', '127.0.0.77'));
  servers.push(...crowd);

  const region = (name: string, type: 'http' | 'https', list: MisbehavingServer[], service: string) => `  - name: ${name}
    servers:
${list.map((s) => `      - { address: ${s.address}, port: ${s.port}, service: ${service} }`).join('\n')}
    health_check: { type: ${type}, path: /health, interval: 1s, timeout: ${TIMEOUT_MS}ms, failure_threshold: 1, success_threshold: 1 }`;
  const dir = mkdtempSync(path.join(tmpdir(), 'opengslb-hc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const text = `dns: { listen_address: "127.0.0.1:0", zones: [gslb.test] }
data_dir: ${path.join(dir, 'data')}
dnssec: { enabled: false, security_acknowledgment: "${ACK}" }
regions:
${kinds.map(([b, , type], i) => region(`r-${b}`, type, [servers[i]!], `${b}.gslb.test`)).join('\n')}
${region('r-crowd', 'http', crowd, 'crowd.gslb.test')}
domains:
${kinds.map(([b]) => `  - { name: ${b}.gslb.test, routing_algorithm: round-robin, regions: [r-${b}] }`).join('\n')}
  - { name: crowd.gslb.test, routing_algorithm: round-robin, regions: [r-crowd] }
`;
  const started = performance.now();
  const ow = await startOverwatchProcess(parseConfigText(text, { sourcePath: '' }), silent);
  t.after(() => ow.close());
  const startupMs = performance.now() - started;

  // Sample the total of our open connections while at least four rounds of checks run.
  let maxTotal = 0;
  const sampler = setInterval(() => {
    maxTotal = Math.max(maxTotal, servers.reduce((n, s) => n + s.open, 0));
  }, 5);
  t.after(() => clearInterval(sampler));
  await eventually(() => {
    for (const s of servers) assert.ok(s.accepted >= 3, `${s.behaviour}:${s.port} checked ${s.accepted} times`);
  }, 15_000);
  clearInterval(sampler);

  const views = ow.overwatch.control.backends();
  // A 200 whose body never ends is healthy: the probe reads 64 KiB of it and hangs up.
  const isGood = (service: string) => service.startsWith('healthy') || service.startsWith('endless');
  const bad = views.filter((v) => !isGood(v.service));
  for (const v of bad) {
    assert.equal(v.serve, false, `${v.service} ${v.address}:${v.port} should not be served`);
    assert.match(v.validation.error ?? '', /timeout|TLS|tls|socket|closed/i, `${v.service}: ${v.validation.error}`);
  }
  for (const v of views.filter((x) => isGood(x.service))) assert.equal(v.serve, true, `${v.service} should be served`);
  const errors = new Map<string, string>();
  for (const v of bad) errors.set(v.service, `${v.validation.error} (${v.validation.latencyMs?.toFixed(0)} ms)`);
  const res = decode(await udpExchange(ow.overwatch.dnsPort, encodeQuery('healthy.gslb.test', 'A')));
  assert.deepEqual((res.answers ?? []).map((a) => (a as { data: string }).data), ['127.0.0.71']);
  assert.equal(decode(await udpExchange(ow.overwatch.dnsPort, encodeQuery('hang.gslb.test', 'A'))).rcode, 'SERVFAIL');

  loopDelay.disable();
  const lagMs = loopDelay.max / 1e6;
  // Twice: the probe's timeout timer may fire late, and then the target may see the close late.
  const boundMs = TIMEOUT_MS + SLACK_MS + 2 * lagMs;
  for (const s of servers) {
    assert.ok(s.maxOpen <= 1, `${s.behaviour}:${s.port} held ${s.maxOpen} of our connections at once`);
    if (s.behaviour === 'healthy') continue;
    const longest = Math.max(...s.lifetimesMs);
    assert.ok(longest <= boundMs, `${s.behaviour}:${s.port}: a check held its connection ${longest.toFixed(0)} ms (timeout ${TIMEOUT_MS} ms, event-loop delay up to ${lagMs.toFixed(0)} ms)`);
  }
  assert.ok(maxTotal <= 64, `${maxTotal} connections open at once (scheduler limit 64)`);
  const lifetimes = servers.filter((s) => s.behaviour !== 'healthy').flatMap((s) => s.lifetimesMs).sort((a, b) => a - b);
  t.diagnostic(`check errors: ${[...errors].map(([k, v]) => `${k}: ${v}`).join('; ')}`);
  t.diagnostic(
    `startup ${startupMs.toFixed(0)} ms; ${lifetimes.length} stalled checks closed after p50 ${lifetimes[lifetimes.length >> 1]!.toFixed(0)} ms, ` +
      `max ${lifetimes.at(-1)!.toFixed(0)} ms (timeout ${TIMEOUT_MS}, event-loop delay up to ${lagMs.toFixed(0)} ms); most connections open at once ${maxTotal}`,
  );
});
