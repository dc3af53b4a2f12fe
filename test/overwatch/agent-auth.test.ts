import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StateStore } from '../../src/store/index.ts';
import { AgentAuthenticator, expectedAgentId } from '../../src/overwatch/agent-auth.ts';
import { loadOrCreateIdentity, type AgentIdentity } from '../../src/agent/index.ts';
import { decodeEnvelope, encodeEnvelope, signEnvelope, type Envelope } from '../../src/gossip/index.ts';

const TOKEN_A = 'token-for-service-a-0123456789';
const TOKEN_B = 'token-for-service-b-0123456789';
const NOW = Date.parse('2026-11-27T12:00:00Z');

async function setup(t: { after: (fn: () => void | Promise<void>) => void }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'opengslb-auth-'));
  const store = StateStore.open(path.join(dir, 'data'));
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const auth = new AgentAuthenticator({ store, tokens: () => ({ a: TOKEN_A, b: TOKEN_B, a2: TOKEN_A }), maxSkewMs: 60_000 });
  const id = await loadOrCreateIdentity(path.join(dir, 'k'), path.join(dir, 'c'), 'us', NOW);
  return { store, auth, id, dir };
}

let seq = 1000;
function message(id: AgentIdentity, type: Envelope['type'], payload: unknown, opts: { agentId?: string; at?: number; seq?: number } = {}): Buffer {
  const env = { type, agent_id: opts.agentId ?? id.agentId, region: 'us', timestamp: new Date(opts.at ?? NOW).toISOString(), payload } as Envelope;
  return encodeEnvelope(signEnvelope(env, id.privateKey, 'a', opts.seq ?? ++seq));
}

function check(auth: AgentAuthenticator, bytes: Buffer, now = NOW) {
  const d = decodeEnvelope(bytes);
  assert.ok(d.ok);
  if (!d.ok) throw new Error('decode');
  return auth.authenticate(d.signed, d.envelope, d.timestampMs, now);
}

function authMsg(id: AgentIdentity, token: string, opts: { agentId?: string } = {}): Buffer {
  return message(id, 'agent_auth', { certificate_pem: id.certificatePem, service_token: token, fingerprint: id.keyId }, opts);
}

const hb = { backends: [{ service: 'a', address: '10.0.0.1', port: 80, weight: 100, healthy: true }] };

test('first contact with a valid token pins the key and authorises exactly the services of that token', async (t) => {
  const { auth, id, store } = await setup(t);
  const r = check(auth, authMsg(id, TOKEN_A));
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.deepEqual([...r.services].sort(), ['a', 'a2']);
  assert.equal(store.agents.get(id.agentId)?.pin, id.keyId);
  const next = check(auth, message(id, 'heartbeat', hb));
  assert.ok(next.ok);
});

test('a wrong token, an unknown agent and an unsigned message are refused', async (t) => {
  const { auth, id } = await setup(t);
  assert.deepEqual(check(auth, authMsg(id, 'not-the-token-0123456789')), { ok: false, reason: 'bad_token' });
  assert.deepEqual(check(auth, message(id, 'heartbeat', hb)), { ok: false, reason: 'unknown_agent' });
  const unsigned = encodeEnvelope({ type: 'heartbeat', agent_id: id.agentId, region: 'us', timestamp: new Date(NOW).toISOString(), payload: hb } as Envelope);
  assert.deepEqual(check(auth, unsigned), { ok: false, reason: 'unsigned' });
});

test('a replayed message and a stale one are refused', async (t) => {
  const { auth, id } = await setup(t);
  assert.ok(check(auth, authMsg(id, TOKEN_A)).ok);
  const m = message(id, 'heartbeat', hb);
  assert.ok(check(auth, m).ok);
  assert.deepEqual(check(auth, m), { ok: false, reason: 'replayed' });
  assert.deepEqual(check(auth, message(id, 'heartbeat', hb, { at: NOW - 10 * 60_000 })), { ok: false, reason: 'stale' });
});

test('an agent cannot claim another agent id, nor re-pin a different key under a pinned id', async (t) => {
  const { auth, id, dir } = await setup(t);
  assert.deepEqual(check(auth, authMsg(id, TOKEN_A, { agentId: 'us-000000000000' })), { ok: false, reason: 'agent_id_mismatch' });
  assert.ok(check(auth, authMsg(id, TOKEN_A)).ok);
  const other = await loadOrCreateIdentity(path.join(dir, 'k2'), path.join(dir, 'c2'), 'us', NOW);
  // a message for the pinned id signed by another key
  assert.deepEqual(check(auth, message(other, 'heartbeat', hb, { agentId: id.agentId })), { ok: false, reason: 'key_mismatch' });
  assert.equal(expectedAgentId('us', other.keyId), other.agentId);
});

test('a revoked agent is refused until its pin is deleted', async (t) => {
  const { auth, id, store } = await setup(t);
  assert.ok(check(auth, authMsg(id, TOKEN_A)).ok);
  store.agents.revoke(id.agentId, 'compromised', NOW);
  auth.forget(id.agentId);
  assert.deepEqual(check(auth, message(id, 'heartbeat', hb)), { ok: false, reason: 'revoked' });
  assert.deepEqual(check(auth, authMsg(id, TOKEN_A)), { ok: false, reason: 'revoked' });
  store.agents.delete(id.agentId);
  assert.ok(check(auth, authMsg(id, TOKEN_A)).ok);
});

test('a flood of forged signatures for one agent stops costing verifications after the per-second budget; the real agent works again the next second', async (t) => {
  const { auth, id, dir } = await setup(t);
  assert.ok(check(auth, authMsg(id, TOKEN_A)).ok);
  const forger = await loadOrCreateIdentity(path.join(dir, 'kf'), path.join(dir, 'cf'), 'us', NOW);
  // forged: right agent id and key id, signed by another key
  const forged = () => {
    const env = { type: 'heartbeat', agent_id: id.agentId, region: 'us', timestamp: new Date(NOW).toISOString(), payload: hb } as Envelope;
    const signedByForger = signEnvelope(env, forger.privateKey, 'a', ++seq);
    return encodeEnvelope({ ...signedByForger, auth: { ...signedByForger.auth!, key_id: id.keyId } } as Envelope);
  };
  const started = performance.now();
  for (let i = 0; i < 2000; i++) assert.equal(check(auth, forged()).ok, false);
  const perMessageMs = (performance.now() - started) / 2000;
  assert.ok(perMessageMs < 0.5, `forged messages cost ${perMessageMs.toFixed(3)} ms each after the budget`);
  // within the same second even a genuine message is refused; the next second it passes
  assert.equal(check(auth, message(id, 'heartbeat', hb)).ok, false);
  assert.ok(check(auth, message(id, 'heartbeat', hb, { at: NOW + 1000 }), NOW + 1000).ok);
});
