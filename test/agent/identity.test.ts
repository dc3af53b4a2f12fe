import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { loadOrCreateIdentity } from '../../src/agent/identity.ts';

function dir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(path.join(tmpdir(), 'opengslb-id-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('creates a P-256 key (0600) and a self-signed clientAuth certificate (0644) on first start', async (t) => {
  const d = dir(t);
  const id = await loadOrCreateIdentity(path.join(d, 'agent.key'), path.join(d, 'agent.crt'), 'us-east');
  assert.equal(statSync(path.join(d, 'agent.key')).mode & 0o777, 0o600);
  assert.equal(statSync(path.join(d, 'agent.crt')).mode & 0o777, 0o644);
  const cert = new X509Certificate(readFileSync(path.join(d, 'agent.crt')));
  assert.match(cert.subject, /CN=opengslb-agent-us-east/);
  assert.ok(cert.checkPrivateKey(id.privateKey));
  assert.match(id.agentId, /^us-east-[0-9a-f]{12}$/);
  assert.equal(id.keyId.length, 64);
});

test('a restart loads the same identity', async (t) => {
  const d = dir(t);
  const a = await loadOrCreateIdentity(path.join(d, 'k'), path.join(d, 'c'), 'eu');
  const b = await loadOrCreateIdentity(path.join(d, 'k'), path.join(d, 'c'), 'eu');
  assert.equal(a.agentId, b.agentId);
  assert.equal(a.certificatePem, b.certificatePem);
});

test('a certificate near expiry is renewed with the same key, keeping the agent id', async (t) => {
  const d = dir(t);
  const now = Date.now();
  const a = await loadOrCreateIdentity(path.join(d, 'k'), path.join(d, 'c'), 'eu', now);
  const b = await loadOrCreateIdentity(path.join(d, 'k'), path.join(d, 'c'), 'eu', now + 340 * 24 * 3600 * 1000);
  assert.equal(a.agentId, b.agentId);
  assert.notEqual(a.certificatePem, b.certificatePem);
});

test('an unreadable key is an error naming the file, never silently replaced', async (t) => {
  const d = dir(t);
  writeFileSync(path.join(d, 'k'), 'garbage');
  await assert.rejects(loadOrCreateIdentity(path.join(d, 'k'), path.join(d, 'c'), 'eu'), /cannot read the agent key .*\/k/);
});
