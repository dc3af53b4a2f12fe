import assert from 'node:assert/strict';
import test from 'node:test';
import { parse, parseProblems } from './config-fixture.ts';
import { parseConfigText } from '../../src/config/index.ts';

const GUIDE = 'I understand that disabling DNSSEC allows DNS spoofing attacks';
const ORIGINAL =
  'I understand that disabling DNSSEC removes cryptographic authentication of DNS responses and allows DNS spoofing attacks against my zones';

test('DNSSEC is on by default with ECDSAP256SHA256, hourly key sync, 7-day signatures', () => {
  assert.deepEqual(parse('').dnssec, {
    enabled: true,
    algorithm: 'ECDSAP256SHA256',
    keySync: { peers: [], pollIntervalMs: 3_600_000, timeoutMs: 30_000 },
    signatureValidityMs: 7 * 86_400_000,
    rollover: { zskLifetimeMs: 0, propagationDelayMs: 300_000 },
  });
});

test("disabling DNSSEC is accepted with the guide's or the original's acknowledgement", () => {
  for (const sentence of [GUIDE, ORIGINAL]) {
    assert.equal(parse(`dnssec:\n  enabled: false\n  security_acknowledgment: "${sentence}"\n`).dnssec.enabled, false);
  }
});

test("disabling DNSSEC without the acknowledgement quotes the guide's sentence", async () => {
  const { lines } = await parseProblems('dnssec:\n  enabled: false\n  security_acknowledgment: "yes please"\n');
  assert.deepEqual(lines, [`cfg.yaml:3: dnssec.security_acknowledgment: to disable DNSSEC, security_acknowledgment must be set to: "${GUIDE}"`]);
  const missing = await parseProblems('dnssec:\n  enabled: false\n');
  assert.deepEqual(missing.lines, [`cfg.yaml:2: dnssec.security_acknowledgment: to disable DNSSEC, security_acknowledgment must be set to: "${GUIDE}"`]);
});

test('algorithm 13 is accepted by number or name; others are refused', async () => {
  assert.equal(parse('dnssec:\n  algorithm: 13\n').dnssec.algorithm, 'ECDSAP256SHA256');
  assert.equal(parse('dnssec:\n  algorithm: ecdsap256sha256\n').dnssec.algorithm, 'ECDSAP256SHA256');
  const { lines } = await parseProblems('dnssec:\n  algorithm: RSASHA256\n');
  assert.deepEqual(lines, ['cfg.yaml:2: dnssec.algorithm: expected ECDSAP256SHA256 (algorithm 13), got "RSASHA256"']);
});

test('key_sync peers must be http(s) URLs; signature_validity is read', async () => {
  assert.equal(parse('dnssec:\n  signature_validity: 72h\n').dnssec.signatureValidityMs, 72 * 3_600_000);
  const { lines } = await parseProblems('dnssec:\n  key_sync:\n    peers: ["overwatch-2:9090"]\n    timeout: 5s\n');
  assert.deepEqual(lines, ['cfg.yaml:3: dnssec.key_sync.peers[0]: expected an http(s) URL such as https://overwatch-2.internal:9090, got "overwatch-2:9090"']);
});

test('dnssec.key_sync.shared_secret is read, must be 16+ characters, and is never echoed', () => {
  const secret = 'sync-secret-0123456789';
  const ok = parseConfigText(`dnssec:\n  key_sync:\n    peers: ["https://ow2.internal:8080"]\n    shared_secret: "${secret}"\n`, { sourcePath: 'ow.yaml' });
  assert.equal(ok.dnssec.keySync.sharedSecret, secret);
  assert.throws(
    () => parseConfigText('dnssec:\n  key_sync:\n    shared_secret: "short-secret"\n', { sourcePath: 'ow.yaml' }),
    (err: Error) => /ow\.yaml:3: dnssec\.key_sync\.shared_secret: expected at least 16 characters/.test(err.message) && !err.message.includes('short-secret'),
  );
});

test('ZSK rollover: zsk_lifetime and propagation_delay are read; the delay defaults to two key sync polls plus the timeout', () => {
  const on = parse('dnssec:\n  zsk_lifetime: 30d\n  propagation_delay: 1h\n').dnssec.rollover;
  assert.deepEqual(on, { zskLifetimeMs: 30 * 86_400_000, propagationDelayMs: 3_600_000 });
  const synced = parse('dnssec:\n  zsk_lifetime: 30d\n  key_sync:\n    peers: ["https://ow2.internal:8080"]\n    poll_interval: 1h\n    timeout: 30s\n').dnssec.rollover;
  assert.equal(synced.propagationDelayMs, 2 * 3_600_000 + 30_000);
});

test('ZSK rollover: a propagation delay shorter than key sync needs, or a lifetime under two delays, is refused with the line', async () => {
  const short = await parseProblems('dnssec:\n  propagation_delay: 10m\n  key_sync:\n    peers: ["https://ow2.internal:8080"]\n    poll_interval: 1h\n');
  assert.deepEqual(short.lines, ['cfg.yaml:2: dnssec.propagation_delay: expected at least 2 × key_sync.poll_interval + key_sync.timeout (2h30s) with key sync peers, got 10m']);
  const lifetime = await parseProblems('dnssec:\n  zsk_lifetime: 1h\n  propagation_delay: 40m\n');
  assert.deepEqual(lifetime.lines, ['cfg.yaml:2: dnssec.zsk_lifetime: expected 0 (no rollover) or at least twice dnssec.propagation_delay (1h20m), got 1h']);
  const notDuration = await parseProblems('dnssec:\n  zsk_lifetime: monthly\n');
  assert.match(notDuration.lines[0]!, /^cfg\.yaml:2: dnssec\.zsk_lifetime: expected a duration/);
});
