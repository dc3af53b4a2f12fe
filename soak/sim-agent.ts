/**
 * A simulated agent for the soak: a real agent identity (P-256 key, self-signed certificate, agent
 * id derived from the key), its own UDP+TCP socket pair (the gossip NetTransport), and real
 * encrypted memberlist packets: it joins the Overwatch with a TCP push/pull, answers pings (UDP and
 * TCP) with acks, refutes suspicion of itself, answers push/pulls, authenticates with its token
 * over TCP (as the real agent: at start and every 6 heartbeats) and sends a signed heartbeat over
 * UDP every interval.
 *
 * Why not a full Memberlist per agent: each would learn all N members and probe and gossip to them,
 * N^2 state and traffic inside one process, and the harness rather than the Overwatch would be
 * what is measured. The Overwatch still sees N real members speaking the protocol.
 */
import type { Duplex } from 'node:stream';
import type { KeyObject } from 'node:crypto';
import { NetTransport, encodeEnvelope, encodeNodeMeta, signEnvelope, type Address, type Envelope } from '../src/gossip/index.ts';
import {
  MessageType,
  encodeAck,
  encodeAlive,
  encodePushPull,
  encodeUserPacket,
  encodeUserStream,
  bytesToIp,
  ipToBytes,
  type PushNodeState,
} from '../src/gossip/codec.ts';
import { decodePacketMessage, explodePacket, openPacket, sealPacket, OpenStatus } from '../src/gossip/packet.ts';
import { STREAM_HEADER_SIZE, decodeStreamMessage, openStreamFrame, sealStream, streamFrameLength } from '../src/gossip/stream-codec.ts';
import { StreamReader } from '../src/gossip/stream-reader.ts';

const NO_LABEL = Buffer.alloc(0);
const VSN = Buffer.from([1, 5, 2, 0, 0, 0]);
const AUTH_EVERY_HEARTBEATS = 6;

export interface SimAgentIdentity {
  agentId: string;
  keyId: string;
  privateKey: KeyObject;
  certificatePem: string;
}

export interface SimAgentOptions {
  identity: SimAgentIdentity;
  region: string;
  token: string;
  /** The service named in the signature's auth block (the token covers all of the agent's services). */
  service: string;
  backends: { service: string; address: string; port: number }[];
  overwatch: Address;
  key: KeyObject;
  bindHost: string;
}

export interface SimAgentStats {
  heartbeatsSent: number;
  authsSent: number;
  authFailures: number;
  pingsAnswered: number;
  refutations: number;
  pushPullsAnswered: number;
  streamErrors: number;
}

async function readFrame(reader: StreamReader, key: KeyObject): Promise<Buffer> {
  let first = await reader.read(1);
  if (first[0] === MessageType.HasLabel) {
    const len = (await reader.read(1))[0]!;
    if (len > 0) await reader.read(len);
    first = await reader.read(1);
  }
  const header = Buffer.concat([first, await reader.read(STREAM_HEADER_SIZE - 1)]);
  const L = streamFrameLength(header);
  if (L < 0) throw new Error('bad stream frame');
  const plain = openStreamFrame(L, await reader.read(L), [key], NO_LABEL);
  if (!plain) throw new Error('stream frame does not decrypt');
  return plain;
}

export class SimAgent {
  readonly o: SimAgentOptions;
  readonly stats: SimAgentStats = { heartbeatsSent: 0, authsSent: 0, authFailures: 0, pingsAnswered: 0, refutations: 0, pushPullsAnswered: 0, streamErrors: 0 };
  #transport!: NetTransport;
  #incarnation = 1;
  #seq: number;
  #beats = 0;
  #closed = false;

  constructor(o: SimAgentOptions) {
    this.o = o;
    this.#seq = Date.now() * 1000;
  }

  get address(): Address {
    return this.#transport.localAddress;
  }

  async start(): Promise<void> {
    this.#transport = await NetTransport.create({ bindHost: this.o.bindHost, bindPort: 0 });
    this.#transport.listen({
      packet: (buf, from) => this.#onPacket(buf, from),
      stream: (conn) => {
        this.#onStream(conn).catch(() => {
          this.stats.streamErrors++;
          conn.destroy();
        });
      },
    });
  }

  #selfState(): PushNodeState {
    return {
      name: this.o.identity.agentId,
      addr: ipToBytes(this.address.host)!,
      port: this.address.port,
      meta: encodeNodeMeta({ role: 'agent', region: this.o.region, version: 'soak', timestamp: new Date().toISOString(), agent_id: this.o.identity.agentId }),
      incarnation: this.#incarnation,
      state: 0,
      vsn: VSN,
    };
  }

  #send(msg: Buffer, to: Address): void {
    this.#transport.sendPacket(sealPacket(msg, { key: this.o.key, label: NO_LABEL, crc: true }), to);
  }

  async #stream(msg: Buffer, readReply: boolean): Promise<Buffer | undefined> {
    const conn = await this.#transport.dial(this.o.overwatch, 10_000);
    try {
      const reader = new StreamReader(conn);
      await new Promise<void>((resolve, reject) => conn.write(sealStream(msg, this.o.key, NO_LABEL), (err) => (err ? reject(err) : resolve())));
      if (!readReply) {
        conn.end();
        return undefined;
      }
      return await readFrame(reader, this.o.key);
    } finally {
      if (readReply) conn.destroy();
    }
  }

  /** Push/pull with the Overwatch (memberlist join). */
  async join(): Promise<void> {
    const reply = await this.#stream(encodePushPull({ join: true, nodes: [this.#selfState()], userState: Buffer.alloc(0) }), true);
    const m = reply && decodeStreamMessage(reply);
    if (!m || m.type !== MessageType.PushPull) throw new Error('join: no push/pull reply');
  }

  #envelope(type: Envelope['type'], payload: unknown): Buffer {
    this.#seq = Math.max(this.#seq + 1, Date.now() * 1000);
    const env = { type, agent_id: this.o.identity.agentId, region: this.o.region, timestamp: new Date().toISOString(), payload } as Envelope;
    return encodeEnvelope(signEnvelope(env, this.o.identity.privateKey, this.o.service, this.#seq));
  }

  async authenticate(): Promise<void> {
    const bytes = this.#envelope('agent_auth', { certificate_pem: this.o.identity.certificatePem, service_token: this.o.token, fingerprint: this.o.identity.keyId });
    try {
      await this.#stream(encodeUserStream(bytes), false);
      this.stats.authsSent++;
    } catch {
      this.stats.authFailures++;
    }
  }

  heartbeat(): void {
    if (this.#closed) return;
    // As the real agent: re-authenticate (TCP) every 6 heartbeats, then heartbeat (UDP). Even when the
    // heartbeat waits for the agent_auth to be written, as here, it usually overtakes it on the
    // Overwatch and the agent_auth is refused as replayed (test/reliability/agent-reauth.test.ts).
    if (++this.#beats % AUTH_EVERY_HEARTBEATS === 0) {
      void this.authenticate().then(() => this.#sendHeartbeat());
      return;
    }
    this.#sendHeartbeat();
  }

  #sendHeartbeat(): void {
    if (this.#closed) return;
    const bytes = this.#envelope('heartbeat', {
      backends: this.o.backends.map((b) => ({ service: b.service, address: b.address, port: b.port, weight: 100, healthy: true, health_check: { type: 'tcp', failure_threshold: 3, success_threshold: 2 } })),
    });
    this.#send(encodeUserPacket(bytes), this.o.overwatch);
    this.stats.heartbeatsSent++;
  }

  #onPacket(buf: Buffer, from: Address): void {
    const opened = openPacket(buf, [this.o.key], NO_LABEL);
    if (opened.status !== OpenStatus.Ok) return;
    for (const raw of explodePacket(opened.payload).messages) {
      const m = decodePacketMessage(raw);
      if (!m) continue;
      if (m.type === MessageType.Ping && (m.ping.node === '' || m.ping.node === this.o.identity.agentId)) {
        const source = m.ping.sourceAddr.length > 0 && m.ping.sourcePort > 0 ? bytesToIp(m.ping.sourceAddr) : undefined;
        const to = source ? { host: source, port: m.ping.sourcePort } : from;
        this.#send(encodeAck({ seqNo: m.ping.seqNo, payload: Buffer.alloc(0) }), to);
        this.stats.pingsAnswered++;
      } else if ((m.type === MessageType.Suspect || m.type === MessageType.Dead) && m.accusation.node === this.o.identity.agentId) {
        // memberlist refute(): a higher incarnation than the accusation's.
        if (m.accusation.incarnation >= this.#incarnation) this.#incarnation = m.accusation.incarnation + 1;
        const s = this.#selfState();
        this.#send(encodeAlive({ incarnation: s.incarnation, node: s.name, addr: s.addr, port: s.port, meta: s.meta, vsn: s.vsn }), this.o.overwatch);
        this.stats.refutations++;
      }
    }
  }

  async #onStream(conn: Duplex): Promise<void> {
    const timer = setTimeout(() => conn.destroy(), 10_000);
    try {
      const plain = await readFrame(new StreamReader(conn), this.o.key);
      const m = decodeStreamMessage(plain);
      if (m?.type === MessageType.PushPull) {
        conn.end(sealStream(encodePushPull({ join: false, nodes: [this.#selfState()], userState: Buffer.alloc(0) }), this.o.key, NO_LABEL));
        this.stats.pushPullsAnswered++;
      } else if (m?.type === MessageType.Ping) {
        conn.end(sealStream(encodeAck({ seqNo: m.ping.seqNo, payload: Buffer.alloc(0) }), this.o.key, NO_LABEL));
        this.stats.pingsAnswered++;
      } else conn.end();
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#transport?.close();
  }
}
