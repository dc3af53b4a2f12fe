import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bytesToIp,
  decodeAccusation,
  decodeAck,
  decodeAlive,
  decodeCompound,
  decodeErr,
  decodeIndirectPing,
  decodeNack,
  decodePing,
  decodePushPull,
  decodeUserStream,
  encodeAck,
  encodeAlive,
  encodeCompound,
  encodeCompress,
  encodeDead,
  encodeErr,
  encodeIndirectPing,
  encodeNack,
  encodePing,
  encodePushPull,
  encodeSuspect,
  encodeUserStream,
  ipToBytes,
} from '../../src/gossip/codec.ts';
import { lzwCompress } from '../../src/gossip/lzw.ts';
import * as V from './vectors.ts';

const EMPTY = Buffer.alloc(0);
const VSN = Buffer.from([1, 5, 2, 0, 0, 0]);
const source = { sourceAddr: V.LOCALHOST, sourcePort: 7946, sourceNode: 'node-a' };

test('encodes ping without Source fields as the 2-key map Go writes (V1)', () => {
  assert.deepEqual(encodePing({ seqNo: 42, node: 'b', sourceAddr: EMPTY, sourcePort: 0, sourceNode: '' }), V.V1_PING);
});

test('encodes ping with Source fields in Go key order (V2) and decodes it back', () => {
  const p = { seqNo: 1, node: 'node-b', ...source };
  assert.deepEqual(encodePing(p), V.V2_PING_SOURCE);
  assert.deepEqual(decodePing(V.V2_PING_SOURCE.subarray(1)), p);
});

test('encodes and decodes indirectPingReq with Nack (V3)', () => {
  const r = { seqNo: 7, target: Buffer.from([10, 0, 0, 2]), port: 7946, node: 'node-c', nack: true, ...source };
  assert.deepEqual(encodeIndirectPing(r), V.V3_INDIRECT);
  assert.deepEqual(decodeIndirectPing(V.V3_INDIRECT.subarray(1)), r);
});

test('encodes ackResp with a nil and a byte payload (V4)', () => {
  assert.deepEqual(encodeAck({ seqNo: 1, payload: EMPTY }), V.V4_ACK_NIL);
  assert.deepEqual(encodeAck({ seqNo: 300, payload: Buffer.from([0xde, 0xad]) }), V.V4_ACK_PAYLOAD);
  assert.deepEqual(decodeAck(V.V4_ACK_PAYLOAD.subarray(1)), { seqNo: 300, payload: Buffer.from([0xde, 0xad]) });
  assert.deepEqual(decodeAck(V.V4_ACK_NIL.subarray(1)), { seqNo: 1, payload: EMPTY });
});

test('encodes nackResp and errResp (V5)', () => {
  assert.deepEqual(encodeNack({ seqNo: 70000 }), V.V5_NACK);
  assert.deepEqual(encodeErr({ error: 'boom' }), V.V5_ERR);
  assert.deepEqual(decodeNack(V.V5_NACK.subarray(1)), { seqNo: 70000 });
  assert.deepEqual(decodeErr(V.V5_ERR.subarray(1)), { error: 'boom' });
});

test('encodes suspect and dead (V6)', () => {
  assert.deepEqual(encodeSuspect({ incarnation: 3, node: 'node-b', from: 'node-a' }), V.V6_SUSPECT);
  assert.deepEqual(encodeDead({ incarnation: 5, node: 'node-a', from: 'node-a' }), V.V6_DEAD);
  assert.deepEqual(decodeAccusation(V.V6_SUSPECT.subarray(1)), { incarnation: 3, node: 'node-b', from: 'node-a' });
});

test('encodes alive with nil Meta and the 6-byte Vsn as str (V7)', () => {
  const a = { incarnation: 1, node: 'node-a', addr: V.LOCALHOST, port: 7946, meta: EMPTY, vsn: VSN };
  assert.deepEqual(encodeAlive(a), V.V7_ALIVE);
  assert.deepEqual(decodeAlive(V.V7_ALIVE.subarray(1)), a);
});

test('encodes the TCP user message header (V8) followed by the raw bytes', () => {
  const payload = Buffer.from('hello');
  assert.deepEqual(encodeUserStream(payload), Buffer.concat([V.V8_USER_HEADER, payload]));
  assert.deepEqual(decodeUserStream(encodeUserStream(payload).subarray(1)), payload);
});

test('builds a compound of ping and suspect exactly as Go (V9)', () => {
  assert.deepEqual(encodeCompound([V.V2_PING_SOURCE, V.V6_SUSPECT]), V.V9_COMPOUND);
  const c = decodeCompound(V.V9_COMPOUND.subarray(1));
  assert.deepEqual(c, { parts: [V.V2_PING_SOURCE, V.V6_SUSPECT], truncated: 0 });
});

test('keeps the complete parts of a truncated compound and counts the rest', () => {
  const cut = V.V9_COMPOUND.subarray(0, V.V9_COMPOUND.length - 5);
  const c = decodeCompound(cut.subarray(1));
  assert.deepEqual(c, { parts: [V.V2_PING_SOURCE], truncated: 1 });
});

test('builds the compress message Go builds (V10)', () => {
  assert.deepEqual(encodeCompress({ algo: 0, buf: lzwCompress(Buffer.from('TOBEORNOTTOBEORTOBEORNOT')) }), V.V10_COMPRESS);
});

test('writes a 70-byte Buf as str16, never str8, like Go', () => {
  const m = encodeCompress({ algo: 0, buf: Buffer.alloc(70, 1) });
  assert.deepEqual(m.subarray(9, 15), Buffer.from([0x42, 0x75, 0x66, 0xda, 0x00, 0x46]));
});

test('encodes push/pull of a lone node (V15) and decodes it back', () => {
  const node = { name: 'node-a', addr: V.LOCALHOST, port: 7946, meta: EMPTY, incarnation: 1, state: 0, vsn: VSN };
  assert.deepEqual(encodePushPull({ join: true, nodes: [node], userState: EMPTY }), V.V15_PUSH_PULL);
  assert.deepEqual(decodePushPull(V.V15_PUSH_PULL.subarray(1)), { join: true, nodes: [node], userState: EMPTY });
});

test('decodes push/pull user state after the last node and refuses a short one', () => {
  const node = { name: 'n', addr: V.LOCALHOST, port: 1, meta: Buffer.from('m'), incarnation: 9, state: 3, vsn: VSN };
  const enc = encodePushPull({ join: false, nodes: [node, { ...node, name: 'o' }], userState: Buffer.from('{"x":1}') });
  const pp = decodePushPull(enc.subarray(1));
  assert.equal(pp?.nodes.length, 2);
  assert.equal(pp?.userState.toString(), '{"x":1}');
  assert.equal(decodePushPull(enc.subarray(1, enc.length - 1)), undefined);
});

test('accepts what Go accepts: lower-case keys ignored, str8 and bin bytes, Vsn as an array', () => {
  // ping map {seqno: 5, Node: str8 "b", SourceAddr: bin8 127.0.0.1} -> SeqNo 0, Node "b"
  const body = V.hex('83 a5 73 65 71 6e 6f 05 a4 4e 6f 64 65 d9 01 62 aa 53 6f 75 72 63 65 41 64 64 72 c4 04 7f 00 00 01');
  assert.deepEqual(decodePing(body), { seqNo: 0, node: 'b', sourceAddr: V.LOCALHOST, sourcePort: 0, sourceNode: '' });
  const alive = Buffer.from(V.V7_ALIVE.subarray(1));
  const arrForm = Buffer.concat([alive.subarray(0, alive.length - 7), V.hex('96 01 05 02 00 00 00')]);
  assert.deepEqual(decodeAlive(arrForm)?.vsn, VSN);
  // pushPullHeader {Nodes: int64 0, UserStateLen: nil, Join: false}
  const hdr = V.hex('83 a5 4e 6f 64 65 73 d3 00 00 00 00 00 00 00 00 ac 55 73 65 72 53 74 61 74 65 4c 65 6e c0 a4 4a 6f 69 6e c2');
  assert.deepEqual(decodePushPull(hdr), { join: false, nodes: [], userState: EMPTY });
});

test('refuses values Go refuses: port overflow, negative seq, non-map bodies', () => {
  const port70000 = V.hex('82 a4 4e 6f 64 65 a1 62 aa 53 6f 75 72 63 65 50 6f 72 74 ce 00 01 11 70');
  assert.equal(decodePing(port70000), undefined);
  assert.equal(decodePing(V.hex('81 a5 53 65 71 4e 6f ff')), undefined); // -1
  assert.equal(decodePing(V.hex('81 a5 53 65 71 4e 6f cb 3f f8 00 00 00 00 00 00')), undefined); // 1.5
  assert.equal(decodePing(V.hex('c0')), undefined);
  assert.equal(decodePing(V.hex('')), undefined);
});

test('converts IP bytes and text both ways, showing Go 16-byte IPv4 as dotted quad', () => {
  assert.deepEqual(ipToBytes('127.0.0.1'), V.LOCALHOST);
  assert.equal(bytesToIp(V.LOCALHOST), '127.0.0.1');
  const mapped = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]);
  assert.equal(bytesToIp(mapped), '127.0.0.1');
  assert.deepEqual(ipToBytes('::ffff:127.0.0.1'), mapped);
  assert.equal(bytesToIp(ipToBytes('::1')!), '::1');
  assert.equal(bytesToIp(ipToBytes('fe80::1:2')!), 'fe80::1:2');
  assert.equal(bytesToIp(ipToBytes('2001:db8:0:0:1:0:0:1')!), '2001:db8::1:0:0:1');
  assert.equal(ipToBytes('256.0.0.1'), undefined);
  assert.equal(ipToBytes('example.com'), undefined);
  assert.equal(bytesToIp(Buffer.from([1, 2, 3])), undefined);
});
