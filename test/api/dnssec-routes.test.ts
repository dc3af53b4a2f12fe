import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnssecService, SigningKey, attachDnssec, FLAGS_CSK } from '../../src/dnssec/index.ts';
import { ManualClock } from '../../src/lifecycle/index.ts';
import { RFC3339, request, startHarness } from './api-fixture.ts';
import { FakeControl, T0 } from './fake-control.ts';
import { MemoryKeys, silentLog } from '../dnssec/signed-server.ts';
import { VECTOR_KEY_PEM, VECTOR_ZONE } from '../dnssec/vectors.ts';

function controlWithDnssec(zones: string[]): { control: FakeControl; svc: DnssecService } {
  const keys = new MemoryKeys();
  const vector = SigningKey.fromPem(VECTOR_ZONE, VECTOR_KEY_PEM, FLAGS_CSK, T0 - 86_400_000);
  keys.put({
    zone: VECTOR_ZONE,
    keyTag: vector.keyTag,
    algorithm: 13,
    flags: 257,
    publicKey: vector.publicKeyBase64,
    privateKeyPem: vector.privateKeyPem(),
    createdAtMs: vector.createdAtMs,
    source: 'local',
    active: true,
  });
  const svc = new DnssecService({
    config: { enabled: true, algorithm: 'ECDSAP256SHA256', keySync: { peers: [], pollIntervalMs: 3_600_000, timeoutMs: 30_000 }, signatureValidityMs: 7 * 86_400_000, rollover: { zskLifetimeMs: 0, propagationDelayMs: 0 } },
    dnskeyTtlSeconds: 300,
    keys,
    clock: new ManualClock(T0),
    log: silentLog,
    requestRebuild: () => {},
  });
  svc.ensureZones(zones);
  const control = new FakeControl();
  attachDnssec(control, svc);
  return { control, svc };
}

const VECTOR_DS = {
  zone: 'gslb.example.com',
  ds_records: [
    {
      key_tag: 40380,
      algorithm: 13,
      digest_type: 2,
      digest: 'A0BAD0919730B30B60A6E9212FAA0831ADF867207C2AC2C8A7DB8860068B42D2',
      ds_record: 'gslb.example.com. IN DS 40380 13 2 A0BAD0919730B30B60A6E9212FAA0831ADF867207C2AC2C8A7DB8860068B42D2',
    },
  ],
};

test('GET /api/v1/dnssec/ds?zone= answers the guide JSON with the zone key DS (digest type 2)', async (t) => {
  const h = await startHarness(t, { control: controlWithDnssec([VECTOR_ZONE]).control });
  for (const zone of ['gslb.example.com', 'GSLB.example.com.']) {
    const res = await request(h.base, 'GET', `/api/v1/dnssec/ds?zone=${encodeURIComponent(zone)}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, VECTOR_DS);
  }
});

test('GET /api/v1/dnssec/ds without zone: the single-zone object when one zone is served', async (t) => {
  const h = await startHarness(t, { control: controlWithDnssec([VECTOR_ZONE]).control });
  const res = await request(h.base, 'GET', '/api/v1/dnssec/ds');
  assert.deepEqual(res.body, VECTOR_DS);
});

test('GET /api/v1/dnssec/ds without zone lists every zone as {"zones":[...]} when there are several', async (t) => {
  const h = await startHarness(t, { control: controlWithDnssec([VECTOR_ZONE, 'other.example']).control });
  const res = await request(h.base, 'GET', '/api/v1/dnssec/ds');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.zones.map((z: { zone: string }) => z.zone), ['gslb.example.com', 'other.example']);
  assert.deepEqual(res.body.zones[0], VECTOR_DS);
  assert.match(res.body.zones[1].ds_records[0].ds_record, /^other\.example\. IN DS \d+ 13 2 [0-9A-F]{64}$/);
});

test('an unknown zone is 404 naming the zones served', async (t) => {
  const h = await startHarness(t, { control: controlWithDnssec([VECTOR_ZONE]).control });
  const res = await request(h.base, 'GET', '/api/v1/dnssec/ds?zone=nope.example');
  assert.equal(res.status, 404);
  assert.deepEqual(res.body, { error: 'zone "nope.example" is not served here; zones: gslb.example.com', code: 404 });
});

test('with DNSSEC off both routes answer 404 saying so', async (t) => {
  const h = await startHarness(t);
  for (const path of ['/api/v1/dnssec/ds', '/api/v1/dnssec/status']) {
    const res = await request(h.base, 'GET', path);
    assert.equal(res.status, 404);
    assert.match(res.body.error, /DNSSEC is disabled/);
  }
});

test('GET /api/v1/dnssec/status shows keys, tags, ages, the cache and never a private key', async (t) => {
  const h = await startHarness(t, { control: controlWithDnssec([VECTOR_ZONE]).control });
  const res = await request(h.base, 'GET', '/api/v1/dnssec/status');
  assert.equal(res.status, 200);
  assert.match(res.body.generated_at, RFC3339);
  assert.equal(res.body.algorithm, 'ECDSAP256SHA256');
  assert.equal(res.body.signature_validity_seconds, 604800);
  const zone = res.body.zones[0];
  assert.equal(zone.zone, 'gslb.example.com');
  assert.deepEqual(zone.keys, [
    {
      key_tag: 40380,
      algorithm: 13,
      flags: 257,
      public_key: 'SvA0M3qH2WXjcI48q/Lg3Hn2oCI0mxBYQkx3fZJf3kQFGyH/LFaHuc8d+0i3YW7K5Syzhcf8K8xw0K8ByGX+NQ==',
      created_at: new Date(T0 - 86_400_000).toISOString(),
      age_seconds: 86400,
      source: 'local',
      signing: true,
      role: 'ksk',
      state: 'active',
      active_from: null,
      remove_at: null,
    },
  ]);
  assert.equal(zone.next_refresh, null, 'nothing signed yet');
  assert.deepEqual(zone.rollover, { zsk_lifetime_seconds: 0, next_event: null });
  assert.doesNotMatch(res.text, /PRIVATE KEY/);
});

test('the DNSSEC routes are behind the ACL', async (t) => {
  const h = await startHarness(t, { control: controlWithDnssec([VECTOR_ZONE]).control, api: { allowedNetworks: ['10.0.0.0/8'] } });
  const res = await request(h.base, 'GET', '/api/v1/dnssec/ds');
  assert.equal(res.status, 403);
});
