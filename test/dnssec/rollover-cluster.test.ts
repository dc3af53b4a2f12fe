/**
 * Issue 6's end-to-end rollover check: three real Overwatches (DNS + API + key sync over HTTP) with a
 * seconds-long ZSK lifetime converge on one KSK, then roll their ZSK several times while a
 * validating unbound, stubbed to all three, and delv against each node in turn validate answers
 * continuously. unbound's cache mixes DNSKEY RRsets and signatures from different nodes, which is
 * exactly what breaks when one node signs with a key another does not publish yet.
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
import { freePort } from '../gossip/go-peer.ts';
import { staticOverwatchYaml } from '../support/static-overwatch-yaml.ts';
import { delv, digVia, hasTool, startUnbound, tempDir, writeDelvAnchor, type DsLine } from './validator-tools.ts';

const ZONE = 'roll.example.com';
const SECRET = 'rollover-test-shared-secret-0123';

function configText(i: number, apiPorts: number[], dataDir: string): string {
  const peers = apiPorts.filter((_, j) => j !== i).map((p) => `http://127.0.0.1:${p}`);
  return staticOverwatchYaml({
    zone: ZONE,
    nodeId: `ow-roll-${i + 1}`,
    dataDir,
    dns: ['  default_ttl: 1', '  rate_limit:', '    enabled: false'],
    domain: ['    ttl: 1'],
    sections: `api:
  address: "127.0.0.1:${apiPorts[i]}"
  allowed_networks: [127.0.0.0/8]
dnssec:
  zsk_lifetime: 6s
  propagation_delay: 3s
  key_sync:
    peers: [${peers.join(', ')}]
    poll_interval: 1s
    timeout: 500ms
    shared_secret: "${SECRET}"
`,
  });
}

interface KeyJson {
  key_tag: number;
  algorithm: number;
  role: 'ksk' | 'zsk';
  state: string;
  signing: boolean;
}
interface StatusJson {
  zones: { zone: string; keys: KeyJson[]; rollover: { zsk_lifetime_seconds: number; next_event: string | null } }[];
}

const probe = async () => ({ ok: true, latencyMs: 1 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(
  'three Overwatches with key sync roll their ZSK every few seconds and validation stays green throughout',
  { skip: !(hasTool('delv') && hasTool('unbound')) && 'delv or unbound not installed', timeout: 120_000 },
  async (t) => {
    const root = mkdtempSync(path.join(tmpdir(), 'opengslb-rollover-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const apiPorts = [await freePort(), await freePort(), await freePort()];
    const log = pino({ level: 'silent' });
    const nodes: { ow: Overwatch; api: { port: number; close(): Promise<void> } }[] = [];
    t.after(async () => {
      for (const n of nodes) {
        await n.api.close();
        await n.ow.close();
      }
    });
    for (let i = 0; i < 3; i++) {
      const config = parseConfigText(configText(i, apiPorts, path.join(root, `data-${i}`)), { sourcePath: `ow${i}.yaml`, env: {}, hostname: 'test-host' });
      const ow = await Overwatch.start(config, { log, probe });
      const api = await startApiServer({ control: ow.control, config: config.api, logger: log });
      nodes.push({ ow, api });
    }
    const status = async (i: number): Promise<StatusJson['zones'][number]> =>
      ((await (await fetch(`http://127.0.0.1:${apiPorts[i]}/api/v1/dnssec/status`)).json()) as StatusJson).zones[0]!;

    // Convergence: one KSK everywhere and an active ZSK everywhere, the same one.
    let ksk: KeyJson | undefined;
    for (const deadline = Date.now() + 30_000; ; await sleep(200)) {
      const all = await Promise.all([0, 1, 2].map(status));
      const kskTags = all.map((z) => z.keys.find((k) => k.role === 'ksk' && k.state === 'active')!.key_tag);
      const signers = all.map((z) => z.keys.find((k) => k.signing)!);
      if (new Set(kskTags).size === 1 && signers.every((s) => s.role === 'zsk' && s.key_tag === signers[0]!.key_tag)) {
        ksk = all[0]!.keys.find((k) => k.role === 'ksk' && k.state === 'active');
        break;
      }
      assert.ok(Date.now() < deadline, `no convergence: ${JSON.stringify(all.map((z) => z.keys))}`);
    }
    const dsRes = (await (await fetch(`http://127.0.0.1:${apiPorts[0]}/api/v1/dnssec/ds`)).json()) as { ds_records: { key_tag: number; algorithm: number; digest_type: number; digest: string }[] };
    assert.equal(dsRes.ds_records[0]!.key_tag, ksk!.key_tag, 'the DS to publish is the KSK, never a ZSK');
    const d = dsRes.ds_records[0]!;
    const ds: DsLine = { keyTag: d.key_tag, algorithm: d.algorithm, digestType: d.digest_type, digest: d.digest };
    const anchorDir = tempDir();
    t.after(() => anchorDir.remove());
    const anchor = writeDelvAnchor(anchorDir.dir, ZONE, ds);
    const unbound = await startUnbound(
      nodes.map((n) => n.ow.dnsPort),
      ZONE,
      ds,
    );
    t.after(() => unbound.stop());

    // 20 s of continuous validation: with a 6 s lifetime that spans at least two rollovers.
    const signersSeen = new Set<number>();
    const failures: string[] = [];
    let checks = 0;
    const end = Date.now() + 20_000;
    for (let round = 0; Date.now() < end; round++) {
      const node = nodes[round % 3]!;
      const [viaUnbound, viaUnboundNx, viaDelv, viaDelvKeys] = await Promise.all([
        digVia(unbound.port, `app.${ZONE}`, 'A'),
        digVia(unbound.port, `nope-${round}.${ZONE}`, 'A'),
        delv(node.ow.dnsPort, anchor, ZONE, `app.${ZONE}`, 'A'),
        delv(node.ow.dnsPort, anchor, ZONE, ZONE, 'DNSKEY'),
      ]);
      checks += 4;
      if (!/status: NOERROR/.test(viaUnbound) || !/flags:[^;]* ad[ ;]/.test(viaUnbound)) failures.push(`unbound app A, round ${round}:\n${viaUnbound}`);
      if (!/flags:[^;]* ad[ ;]/.test(viaUnboundNx)) failures.push(`unbound nonexistent name, round ${round}:\n${viaUnboundNx}`);
      if (!viaDelv.includes('; fully validated')) failures.push(`delv app A via node ${round % 3}, round ${round}:\n${viaDelv}`);
      if (!viaDelvKeys.includes('; fully validated')) failures.push(`delv DNSKEY via node ${round % 3}, round ${round}:\n${viaDelvKeys}`);
      for (const z of await Promise.all([0, 1, 2].map(status))) signersSeen.add(z.keys.find((k) => k.signing)!.key_tag);
      await sleep(150);
    }
    assert.deepEqual(failures, [], `${failures.length} of ${checks} validations failed`);
    assert.doesNotMatch(unbound.log(), /validation failure|bogus/i, 'unbound never saw a bogus answer from any node');
    assert.ok(signersSeen.size >= 3, `the ZSK rolled at least twice during the run (signers seen: ${[...signersSeen].join(', ')})`);
    const final = await status(0);
    assert.ok(final.keys.filter((k) => k.role === 'zsk').length <= 3, 'old ZSKs leave the DNSKEY RRset');
    assert.ok(final.rollover.next_event, 'the next key event is scheduled');
  },
);
