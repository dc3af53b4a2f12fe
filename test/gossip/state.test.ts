import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeStateCode, decodeAccusation, decodeAlive, type Alive } from '../../src/gossip/codec.ts';
import { NodeTable, type StateEffect } from '../../src/gossip/state.ts';

const VSN = Buffer.from([1, 5, 2, 0, 0, 0]);
const EMPTY = Buffer.alloc(0);
const ip = (last: number): Buffer => Buffer.from([127, 0, 0, last]);
const config = { suspicionMult: 4, suspicionMaxTimeoutMult: 6, probeIntervalMs: 1000, deadNodeReclaimTimeMs: 0 };

function table(): NodeTable {
  return new NodeTable({ name: 'me', addr: ip(1), port: 7946, meta: EMPTY, vsn: VSN }, config, 0, () => 0.5);
}
function alive(node: string, incarnation: number, extra: Partial<Alive> = {}): Alive {
  return { incarnation, node, addr: ip(node.charCodeAt(0) % 200), port: 7946, meta: EMPTY, vsn: VSN, ...extra };
}
const kinds = (fx: StateEffect[]): string[] => fx.map((e) => e.kind);

test('starts with ourselves alive at incarnation 1 and an alive broadcast queued', () => {
  const t = table();
  assert.equal(t.local.incarnation, 1);
  assert.equal(t.local.state, NodeStateCode.Alive);
  const fx = t.takeBootstrapEffects();
  assert.deepEqual(kinds(fx), ['broadcast']);
});

test('a new node alive is stored, re-broadcast and announced as a join', () => {
  const t = table();
  const fx: StateEffect[] = [];
  t.aliveNode(alive('b', 1), 10, fx);
  assert.deepEqual(kinds(fx), ['broadcast', 'join']);
  assert.equal(t.get('b')?.state, NodeStateCode.Alive);
  assert.equal(t.numNodes, 2);
});

test('an alive with incarnation 0 registers the name but never makes it alive (Go quirk)', () => {
  const t = table();
  const fx: StateEffect[] = [];
  t.aliveNode(alive('b', 0), 10, fx);
  assert.deepEqual(kinds(fx), []);
  assert.equal(t.get('b')?.state, NodeStateCode.Dead);
});

test('ignores stale incarnations and alive messages with a broken Vsn', () => {
  const t = table();
  const fx: StateEffect[] = [];
  t.aliveNode(alive('b', 5), 0, fx);
  fx.length = 0;
  t.aliveNode(alive('b', 5), 0, fx);
  t.aliveNode(alive('b', 4), 0, fx);
  t.aliveNode(alive('c', 1, { vsn: Buffer.from([0, 5, 2, 0, 0, 0]) }), 0, fx);
  assert.deepEqual(kinds(fx), []);
  assert.equal(t.get('c'), undefined);
});

test('new metadata at a higher incarnation is an update event', () => {
  const t = table();
  t.aliveNode(alive('b', 1), 0, []);
  const fx: StateEffect[] = [];
  t.aliveNode(alive('b', 2, { meta: Buffer.from('role=agent') }), 0, fx);
  assert.deepEqual(kinds(fx), ['broadcast', 'update']);
});

test('a live node cannot move to another address; a left one can', () => {
  const t = table();
  t.aliveNode(alive('b', 1), 0, []);
  const fx: StateEffect[] = [];
  t.aliveNode(alive('b', 2, { addr: ip(99) }), 0, fx);
  assert.deepEqual(kinds(fx), ['conflict']);
  t.deadNode({ incarnation: 2, node: 'b', from: 'b' }, 0, []);
  assert.equal(t.get('b')?.state, NodeStateCode.Left);
  fx.length = 0;
  t.aliveNode(alive('b', 2, { addr: ip(99) }), 0, fx);
  assert.deepEqual(kinds(fx), ['broadcast', 'join']);
  assert.deepEqual(t.get('b')?.addr, ip(99));
});

test('suspect starts a 4 s timer in a small cluster; expiry declares the node dead', () => {
  const t = table();
  t.aliveNode(alive('b', 3), 0, []);
  const fx: StateEffect[] = [];
  t.suspectNode({ incarnation: 3, node: 'b', from: 'me' }, 100, fx);
  assert.deepEqual(kinds(fx), ['broadcast', 'suspicion-timer']);
  assert.equal((fx[1] as { delayMs: number }).delayMs, 4000);
  assert.equal(t.get('b')?.state, NodeStateCode.Suspect);
  fx.length = 0;
  t.expireSuspicion('b', 4100, fx);
  assert.deepEqual(kinds(fx), ['suspicion-cancel', 'broadcast', 'leave']);
  assert.equal(t.get('b')?.state, NodeStateCode.Dead);
  const dead = decodeAccusation((fx[1] as { msg: Buffer }).msg.subarray(1));
  assert.deepEqual(dead, { incarnation: 3, node: 'b', from: 'me' });
});

test('a refuting alive cancels the suspicion', () => {
  const t = table();
  t.aliveNode(alive('b', 3), 0, []);
  t.suspectNode({ incarnation: 3, node: 'b', from: 'me' }, 0, []);
  const fx: StateEffect[] = [];
  t.aliveNode(alive('b', 4), 10, fx);
  assert.deepEqual(kinds(fx), ['suspicion-cancel', 'broadcast']);
  assert.equal(t.get('b')?.state, NodeStateCode.Alive);
  fx.length = 0;
  t.expireSuspicion('b', 99999, fx);
  assert.deepEqual(kinds(fx), []);
});

test('in a larger cluster confirmations from new accusers shorten the timer and are re-gossiped', () => {
  const t = table();
  for (const n of ['b', 'c', 'd', 'e']) t.aliveNode(alive(n, 1), 0, []);
  const fx: StateEffect[] = [];
  t.suspectNode({ incarnation: 1, node: 'b', from: 'c' }, 0, fx);
  assert.equal((fx[1] as { delayMs: number }).delayMs, 24000); // n = 5: min 4 s, max 24 s, k = 2
  fx.length = 0;
  t.suspectNode({ incarnation: 1, node: 'b', from: 'c' }, 1000, fx);
  assert.deepEqual(kinds(fx), []);
  t.suspectNode({ incarnation: 1, node: 'b', from: 'd' }, 1000, fx);
  assert.deepEqual(kinds(fx), ['broadcast', 'suspicion-timer']);
  assert.ok((fx[1] as { delayMs: number }).delayMs < 23000);
});

test('refutes a suspicion about ourselves with incarnation max(own + 1, accused + 1)', () => {
  const t = table();
  const fx: StateEffect[] = [];
  t.suspectNode({ incarnation: 7, node: 'me', from: 'b' }, 0, fx);
  assert.deepEqual(kinds(fx), ['refuted', 'broadcast']);
  assert.equal(t.local.incarnation, 8);
  assert.equal(t.local.state, NodeStateCode.Alive);
  const a = decodeAlive((fx[1] as { msg: Buffer }).msg.subarray(1));
  assert.equal(a?.incarnation, 8);
  fx.length = 0;
  t.deadNode({ incarnation: 8, node: 'me', from: 'b' }, 0, fx);
  assert.deepEqual(kinds(fx), ['refuted', 'broadcast']);
  assert.equal(t.local.incarnation, 9);
});

test('refutes an alive about ourselves that carries other metadata, ignores our own echo', () => {
  const t = table();
  const fx: StateEffect[] = [];
  t.aliveNode({ incarnation: 1, node: 'me', addr: ip(1), port: 7946, meta: EMPTY, vsn: VSN }, 0, fx);
  assert.deepEqual(kinds(fx), []);
  t.aliveNode({ incarnation: 1, node: 'me', addr: ip(1), port: 7946, meta: Buffer.from('x'), vsn: VSN }, 0, fx);
  assert.deepEqual(kinds(fx), ['refuted', 'broadcast']);
  assert.equal(t.local.incarnation, 2);
});

test('leave marks us left and broadcasts dead with From = us; later alives about us are ignored', () => {
  const t = table();
  let finished = false;
  const fx: StateEffect[] = [];
  t.leave(0, fx, () => (finished = true));
  assert.deepEqual(kinds(fx), ['broadcast']);
  assert.equal(t.local.state, NodeStateCode.Left);
  const d = decodeAccusation((fx[0] as { msg: Buffer }).msg.subarray(1));
  assert.deepEqual(d, { incarnation: 1, node: 'me', from: 'me' });
  (fx[0] as { onFinished: () => void }).onFinished();
  assert.equal(finished, true);
  fx.length = 0;
  t.aliveNode({ incarnation: 5, node: 'me', addr: ip(1), port: 7946, meta: EMPTY, vsn: VSN }, 0, fx);
  assert.deepEqual(kinds(fx), []);
});

test('merging remote state: alive joins, left leaves, a remote dead only makes us suspect', () => {
  const t = table();
  t.aliveNode(alive('c', 1), 0, []);
  t.aliveNode(alive('d', 1), 0, []);
  const fx: StateEffect[] = [];
  const st = (name: string, state: number, incarnation = 1) => ({ name, addr: alive(name, 1).addr, port: 7946, meta: EMPTY, incarnation, state, vsn: VSN });
  t.mergeState([st('b', NodeStateCode.Alive), st('c', NodeStateCode.Dead), st('d', NodeStateCode.Left)], 0, fx);
  assert.equal(t.get('b')?.state, NodeStateCode.Alive);
  assert.equal(t.get('c')?.state, NodeStateCode.Suspect);
  assert.equal(t.get('d')?.state, NodeStateCode.Left);
  assert.ok(kinds(fx).includes('join') && kinds(fx).includes('leave'));
});

test('verifyProtocol refuses a node whose protocol or delegate version is outside the common range', () => {
  const t = table();
  const st = (vsn: Buffer) => [{ name: 'x', addr: ip(9), port: 1, meta: EMPTY, incarnation: 1, state: 0, vsn }];
  assert.equal(t.verifyProtocol(st(VSN)), undefined);
  assert.match(t.verifyProtocol(st(Buffer.from([1, 5, 6, 0, 0, 0])))!, /protocol version \(6\)/);
  assert.match(t.verifyProtocol(st(Buffer.from([1, 5, 2, 1, 2, 1])))!, /delegate protocol version/);
  assert.match(t.verifyProtocol(st(Buffer.alloc(0)))!, /protocol version \(0\)/);
});

test('reaps nodes dead for longer than gossipToTheDead and keeps recent ones', () => {
  const t = table();
  t.aliveNode(alive('b', 1), 0, []);
  t.aliveNode(alive('c', 1), 0, []);
  t.deadNode({ incarnation: 1, node: 'b', from: 'me' }, 1000, []);
  t.deadNode({ incarnation: 1, node: 'c', from: 'me' }, 20000, []);
  assert.deepEqual(t.reap(35000, 30000, []), ['b']);
  assert.equal(t.get('b'), undefined);
  assert.equal(t.get('c')?.state, NodeStateCode.Dead);
  assert.equal(t.numNodes, 2);
});
