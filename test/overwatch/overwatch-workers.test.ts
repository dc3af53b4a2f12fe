/**
 * The Overwatch with `dns.workers: 2`: a failing health check reaches the answers of both UDP
 * workers, and the query metrics count the workers' answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { Overwatch } from '../../src/overwatch/index.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { decode, encodeQuery, udpExchange } from '../support/dns-client.ts';
import { eventually } from '../support/backend-servers.ts';
import { staticOverwatchYaml } from '../support/static-overwatch-yaml.ts';

const ZONE = 'workers.example.com';

function configText(dataDir: string): string {
  return staticOverwatchYaml({
    zone: ZONE,
    nodeId: 'ow-workers-1',
    dataDir,
    dns: ['  workers: 2'],
    region: ['    health_check: { type: tcp, interval: 1s, timeout: 200ms, failure_threshold: 1, success_threshold: 1 }'],
  });
}

async function answers(port: number): Promise<string[]> {
  const res = decode(await udpExchange(port, encodeQuery(`app.${ZONE}`, 'A')));
  return (res.answers ?? []).map((a) => (a as { data: string }).data).sort();
}

test('Overwatch with dns.workers: 2: a health change reaches every worker, metrics count their answers', { timeout: 60_000 }, async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'opengslb-ow-workers-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const config = parseConfigText(configText(path.join(root, 'data')), { sourcePath: 'test.yaml', env: {}, hostname: 'test-host' });
  assert.equal(config.dns.workers, 2);
  let down = '';
  // Health checks are answered in-process: no traffic leaves the test.
  const probe = async (target: { address: string }) => ({ ok: target.address !== down, latencyMs: 1, ...(target.address === down ? { error: 'refused' } : {}) });
  const ow = await Overwatch.start(config, { log: pino({ level: 'silent' }), probe });
  t.after(() => ow.close());
  const port = ow.dnsPort;
  for (let i = 0; i < 20; i++) assert.deepEqual(await answers(port), ['192.0.2.10', '192.0.2.11']);

  down = '192.0.2.10';
  const t0 = performance.now();
  // Every query from a fresh socket: the kernel hashes them over both workers' sockets.
  await eventually(async () => {
    for (let i = 0; i < 20; i++) assert.deepEqual(await answers(port), ['192.0.2.11']);
  }, 10_000);
  t.diagnostic(`health change visible on every worker ${(performance.now() - t0).toFixed(0)} ms after the probe flipped (check interval 1s)`);

  // The workers report every 250 ms: the metrics catch up with what was answered.
  await eventually(() => {
    const counts = ow.dnsStats.counts().filter((c) => c.domain === `app.${ZONE}` && c.type === 'A');
    assert.ok(counts.reduce((n, c) => n + c.count, 0) >= 40);
  }, 5_000);

  // Proofs for nonexistent names are signed where the query is answered: in the workers. The
  // signatures metric counts them there too.
  const signatures = async () => ((await ow.metrics.registry.getSingleMetric('opengslb_dnssec_signatures_total')!.get()).values[0]?.value ?? 0);
  const before = await signatures();
  for (let i = 0; i < 10; i++) decode(await udpExchange(port, encodeQuery(`nope-${i}.${ZONE}`, 'A', { edns: { dnssecOk: true } })));
  await eventually(async () => assert.ok((await signatures()) >= before + 10, `signatures metric: ${await signatures()} (before ${before})`), 5_000);
});
