import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  AuthStatus,
  canonicalJson,
  decodeEnvelope,
  decodeNodeMeta,
  encodeEnvelope,
  encodeNodeMeta,
  needsReliableDelivery,
  publicKeyId,
  signEnvelope,
  verifyEnvelope,
  type Envelope,
} from '../../src/gossip/index.ts';

// What the original Go agent sends (encoding/json of its Message struct, RFC3339Nano time).
const GO_HEARTBEAT = JSON.stringify({
  type: 'heartbeat',
  agent_id: 'agent-eu-1',
  region: 'eu-west',
  timestamp: '2026-11-27T23:08:06.566412345+01:00',
  payload: {
    backends: [{ service: 'web', address: '10.0.1.10', port: 8080, weight: 100, healthy: true }],
    fingerprint: '',
    predictive: { bleeding: true, bleed_reason: 'cpu', bleeding_at: '2026-11-27T23:08:00Z', cpu_percent: 93.5, mem_percent: 40, error_rate: 0 },
  },
});

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

test('decodes the original Go heartbeat envelope, nanosecond timestamp and predictive block', () => {
  const r = decodeEnvelope(Buffer.from(GO_HEARTBEAT));
  assert.ok(r.ok);
  if (!r.ok || r.envelope.type !== 'heartbeat') return;
  assert.equal(r.envelope.agent_id, 'agent-eu-1');
  assert.equal(r.timestampMs, Date.parse('2026-11-27T22:08:06.566Z'));
  assert.deepEqual(r.envelope.payload.backends?.[0], { service: 'web', address: '10.0.1.10', port: 8080, weight: 100, healthy: true });
  assert.equal(r.envelope.payload.predictive?.cpu_percent, 93.5);
  assert.equal(r.envelope.auth, undefined);
});

test('decodes register, deregister, latency_report and agent_auth with a base64 PEM as Go marshals []byte', () => {
  const base = { agent_id: 'a', region: 'r', timestamp: '2026-01-01T00:00:00Z' };
  const ok = (o: object) => decodeEnvelope(Buffer.from(JSON.stringify({ ...base, ...o })));
  assert.ok(ok({ type: 'register', payload: { service: 's', address: '10.0.0.1', port: 80, weight: 0 } }).ok);
  assert.ok(ok({ type: 'deregister', payload: { service: 's', address: '10.0.0.1', port: 80 } }).ok);
  assert.ok(ok({ type: 'latency_report', payload: { backend: 's', subnets: [{ subnet: '10.0.0.0/24', ewma_ns: 1e6, sample_count: 3, last_seen: base.timestamp }] } }).ok);
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const auth = ok({ type: 'agent_auth', payload: { certificate_pem: Buffer.from(pem).toString('base64'), service_token: 't', fingerprint: 'f' } });
  assert.ok(auth.ok && auth.envelope.type === 'agent_auth' && auth.envelope.payload.certificate_pem === pem);
});

test('refuses malformed envelopes with a reason, never an exception', () => {
  const bad = [
    'nope',
    '[]',
    '{"type":"gossip","agent_id":"a","region":"r","timestamp":"2026-01-01T00:00:00Z","payload":{}}',
    '{"type":"heartbeat","agent_id":"","region":"r","timestamp":"2026-01-01T00:00:00Z","payload":{"backends":[]}}',
    '{"type":"heartbeat","agent_id":"a","region":"r","timestamp":"yesterday","payload":{"backends":[]}}',
    '{"type":"heartbeat","agent_id":"a","region":"r","timestamp":"2026-01-01T00:00:00Z","payload":{"backends":[{"service":"s","address":"x","port":70000,"healthy":true}]}}',
    '{"type":"register","agent_id":"a","region":"r","timestamp":"2026-01-01T00:00:00Z","payload":{"service":"s"}}',
  ];
  for (const b of bad) {
    const r = decodeEnvelope(Buffer.from(b));
    assert.equal(r.ok, false, b);
    assert.ok(!r.ok && r.error.length > 0);
  }
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => void decodeEnvelope(b)), { numRuns: 500 });
  fc.assert(fc.property(fc.json(), (j) => void decodeEnvelope(Buffer.from(j))), { numRuns: 500 });
});

function heartbeat(): Envelope {
  return {
    type: 'heartbeat',
    agent_id: 'agent-1',
    region: 'eu',
    timestamp: '2026-11-27T12:00:00Z',
    payload: { backends: [{ service: 'web', address: '10.0.0.5', port: 443, weight: 50, healthy: true }] },
  };
}
const NOW = Date.parse('2026-11-27T12:00:01Z');
const verifyOpts = { publicKey, lastSeq: 4, nowMs: NOW, maxSkewMs: 30_000, timestampMs: Date.parse('2026-11-27T12:00:00Z') };

test('a signed envelope survives encode/decode and verifies against the pinned key', () => {
  const signed = signEnvelope(heartbeat(), privateKey, 'web', 5);
  const r = decodeEnvelope(encodeEnvelope(signed));
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.envelope.auth?.key_id, publicKeyId(publicKey));
  assert.equal(verifyEnvelope(r.envelope, { ...verifyOpts, timestampMs: r.timestampMs }), AuthStatus.Ok);
});

test('refuses unsigned, tampered, foreign-key, replayed and stale envelopes by policy status', () => {
  assert.equal(verifyEnvelope(heartbeat(), verifyOpts), AuthStatus.Unsigned);
  const signed = signEnvelope(heartbeat(), privateKey, 'web', 5);
  const tampered = structuredClone(signed);
  if (tampered.type === 'heartbeat') tampered.payload.backends![0]!.address = '6.6.6.6';
  assert.equal(verifyEnvelope(tampered, verifyOpts), AuthStatus.BadSignature);
  assert.equal(verifyEnvelope(signed, { ...verifyOpts, publicKey: other.publicKey }), AuthStatus.KeyMismatch);
  assert.equal(verifyEnvelope(signed, { ...verifyOpts, lastSeq: 5 }), AuthStatus.Replayed);
  assert.equal(verifyEnvelope(signed, { ...verifyOpts, nowMs: NOW + 60_000 }), AuthStatus.Stale);
  const garbageSig = { ...signed, auth: { ...signed.auth!, sig: '!!' } } as Envelope;
  assert.equal(verifyEnvelope(garbageSig, verifyOpts), AuthStatus.BadSignature);
});

test('canonical JSON sorts keys at every level so signatures do not depend on member order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: null }], c: 'x' } }), '{"a":{"c":"x","d":[1,{"y":null,"z":0}]},"b":1}');
});

test('node meta round-trips and stays within memberlist 512 bytes; foreign meta is undefined', () => {
  const meta = { role: 'agent' as const, region: 'eu-west', version: '1.0.0', timestamp: '2026-11-27T12:00:00Z', agent_id: 'agent-1', node_id: 'host-1' };
  const b = encodeNodeMeta(meta);
  assert.ok(b.length <= 512);
  assert.deepEqual(decodeNodeMeta(b), meta);
  assert.equal(decodeNodeMeta(Buffer.from('role=go-peer')), undefined);
});

test('state-changing messages are marked for reliable delivery', () => {
  assert.equal(needsReliableDelivery('register'), true);
  assert.equal(needsReliableDelivery('deregister'), true);
  assert.equal(needsReliableDelivery('heartbeat'), false);
});
