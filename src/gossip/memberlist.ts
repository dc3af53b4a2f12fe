/**
 * The memberlist node: the runtime shell around the pure pieces (codec, packet/stream layering,
 * NodeTable, queues, suspicion maths). It owns the transport, the timers (through a Clock) and the
 * in-flight probes, and follows memberlist state.go / net.go step by step so Go nodes see a peer:
 *
 *   probe loop    ping -> (no ack in probeTimeout) indirect pings via k helpers + TCP ping
 *                 -> (no ack by probe interval) suspect; Lifeguard awareness scales the interval
 *   gossip loop   queued alive/suspect/dead (+ user broadcasts) to up to gossipNodes random peers
 *   push/pull     full state over TCP at join and every pushPullInterval (scaled by cluster size)
 *   receive       decrypt (all keys) -> CRC -> compound/compress -> dispatch; streams: encryptMsg
 *
 * Invariants: everything sent is encrypted with the primary key (no key, no gossip); packets that
 * do not decrypt are dropped and counted, never logged with content; after close() nothing runs.
 */
import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import { systemClock, type Clock, type Closeable, type TimerHandle } from '../lifecycle/index.ts';
import { Awareness } from './awareness.ts';
import {
  GossipError,
  LAN_DEFAULTS,
  META_MAX_BYTES,
  PROTOCOL_CURRENT,
  PROTOCOL_MAX,
  PROTOCOL_MIN,
  silentLogger,
  type GossipLogger,
  type Member,
  type MemberState,
  type MemberlistEvents,
  type MemberlistOptions,
  type MemberlistStats,
} from './config.ts';
import {
  MessageType,
  NodeStateCode,
  bytesToIp,
  encodeAck,
  encodeCompound,
  encodeErr,
  encodeIndirectPing,
  encodeNack,
  encodePing,
  encodePushPull,
  encodeSuspect,
  encodeUserPacket,
  encodeUserStream,
  ipToBytes,
  messageTypeName,
  type Accusation,
  type IndirectPingReq,
  type Ping,
  type PushPull,
} from './codec.ts';
import { EncryptionVersion, encryptionOverhead } from './crypto.ts';
import { Keyring } from './keyring.ts';
import { NetTransport } from './net-transport.ts';
import {
  COMPOUND_HEADER_OVERHEAD,
  COMPOUND_PART_OVERHEAD,
  OpenStatus,
  UDP_PACKET_MAX,
  decodePacketMessage,
  explodePacket,
  labelHeader,
  openPacket,
  sealPacket,
} from './packet.ts';
import { TransmitLimitedQueue } from './queue.ts';
import { NodeTable, protocolMax, type NodeRecord, type StateEffect } from './state.ts';
import {
  STREAM_HEADER_SIZE,
  decodeStreamMessage,
  openStreamFrame,
  sealStream,
  streamFrameLength,
  type StreamMessage,
} from './stream-codec.ts';
import { StreamReader } from './stream-reader.ts';
import { formatAddress, parseHostPort, type Address, type Transport } from './transport.ts';

/** Go serves at most this many push/pulls at once and drops the rest. */
const MAX_PUSH_PULL_REQUESTS = 128;
/**
 * Inbound TCP streams handled at once. A stream is buffered whole before it can be decrypted, so
 * unauthenticated peers could otherwise pin memory with many large frames; past the cap new
 * connections are closed at once (counted as stream errors).
 */
const MAX_INBOUND_STREAMS = 64;
/** Largest best-effort user payload (a UDP datagram minus our overhead). */
const MAX_UDP_USER_PAYLOAD = 65_000;
/** Application broadcasts kept waiting for room in packets. */
const MAX_USER_BROADCASTS = 1024;

type ResolvedConfig = Required<Omit<MemberlistOptions, 'transport' | 'clock' | 'random' | 'logger' | 'onDecryptFailure' | 'localState' | 'mergeRemoteState' | 'advertiseHost' | 'advertisePort' | 'meta' | 'label'>>;

const STATE_NAMES: Record<number, MemberState> = { 0: 'alive', 1: 'suspect', 2: 'dead', 3: 'left' };

function toMember(n: NodeRecord): Member {
  return {
    name: n.name,
    host: bytesToIp(n.addr) ?? '',
    port: n.port,
    meta: Buffer.from(n.meta),
    state: STATE_NAMES[n.state] ?? 'dead',
    incarnation: n.incarnation,
    vsn: [...n.vsn],
  };
}

function defaultAdvertiseHost(bindHost: string): string {
  if (bindHost !== '0.0.0.0' && bindHost !== '::' && bindHost !== '') return bindHost;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (!a.internal && a.family === 'IPv4') return a.address;
  }
  return '127.0.0.1';
}

function pushPullScale(intervalMs: number, n: number): number {
  if (n <= 32) return intervalMs;
  return (Math.ceil(Math.log2(n) - Math.log2(32)) + 1) * intervalMs;
}

/**
 * Resolves once `buf` is handed to the stream (and the stream ended, if asked), or when the stream
 * closes first: a peer closes as soon as it has read what it wanted, and a peer that did not read
 * shows up as a failed read of its reply, never as a hung write. Rejects on a write error.
 */
function writeAll(conn: Duplex, buf: Buffer, endAfter: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onClose = (): void => resolve();
    conn.once('close', onClose);
    const done = (err?: Error | null): void => {
      conn.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    if (endAfter) conn.end(buf, done);
    else conn.write(buf, done);
  });
}

interface AckHandler {
  onAck(): void;
  onNack(): void;
  timer: TimerHandle;
}

export class Memberlist extends EventEmitter<MemberlistEvents> implements Closeable {
  readonly keyring: Keyring;
  readonly #cfg: ResolvedConfig;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: GossipLogger;
  readonly #transport: Transport;
  readonly #opts: MemberlistOptions;
  readonly #label: Buffer;
  readonly #advertise: Address;
  readonly #table: NodeTable;
  readonly #awareness: Awareness;
  readonly #broadcasts: TransmitLimitedQueue;
  readonly #userBroadcasts: TransmitLimitedQueue;
  readonly #ackHandlers = new Map<number, AckHandler>();
  readonly #suspicionTimers = new Map<string, TimerHandle>();
  readonly #sleepers = new Set<() => void>();
  readonly #streams = new Set<Duplex>();
  readonly #stats: MemberlistStats = {
    packetsReceived: 0,
    packetsSent: 0,
    bytesReceived: 0,
    bytesSent: 0,
    decryptionFailures: 0,
    crcFailures: 0,
    labelMismatches: 0,
    malformed: 0,
    streamsAccepted: 0,
    streamsDialled: 0,
    streamErrors: 0,
    pushPullsDropped: 0,
    probes: 0,
    probeFailures: 0,
    refutations: 0,
    joins: 0,
    leaves: 0,
    received: {},
    sent: {},
  };
  #seqNo = 0;
  #probeIndex = 0;
  #pushPullInFlight = 0;
  #timers: TimerHandle[] = [];
  #closed = false;
  #closing: Promise<void> | undefined;

  /** Validates options, binds the transport and starts the probe, gossip and push/pull loops. */
  static async create(opts: MemberlistOptions): Promise<Memberlist> {
    const keyring = new Keyring(opts.keyring); // throws the original's message when empty
    if (!opts.name) throw new GossipError('ERR_GOSSIP_CONFIG', 'gossip: node name must not be empty');
    const meta = opts.meta ?? Buffer.alloc(0);
    if (meta.length > META_MAX_BYTES) {
      throw new GossipError('ERR_GOSSIP_CONFIG', `gossip: node meta must be at most ${META_MAX_BYTES} bytes, got ${meta.length}`);
    }
    const label = Buffer.from(opts.label ?? '', 'utf8');
    if (label.length > 255) throw new GossipError('ERR_GOSSIP_CONFIG', `gossip: label must be at most 255 bytes, got ${label.length}`);
    if (opts.advertiseHost !== undefined && !ipToBytes(opts.advertiseHost)) {
      throw new GossipError('ERR_GOSSIP_CONFIG', `gossip: advertise address must be an IP address, got ${JSON.stringify(opts.advertiseHost)}`);
    }
    const transport = opts.transport ?? (await NetTransport.create({ bindHost: opts.bindHost, bindPort: opts.bindPort }));
    const advertiseHost = opts.advertiseHost ?? defaultAdvertiseHost(transport.localAddress.host);
    if (!ipToBytes(advertiseHost)) {
      await transport.close();
      throw new GossipError('ERR_GOSSIP_CONFIG', `gossip: advertise address must be an IP address, got ${JSON.stringify(advertiseHost)}`);
    }
    const ml = new Memberlist(opts, keyring, transport, { host: advertiseHost, port: opts.advertisePort ?? transport.localAddress.port }, meta, label);
    ml.#start();
    return ml;
  }

  private constructor(opts: MemberlistOptions, keyring: Keyring, transport: Transport, advertise: Address, meta: Buffer, label: Buffer) {
    super();
    this.#opts = opts;
    this.keyring = keyring;
    this.#transport = transport;
    this.#advertise = advertise;
    this.#label = label;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
    this.#log = opts.logger ?? silentLogger;
    const d = opts.delegateVersion ?? { min: 0, max: 0, cur: 0 };
    this.#cfg = {
      name: opts.name,
      bindHost: opts.bindHost,
      bindPort: opts.bindPort,
      keyring: opts.keyring,
      probeIntervalMs: opts.probeIntervalMs ?? LAN_DEFAULTS.probeIntervalMs,
      probeTimeoutMs: opts.probeTimeoutMs ?? LAN_DEFAULTS.probeTimeoutMs,
      gossipIntervalMs: opts.gossipIntervalMs ?? LAN_DEFAULTS.gossipIntervalMs,
      pushPullIntervalMs: opts.pushPullIntervalMs ?? LAN_DEFAULTS.pushPullIntervalMs,
      tcpTimeoutMs: opts.tcpTimeoutMs ?? LAN_DEFAULTS.tcpTimeoutMs,
      indirectChecks: opts.indirectChecks ?? LAN_DEFAULTS.indirectChecks,
      retransmitMult: opts.retransmitMult ?? LAN_DEFAULTS.retransmitMult,
      suspicionMult: opts.suspicionMult ?? LAN_DEFAULTS.suspicionMult,
      suspicionMaxTimeoutMult: opts.suspicionMaxTimeoutMult ?? LAN_DEFAULTS.suspicionMaxTimeoutMult,
      gossipNodes: opts.gossipNodes ?? LAN_DEFAULTS.gossipNodes,
      gossipToTheDeadMs: opts.gossipToTheDeadMs ?? LAN_DEFAULTS.gossipToTheDeadMs,
      awarenessMaxMultiplier: opts.awarenessMaxMultiplier ?? LAN_DEFAULTS.awarenessMaxMultiplier,
      deadNodeReclaimTimeMs: opts.deadNodeReclaimTimeMs ?? LAN_DEFAULTS.deadNodeReclaimTimeMs,
      disableTcpPings: opts.disableTcpPings ?? LAN_DEFAULTS.disableTcpPings,
      delegateVersion: d,
    };
    this.#awareness = new Awareness(this.#cfg.awarenessMaxMultiplier);
    this.#broadcasts = new TransmitLimitedQueue(this.#cfg.retransmitMult);
    this.#userBroadcasts = new TransmitLimitedQueue(this.#cfg.retransmitMult);
    const vsn = Buffer.from([PROTOCOL_MIN, PROTOCOL_MAX, PROTOCOL_CURRENT, d.min, d.max, d.cur]);
    this.#table = new NodeTable(
      { name: opts.name, addr: ipToBytes(advertise.host)!, port: advertise.port, meta, vsn },
      {
        suspicionMult: this.#cfg.suspicionMult,
        suspicionMaxTimeoutMult: this.#cfg.suspicionMaxTimeoutMult,
        probeIntervalMs: this.#cfg.probeIntervalMs,
        deadNodeReclaimTimeMs: this.#cfg.deadNodeReclaimTimeMs,
      },
      this.#clock.nowMs(),
      this.#random,
    );
    this.#apply(this.#table.takeBootstrapEffects());
  }

  #start(): void {
    this.#transport.listen({
      packet: (buf, from) => this.#onPacket(buf, from),
      stream: (conn, from) => {
        void this.#onStream(conn, from).catch((err: unknown) => this.#log.debug({ err: String(err) }, 'gossip: stream handler failed'));
      },
    });
    // Random stagger so that nodes started together do not probe and gossip in lockstep.
    this.#schedule(this.#random() * this.#cfg.probeIntervalMs, () => this.#probeLoop());
    this.#scheduleRepeating(this.#cfg.gossipIntervalMs, () => this.#gossip());
    if (this.#cfg.pushPullIntervalMs > 0) this.#schedulePushPull(this.#random() * this.#cfg.pushPullIntervalMs);
  }

  // ---------------------------------------------------------------------------------------------
  // Public API

  /** Our own node as others see it. */
  localNode(): Member {
    return toMember(this.#table.local);
  }

  /** Members that are alive or suspect (as Go's Members()), ourselves included. */
  members(): Member[] {
    return this.#table.nodes.filter((n) => n.state === NodeStateCode.Alive || n.state === NodeStateCode.Suspect).map(toMember);
  }

  /** Every known node including dead and left ones not yet forgotten. */
  allNodes(): Member[] {
    return this.#table.nodes.map(toMember);
  }

  /** Number of alive/suspect members (Go's NumMembers). */
  numMembers(): number {
    return this.#table.nodes.filter((n) => n.state === NodeStateCode.Alive || n.state === NodeStateCode.Suspect).length;
  }

  get address(): Address {
    return { ...this.#advertise };
  }

  /** Lifeguard health score: 0 is healthy. */
  get healthScore(): number {
    return this.#awareness.score;
  }

  /**
   * Push/pull with every address ("host:port", default port 7946) and returns how many succeeded.
   * Failures are logged; the caller decides about retries and back-off.
   */
  async join(addrs: readonly string[]): Promise<number> {
    let ok = 0;
    for (const s of addrs) {
      const addr = parseHostPort(s, 7946);
      if (!addr) {
        this.#log.warn({ addr: s }, 'gossip: join: not a host:port address');
        continue;
      }
      try {
        await this.#pushPullWith(addr, true);
        ok++;
      } catch (err) {
        this.#log.warn({ addr: s, err: (err as Error).message }, 'gossip: join failed');
      }
    }
    return ok;
  }

  /** A user message over UDP (no delivery guarantee). */
  sendBestEffort(to: Member | Address, payload: Uint8Array): void {
    this.#assertOpen();
    if (payload.length > MAX_UDP_USER_PAYLOAD) {
      throw new GossipError('ERR_GOSSIP_MESSAGE_SIZE', `gossip: best-effort payload must be at most ${MAX_UDP_USER_PAYLOAD} bytes, got ${payload.length}`);
    }
    const node = 'name' in to ? this.#table.get(to.name) : undefined;
    this.#rawSend({ host: to.host, port: to.port }, encodeUserPacket(payload), [MessageType.User], node);
  }

  /** A user message over a TCP stream; resolves once written, rejects if the peer is unreachable. */
  async sendReliable(to: Member | Address, payload: Uint8Array): Promise<void> {
    this.#assertOpen();
    const conn = await this.#dial({ host: to.host, port: to.port });
    try {
      await this.#writeStream(conn, encodeUserStream(payload), true);
      this.#count(this.#stats.sent, MessageType.User);
    } finally {
      conn.destroy();
    }
  }

  /** Queues a user message piggybacked on gossip to everyone (memberlist delegate GetBroadcasts). */
  broadcast(payload: Uint8Array): void {
    this.#assertOpen();
    this.#userBroadcasts.queue(encodeUserPacket(payload));
    this.#userBroadcasts.prune(MAX_USER_BROADCASTS);
  }

  /** New node metadata, gossiped with a higher incarnation; waits up to `timeoutMs` for it to go out. */
  async updateMeta(meta: Buffer, timeoutMs = 5_000): Promise<void> {
    this.#assertOpen();
    if (meta.length > META_MAX_BYTES) {
      throw new GossipError('ERR_GOSSIP_CONFIG', `gossip: node meta must be at most ${META_MAX_BYTES} bytes, got ${meta.length}`);
    }
    const sent = this.#finishedSignal();
    const effects: StateEffect[] = [];
    this.#table.updateLocalMeta(Buffer.from(meta), this.#clock.nowMs(), effects, sent.fire);
    this.#apply(effects);
    if (this.#anyAlivePeer()) await this.#sleep(timeoutMs, sent);
  }

  /**
   * Announces a voluntary leave (dead about ourselves with From = us) and waits up to `timeoutMs`
   * for it to be gossiped. Keeps answering probes until close().
   */
  async leave(timeoutMs: number): Promise<void> {
    if (this.#closed || this.#table.isLeaving) return;
    const sent = this.#finishedSignal();
    const effects: StateEffect[] = [];
    this.#table.leave(this.#clock.nowMs(), effects, sent.fire);
    this.#apply(effects);
    if (this.#anyAlivePeer()) await this.#sleep(timeoutMs, sent);
  }

  stats(): MemberlistStats {
    return { ...this.#stats, received: { ...this.#stats.received }, sent: { ...this.#stats.sent } };
  }

  /** Stops every loop and timer and closes the transport. Idempotent. Does not announce a leave. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      for (const t of this.#timers) t.cancel();
      this.#timers = [];
      for (const t of this.#suspicionTimers.values()) t.cancel();
      this.#suspicionTimers.clear();
      for (const h of this.#ackHandlers.values()) h.timer.cancel();
      this.#ackHandlers.clear();
      for (const wake of [...this.#sleepers]) wake();
      this.#sleepers.clear();
      for (const s of this.#streams) s.destroy();
      this.#streams.clear();
      this.#broadcasts.reset();
      this.#userBroadcasts.reset();
      await this.#transport.close();
    })();
    return this.#closing;
  }

  // ---------------------------------------------------------------------------------------------
  // Effects, timers, helpers

  #assertOpen(): void {
    if (this.#closed) throw new GossipError('ERR_GOSSIP_CLOSED', 'gossip: memberlist is closed');
  }

  #apply(effects: readonly StateEffect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case 'broadcast':
          this.#broadcasts.queue(e.msg, e.node, e.onFinished);
          break;
        case 'join':
          this.#stats.joins++;
          this.#emitSafe('join', toMember(e.node));
          break;
        case 'leave':
          this.#stats.leaves++;
          this.#emitSafe('leave', toMember(e.node));
          break;
        case 'update':
          this.#emitSafe('update', toMember(e.node));
          break;
        case 'refuted':
          this.#stats.refutations++;
          this.#awareness.applyDelta(1);
          this.#log.debug({ accused: e.accusedIncarnation }, 'gossip: refuted an accusation about us');
          break;
        case 'suspicion-timer': {
          this.#suspicionTimers.get(e.node)?.cancel();
          if (this.#closed) break;
          const name = e.node;
          const t = this.#clock.setTimer(Math.max(0, e.delayMs), () => {
            this.#suspicionTimers.delete(name);
            if (this.#closed) return;
            const fx: StateEffect[] = [];
            this.#table.expireSuspicion(name, this.#clock.nowMs(), fx);
            this.#apply(fx);
          });
          this.#suspicionTimers.set(name, t);
          break;
        }
        case 'suspicion-cancel':
          this.#suspicionTimers.get(e.node)?.cancel();
          this.#suspicionTimers.delete(e.node);
          break;
        case 'conflict':
          this.#log.warn(
            { node: e.node.name, mine: `${bytesToIp(e.node.addr)}:${e.node.port}`, theirs: `${bytesToIp(e.addr)}:${e.port}` },
            'gossip: conflicting address for node',
          );
          break;
      }
    }
  }

  #emitSafe<K extends keyof MemberlistEvents>(event: K, ...args: MemberlistEvents[K]): void {
    try {
      // A throwing listener must not break protocol processing.
      (this.emit as (e: K, ...a: MemberlistEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.#log.warn({ event, err: String(err) }, 'gossip: event listener threw');
    }
  }

  #schedule(delayMs: number, fn: () => void): void {
    if (this.#closed) return;
    const t = this.#clock.setTimer(delayMs, () => {
      this.#timers = this.#timers.filter((x) => x !== t);
      if (!this.#closed) fn();
    });
    this.#timers.push(t);
  }

  #scheduleRepeating(intervalMs: number, fn: () => void): void {
    const tick = (): void => {
      try {
        fn();
      } catch (err) {
        this.#log.warn({ err: String(err) }, 'gossip: periodic task failed');
      }
      this.#schedule(intervalMs, tick);
    };
    this.#schedule(this.#random() * intervalMs, tick);
  }

  #schedulePushPull(delayMs: number): void {
    this.#schedule(delayMs, () => {
      void this.#periodicPushPull().finally(() => {
        this.#schedulePushPull(pushPullScale(this.#cfg.pushPullIntervalMs, this.#table.numNodes));
      });
    });
  }

  /** Resolves after `ms` on the clock, or earlier when `signal.fire()` is called or we close. */
  #sleep(ms: number, signal?: { fired: boolean; wake?: () => void }): Promise<void> {
    if (this.#closed || signal?.fired) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        timer.cancel();
        this.#sleepers.delete(done);
        if (signal) signal.wake = undefined;
        resolve();
      };
      const timer = this.#clock.setTimer(ms, done);
      this.#sleepers.add(done);
      if (signal) signal.wake = done;
    });
  }

  #finishedSignal(): { fired: boolean; wake?: () => void; fire: () => void } {
    const s: { fired: boolean; wake?: () => void; fire: () => void } = {
      fired: false,
      fire: () => {
        s.fired = true;
        s.wake?.();
      },
    };
    return s;
  }

  #anyAlivePeer(): boolean {
    return this.#table.nodes.some((n) => n.name !== this.#cfg.name && n.state === NodeStateCode.Alive);
  }

  #nextSeq(): number {
    this.#seqNo = (this.#seqNo + 1) >>> 0;
    return this.#seqNo;
  }

  #count(bucket: Record<string, number>, type: number): void {
    const name = messageTypeName[type] ?? `type_${type}`;
    bucket[name] = (bucket[name] ?? 0) + 1;
  }

  #nodeAddress(n: NodeRecord): Address {
    return { host: bytesToIp(n.addr) ?? '0.0.0.0', port: n.port };
  }

  #encryptionOverhead(): number {
    return encryptionOverhead(EncryptionVersion.V1) + (this.#label.length > 0 ? 2 + this.#label.length : 0);
  }

  /** Membership broadcasts first, then application broadcasts in the room left (memberlist getBroadcasts). */
  #getBroadcasts(overhead: number, limit: number): Buffer[] {
    const n = this.#table.numNodes;
    const out = this.#broadcasts.getBroadcasts(overhead, limit, n);
    const used = out.reduce((s, m) => s + m.length + overhead, 0);
    const avail = limit - used;
    if (avail > overhead + 1 && this.#userBroadcasts.length > 0) {
      out.push(...this.#userBroadcasts.getBroadcasts(overhead, avail, n));
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Sending packets

  /** Sends one message with as many queued broadcasts piggybacked as fit (memberlist sendMsg). */
  #sendMsg(to: Address, msg: Buffer, node?: NodeRecord): void {
    const avail = UDP_PACKET_MAX - msg.length - COMPOUND_HEADER_OVERHEAD - this.#encryptionOverhead();
    const extra = this.#getBroadcasts(COMPOUND_PART_OVERHEAD, avail);
    if (extra.length === 0) {
      this.#rawSend(to, msg, [msg[0]], node);
      return;
    }
    const parts = [msg, ...extra];
    this.#rawSend(to, encodeCompound(parts), parts.map((p) => p[0]), node);
  }

  /** Seals and sends; CRC only when the recipient advertised protocol >= 5. */
  #rawSend(to: Address, payload: Buffer, types: readonly number[], node?: NodeRecord): void {
    if (this.#closed) return;
    const crc = node !== undefined && protocolMax(node) >= 5;
    const sealed = sealPacket(payload, { key: this.keyring.primaryKeyObject, label: this.#label, crc });
    this.#stats.packetsSent++;
    this.#stats.bytesSent += sealed.length;
    for (const t of types) this.#count(this.#stats.sent, t);
    this.#transport.sendPacket(sealed, to);
  }

  #pingFor(target: string, seqNo: number): Ping {
    return {
      seqNo,
      node: target,
      sourceAddr: ipToBytes(this.#advertise.host)!,
      sourcePort: this.#advertise.port,
      sourceNode: this.#cfg.name,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Receiving packets

  #onPacket(buf: Buffer, from: Address): void {
    if (this.#closed) return;
    this.#stats.packetsReceived++;
    this.#stats.bytesReceived += buf.length;
    const opened = openPacket(buf, this.keyring.keyObjects, this.#label);
    switch (opened.status) {
      case OpenStatus.Ok:
        break;
      case OpenStatus.DecryptFailed:
        this.#decryptFailed(from, 'udp');
        return;
      case OpenStatus.CrcMismatch:
        this.#stats.crcFailures++;
        return;
      case OpenStatus.BadLabel:
      case OpenStatus.LabelMismatch:
        this.#stats.labelMismatches++;
        return;
      default:
        this.#stats.malformed++;
        return;
    }
    const ex = explodePacket(opened.payload);
    this.#stats.malformed += ex.malformed;
    for (const raw of ex.messages) this.#handleMessage(raw, from);
  }

  #decryptFailed(from: Address, via: 'udp' | 'tcp'): void {
    this.#stats.decryptionFailures++;
    // The source only, never the bytes: they may be a probe for an oracle.
    this.#log.debug({ from: formatAddress(from), via }, 'gossip: no installed key could decrypt the message');
    try {
      this.#opts.onDecryptFailure?.();
    } catch {
      // a metrics callback must not break the receive path
    }
  }

  #handleMessage(raw: Buffer, from: Address): void {
    const m = decodePacketMessage(raw);
    if (!m) {
      this.#stats.malformed++;
      return;
    }
    this.#count(this.#stats.received, m.type);
    const now = this.#clock.nowMs();
    const effects: StateEffect[] = [];
    switch (m.type) {
      case MessageType.Ping:
        this.#handlePing(m.ping, from);
        return;
      case MessageType.IndirectPing:
        this.#handleIndirectPing(m.req, from);
        return;
      case MessageType.AckResp: {
        const h = this.#ackHandlers.get(m.ack.seqNo);
        if (h) {
          this.#ackHandlers.delete(m.ack.seqNo);
          h.timer.cancel();
          h.onAck();
        }
        return;
      }
      case MessageType.NackResp:
        this.#ackHandlers.get(m.nack.seqNo)?.onNack();
        return;
      case MessageType.Alive: {
        const a = m.alive;
        // Protocol 1 peers send no port: they use the port we were configured with.
        if (a.port === 0) a.port = this.#advertise.port;
        this.#table.aliveNode(a, now, effects);
        break;
      }
      case MessageType.Suspect:
        this.#table.suspectNode(m.accusation, now, effects);
        break;
      case MessageType.Dead:
        this.#table.deadNode(m.accusation, now, effects);
        break;
      case MessageType.User:
        this.#emitSafe('message', m.payload, { via: 'udp', from });
        return;
      case MessageType.Err:
        return;
    }
    this.#apply(effects);
  }

  #replyAddress(sourceAddr: Buffer, sourcePort: number, from: Address): Address {
    if (sourceAddr.length > 0 && sourcePort > 0) {
      const host = bytesToIp(sourceAddr);
      if (host) return { host, port: sourcePort };
    }
    return from;
  }

  #handlePing(p: Ping, from: Address): void {
    if (p.node !== '' && p.node !== this.#cfg.name) {
      this.#log.debug({ wanted: p.node, from: formatAddress(from) }, 'gossip: got ping for another node');
      return;
    }
    const to = this.#replyAddress(p.sourceAddr, p.sourcePort, from);
    const node = p.sourceNode !== '' ? this.#table.get(p.sourceNode) : undefined;
    this.#sendMsg(to, encodeAck({ seqNo: p.seqNo, payload: Buffer.alloc(0) }), node);
  }

  /** We are a helper: ping the target for the requester and relay the ack (or a nack). */
  #handleIndirectPing(req: IndirectPingReq, from: Address): void {
    const port = req.port === 0 ? this.#advertise.port : req.port;
    const targetHost = bytesToIp(req.target);
    if (!targetHost) return;
    const requester = this.#replyAddress(req.sourceAddr, req.sourcePort, from);
    const requesterNode = req.sourceNode !== '' ? this.#table.get(req.sourceNode) : undefined;
    const localSeq = this.#nextSeq();
    let answered = false;
    const timer = this.#clock.setTimer(this.#cfg.probeTimeoutMs, () => {
      this.#ackHandlers.delete(localSeq);
      if (!answered && req.nack && !this.#closed) {
        this.#sendMsg(requester, encodeNack({ seqNo: req.seqNo }), requesterNode);
      }
    });
    this.#ackHandlers.set(localSeq, {
      onAck: () => {
        answered = true;
        timer.cancel();
        this.#sendMsg(requester, encodeAck({ seqNo: req.seqNo, payload: Buffer.alloc(0) }), requesterNode);
      },
      onNack: () => {},
      timer,
    });
    this.#sendMsg({ host: targetHost, port }, encodePing(this.#pingFor(req.node, localSeq)), this.#table.get(req.node));
  }

  // ---------------------------------------------------------------------------------------------
  // Probing (memberlist probe / probeNode)

  async #probeLoop(): Promise<void> {
    const started = this.#clock.nowMs();
    try {
      await this.#probe();
    } catch (err) {
      this.#log.warn({ err: String(err) }, 'gossip: probe failed unexpectedly');
    }
    if (this.#closed) return;
    const elapsed = this.#clock.nowMs() - started;
    // Like a Go ticker: the next round is due one interval after the last began, never in the past.
    this.#schedule(Math.max(0, this.#cfg.probeIntervalMs - elapsed), () => void this.#probeLoop());
  }

  async #probe(): Promise<void> {
    const nodes = this.#table.nodes;
    for (let checked = 0; checked < nodes.length; ) {
      if (this.#probeIndex >= nodes.length) {
        const fx: StateEffect[] = [];
        this.#table.reap(this.#clock.nowMs(), this.#cfg.gossipToTheDeadMs, fx);
        this.#apply(fx);
        this.#probeIndex = 0;
        checked++;
        continue;
      }
      const node = nodes[this.#probeIndex++];
      if (node.name === this.#cfg.name || node.state === NodeStateCode.Dead || node.state === NodeStateCode.Left) {
        checked++;
        continue;
      }
      await this.#probeNode({ ...node });
      return;
    }
  }

  async #probeNode(node: NodeRecord): Promise<void> {
    this.#stats.probes++;
    const intervalMs = this.#awareness.scaleTimeout(this.#cfg.probeIntervalMs);
    const seqNo = this.#nextSeq();
    const sentAt = this.#clock.nowMs();
    const deadline = sentAt + intervalMs;
    const acked = this.#finishedSignal();
    let nacks = 0;
    const timer = this.#clock.setTimer(intervalMs, () => this.#ackHandlers.delete(seqNo));
    this.#ackHandlers.set(seqNo, { onAck: acked.fire, onNack: () => nacks++, timer });
    const ping = this.#pingFor(node.name, seqNo);
    const to = this.#nodeAddress(node);

    if (node.state === NodeStateCode.Alive) {
      this.#sendMsg(to, encodePing(ping), node);
    } else {
      // A suspect gets the accusation with the ping so it can refute at once.
      const suspect: Accusation = { incarnation: node.incarnation, node: node.name, from: this.#cfg.name };
      const parts = [encodePing(ping), encodeSuspect(suspect)];
      this.#rawSend(to, encodeCompound(parts), parts.map((p) => p[0]), node);
    }

    await this.#sleep(this.#cfg.probeTimeoutMs, acked);
    if (this.#closed) return;
    if (acked.fired) {
      this.#awareness.applyDelta(-1);
      return;
    }

    // Indirect probes through k random alive helpers, and a TCP ping in parallel.
    const helpers = this.#table.randomNodes(
      this.#cfg.indirectChecks,
      (n) => n.name === this.#cfg.name || n.name === node.name || n.state !== NodeStateCode.Alive,
    );
    let expectedNacks = 0;
    for (const h of helpers) {
      const nack = protocolMax(h) >= 4;
      if (nack) expectedNacks++;
      const ind: IndirectPingReq = {
        seqNo,
        target: node.addr,
        port: node.port,
        node: node.name,
        nack,
        sourceAddr: ping.sourceAddr,
        sourcePort: ping.sourcePort,
        sourceNode: ping.sourceNode,
      };
      this.#sendMsg(this.#nodeAddress(h), encodeIndirectPing(ind), h);
    }
    const tcp =
      !this.#cfg.disableTcpPings && protocolMax(node) >= 3
        ? this.#tcpPing(to, ping, deadline).catch(() => false)
        : Promise.resolve(false);

    await this.#sleep(Math.max(0, deadline - this.#clock.nowMs()), acked);
    if (this.#closed) return;
    if (acked.fired) {
      this.#awareness.applyDelta(-1);
      return;
    }
    if (await tcp) {
      this.#log.info({ node: node.name }, 'gossip: reached node over TCP but not UDP; the network may be misconfigured');
      this.#awareness.applyDelta(-1);
      return;
    }
    if (this.#closed) return;
    this.#stats.probeFailures++;
    this.#awareness.applyDelta(expectedNacks > 0 ? Math.max(0, expectedNacks - nacks) : 1);
    this.#log.info({ node: node.name }, 'gossip: suspect node has failed, no acks received');
    const fx: StateEffect[] = [];
    this.#table.suspectNode({ incarnation: node.incarnation, node: node.name, from: this.#cfg.name }, this.#clock.nowMs(), fx);
    this.#apply(fx);
  }

  /** memberlist sendPingAndWaitForAck: a ping over TCP that must be answered before `deadline`. */
  async #tcpPing(to: Address, ping: Ping, deadline: number): Promise<boolean> {
    const remaining = deadline - this.#clock.nowMs();
    if (remaining <= 0) return false;
    const conn = await this.#dial(to, remaining);
    const kill = this.#clock.setTimer(Math.max(0, deadline - this.#clock.nowMs()), () => conn.destroy());
    try {
      await this.#writeStream(conn, encodePing(ping), false);
      const reply = await this.#readStream(new StreamReader(conn), 'reply', to);
      return reply.type === MessageType.AckResp && reply.ack.seqNo === ping.seqNo;
    } finally {
      kill.cancel();
      conn.destroy();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Gossip and push/pull

  #gossip(): void {
    const now = this.#clock.nowMs();
    const targets = this.#table.randomNodes(this.#cfg.gossipNodes, (n) => {
      if (n.name === this.#cfg.name) return true;
      switch (n.state) {
        case NodeStateCode.Alive:
        case NodeStateCode.Suspect:
          return false;
        case NodeStateCode.Dead:
          return now - n.stateChangeMs > this.#cfg.gossipToTheDeadMs;
        default:
          return true;
      }
    });
    const avail = UDP_PACKET_MAX - COMPOUND_HEADER_OVERHEAD - this.#encryptionOverhead();
    for (const node of targets) {
      const msgs = this.#getBroadcasts(COMPOUND_PART_OVERHEAD, avail);
      if (msgs.length === 0) return;
      const payload = msgs.length === 1 ? msgs[0] : encodeCompound(msgs);
      this.#rawSend(this.#nodeAddress(node), payload, msgs.map((m) => m[0]), node);
    }
  }

  async #periodicPushPull(): Promise<void> {
    const [peer] = this.#table.randomNodes(1, (n) => n.name === this.#cfg.name || n.state !== NodeStateCode.Alive);
    if (!peer) return;
    try {
      await this.#pushPullWith(this.#nodeAddress(peer), false);
    } catch (err) {
      this.#log.debug({ node: peer.name, err: (err as Error).message }, 'gossip: push/pull failed');
    }
  }

  #localPushPull(join: boolean): Buffer {
    const userState = this.#opts.localState?.(join) ?? Buffer.alloc(0);
    return encodePushPull({ join, nodes: this.#table.localState(), userState });
  }

  /** Dialler side of push/pull: send our state, read theirs, merge it. */
  async #pushPullWith(addr: Address, join: boolean): Promise<void> {
    this.#assertOpen();
    const conn = await this.#dial(addr);
    const kill = this.#clock.setTimer(this.#cfg.tcpTimeoutMs, () => conn.destroy());
    try {
      const reader = new StreamReader(conn);
      await this.#writeStream(conn, this.#localPushPull(join), false);
      this.#count(this.#stats.sent, MessageType.PushPull);
      const reply = await this.#readStream(reader, 'reply', addr);
      if (reply.type === MessageType.Err) throw new GossipError('ERR_GOSSIP_REMOTE', `gossip: remote error: ${reply.err.error}`);
      if (reply.type !== MessageType.PushPull) {
        throw new GossipError('ERR_GOSSIP_PROTOCOL', `gossip: expected a push/pull reply, got ${messageTypeName[reply.type]}`);
      }
      this.#count(this.#stats.received, MessageType.PushPull);
      this.#mergeRemoteState(reply.pushPull);
    } finally {
      kill.cancel();
      conn.destroy();
    }
  }

  #mergeRemoteState(pp: PushPull): void {
    const err = this.#table.verifyProtocol(pp.nodes);
    if (err) throw new GossipError('ERR_GOSSIP_VERSION', `gossip: push/pull refused: ${err}`);
    const fx: StateEffect[] = [];
    this.#table.mergeState(pp.nodes, this.#clock.nowMs(), fx);
    this.#apply(fx);
    if (pp.userState.length > 0 && this.#opts.mergeRemoteState) {
      try {
        this.#opts.mergeRemoteState(pp.userState, pp.join);
      } catch (e) {
        this.#log.warn({ err: String(e) }, 'gossip: mergeRemoteState threw');
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Streams

  async #dial(to: Address, timeoutMs = this.#cfg.tcpTimeoutMs): Promise<Duplex> {
    this.#stats.streamsDialled++;
    const conn = await this.#transport.dial(to, timeoutMs);
    if (this.#closed) {
      conn.destroy();
      throw new GossipError('ERR_GOSSIP_CLOSED', 'gossip: memberlist is closed');
    }
    this.#streams.add(conn);
    conn.on('close', () => this.#streams.delete(conn));
    conn.on('error', () => {});
    return conn;
  }

  /** Dialler side: writes one sealed stream message, the label header first when we have a label. */
  #writeStream(conn: Duplex, msg: Buffer, endAfter: boolean): Promise<void> {
    const frame = sealStream(msg, this.keyring.primaryKeyObject, this.#label);
    const out = this.#label.length > 0 ? Buffer.concat([labelHeader(this.#label), frame]) : frame;
    return writeAll(conn, out, endAfter);
  }

  /**
   * Reads one stream message. On the accepting side ('request') a label header may come first and
   * must match ours; replies never carry one.
   */
  async #readStream(reader: StreamReader, role: 'request' | 'reply', from: Address): Promise<StreamMessage> {
    let first = await reader.read(1);
    if (role === 'request' && first[0] === MessageType.HasLabel) {
      const len = (await reader.read(1))[0];
      const label = len > 0 ? await reader.read(len) : Buffer.alloc(0);
      if (!label.equals(this.#label)) {
        this.#stats.labelMismatches++;
        throw new GossipError('ERR_GOSSIP_LABEL', 'gossip: stream label does not match');
      }
      first = await reader.read(1);
    } else if (role === 'request' && this.#label.length > 0) {
      this.#stats.labelMismatches++;
      throw new GossipError('ERR_GOSSIP_LABEL', 'gossip: stream without the expected label');
    }
    if (first[0] !== MessageType.Encrypt) {
      throw new GossipError('ERR_GOSSIP_PLAINTEXT', 'Encryption is configured but remote state is not encrypted');
    }
    const header = Buffer.concat([first, await reader.read(STREAM_HEADER_SIZE - 1)]);
    const L = streamFrameLength(header);
    if (L < 0) throw new GossipError('ERR_GOSSIP_FRAME', 'gossip: stream frame length out of bounds');
    const body = await reader.read(L);
    const plain = openStreamFrame(L, body, this.keyring.keyObjects, this.#label);
    if (!plain) {
      this.#decryptFailed(from, 'tcp');
      throw new GossipError('ERR_GOSSIP_DECRYPT', 'No installed keys could decrypt the message');
    }
    const msg = decodeStreamMessage(plain);
    if (!msg) throw new GossipError('ERR_GOSSIP_DECODE', 'gossip: stream message does not decode');
    return msg;
  }

  /** Listener side (memberlist handleConn). */
  async #onStream(conn: Duplex, from: Address): Promise<void> {
    if (this.#closed) {
      conn.destroy();
      return;
    }
    if (this.#streams.size >= MAX_INBOUND_STREAMS) {
      this.#stats.streamErrors++;
      conn.destroy();
      return;
    }
    this.#stats.streamsAccepted++;
    this.#streams.add(conn);
    conn.on('close', () => this.#streams.delete(conn));
    conn.on('error', () => {});
    const kill = this.#clock.setTimer(this.#cfg.tcpTimeoutMs, () => conn.destroy());
    const reader = new StreamReader(conn);
    try {
      let msg: StreamMessage;
      try {
        msg = await this.#readStream(reader, 'request', from);
      } catch (err) {
        this.#stats.streamErrors++;
        if (!(err instanceof GossipError && err.code === 'ERR_GOSSIP_DECRYPT')) this.#log.debug({ from: formatAddress(from), err: (err as Error).message }, 'gossip: failed to receive stream');
        if (err instanceof GossipError && !this.#closed) {
          // Go answers a failed stream with an errResp (sealed like any stream message).
          await this.#writeReply(conn, encodeErr({ error: err.message })).catch(() => {});
        }
        return;
      }
      this.#count(this.#stats.received, msg.type);
      switch (msg.type) {
        case MessageType.PushPull: {
          if (this.#pushPullInFlight >= MAX_PUSH_PULL_REQUESTS) {
            this.#stats.pushPullsDropped++;
            return;
          }
          this.#pushPullInFlight++;
          try {
            // Reply first (as Go does), but merge without waiting for the peer to take the bytes.
            const replied = this.#writeReply(conn, this.#localPushPull(msg.pushPull.join));
            this.#count(this.#stats.sent, MessageType.PushPull);
            try {
              this.#mergeRemoteState(msg.pushPull);
            } finally {
              await replied;
            }
          } finally {
            this.#pushPullInFlight--;
          }
          return;
        }
        case MessageType.User:
          this.#emitSafe('message', msg.payload, { via: 'tcp', from });
          return;
        case MessageType.Ping: {
          if (msg.ping.node !== '' && msg.ping.node !== this.#cfg.name) return;
          await this.#writeReply(conn, encodeAck({ seqNo: msg.ping.seqNo, payload: Buffer.alloc(0) }));
          this.#count(this.#stats.sent, MessageType.AckResp);
          return;
        }
        default:
          this.#stats.streamErrors++;
          return;
      }
    } catch (err) {
      this.#stats.streamErrors++;
      this.#log.debug({ from: formatAddress(from), err: (err as Error).message }, 'gossip: stream exchange failed');
    } finally {
      // Half-close like Go's conn.Close(); the deadline timer still bounds a peer that never closes.
      conn.end();
      if (conn.destroyed) kill.cancel();
      else conn.once('close', () => kill.cancel());
    }
  }

  /** Replies carry no label header (the label is only bound into the aad). */
  #writeReply(conn: Duplex, msg: Buffer): Promise<void> {
    return writeAll(conn, sealStream(msg, this.keyring.primaryKeyObject, this.#label), false);
  }
}
