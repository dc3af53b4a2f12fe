/**
 * Whole-protocol tests on the in-memory transport with simulated time: convergence, failure
 * detection, refutation, leave, user messages, keyring rotation, and faults (loss, delay, partitions).
 */
import assert from 'node:assert/strict';
import { test as nodeTest } from 'node:test';
import { encodeSuspect, encodePing, encodeCompound } from '../../src/gossip/codec.ts';
import { sealPacket } from '../../src/gossip/packet.ts';
import { KEY, SimCluster, stateOf } from './sim-cluster.ts';
import type { Member, Memberlist } from '../../src/gossip/index.ts';

// Simulated time makes these fast; a hang means a bug, so fail it quickly.
const test = (name: string, fn: (t: import('node:test').TestContext) => Promise<void>): void => {
  nodeTest(name, { timeout: 30_000 }, fn);
};

const allSee = (nodes: Memberlist[], n: number): boolean => nodes.every((m) => m.members().filter((x) => x.state === 'alive').length === n);

async function cluster(n: number, seed = 1): Promise<SimCluster> {
  const c = new SimCluster(seed);
  const first = await c.add();
  for (let i = 1; i < n; i++) {
    const ml = await c.add();
    assert.equal(await ml.join([c.addressOf(first)]), 1);
  }
  return c;
}

test('five nodes joining one seed converge to five alive members everywhere', async (t) => {
  const c = await cluster(5);
  t.after(() => c.close());
  const ms = await c.until(() => allSee(c.nodes, 5), 10_000, 'convergence');
  t.diagnostic(`converged in ${ms} ms simulated`);
  for (const n of c.nodes) assert.equal(n.numMembers(), 5);
});

test('a node that stops answering becomes suspect, then dead, within the Lifeguard bounds', async (t) => {
  const c = await cluster(4);
  t.after(() => c.close());
  await c.until(() => allSee(c.nodes, 4), 10_000, 'convergence');
  const victim = c.nodes[3];
  const observers = c.nodes.slice(0, 3);
  const leaves: string[] = [];
  observers[0].on('leave', (m: Member) => leaves.push(`${m.name}:${m.state}`));
  c.net.isolate(c.addressOf(victim));
  const suspectMs = await c.until(() => observers.some((o) => stateOf(o, 'node-3') === 'suspect'), 5_000, 'suspect');
  const deadMs = await c.until(() => observers.every((o) => stateOf(o, 'node-3') === 'dead'), 30_000, 'dead');
  t.diagnostic(`suspect after ${suspectMs} ms, dead everywhere ${deadMs} ms later (probe 200 ms)`);
  // n = 4: suspicion min 4 x 200 = 800 ms, max 6 x min = 4.8 s; plus one probe round.
  assert.ok(suspectMs <= 3 * 200 * 4 + 200, `suspect took ${suspectMs} ms`);
  assert.ok(deadMs <= 4_800 + 1_000, `dead took ${deadMs} ms`);
  assert.deepEqual(leaves, ['node-3:dead']);
  assert.equal(observers[0].members().length, 3);
});

test('a node refutes a suspicion about itself with a higher incarnation and stays alive', async (t) => {
  const c = await cluster(3);
  t.after(() => c.close());
  await c.until(() => allSee(c.nodes, 3), 10_000, 'convergence');
  const target = c.nodes[1];
  const before = target.localNode().incarnation;
  // A keyed outsider accuses node-1 at its current incarnation.
  const mallory = c.net.createTransport('127.0.0.9', 7946);
  const accuse = encodeSuspect({ incarnation: before, node: 'node-1', from: 'mallory' });
  mallory.sendPacket(sealPacket(accuse, { key: KEY, label: Buffer.alloc(0), crc: false }), target.address);
  await c.run(50);
  assert.equal(target.localNode().incarnation, before + 1);
  assert.equal(target.stats().refutations, 1);
  await c.until(() => c.nodes.every((n) => n.allNodes().find((m) => m.name === 'node-1')?.incarnation === before + 1), 5_000, 'refutation gossiped');
  await c.run(3_000);
  for (const n of c.nodes) assert.equal(stateOf(n, 'node-1'), 'alive');
  await mallory.close();
});

test('a suspect probed with ping+suspect refutes at once after a short partition heals', async (t) => {
  const c = await cluster(3, 7);
  t.after(() => c.close());
  await c.until(() => allSee(c.nodes, 3), 10_000, 'convergence');
  const victim = c.nodes[2];
  c.net.isolate(c.addressOf(victim));
  await c.until(() => c.nodes.slice(0, 2).some((o) => stateOf(o, 'node-2') === 'suspect'), 5_000, 'suspect');
  c.net.heal();
  await c.until(() => c.nodes.every((o) => stateOf(o, 'node-2') === 'alive'), 5_000, 'back alive');
  assert.ok(victim.localNode().incarnation > 1);
  assert.ok(victim.stats().refutations >= 1);
});

test('a voluntary leave is seen as left by everyone before any suspicion could expire', async (t) => {
  const c = await cluster(4);
  t.after(() => c.close());
  await c.until(() => allSee(c.nodes, 4), 10_000, 'convergence');
  const leaver = c.nodes[2];
  const seen: string[] = [];
  c.nodes[0].on('leave', (m: Member) => seen.push(`${m.name}:${m.state}`));
  const leaving = leaver.leave(2_000);
  await c.until(() => c.nodes.filter((n) => n !== leaver).every((o) => stateOf(o, 'node-2') === 'left'), 1_000, 'left');
  await c.run(100);
  await leaving;
  assert.deepEqual(seen, ['node-2:left']);
  await leaver.close();
  await c.run(2_000);
  for (const n of c.nodes.filter((x) => x !== leaver)) assert.equal(stateOf(n, 'node-2'), 'left');
});

test('a node that left may come back under the same name and is seen joining again', async (t) => {
  const c = await cluster(3);
  t.after(() => c.close());
  await c.until(() => allSee(c.nodes, 3), 10_000, 'convergence');
  const old = c.nodes[2];
  const leaving = old.leave(500);
  await c.run(600);
  await leaving;
  await old.close();
  await c.until(() => stateOf(c.nodes[0], 'node-2') === 'left', 2_000, 'left');
  const again = await c.add({ name: 'node-2' });
  assert.equal(await again.join([c.addressOf(c.nodes[0])]), 1);
  await c.until(() => c.nodes.slice(0, 2).every((o) => stateOf(o, 'node-2') === 'alive'), 5_000, 'rejoined');
});

test('user messages arrive best effort (UDP), reliably (TCP) and piggybacked as broadcasts', async (t) => {
  const c = await cluster(3);
  t.after(() => c.close());
  await c.until(() => allSee(c.nodes, 3), 10_000, 'convergence');
  const [a, b, d] = c.nodes;
  const got: string[] = [];
  for (const n of [b, d]) n.on('message', (p, info) => got.push(`${n.localNode().name}<-${p.toString()}/${info.via}`));
  const toB = a.members().find((m) => m.name === 'node-1')!;
  a.sendBestEffort(toB, Buffer.from('udp'));
  await a.sendReliable(toB, Buffer.from('tcp'));
  a.broadcast(Buffer.from('all'));
  await c.run(500);
  assert.ok(got.includes('node-1<-udp/udp'));
  assert.ok(got.includes('node-1<-tcp/tcp'));
  assert.ok(got.includes('node-1<-all/udp'));
  assert.ok(got.includes('node-2<-all/udp'));
});

test('metadata updates reach the others as update events', async (t) => {
  const c = await cluster(3);
  t.after(() => c.close());
  await c.until(() => allSee(c.nodes, 3), 10_000, 'convergence');
  const updates: string[] = [];
  c.nodes[0].on('update', (m: Member) => updates.push(`${m.name}=${m.meta.toString()}`));
  const upd = c.nodes[2].updateMeta(Buffer.from('{"role":"agent"}'), 2_000);
  await c.run(500);
  await upd;
  assert.deepEqual(updates, ['node-2={"role":"agent"}']);
  assert.equal(c.nodes[1].members().find((m) => m.name === 'node-2')?.meta.toString(), '{"role":"agent"}');
});

test('a node with the wrong key is not admitted and its attempts are counted as decryption failures', async (t) => {
  const c = await cluster(2);
  t.after(() => c.close());
  const failures: number[] = [];
  const seed = c.nodes[0];
  const wrong = await c.add({ name: 'intruder', keyring: [Buffer.alloc(32, 9)] });
  assert.equal(await wrong.join([c.addressOf(seed)]), 0);
  // and UDP from it is dropped and counted too
  wrong.sendBestEffort(seed.address, Buffer.from('let me in'));
  await c.run(200);
  failures.push(seed.stats().decryptionFailures);
  assert.ok(failures[0] >= 2, `decryption failures: ${failures[0]}`);
  assert.equal(stateOf(seed, 'intruder'), undefined);
});

test('rotates the cluster key without losing membership: add, use, remove', async (t) => {
  const c = await cluster(3);
  t.after(() => c.close());
  await c.until(() => allSee(c.nodes, 3), 10_000, 'convergence');
  const k2 = Buffer.alloc(32, 0x42);
  for (const n of c.nodes) n.keyring.add(k2);
  c.nodes[0].keyring.use(k2); // one node already sends with the new key
  await c.run(2_000);
  assert.ok(allSee(c.nodes, 3));
  for (const n of c.nodes) n.keyring.use(k2);
  for (const n of c.nodes) n.keyring.remove(KEY);
  const failuresBefore = c.nodes.map((n) => n.stats().decryptionFailures);
  await c.run(3_000);
  assert.ok(allSee(c.nodes, 3));
  assert.deepEqual(c.nodes.map((n) => n.stats().decryptionFailures), failuresBefore);
  const stale = await c.add({ name: 'stale', keyring: [KEY] });
  assert.equal(await stale.join([c.addressOf(c.nodes[0])]), 0);
});

test('with 20% packet loss and jitter nobody is declared dead and the cluster still converges', async (t) => {
  const c = new SimCluster(3);
  t.after(() => c.close());
  c.net.faults.lossRate = 0.2;
  c.net.faults.delayMs = 5;
  c.net.faults.jitterMs = 30;
  const first = await c.add();
  for (let i = 1; i < 5; i++) assert.equal(await (await c.add()).join([c.addressOf(first)]), 1);
  await c.until(() => allSee(c.nodes, 5), 20_000, 'convergence under loss');
  const deaths: string[] = [];
  for (const n of c.nodes) n.on('leave', (m: Member) => deaths.push(m.name));
  await c.run(20_000, 20);
  assert.deepEqual(deaths, []);
  assert.ok(c.net.stats.packetsDropped > 0);
});

test('a node cut off by UDP only is kept alive through the TCP fallback ping', async (t) => {
  const c = await cluster(2, 11);
  t.after(() => c.close());
  await c.until(() => allSee(c.nodes, 2), 10_000, 'convergence');
  c.net.faults.lossRate = 1; // every datagram lost, streams still work
  await c.run(10_000, 20);
  assert.equal(stateOf(c.nodes[0], 'node-1'), 'alive');
  assert.equal(stateOf(c.nodes[1], 'node-0'), 'alive');
});

test('answers a Go-style compound ping + suspect and ignores pings for another node name', async (t) => {
  const c = await cluster(2);
  t.after(() => c.close());
  await c.until(() => allSee(c.nodes, 2), 10_000, 'convergence');
  const target = c.nodes[1];
  const probe = c.net.createTransport('127.0.0.8', 7946);
  const replies: Buffer[] = [];
  probe.listen({ packet: (b) => replies.push(b), stream: (s) => s.destroy() });
  const me = Buffer.from([127, 0, 0, 8]);
  const seal = (m: Buffer): Buffer => sealPacket(m, { key: KEY, label: Buffer.alloc(0), crc: true });
  probe.sendPacket(seal(encodePing({ seqNo: 77, node: 'someone-else', sourceAddr: me, sourcePort: 7946, sourceNode: 'p' })), target.address);
  await c.run(20);
  assert.equal(replies.length, 0);
  const inc = target.localNode().incarnation;
  const compound = encodeCompound([
    encodePing({ seqNo: 78, node: 'node-1', sourceAddr: me, sourcePort: 7946, sourceNode: 'p' }),
    encodeSuspect({ incarnation: inc, node: 'node-1', from: 'p' }),
  ]);
  probe.sendPacket(seal(compound), target.address);
  await c.run(20);
  assert.equal(replies.length, 1);
  assert.equal(target.localNode().incarnation, inc + 1);
  await probe.close();
});
