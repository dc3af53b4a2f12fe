/**
 * Interop with real Go memberlist nodes (Debian's hashicorp/memberlist 0.2.2) on 127.0.0.1, with
 * AES-256-GCM keys: joins both ways, user messages both ways (UDP, TCP, piggybacked broadcasts),
 * failure detection both ways, leave, metadata updates, a Go-TS-Go triangle, and a wrong key.
 * Skipped with a message when Go or the memberlist sources are not installed.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Memberlist, type Member, type MemberlistOptions } from '../../src/gossip/index.ts';
import { GoPeer, freePort, goPeerBinary } from './go-peer.ts';

const KEY = Buffer.from('OpenGSLB-test-key-32-bytes-long!'); // the Go peer's default key
const peer = await goPeerBinary();
const opened: { close(): Promise<void> }[] = [];
const peers: GoPeer[] = [];

after(async () => {
  await Promise.all(peers.map((p) => p.stop('SIGKILL')));
  await Promise.all(opened.map((o) => o.close()));
});

async function tsNode(name: string, extra: Partial<MemberlistOptions> = {}): Promise<Memberlist> {
  const ml = await Memberlist.create({
    name,
    bindHost: '127.0.0.1',
    bindPort: 0,
    keyring: [KEY],
    probeIntervalMs: 200,
    probeTimeoutMs: 100,
    gossipIntervalMs: 50,
    pushPullIntervalMs: 2_000,
    meta: Buffer.from(`role=ts name=${name}`),
    ...extra,
  });
  opened.push(ml);
  return ml;
}

async function goNode(o: Partial<Parameters<typeof GoPeer.start>[1]> & { name: string }): Promise<GoPeer> {
  const p = GoPeer.start(peer.path!, { port: await freePort(), maxSeconds: 40, ...o });
  peers.push(p);
  await p.waitFor(/READY name=/, 5_000);
  return p;
}

async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await sleep(20);
  }
  return Date.now() - start;
}

const stateOf = (ml: Memberlist, name: string): string | undefined => ml.allNodes().find((m) => m.name === name)?.state;

describe('interop with Go memberlist', { skip: peer.skip, timeout: 60_000 }, () => {
  test('a Go node joins our node: both list each other alive, metadata included', async () => {
    const ts = await tsNode('ts-1');
    const joins: Member[] = [];
    ts.on('join', (m) => joins.push(m));
    const go = await goNode({ name: 'go-1', join: [`127.0.0.1:${ts.address.port}`], meta: 'role=go-peer' });
    await go.waitFor(/JOIN_RESULT contacted=1 err=<nil>/, 5_000);
    await go.waitFor(/JOIN name=ts-1 addr=127\.0\.0\.1:\d+ meta="role=ts name=ts-1" pmin=1 pmax=5 pcur=2/, 5_000);
    await waitUntil(() => stateOf(ts, 'go-1') === 'alive', 5_000, 'go-1 alive');
    assert.equal(joins[0]?.name, 'go-1');
    assert.equal(joins[0]?.meta.toString(), 'role=go-peer');
    assert.deepEqual(joins[0]?.vsn, [1, 5, 2, 0, 0, 0]);
    assert.ok(go.has(/PUSHPULL_MERGE join=true/) === false, 'we send no user state unless asked');
    await go.stop();
    await ts.close();
  });

  test('our node joins a Go node; user messages flow both ways over UDP, TCP and gossip', async () => {
    const go = await goNode({ name: 'go-2', sendEvery: '300ms' });
    const received: string[] = [];
    const pushState: string[] = [];
    const ts = await tsNode('ts-2', {
      localState: () => Buffer.from('{"from":"ts-2"}'),
      mergeRemoteState: (s) => pushState.push(s.toString()),
    });
    ts.on('message', (p, info) => received.push(`${info.via}:${p.toString()}`));
    assert.equal(await ts.join([go.address]), 1);
    assert.match(pushState[0] ?? '', /"node":"go-2"/);
    await go.waitFor(/JOIN name=ts-2/, 5_000);
    await go.waitFor(/PUSHPULL_MERGE join=true state="\{\\"from\\":\\"ts-2\\"\}"/, 5_000);
    const goMember = ts.members().find((m) => m.name === 'go-2')!;
    ts.sendBestEffort(goMember, Buffer.from('besteffort from ts-2'));
    await ts.sendReliable(goMember, Buffer.from('reliable from ts-2'));
    ts.broadcast(Buffer.from('broadcast from ts-2'));
    await go.waitFor(/USER_MSG len=\d+ text="besteffort from ts-2"/, 5_000);
    await go.waitFor(/USER_MSG len=\d+ text="reliable from ts-2"/, 5_000);
    await go.waitFor(/USER_MSG len=\d+ text="broadcast from ts-2"/, 5_000);
    await waitUntil(
      () => ['udp:besteffort from go-2', 'tcp:reliable from go-2', 'udp:broadcast from go-2'].every((p) => received.some((r) => r.startsWith(p))),
      5_000,
      'messages from Go',
    );
    const st = ts.stats();
    assert.equal(st.decryptionFailures, 0);
    assert.equal(st.malformed, 0);
    assert.equal(st.crcFailures, 0);
    await go.stop();
    await ts.close();
  });

  test('our node marks a killed Go node suspect, then dead, within the suspicion bounds', async () => {
    const ts = await tsNode('ts-3');
    const go = await goNode({ name: 'go-3', join: [`127.0.0.1:${ts.address.port}`] });
    await waitUntil(() => stateOf(ts, 'go-3') === 'alive', 5_000, 'go-3 alive');
    await go.stop('SIGKILL');
    const killedAt = Date.now();
    await waitUntil(() => stateOf(ts, 'go-3') === 'suspect', 3_000, 'go-3 suspect');
    const suspectMs = Date.now() - killedAt;
    await waitUntil(() => stateOf(ts, 'go-3') === 'dead', 5_000, 'go-3 dead');
    const deadMs = Date.now() - killedAt;
    // n = 2: one probe round (200 ms) to suspect, then SuspicionMult x 200 ms = 800 ms flat.
    assert.ok(suspectMs < 1_000, `suspect after ${suspectMs} ms`);
    assert.ok(deadMs - suspectMs >= 700 && deadMs < 2_500, `dead after ${deadMs} ms`);
    await ts.close();
  });

  test('a Go node marks our node dead when it stops answering, and sees a graceful leave at once', async () => {
    const go = await goNode({ name: 'go-4' });
    const crashing = await tsNode('ts-4a');
    assert.equal(await crashing.join([go.address]), 1);
    await go.waitFor(/JOIN name=ts-4a/, 5_000);
    const closedAt = Date.now();
    await crashing.close(); // no leave: to Go this is a crash
    await go.waitFor(/LEAVE name=ts-4a/, 10_000);
    const detectMs = Date.now() - closedAt;
    // Go LocalConfig: probe 1 s, timeout 200 ms, suspicion 3 x 1 s at n = 2.
    assert.ok(detectMs < 6_000, `Go detected the failure after ${detectMs} ms`);

    const leaving = await tsNode('ts-4b');
    assert.equal(await leaving.join([go.address]), 1);
    await go.waitFor(/JOIN name=ts-4b/, 5_000);
    const leftAt = Date.now();
    await leaving.leave(2_000);
    await go.waitFor(/LEAVE name=ts-4b/, 2_000);
    assert.ok(Date.now() - leftAt < 2_000);
    await leaving.close();
    await go.stop();
  });

  test('our node sees a Go node leave gracefully, and Go sees our metadata update', async () => {
    const ts = await tsNode('ts-5');
    const go = await goNode({ name: 'go-5', join: [`127.0.0.1:${ts.address.port}`] });
    await waitUntil(() => stateOf(ts, 'go-5') === 'alive', 5_000, 'go-5 alive');
    await ts.updateMeta(Buffer.from('role=ts version=2'), 2_000);
    await go.waitFor(/UPDATE name=ts-5 .*meta="role=ts version=2"/, 5_000);
    await go.stop('SIGTERM');
    await waitUntil(() => stateOf(ts, 'go-5') === 'left', 3_000, 'go-5 left');
    await ts.close();
  });

  test('two Go nodes that only know our node learn each other through it', async () => {
    const ts = await tsNode('ts-6');
    const a = await goNode({ name: 'go-6a', join: [`127.0.0.1:${ts.address.port}`] });
    await a.waitFor(/JOIN_RESULT contacted=1/, 5_000);
    const b = await goNode({ name: 'go-6b', join: [`127.0.0.1:${ts.address.port}`] });
    await b.waitFor(/JOIN_RESULT contacted=1/, 5_000);
    await b.waitFor(/JOIN name=go-6a/, 5_000); // from our push/pull reply
    await a.waitFor(/JOIN name=go-6b/, 5_000); // from our gossip
    await waitUntil(() => ts.members().length === 3, 5_000, 'three members');
    await a.stop();
    await b.stop();
    await ts.close();
  });

  test('a Go node with the wrong key is not admitted and the failures are counted', async () => {
    const ts = await tsNode('ts-7');
    const wrong = Buffer.from('another-32-byte-test-key-wrong!!').toString('base64');
    const go = await goNode({ name: 'go-7', keyBase64: wrong, join: [`127.0.0.1:${ts.address.port}`], maxSeconds: 10 });
    await go.waitFor(/JOIN_RESULT contacted=0/, 5_000);
    assert.ok(ts.stats().decryptionFailures >= 1);
    assert.equal(stateOf(ts, 'go-7'), undefined);
    // and the other way round: we hold the wrong key, Go refuses us and says so
    const stranger = await tsNode('ts-7b', { keyring: [Buffer.alloc(32, 7)] });
    const good = await goNode({ name: 'go-7b' });
    assert.equal(await stranger.join([good.address]), 0);
    await good.waitFor(/No installed keys could decrypt the message/, 3_000, 'err');
    assert.ok(stranger.stats().decryptionFailures >= 1, 'Go answers with an errResp we cannot decrypt either');
    await go.stop();
    await good.stop();
    await ts.close();
    await stranger.close();
  });
});
