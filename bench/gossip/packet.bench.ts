/**
 * Hot functions of the gossip receive and send paths (tinybench):
 *   node bench/gossip/packet.bench.ts
 */
import { createSecretKey } from 'node:crypto';
import { Bench } from 'tinybench';
import { encodeAlive, encodeCompound, encodePing, decodePing } from '../../src/gossip/codec.ts';
import { decodePacketMessage, explodePacket, openPacket, sealPacket } from '../../src/gossip/packet.ts';
import { lzwCompress, lzwDecompress } from '../../src/gossip/lzw.ts';

const rawKey = Buffer.alloc(32, 1);
const key = createSecretKey(rawKey); // what Keyring hands to the cipher calls
const noLabel = Buffer.alloc(0);
const addr = Buffer.from([127, 0, 0, 1]);
const ping = encodePing({ seqNo: 123456, node: 'overwatch-1', sourceAddr: addr, sourcePort: 7946, sourceNode: 'agent-42' });
const alive = encodeAlive({ incarnation: 7, node: 'agent-42', addr, port: 7946, meta: Buffer.from('{"role":"agent","region":"eu-west"}'), vsn: Buffer.from([1, 5, 2, 0, 0, 0]) });
const compound = encodeCompound([ping, alive, alive, alive]);
const sealed = sealPacket(compound, { key, label: noLabel, crc: true });
const wrongKeySealed = sealPacket(compound, { key: Buffer.alloc(32, 2), label: noLabel, crc: true });
const compressed = lzwCompress(Buffer.concat([compound, compound, compound]));

const bench = new Bench({ time: 500 });
bench
  .add('encodePing', () => void encodePing({ seqNo: 1, node: 'overwatch-1', sourceAddr: addr, sourcePort: 7946, sourceNode: 'agent-42' }))
  .add('decodePing', () => void decodePing(ping.subarray(1)))
  .add('sealPacket (compound of 4, AES-256-GCM, CRC)', () => void sealPacket(compound, { key, label: noLabel, crc: true }))
  .add('sealPacket with a raw Buffer key (re-imported per packet)', () => void sealPacket(compound, { key: rawKey, label: noLabel, crc: true }))
  .add('openPacket + explode + decode (compound of 4)', () => {
    const r = openPacket(sealed, [key], noLabel);
    for (const m of explodePacket(r.payload).messages) decodePacketMessage(m);
  })
  .add('openPacket with a wrong key (drop path)', () => void openPacket(wrongKeySealed, [key], noLabel))
  .add('lzwDecompress (~600 B)', () => void lzwDecompress(compressed));
await bench.run();
console.table(bench.table());
