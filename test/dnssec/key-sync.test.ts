/**
 * Key sync between independent Overwatches: three nodes that each generated a key converge on one
 * signing key and one DNSKEY set; one DS validates answers from all of them (delv); private keys
 * only travel sealed; a wrong secret or a dead peer is counted and never stops DNS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { startApiServer } from '../../src/api/index.ts';
import { KeySyncer, attachDnssec, deriveSyncKey, openPrivateKey, sealPrivateKey, SigningKey } from '../../src/dnssec/index.ts';
import { systemClock } from '../../src/lifecycle/index.ts';
import { wireKey } from '../../src/dns/wire/index.ts';
import { FakeControl } from '../api/fake-control.ts';
import { apiConfig, capturingLogger } from '../api/api-fixture.ts';
import { startSignedServer, silentLog, ZONE, type SignedServer } from './signed-server.ts';
import { delv, hasTool, tempDir, writeDelvAnchor } from './validator-tools.ts';
import { encodeQuery, udpExchange, decode } from '../support/dns-client.ts';

const SECRET = Buffer.alloc(32, 7);

test('sealed keys open with the same secret and metadata only', () => {
  const k = deriveSyncKey(SECRET);
  const meta = { zone: ZONE, keyTag: 1, algorithm: 13, flags: 257, publicKey: 'pk', createdAtMs: 5 };
  const sealed = sealPrivateKey(k, meta, '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n');
  assert.doesNotMatch(Buffer.from(sealed, 'base64').toString('latin1'), /PRIVATE KEY/);
  assert.match(openPrivateKey(k, meta, sealed), /abc/);
  assert.throws(() => openPrivateKey(deriveSyncKey(Buffer.alloc(32, 8)), meta, sealed), /does not authenticate/);
  assert.throws(() => openPrivateKey(k, { ...meta, createdAtMs: 1 }, sealed), /does not authenticate/, 'a forged creation time is refused');
  assert.throws(() => deriveSyncKey(Buffer.alloc(8)), /at least 16/);
});

interface Node {
  dns: SignedServer;
  sync: KeySyncer;
  apiBase: string;
  close(): Promise<void>;
}

/** n nodes, each with DNS and API listening; then each gets a KeySyncer polling the others. */
async function cluster(n: number, secrets: (Buffer | null)[] = []): Promise<Node[]> {
  const parts: { dns: SignedServer; control: FakeControl; api: Awaited<ReturnType<typeof startApiServer>> }[] = [];
  for (let i = 0; i < n; i++) {
    const dns = await startSignedServer();
    const control = new FakeControl();
    const api = await startApiServer({ control, config: apiConfig(), logger: capturingLogger('silent').logger });
    parts.push({ dns, control, api });
    await new Promise((r) => setTimeout(r, 5)); // distinct key creation times
  }
  return parts.map((p, i) => {
    const secret = secrets[i] === undefined ? SECRET : secrets[i]!;
    const sync = new KeySyncer({
      service: p.dns.dnssec,
      peers: parts.filter((_, j) => j !== i).map((q) => `http://127.0.0.1:${q.api.port}`),
      pollIntervalMs: 3_600_000,
      timeoutMs: 2000,
      syncKey: secret === null ? null : deriveSyncKey(secret),
      clock: systemClock,
      log: silentLog,
    });
    attachDnssec(p.control, p.dns.dnssec, { sync, nodeId: `ow-${i + 1}` });
    return {
      dns: p.dns,
      sync,
      apiBase: `http://127.0.0.1:${p.api.port}`,
      async close() {
        await sync.close();
        await p.api.close();
        await p.dns.close();
      },
    };
  });
}

function dnskeyTags(node: Node): number[] {
  return node.dns.dnssec.forZone(wireKey(ZONE))!.keys.map((k) => k.keyTag).sort((a, b) => a - b);
}

async function settle(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
}

test('three Overwatches converge on one signing key and one DNSKEY set; one DS validates all of them', { timeout: 60_000 }, async (t) => {
  const nodes = await cluster(3);
  t.after(() => Promise.all(nodes.map((n) => n.close())));
  const before = nodes.map((n) => n.dns.dnssec.forZone(wireKey(ZONE))!.key.keyTag);
  assert.equal(new Set(before).size, 3, 'each node made its own key');
  const oldest = before[0]!;

  // Sync through the API of one node, twice (a key learnt second-hand travels on the next round).
  for (let round = 0; round < 2; round++) {
    for (const n of nodes) {
      const res = await fetch(`${n.apiBase}/api/v1/dnssec/sync`, { method: 'POST' });
      assert.equal(res.status, 200);
    }
  }
  await settle();
  for (const n of nodes) {
    assert.equal(n.dns.dnssec.forZone(wireKey(ZONE))!.key.keyTag, oldest, 'the oldest key signs everywhere');
    assert.deepEqual(dnskeyTags(n), [...before].sort((a, b) => a - b), 'all keys published everywhere');
  }

  const status = (await (await fetch(`${nodes[1]!.apiBase}/api/v1/dnssec/sync/status`)).json()) as {
    enabled: boolean;
    peers: { peer: string; last_success: string | null; last_error: string | null; failures: number; key_tags_seen: { zone: string; key_tags: number[] }[] }[];
    signing_keys: { zone: string; key_tag: number }[];
  };
  assert.equal(status.enabled, true);
  assert.equal(status.peers.length, 2);
  for (const p of status.peers) {
    assert.ok(p.last_success);
    assert.equal(p.failures, 0);
    assert.equal(p.key_tags_seen[0]!.zone, ZONE);
  }
  assert.deepEqual(status.signing_keys.map((k) => k.key_tag), [oldest]);

  // The answers of every node carry the same DNSKEY RRset and an A RRSIG by the same key.
  const dnskeySets = await Promise.all(
    nodes.map(async (n) => {
      const res = decode(await udpExchange(n.dns.port, encodeQuery(ZONE, 'DNSKEY', { edns: { dnssecOk: true } })));
      return (res.answers as { type: string; data: { key: Buffer } }[]).filter((a) => a.type === 'DNSKEY').map((a) => a.data.key.toString('hex')).sort().join(',');
    }),
  );
  assert.equal(new Set(dnskeySets).size, 1);

  if (!hasTool('delv')) return t.skip('delv not installed');
  const anchors = tempDir();
  t.after(() => anchors.remove());
  // The winner's DS, and also the DS a node had published before sync (its own key): both validate everywhere.
  const dsAll = nodes[0]!.dns.dnssec.ds(ZONE)!.dsRecords;
  for (const ds of [dsAll.find((d) => d.keyTag === oldest)!, dsAll.find((d) => d.keyTag === before[2])!]) {
    const anchor = writeDelvAnchor(anchors.dir, ZONE, ds);
    for (const n of nodes) {
      for (const [name, type] of [[`www.${ZONE}`, 'A'], [ZONE, 'DNSKEY'], [`nope.${ZONE}`, 'A']] as const) {
        const out = await delv(n.dns.port, anchor, ZONE, name, type);
        assert.match(out, /fully validated/, `DS ${ds.keyTag} via node ${n.apiBase}: ${name} ${type}\n${out}`);
      }
    }
  }
});

test('the sync bundle carries no private key in the clear', async (t) => {
  const [n] = await cluster(1);
  t.after(() => n!.close());
  const res = await fetch(`${n!.apiBase}/api/v1/dnssec/sync/keys`);
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.doesNotMatch(text, /PRIVATE KEY/);
  const body = JSON.parse(text) as { node_id: string; zones: { zone: string; keys: { sealed_private_key: string }[] }[] };
  assert.equal(body.node_id, 'ow-1');
  assert.equal(body.zones[0]!.zone, ZONE);
  assert.ok(body.zones[0]!.keys[0]!.sealed_private_key.length > 100);
});

test('a peer with another secret is refused and counted; nothing is adopted; DNS keeps answering', async (t) => {
  const nodes = await cluster(2, [SECRET, Buffer.alloc(32, 9)]);
  t.after(() => Promise.all(nodes.map((n) => n.close())));
  await settle();
  const own = nodes[0]!.dns.dnssec.forZone(wireKey(ZONE))!.key.keyTag;
  await nodes[0]!.sync.syncNow();
  const st = nodes[0]!.sync.status()[0]!;
  assert.equal(st.failures, 1);
  assert.match(st.lastError!, /does not authenticate/);
  assert.equal(st.keysAdopted, 0);
  assert.deepEqual(dnskeyTags(nodes[0]!), [own]);
  const res = decode(await udpExchange(nodes[0]!.dns.port, encodeQuery(`www.${ZONE}`, 'A', { edns: { dnssecOk: true } })));
  assert.equal(res.answers!.length, 3);
});

test('a dead peer and a peer without a secret are failures with a reason, not exceptions', async (t) => {
  const dead = http.createServer((_req, res) => res.writeHead(500).end());
  dead.listen(0, '127.0.0.1');
  await once(dead, 'listening');
  const deadPort = (dead.address() as { port: number }).port;
  t.after(() => dead.close());
  const dns = await startSignedServer();
  t.after(() => dns.close());
  const sync = new KeySyncer({
    service: dns.dnssec,
    peers: [`http://127.0.0.1:${deadPort}`, 'http://127.0.0.1:9'],
    pollIntervalMs: 3_600_000,
    timeoutMs: 1000,
    syncKey: deriveSyncKey(SECRET),
    clock: systemClock,
    log: silentLog,
    onFailure: (peer) => failures.push(peer),
  });
  const failures: string[] = [];
  t.after(() => sync.close());
  await sync.syncNow();
  assert.equal(failures.length, 2);
  const [http500, refused] = sync.status();
  assert.match(http500!.lastError!, /HTTP 500/);
  assert.ok(refused!.lastError);

  const noSecret = new KeySyncer({ service: dns.dnssec, peers: ['http://127.0.0.1:9'], pollIntervalMs: 1000, timeoutMs: 100, syncKey: null, clock: systemClock, log: silentLog });
  t.after(() => noSecret.close());
  assert.equal(noSecret.enabled, false);
  await noSecret.syncNow();
  assert.match(noSecret.status()[0]!.lastError!, /no shared secret/);
});

test('a key whose private part does not match its public key is refused', async (t) => {
  const dns = await startSignedServer();
  t.after(() => dns.close());
  const syncKey = deriveSyncKey(SECRET);
  const real = SigningKey.generate(ZONE, 1);
  const other = SigningKey.generate(ZONE, 1);
  const k = { key_tag: real.keyTag, algorithm: 13, flags: 257, public_key: real.publicKeyBase64, created_at_ms: 1 };
  const bundle = {
    version: 1,
    node_id: 'evil',
    zones: [{ zone: ZONE, keys: [{ ...k, sealed_private_key: sealPrivateKey(syncKey, { zone: ZONE, keyTag: k.key_tag, algorithm: 13, flags: 257, publicKey: k.public_key, createdAtMs: 1 }, other.privateKeyPem()) }] }],
  };
  const sync = new KeySyncer({
    service: dns.dnssec,
    peers: ['http://peer.invalid'],
    pollIntervalMs: 3_600_000,
    timeoutMs: 1000,
    syncKey,
    clock: systemClock,
    log: silentLog,
    fetch: (async () => new Response(JSON.stringify(bundle), { headers: { 'content-type': 'application/json' } })) as typeof fetch,
  });
  t.after(() => sync.close());
  await sync.syncNow();
  assert.match(sync.status()[0]!.lastError!, /does not match/);
  assert.equal(dns.dnssec.forZone(wireKey(ZONE))!.keys.length, 1);
});
