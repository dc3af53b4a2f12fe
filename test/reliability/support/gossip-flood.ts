/**
 * Flood generator, run as its own process so that it does not share an event loop with the
 * Overwatch or with the process measuring DNS latency:
 *   node gossip-flood.ts '{"host","port","kind","pps","seconds","key","agentId","keyId","dnsPort","zone"}'
 * kinds: undecryptable (random bytes), unsigned (encrypted heartbeat without auth), bad-signature
 * (encrypted heartbeat for a pinned agent with a forged signature: forces an ECDSA verify),
 * bad-token (encrypted agent_auth with a wrong token), dns-random-do (DNS queries for random names
 * with DO=1: forces online signing of a denial). Sends `pps` packets per second in 10 ms batches
 * from a pool of 256 precomputed packets, then prints `{"sent": n}`.
 */
import dgram from 'node:dgram';
import { createSecretKey, randomBytes } from 'node:crypto';
import { encodeUserPacket } from '../../../src/gossip/codec.ts';
import { sealPacket } from '../../../src/gossip/packet.ts';

interface FloodSpec {
  host: string;
  port: number;
  kind: 'undecryptable' | 'unsigned' | 'bad-signature' | 'bad-token' | 'dns-random-do';
  pps: number;
  seconds: number;
  key?: string;
  agentId?: string;
  keyId?: string;
  zone?: string;
}

const spec = JSON.parse(process.argv[2]!) as FloodSpec;
const key = spec.key ? createSecretKey(Buffer.from(spec.key, 'base64')) : undefined;

function envelope(type: string, payload: unknown, auth?: unknown): Buffer {
  return Buffer.from(JSON.stringify({ type, agent_id: spec.agentId ?? `us-${randomBytes(6).toString('hex')}`, region: 'us', timestamp: new Date().toISOString(), payload, ...(auth ? { auth } : {}) }));
}

function dnsQuery(): Buffer {
  const labels = [randomBytes(6).toString('hex'), ...spec.zone!.split('.')];
  const name = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  const header = Buffer.from([randomBytes(1)[0]!, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
  const opt = Buffer.from([0, 0, 41, 4, 0xd0, 0, 0, 0x80, 0, 0, 0]);
  return Buffer.concat([header, name, Buffer.from([0, 1, 0, 1]), opt]);
}

function packet(): Buffer {
  const backends = [{ service: 'myapp.gslb.test', address: '192.0.2.99', port: 80, weight: 100, healthy: true }];
  switch (spec.kind) {
    case 'undecryptable':
      return randomBytes(100 + Math.floor(Math.random() * 1200));
    case 'unsigned':
      return sealPacket(encodeUserPacket(envelope('heartbeat', { backends })), { key: key!, label: Buffer.alloc(0), crc: false });
    case 'bad-signature':
      return sealPacket(
        encodeUserPacket(envelope('heartbeat', { backends }, { v: 1, service: 'myapp.gslb.test', key_id: spec.keyId, seq: Date.now() * 1000 + Math.floor(Math.random() * 1000), sig: randomBytes(64).toString('base64') })),
        { key: key!, label: Buffer.alloc(0), crc: false },
      );
    case 'bad-token':
      return sealPacket(
        encodeUserPacket(envelope('agent_auth', { certificate_pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', service_token: randomBytes(20).toString('base64'), fingerprint: '' }, { v: 1, service: 'x', key_id: 'x', seq: 1, sig: 'AAAA' })),
        { key: key!, label: Buffer.alloc(0), crc: false },
      );
    case 'dns-random-do':
      return dnsQuery();
  }
}

const pool = Array.from({ length: spec.kind === 'dns-random-do' ? 0 : 256 }, packet);
const sock = dgram.createSocket('udp4');
let sent = 0;
const perTick = Math.max(1, Math.round(spec.pps / 100));
const end = Date.now() + spec.seconds * 1000;
const timer = setInterval(() => {
  if (Date.now() >= end) {
    clearInterval(timer);
    sock.close(() => process.stdout.write(`${JSON.stringify({ sent })}\n`));
    return;
  }
  for (let i = 0; i < perTick; i++) {
    sock.send(pool.length > 0 ? pool[sent & 255]! : dnsQuery(), spec.port, spec.host);
    sent++;
  }
}, 10);
