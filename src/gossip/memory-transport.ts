/**
 * In-process network for tests and simulations (memberlist mock_transport.go): any number of
 * transports, addressed as host:port, exchange datagrams through the Clock and streams through
 * in-memory duplex pairs. Faults are injected per network: packet loss, delay and jitter, and
 * directed or symmetric partitions (a partition drops datagrams and makes dials time out).
 */
import { duplexPair, type Duplex } from 'node:stream';
import { systemClock, type Clock } from '../lifecycle/index.ts';
import { formatAddress, type Address, type Transport, type TransportHandlers } from './transport.ts';
import { TransportError } from './net-transport.ts';

export interface MemoryFaults {
  /** Probability in [0, 1] that a datagram is dropped. */
  lossRate: number;
  /** Fixed delivery delay of datagrams. */
  delayMs: number;
  /** Extra uniformly random delay in [0, jitterMs). */
  jitterMs: number;
}

export interface MemoryNetworkStats {
  packetsSent: number;
  packetsDelivered: number;
  packetsDropped: number;
  streamsOpened: number;
}

export class MemoryNetwork {
  readonly clock: Clock;
  readonly faults: MemoryFaults = { lossRate: 0, delayMs: 0, jitterMs: 0 };
  readonly stats: MemoryNetworkStats = { packetsSent: 0, packetsDelivered: 0, packetsDropped: 0, streamsOpened: 0 };
  readonly #random: () => number;
  readonly #nodes = new Map<string, MemoryTransport>();
  /** "from->to" keys of blocked directions; host-only or host:port. */
  readonly #blocked = new Set<string>();
  #nextPort = 20000;

  constructor(opts: { clock?: Clock; random?: () => number } = {}) {
    this.clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
  }

  /** A transport bound at host:port (port 0 = next free). */
  createTransport(host = '127.0.0.1', port = 0): MemoryTransport {
    let p = port;
    if (p === 0) {
      while (this.#nodes.has(formatAddress({ host, port: this.#nextPort }))) this.#nextPort++;
      p = this.#nextPort++;
    }
    const key = formatAddress({ host, port: p });
    if (this.#nodes.has(key)) throw new TransportError(`memory transport: ${key} already bound`);
    const t = new MemoryTransport(this, { host, port: p });
    this.#nodes.set(key, t);
    return t;
  }

  /** Blocks traffic from `a` to `b` (and back unless `oneWay`). Addresses are "host:port". */
  partition(a: string, b: string, oneWay = false): void {
    this.#blocked.add(`${a}->${b}`);
    if (!oneWay) this.#blocked.add(`${b}->${a}`);
  }

  /** Cuts `addr` off from everyone in both directions. */
  isolate(addr: string): void {
    this.#blocked.add(`${addr}->*`);
    this.#blocked.add(`*->${addr}`);
  }

  heal(): void {
    this.#blocked.clear();
  }

  #isBlocked(from: string, to: string): boolean {
    return this.#blocked.has(`${from}->${to}`) || this.#blocked.has(`${from}->*`) || this.#blocked.has(`*->${to}`);
  }

  /** @internal */
  deliverPacket(from: MemoryTransport, buf: Buffer, to: Address): void {
    this.stats.packetsSent++;
    const fromKey = formatAddress(from.localAddress);
    const toKey = formatAddress(to);
    const target = this.#nodes.get(toKey);
    if (!target || this.#isBlocked(fromKey, toKey) || this.#random() < this.faults.lossRate) {
      this.stats.packetsDropped++;
      return;
    }
    const copy = Buffer.from(buf);
    const delay = this.faults.delayMs + (this.faults.jitterMs > 0 ? this.#random() * this.faults.jitterMs : 0);
    this.clock.setTimer(delay, () => {
      if (target.deliver(copy, from.localAddress)) this.stats.packetsDelivered++;
      else this.stats.packetsDropped++;
    });
  }

  /** @internal */
  dial(from: MemoryTransport, to: Address, timeoutMs: number): Promise<Duplex> {
    const fromKey = formatAddress(from.localAddress);
    const toKey = formatAddress(to);
    const target = this.#nodes.get(toKey);
    if (this.#isBlocked(fromKey, toKey) || this.#isBlocked(toKey, fromKey)) {
      return new Promise((_, reject) => {
        this.clock.setTimer(timeoutMs, () => reject(new TransportError(`memory dial ${toKey} timed out after ${timeoutMs} ms`)));
      });
    }
    if (!target || !target.accepting) {
      return Promise.reject(new TransportError(`memory dial ${toKey}: connection refused`));
    }
    this.stats.streamsOpened++;
    const [mine, theirs] = duplexPair();
    // Like a TCP connection: once one end is gone, the other is closed too (writes would fail),
    // instead of a duplex pair's write waiting forever for a reader that no longer exists.
    mine.once('close', () => theirs.destroy());
    theirs.once('close', () => mine.destroy());
    from.track(mine);
    target.track(theirs);
    // Accept asynchronously, as a real listener would.
    queueMicrotask(() => target.accept(theirs, from.localAddress));
    return Promise.resolve(mine);
  }

  /** @internal */
  unbind(t: MemoryTransport): void {
    const key = formatAddress(t.localAddress);
    if (this.#nodes.get(key) === t) this.#nodes.delete(key);
  }
}

export class MemoryTransport implements Transport {
  readonly localAddress: Address;
  readonly #net: MemoryNetwork;
  #handlers: TransportHandlers | undefined;
  #closed = false;
  #streams = new Set<Duplex>();

  /** @internal use MemoryNetwork.createTransport */
  constructor(net: MemoryNetwork, addr: Address) {
    this.#net = net;
    this.localAddress = addr;
  }

  get accepting(): boolean {
    return !this.#closed && this.#handlers !== undefined;
  }

  listen(handlers: TransportHandlers): void {
    this.#handlers = handlers;
  }

  sendPacket(buf: Buffer, to: Address): void {
    if (this.#closed) return;
    this.#net.deliverPacket(this, buf, to);
  }

  dial(to: Address, timeoutMs: number): Promise<Duplex> {
    if (this.#closed) return Promise.reject(new TransportError('memory transport closed'));
    return this.#net.dial(this, to, timeoutMs);
  }

  /** @internal */
  deliver(buf: Buffer, from: Address): boolean {
    if (this.#closed || !this.#handlers) return false;
    this.#handlers.packet(buf, from);
    return true;
  }

  /** @internal */
  accept(conn: Duplex, from: Address): void {
    if (!this.accepting) {
      conn.destroy();
      return;
    }
    this.#handlers!.stream(conn, from);
  }

  /** @internal */
  track(s: Duplex): void {
    this.#streams.add(s);
    s.on('close', () => this.#streams.delete(s));
    s.on('error', () => {});
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#net.unbind(this);
      for (const s of this.#streams) s.destroy();
      this.#streams.clear();
    }
    return Promise.resolve();
  }
}
