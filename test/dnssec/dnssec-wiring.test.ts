import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { parseConfigText } from '../../src/config/index.ts';
import { dnssecAccessOf } from '../../src/dnssec/index.ts';
import { ManualClock } from '../../src/lifecycle/index.ts';
import { openDnssec } from '../../src/overwatch/dnssec-wiring.ts';
import { MemoryKeys } from './signed-server.ts';

const ZONE = 'gslb.example.com';

function config(extra: string) {
  return parseConfigText(
    `mode: overwatch
dns:
  listen_address: "127.0.0.1:0"
  zones: [${ZONE}]
regions:
  - name: r
    servers:
      - { address: 192.0.2.1, port: 80, service: app.${ZONE} }
domains:
  - name: app.${ZONE}
    regions: [r]
${extra}`,
    { sourcePath: 'test.yaml', env: {}, hostname: 'h' },
  );
}

function open(cfgExtra: string, warnings: string[] = []) {
  const cfg = config(cfgExtra);
  const control = {};
  const metrics = new Registry();
  const rt = openDnssec({
    config: cfg,
    store: { dnssecKeys: new MemoryKeys() } as never,
    clock: new ManualClock(Date.UTC(2026, 10, 27)),
    log: { info() {}, error() {}, warn: (_o: object, m: string) => warnings.push(m) },
    metrics,
    control,
    requestRebuild: () => {},
  });
  return { rt, control, metrics };
}

test('dnssec.enabled: false opens nothing', () => {
  const { rt } = open(`dnssec:\n  enabled: false\n  security_acknowledgment: "I understand that disabling DNSSEC allows DNS spoofing attacks"\n`);
  assert.equal(rt, undefined);
});

test('on by default: a key per zone, attached for the API, metrics registered', async () => {
  const { rt, control, metrics } = open('');
  assert.ok(rt);
  assert.deepEqual(rt.service.zones(), [ZONE]);
  assert.equal(dnssecAccessOf(control)?.service, rt.service);
  const text = await metrics.metrics();
  for (const name of ['opengslb_dnssec_signatures_total', 'opengslb_dnssec_signing_seconds', 'opengslb_dnssec_key_age_seconds', 'opengslb_dnssec_key_sync_failures_total']) {
    assert.match(text, new RegExp(name));
  }
  await rt.close();
});

test('key sync uses a secret derived from the gossip key; without one it is off and says so', async () => {
  const key = Buffer.alloc(32, 3).toString('base64');
  const withKey = open(`gossip:\n  encryption_key: "${key}"\ndnssec:\n  key_sync:\n    peers: ["http://127.0.0.1:9"]\n`);
  assert.equal(withKey.rt!.sync.enabled, true);
  assert.ok(withKey.rt!.sync.syncKey && !withKey.rt!.sync.syncKey.equals(Buffer.alloc(32, 3)), 'derived, not the gossip key itself');
  await withKey.rt!.close();
  const warnings: string[] = [];
  const without = open(`dnssec:\n  key_sync:\n    peers: ["http://127.0.0.1:9"]\n`, warnings);
  assert.equal(without.rt!.sync.enabled, false);
  assert.match(warnings.join('\n'), /key sync is off/);
  await without.rt!.close();
});
