/**
 * The real Overwatch runtime signs by default: the key is generated into data_dir on first start,
 * the DS comes from the real API, delv validates answers, and a restart serves the same key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Overwatch } from '../../src/overwatch/index.ts';
import { startApiServer } from '../../src/api/index.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { delv, hasTool, tempDir, writeDelvAnchor } from './validator-tools.ts';
import { staticOverwatchYaml } from '../support/static-overwatch-yaml.ts';

const ZONE = 'gslb.example.com';

function configText(dataDir: string): string {
  return staticOverwatchYaml({ zone: ZONE, nodeId: 'ow-dnssec-1', dataDir, sections: 'api:\n  address: "127.0.0.1:0"\n  allowed_networks: [127.0.0.0/8]\n' });
}

/** Health checks are answered in-process: no traffic leaves the test. */
const probe = async () => ({ ok: true, latencyMs: 1 });

async function startOverwatch(dataDir: string): Promise<{ ow: Overwatch; apiBase: string; close(): Promise<void> }> {
  const config = parseConfigText(configText(dataDir), { sourcePath: 'test.yaml', env: {}, hostname: 'test-host' });
  assert.equal(config.dnssec.enabled, true, 'DNSSEC is on by default');
  const log = pino({ level: 'silent' });
  const ow = await Overwatch.start(config, { log, probe });
  const api = await startApiServer({ control: ow.control, config: config.api, logger: log });
  return {
    ow,
    apiBase: `http://127.0.0.1:${api.port}`,
    async close() {
      await api.close();
      await ow.close();
    },
  };
}

test('Overwatch: keys made on first start, DS from the API validates answers with delv, same DS after restart', { skip: !hasTool('delv') && 'delv not installed', timeout: 60_000 }, async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'opengslb-ow-dnssec-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dataDir = path.join(root, 'data');

  let node = await startOverwatch(dataDir);
  let dsBody: { zone: string; ds_records: { key_tag: number; algorithm: number; digest_type: number; digest: string; ds_record: string }[] };
  const anchorDir = tempDir();
  t.after(() => anchorDir.remove());
  try {
    const res = await fetch(`${node.apiBase}/api/v1/dnssec/ds`);
    assert.equal(res.status, 200);
    dsBody = (await res.json()) as typeof dsBody;
    assert.equal(dsBody.zone, ZONE);
    const r = dsBody.ds_records[0]!;
    const anchor = writeDelvAnchor(anchorDir.dir, ZONE, { keyTag: r.key_tag, algorithm: r.algorithm, digestType: r.digest_type, digest: r.digest });
    for (const [name, type, verdict] of [
      [`app.${ZONE}`, 'A', '; fully validated'],
      [ZONE, 'DNSKEY', '; fully validated'],
      [`nope.${ZONE}`, 'A', '; negative response, fully validated'],
      [`app.${ZONE}`, 'AAAA', '; negative response, fully validated'],
    ] as const) {
      const out = await delv(node.ow.dnsPort, anchor, ZONE, name, type);
      assert.ok(out.includes(verdict), `${name} ${type}\n${out}`);
    }
    const status = (await (await fetch(`${node.apiBase}/api/v1/dnssec/status`)).json()) as { zones: { signatures_made: number; keys: unknown[] }[] };
    assert.equal(status.zones[0]!.keys.length, 1);
    assert.ok(status.zones[0]!.signatures_made > 0);
  } finally {
    await node.close();
  }

  node = await startOverwatch(dataDir);
  try {
    const again = (await (await fetch(`${node.apiBase}/api/v1/dnssec/ds`)).json()) as typeof dsBody;
    assert.deepEqual(again, dsBody);
  } finally {
    await node.close();
  }
});
