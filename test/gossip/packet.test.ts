import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MessageType, encodeCompound, encodeCompress, encodePing, type Ping } from '../../src/gossip/codec.ts';
import { EncryptionVersion, encryptPayload } from '../../src/gossip/crypto.ts';
import { lzwCompress } from '../../src/gossip/lzw.ts';
import { OpenStatus, crcWrap, decodePacketMessage, explodePacket, openPacket, sealPacket } from '../../src/gossip/packet.ts';
import { decodeStreamMessage, openStreamFrame, sealStream, streamFrameLength } from '../../src/gossip/stream-codec.ts';
import * as V from './vectors.ts';

const NO_LABEL = Buffer.alloc(0);

test('wraps a packet for a protocol-5 peer in the CRC header Go expects (V13)', () => {
  assert.deepEqual(crcWrap(V.V1_PING), V.V13_CRC);
});

test('seals an alive datagram byte-identically to Go: no compression, no CRC, encrypted v1 (V14)', () => {
  assert.deepEqual(sealPacket(V.V7_ALIVE, { key: V.KEY, label: NO_LABEL, crc: false, nonce: V.NONCE }), V.V14_UDP_ALIVE_ENC);
});

test('opens Go datagrams: decrypts with any installed key and checks the CRC', () => {
  const r = openPacket(V.V14_UDP_ALIVE_ENC, [V.WRONG_KEY, V.KEY], NO_LABEL);
  assert.equal(r.status, OpenStatus.Ok);
  assert.deepEqual(r.payload, V.V7_ALIVE);
  const crcd = encryptPayload(EncryptionVersion.V1, V.KEY, V.V13_CRC);
  assert.deepEqual(openPacket(crcd, [V.KEY], NO_LABEL).payload, V.V1_PING);
  const bad = Buffer.from(V.V13_CRC);
  bad[3] ^= 0xff;
  assert.equal(openPacket(encryptPayload(EncryptionVersion.V1, V.KEY, bad), [V.KEY], NO_LABEL).status, OpenStatus.CrcMismatch);
  assert.equal(openPacket(V.V14_UDP_ALIVE_ENC, [V.WRONG_KEY], NO_LABEL).status, OpenStatus.DecryptFailed);
});

test('binds a label into the aad and refuses packets with another or no label', () => {
  const label = Buffer.from('prod');
  const sealed = sealPacket(V.V1_PING, { key: V.KEY, label, crc: true });
  assert.equal(sealed[0], MessageType.HasLabel);
  assert.deepEqual(openPacket(sealed, [V.KEY], label).payload, V.V1_PING);
  assert.equal(openPacket(sealed, [V.KEY], Buffer.from('test')).status, OpenStatus.LabelMismatch);
  assert.equal(openPacket(sealed, [V.KEY], NO_LABEL).status, OpenStatus.LabelMismatch);
  const unlabelled = sealPacket(V.V1_PING, { key: V.KEY, label: NO_LABEL, crc: false });
  assert.equal(openPacket(unlabelled, [V.KEY], label).status, OpenStatus.LabelMismatch);
});

test('explodes compound and compressed messages recursively (compress inside compound)', () => {
  const compressed = encodeCompress({ algo: 0, buf: lzwCompress(V.V9_COMPOUND) });
  const outer = encodeCompound([V.V7_ALIVE, compressed]);
  const ex = explodePacket(outer);
  assert.deepEqual(ex.messages, [V.V7_ALIVE, V.V2_PING_SOURCE, V.V6_SUSPECT]);
  assert.equal(ex.malformed, 0);
  const ping = decodePacketMessage(ex.messages[1]);
  assert.equal(ping?.type, MessageType.Ping);
  assert.equal((ping as { ping: Ping }).ping.node, 'node-b');
});

test('counts a compress bomb of nesting as malformed instead of recursing without end', () => {
  let msg: Buffer = V.V1_PING;
  for (let i = 0; i < 20; i++) msg = encodeCompound([msg]);
  const ex = explodePacket(msg);
  assert.equal(ex.messages.length, 0);
  assert.equal(ex.malformed, 1);
});

test('opens the Go push/pull stream (V16): encryptMsg frame, aad = header, compressed inside', () => {
  const L = streamFrameLength(V.V16_STREAM.subarray(0, 5));
  assert.equal(L, 149);
  const plain = openStreamFrame(L, V.V16_STREAM.subarray(5), [V.WRONG_KEY, V.KEY], NO_LABEL);
  assert.ok(plain);
  assert.equal(plain[0], MessageType.Compress);
  const msg = decodeStreamMessage(plain);
  assert.equal(msg?.type, MessageType.PushPull);
  if (msg?.type !== MessageType.PushPull) return;
  assert.equal(msg.pushPull.join, true);
  assert.equal(msg.pushPull.nodes[0].name, 'node-a');
  assert.deepEqual(msg.pushPull.nodes[0].vsn, Buffer.from([1, 5, 2, 0, 0, 0]));
});

test('seals a stream frame whose aad is the 5-byte header (re-seal V16 with the same nonce)', () => {
  const plain = openStreamFrame(149, V.V16_STREAM.subarray(5), [V.KEY], NO_LABEL)!;
  assert.deepEqual(sealStream(plain, V.KEY, NO_LABEL, V.NONCE), V.V16_STREAM);
  const frame = sealStream(V.V15_PUSH_PULL, V.KEY, NO_LABEL);
  const L = streamFrameLength(frame.subarray(0, 5));
  assert.deepEqual(decodeStreamMessage(openStreamFrame(L, frame.subarray(5), [V.KEY], NO_LABEL)!)?.type, MessageType.PushPull);
  assert.equal(streamFrameLength(V.V15_PUSH_PULL.subarray(0, 5)), -1);
  assert.equal(streamFrameLength(Buffer.from([0x0a, 0x7f, 0, 0, 0])), -2);
});

test('the packet pipeline never throws on arbitrary bytes, before or after decryption', () => {
  const keys = [V.KEY];
  const run = (buf: Buffer): void => {
    const r = openPacket(buf, keys, NO_LABEL);
    if (r.status !== OpenStatus.Ok) return;
    for (const m of explodePacket(r.payload).messages) decodePacketMessage(m);
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      const buf = Buffer.from(b);
      run(buf); // raw garbage: must fail to decrypt, quietly
      run(encryptPayload(EncryptionVersion.V1, V.KEY, buf)); // authentic garbage: must not throw
      explodePacket(buf);
      decodePacketMessage(buf);
      decodeStreamMessage(buf);
    }),
    { numRuns: 1000 },
  );
});

test('structured garbage (valid type bytes, msgpack-ish bodies) never throws', () => {
  const typeByte = fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 244);
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 100 }),
    fc.constantFrom(V.V2_PING_SOURCE, V.V7_ALIVE, V.V9_COMPOUND, V.V10_COMPRESS, V.V15_PUSH_PULL).map((v) => v.subarray(1)),
  );
  fc.assert(
    fc.property(typeByte, body, fc.nat(), fc.integer({ min: 0, max: 255 }), (t, b, pos, val) => {
      const m = Buffer.concat([Buffer.from([t]), b]);
      if (m.length > 1) m[1 + (pos % (m.length - 1))] = val; // mutate one byte
      const r = openPacket(encryptPayload(EncryptionVersion.V1, V.KEY, m), [V.KEY], NO_LABEL);
      for (const x of explodePacket(r.payload).messages) decodePacketMessage(x);
      decodeStreamMessage(m);
    }),
    { numRuns: 2000 },
  );
});

test('encodePing output survives the full seal/open/explode pipeline', () => {
  const ping = encodePing({ seqNo: 9, node: 'x', sourceAddr: V.LOCALHOST, sourcePort: 1, sourceNode: 'y' });
  const sealed = sealPacket(encodeCompound([ping, V.V7_ALIVE]), { key: V.KEY, label: NO_LABEL, crc: true });
  const ex = explodePacket(openPacket(sealed, [V.KEY], NO_LABEL).payload);
  assert.deepEqual(ex.messages, [ping, V.V7_ALIVE]);
});
