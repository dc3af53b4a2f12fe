/**
 * Gossip targets.
 *   gossip-packet  the packet layer before decryption (openPacket: label, version byte, nonce, tag,
 *                  CRC) and the stream frame header (streamFrameLength/openStreamFrame), on random
 *                  bytes and mutated sealed packets, with and without a cluster label.
 *   gossip-node    a live Memberlist's receive path after decryption with the right key: mutated
 *                  plaintext messages of every type (ping, indirect ping, ack, nack, suspect, alive,
 *                  dead, user, compound, LZW compress, err, push/pull), sealed with the key and
 *                  delivered through a capturing transport; 1 in 32 as a TCP stream. After every
 *                  input a valid ping must be acked.
 *   envelope       decodeEnvelope on mutated JSON of signed envelopes of every type and on
 *                  type-confused values, then the Overwatch's AgentAuthenticator (signature path
 *                  with a pinned agent) on whatever decodes.
 */
import { duplexPair, type Duplex } from 'node:stream';
import { createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadOrCreateIdentity } from '../../src/agent/index.ts';
import { AgentAuthenticator } from '../../src/overwatch/agent-auth.ts';
import { StateStore } from '../../src/store/index.ts';
import { Memberlist, signEnvelope, encodeEnvelope, decodeEnvelope, publicKeyId, type Envelope } from '../../src/gossip/index.ts';
import type { Address, Transport, TransportHandlers } from '../../src/gossip/index.ts';
import {
  MessageType,
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
  encodeUserPacket,
  encodeUserStream,
} from '../../src/gossip/codec.ts';
import { lzwCompress } from '../../src/gossip/lzw.ts';
import { OpenStatus, decodePacketMessage, explodePacket, openPacket, sealPacket } from '../../src/gossip/packet.ts';
import { decodeStreamMessage, openStreamFrame, sealStream, streamFrameLength } from '../../src/gossip/stream-codec.ts';
import { ManualClock } from '../../src/lifecycle/index.ts';
import { FuzzFinding, type FuzzTarget } from '../harness.ts';
import { havoc } from '../mutate.ts';
import type { Rng } from '../rng.ts';

const OPEN_NAMES: Record<number, string> = Object.fromEntries(Object.entries(OpenStatus).map(([k, v]) => [v, k.toLowerCase()]));

function randomName(rng: Rng): string {
  return rng.chance(0.1) ? '' : `n${rng.int(rng.chance(0.5) ? 8 : 100000)}`;
}

function randomAddr(rng: Rng): Buffer {
  return rng.pick([Buffer.from([127, 0, 0, 1 + rng.int(250)]), Buffer.alloc(16), rng.bytes(rng.int(20)), Buffer.alloc(0)]);
}

function randomVsn(rng: Rng): Buffer {
  return rng.chance(0.8) ? Buffer.from([1, 5, rng.range(1, 5), 0, 0, 0]) : rng.bytes(rng.int(8));
}

/** One plaintext memberlist message of a random type with random (sometimes absurd) fields. */
export function randomMessage(rng: Rng, self: string, depth = 0): Buffer {
  const seqNo = rng.boundary(32);
  switch (rng.int(depth > 1 ? 11 : 13)) {
    case 0:
      return encodePing({ seqNo, node: rng.chance(0.5) ? self : randomName(rng), sourceAddr: randomAddr(rng), sourcePort: rng.boundary(16), sourceNode: randomName(rng) });
    case 1:
      return encodeIndirectPing({
        seqNo,
        target: randomAddr(rng),
        port: rng.boundary(16),
        node: randomName(rng),
        nack: rng.chance(0.5),
        sourceAddr: randomAddr(rng),
        sourcePort: rng.boundary(16),
        sourceNode: randomName(rng),
      });
    case 2:
      return encodeAck({ seqNo, payload: rng.bytes(rng.int(16)) });
    case 3:
      return encodeNack({ seqNo });
    case 4:
      return encodeSuspect({ incarnation: rng.boundary(32), node: rng.chance(0.3) ? self : randomName(rng), from: randomName(rng) });
    case 5:
      return encodeDead({ incarnation: rng.boundary(32), node: rng.chance(0.3) ? self : randomName(rng), from: randomName(rng) });
    case 6:
    case 7:
      return encodeAlive({
        incarnation: rng.boundary(32),
        node: rng.chance(0.1) ? self : randomName(rng),
        addr: randomAddr(rng),
        port: rng.boundary(16),
        meta: rng.bytes(rng.chance(0.9) ? rng.int(64) : rng.range(500, 600)),
        vsn: randomVsn(rng),
      });
    case 8:
      return encodeUserPacket(rng.bytes(rng.int(64)));
    case 9:
      return encodeErr({ error: 'x'.repeat(rng.int(40)) });
    case 10:
      return encodePushPull({ join: rng.chance(0.5), nodes: [], userState: rng.bytes(rng.int(8)) });
    case 11: {
      const parts = Array.from({ length: rng.int(5) }, () => randomMessage(rng, self, depth + 1));
      return encodeCompound(parts);
    }
    default:
      return encodeCompress({ algo: rng.chance(0.9) ? 0 : rng.int(4), buf: lzwCompress(randomMessage(rng, self, depth + 1)) });
  }
}

/** A Transport whose packets are delivered synchronously by the fuzzer and whose sends are kept. */
class CaptureTransport implements Transport {
  readonly localAddress: Address = { host: '127.0.0.1', port: 7946 };
  handlers?: TransportHandlers;
  sent: { buf: Buffer; to: Address }[] = [];
  listen(h: TransportHandlers): void {
    this.handlers = h;
  }
  sendPacket(buf: Buffer, to: Address): void {
    if (this.sent.length < 10_000) this.sent.push({ buf, to });
  }
  dial(): Promise<Duplex> {
    return Promise.reject(new Error('capture transport does not dial'));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export function gossipPacketTarget(): FuzzTarget {
  const key = createSecretKey(randomBytes(32));
  const other = createSecretKey(randomBytes(32));
  const labels = [Buffer.alloc(0), Buffer.from('opengslb')];
  const samples: Buffer[] = [];
  const canaries = labels.map((label) => sealPacket(Buffer.from([MessageType.NackResp, 0x81, 0xa5, 0x53, 0x65, 0x71, 0x4e, 0x6f, 0x01]), { key, label, crc: true }));
  const t = {
    name: 'gossip-packet',
    description: 'openPacket before decryption (label, version, nonce, tag, CRC) and stream frame headers',
    lastInput: Buffer.alloc(0) as Buffer | string,
    one(rng: Rng): string {
      const label = labels[rng.int(2)]!;
      let input: Buffer;
      const mode = rng.int(10);
      if (mode < 3) input = rng.bytes(rng.length(1500));
      else {
        if (samples.length < 256 || rng.chance(0.05)) {
          const msg = randomMessage(rng, 'self');
          const sealed = sealPacket(msg, { key: rng.chance(0.8) ? key : other, label: rng.chance(0.8) ? label : labels[1 - labels.indexOf(label)]!, crc: rng.chance(0.5) });
          if (samples.length < 256) samples.push(sealed);
          else samples[rng.int(256)] = sealed;
        }
        const base = samples[rng.int(samples.length)]!;
        input = mode < 9 ? havoc(rng, base, 4, 4096) : base;
      }
      t.lastInput = input;
      const opened = openPacket(input, [key], label);
      if (opened.status === OpenStatus.Ok) {
        const ex = explodePacket(opened.payload);
        for (const m of ex.messages) decodePacketMessage(m);
      }
      // The same bytes as a TCP frame header and body.
      const L = streamFrameLength(input.subarray(0, 5));
      if (L > 0 && input.length >= 5 + Math.min(L, 4096)) openStreamFrame(L, input.subarray(5, 5 + L), [key], label);
      // The next valid packet still opens.
      const ok = openPacket(canaries[labels.indexOf(label)]!, [key], label);
      if (ok.status !== OpenStatus.Ok) throw new FuzzFinding('a valid packet did not open after a fuzz input');
      return OPEN_NAMES[opened.status] ?? `status${opened.status}`;
    },
  };
  return t;
}

export function gossipNodeTarget(): FuzzTarget & { close(): Promise<void> } {
  const rawKey = randomBytes(32);
  const key = createSecretKey(rawKey);
  const clock = new ManualClock(1_000_000);
  let transport = new CaptureTransport();
  let ml: Memberlist | undefined;
  let created = 0;
  let n = 0;
  let seq = 1;
  const from: Address = { host: '127.0.0.9', port: 7946 };
  const fresh = async (): Promise<Memberlist> => {
    await ml?.close();
    transport = new CaptureTransport();
    created++;
    ml = await Memberlist.create({ name: 'self', bindHost: '127.0.0.1', bindPort: 7946, keyring: [rawKey], transport, clock, random: Math.random });
    ml.on('message', () => {});
    return ml;
  };
  const acked = (seqNo: number): boolean => {
    for (const s of transport.sent) {
      const o = openPacket(s.buf, [key], Buffer.alloc(0));
      if (o.status !== OpenStatus.Ok) continue;
      for (const m of explodePacket(o.payload).messages) {
        const d = decodePacketMessage(m);
        if (d?.type === MessageType.AckResp && d.ack.seqNo === seqNo) return true;
      }
    }
    return false;
  };
  const t = {
    name: 'gossip-node',
    description: 'Memberlist receive path after decryption with the right key (UDP and TCP streams)',
    lastInput: Buffer.alloc(0) as Buffer | string,
    async one(rng: Rng): Promise<string> {
      // A fresh node now and then: random alive messages legitimately add members.
      if (!ml || n % 20_000 === 0) await fresh();
      n++;
      const node = ml!;
      let msg = randomMessage(rng, 'self');
      if (rng.chance(0.7)) msg = havoc(rng, msg, 4, 4096);
      t.lastInput = msg;
      let outcome: string;
      if ((n & 31) === 0) {
        // As a TCP stream: sealed frame (sometimes with a label header or truncated), then end.
        const [mine, theirs] = duplexPair();
        theirs.on('error', () => {});
        mine.on('error', () => {});
        const closed = new Promise<void>((resolve) => {
          mine.once('close', resolve);
          mine.on('data', () => {});
          mine.once('end', () => resolve());
        });
        transport.handlers!.stream(theirs, from);
        const plain = rng.chance(0.5) ? encodeUserStream(msg) : msg;
        let frame = sealStream(plain, key, Buffer.alloc(0));
        if (rng.chance(0.2)) frame = havoc(rng, frame, 2, 8192);
        mine.end(frame);
        const timeout = new Promise<'timeout'>((r) => setTimeout(r, 1000, 'timeout').unref());
        if ((await Promise.race([closed, timeout])) === 'timeout') {
          // the handler's own tcpTimeout (ManualClock) would end it; advance the clock so it does
          clock.advance(11_000);
          mine.destroy();
          outcome = 'stream-waited';
        } else outcome = 'stream';
      } else {
        const sealed = sealPacket(msg, { key, label: Buffer.alloc(0), crc: rng.chance(0.5) });
        transport.handlers!.packet(sealed, from);
        outcome = `udp-${msg.length > 0 ? (MESSAGE_NAMES[msg[0]!] ?? 'other') : 'empty'}`;
      }
      // Time passes now and then so suspicion timers, probes and reaping run on what was learnt.
      if ((n & 1023) === 0) clock.advance(1000);
      // The next valid ping is acked.
      transport.sent = [];
      const s = (seq = (seq + 1) >>> 0);
      transport.handlers!.packet(sealPacket(encodePing({ seqNo: s, node: 'self', sourceAddr: Buffer.from([127, 0, 0, 9]), sourcePort: 7946, sourceNode: 'prober' }), { key, label: Buffer.alloc(0), crc: false }), from);
      if (!acked(s)) throw new FuzzFinding('a valid ping was not acked after a fuzz input');
      transport.sent = [];
      return outcome;
    },
    async close() {
      await ml?.close();
      void created;
    },
  };
  return t;
}

const MESSAGE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(MessageType).map(([k, v]) => [v, k.toLowerCase()]));

// ------------------------------------------------------------------------------------------------
// Envelopes

/** A JSON value of a random type, sometimes deep or large. */
function randomJson(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 3 ? 7 : 10)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53, 65535, 65536, Number.MAX_SAFE_INTEGER + 2]);
    case 3:
      return rng.pick(['', 'x', 'heartbeat', 'agent_auth', '2026-01-01T00:00:00Z', 'not-a-date', '\u0000', '\ud800', '-----BEGIN CERTIFICATE-----', '__proto__']);
    case 4:
      return 'y'.repeat(rng.int(300));
    case 5:
      return rng.int(100000);
    case 6:
      return `${rng.u32()}`;
    case 7:
      return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1));
    case 8: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) o[rng.pick(['service', 'address', 'port', 'weight', 'healthy', 'health_check', 'type', 'backends', 'predictive', '__proto__', 'constructor', 'x'])] = randomJson(rng, depth + 1);
      return o;
    }
    default: {
      // nesting deeper than any envelope needs (JSON.stringify recurses: stay well below its limit)
      const d = rng.pick([10, 100, 1000]);
      return JSON.parse('['.repeat(d) + ']'.repeat(d));
    }
  }
}

const DEEP_PAIRS = [['[', ']'], ['{"a":', '}']] as const;

/** A heartbeat whose payload carries an extra member nested `depth` deep (written as text). */
function deepEnvelopeText(agentId: string, keyId: string, depth: number, pair: readonly [string, string]): Buffer {
  const [open, close] = pair;
  const head = `{"type":"heartbeat","agent_id":${JSON.stringify(agentId)},"region":"us","timestamp":"${new Date().toISOString()}","payload":{"backends":null,"x":`;
  const tail = `},"auth":{"v":1,"service":"app.gslb.fuzz.test","key_id":"${keyId}","seq":1,"sig":"AAAA"}}`;
  return Buffer.from(head + open.repeat(depth) + close.repeat(depth) + tail, 'utf8');
}

export interface EnvelopeFixture {
  privateKey: KeyObject;
  publicKey: KeyObject;
  agentId: string;
  certificatePem: string;
}

/** Replaces one field anywhere in a JSON tree with a random value (type confusion). */
function confuse(rng: Rng, v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== 'object' || depth > 5) return randomJson(rng);
  if (Array.isArray(v)) {
    if (v.length === 0 || rng.chance(0.2)) return randomJson(rng);
    const copy = [...v];
    const i = rng.int(copy.length);
    copy[i] = confuse(rng, copy[i], depth + 1);
    return copy;
  }
  const o = { ...(v as Record<string, unknown>) };
  const keys = Object.keys(o);
  if (keys.length === 0 || rng.chance(0.15)) {
    o[rng.pick(['extra', 'auth', 'payload', 'backends', 'type'])] = randomJson(rng);
    return o;
  }
  const k = rng.pick(keys);
  if (rng.chance(0.1)) delete o[k];
  else o[k] = confuse(rng, o[k], depth + 1);
  return o;
}

export function envelopeTarget(
  authenticate: (signed: Envelope, env: Envelope, timestampMs: number) => string,
  agent: EnvelopeFixture,
  token: string,
): FuzzTarget {
  let seq = 1;
  const now = () => new Date().toISOString();
  const backend = { service: 'app.gslb.fuzz.test', address: '192.0.2.1', port: 80, weight: 100, healthy: true, health_check: { type: 'http' as const, path: '/health' } };
  const samples = (): Envelope[] => [
    { type: 'heartbeat', agent_id: agent.agentId, region: 'us', timestamp: now(), payload: { backends: [backend], predictive: { bleeding: false, state: 'normal', weight_factor: 1 } } },
    { type: 'heartbeat', agent_id: agent.agentId, region: 'us', timestamp: now(), payload: { backends: null } },
    { type: 'register', agent_id: agent.agentId, region: 'us', timestamp: now(), payload: { service: 'app.gslb.fuzz.test', address: '192.0.2.2', port: 8080, weight: 50 } },
    { type: 'deregister', agent_id: agent.agentId, region: 'us', timestamp: now(), payload: { service: 'app.gslb.fuzz.test', address: '192.0.2.2', port: 8080 } },
    { type: 'agent_auth', agent_id: agent.agentId, region: 'us', timestamp: now(), payload: { certificate_pem: agent.certificatePem, service_token: token, fingerprint: publicKeyId(agent.publicKey) } },
    { type: 'latency_report', agent_id: agent.agentId, region: 'us', timestamp: now(), payload: { backend: 'b', subnets: [{ subnet: '10.0.0.0/24', ewma_ns: 1000, sample_count: 3, last_seen: now() }] } },
  ];
  let corpus: Buffer[] = [];
  const keyId = publicKeyId(agent.publicKey);
  const t = {
    name: 'envelope',
    description: 'decodeEnvelope on mutated signed envelopes + AgentAuthenticator on what decodes',
    lastInput: Buffer.alloc(0) as Buffer | string,
    one(rng: Rng): string {
      if (corpus.length === 0 || rng.chance(0.01)) {
        corpus = samples().map((e) => encodeEnvelope(signEnvelope(e, agent.privateKey, 'app.gslb.fuzz.test', seq++)));
      }
      const base = rng.pick(corpus);
      let input: Buffer;
      const mode = rng.int(10);
      if (mode < 4) input = havoc(rng, base, 6, 300_000);
      else if (mode < 8) input = Buffer.from(JSON.stringify(confuse(rng, JSON.parse(base.toString('utf8')))), 'utf8');
      else if (mode < 9) input = rng.chance(0.9) ? Buffer.from(JSON.stringify(randomJson(rng)), 'utf8') : deepEnvelopeText(agent.agentId, keyId, rng.pick([1000, 50_000, 120_000]), rng.pick(DEEP_PAIRS));
      else input = rng.bytes(rng.length(2000));
      t.lastInput = input;
      const d = decodeEnvelope(input);
      if (!d.ok) {
        if (typeof d.error !== 'string' || d.error === '') throw new FuzzFinding('decodeEnvelope failed without a reason');
        return 'rejected';
      }
      const result = authenticate(d.signed, d.envelope, d.timestampMs);
      return `decoded:${result}`;
    },
  };
  return t;
}

export function newAgentKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/**
 * The envelope target wired to a real AgentAuthenticator over a StateStore in a temp data_dir, with
 * one agent (real identity: key pair + self-signed certificate) pinned by a valid agent_auth.
 */
export async function startEnvelopeTarget(): Promise<FuzzTarget & { close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'opengslb-fuzz-env-'));
  const identity = await loadOrCreateIdentity(path.join(dir, 'agent.key'), path.join(dir, 'agent.crt'), 'us');
  const store = StateStore.open(path.join(dir, 'data'));
  const token = randomBytes(24).toString('base64');
  const auth = new AgentAuthenticator({ store, tokens: () => ({ 'app.gslb.fuzz.test': token }), maxSkewMs: 300_000 });
  const agent: EnvelopeFixture = { privateKey: identity.privateKey, publicKey: identity.publicKey, agentId: identity.agentId, certificatePem: identity.certificatePem };
  const first = signEnvelope(
    { type: 'agent_auth', agent_id: agent.agentId, region: 'us', timestamp: new Date().toISOString(), payload: { certificate_pem: agent.certificatePem, service_token: token, fingerprint: identity.keyId } },
    agent.privateKey,
    'app.gslb.fuzz.test',
    0,
  );
  const d = decodeEnvelope(encodeEnvelope(first));
  if (!d.ok) throw new Error(`fixture envelope does not decode: ${d.error}`);
  const pinned = auth.authenticate(d.signed, d.envelope, d.timestampMs, Date.now());
  if (!pinned.ok) throw new Error(`fixture agent was not pinned: ${pinned.reason}`);
  const target = envelopeTarget(
    (signed, env, ts) => {
      const r = auth.authenticate(signed, env, ts, Date.now());
      return r.ok ? 'ok' : r.reason;
    },
    agent,
    token,
  );
  return Object.assign(target, {
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
