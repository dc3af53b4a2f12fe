/**
 * Agent message authentication drops what it can before any expensive work: a replayed or stale
 * envelope with a forged signature is refused on its sequence number or timestamp without an ECDSA
 * verification (measured: a small fraction of the CPU a fresh forgery costs). CPU time of this
 * thread, so neighbours on a shared machine stretch both sides alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { AuthStatus, publicKeyId, signEnvelope, verifyEnvelope, type Envelope } from '../../src/gossip/index.ts';

const NOW = Date.parse('2026-11-27T12:00:01Z');
const ROUNDS = 2000;

/** Signed by a key that is not the pinned one, but claiming the pinned key's id (copied from a captured message). */
function forgery(pinnedKeyId: string, seq: number): Envelope {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const env: Envelope = {
    type: 'heartbeat',
    agent_id: 'agent-1',
    region: 'eu',
    timestamp: '2026-11-27T12:00:00Z',
    payload: { backends: [{ service: 'web', address: '10.0.0.5', port: 443, weight: 50, healthy: true }] },
  };
  const signed = signEnvelope(env, privateKey, 'web', seq);
  return { ...signed, auth: { ...signed.auth!, key_id: pinnedKeyId } } as Envelope;
}

function cpuUsPerCall(run: () => void): number {
  for (let i = 0; i < 100; i++) run();
  const since = process.threadCpuUsage();
  for (let i = 0; i < ROUNDS; i++) run();
  const used = process.threadCpuUsage(since);
  return (used.user + used.system) / ROUNDS;
}

test('replayed and stale forgeries are refused without a signature verification; fresh ones cost one', (t) => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const opts = { publicKey, lastSeq: 100, nowMs: NOW, maxSkewMs: 30_000, timestampMs: Date.parse('2026-11-27T12:00:00Z') };
  const later = { ...opts, nowMs: NOW + 3_600_000 };
  const replayed = forgery(publicKeyId(publicKey), 50);
  const fresh = forgery(publicKeyId(publicKey), 500);
  assert.equal(verifyEnvelope(replayed, opts), AuthStatus.Replayed);
  assert.equal(verifyEnvelope(fresh, later), AuthStatus.Stale);
  assert.equal(verifyEnvelope(fresh, opts), AuthStatus.BadSignature);

  const replayedUs = cpuUsPerCall(() => verifyEnvelope(replayed, opts));
  const staleUs = cpuUsPerCall(() => verifyEnvelope(fresh, later));
  const forgedUs = cpuUsPerCall(() => verifyEnvelope(fresh, opts));
  t.diagnostic(`CPU per refused envelope: replayed ${replayedUs.toFixed(1)} µs, stale ${staleUs.toFixed(1)} µs, fresh forged signature ${forgedUs.toFixed(1)} µs`);
  assert.ok(replayedUs * 5 < forgedUs, `a replayed forgery costs ${replayedUs.toFixed(1)} µs against ${forgedUs.toFixed(1)} µs for a verification`);
  assert.ok(staleUs * 5 < forgedUs, `a stale forgery costs ${staleUs.toFixed(1)} µs against ${forgedUs.toFixed(1)} µs for a verification`);
});
