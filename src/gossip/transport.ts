/**
 * The narrow seam between the protocol and the network (memberlist transport.go): datagrams out and
 * in, streams dialled and accepted. `NetTransport` puts it on real UDP + TCP sockets sharing one
 * port; `MemoryNetwork` connects many nodes inside one process for tests, with loss, delay and
 * partitions injected. The protocol never touches `node:dgram` or `node:net` directly.
 */
import type { Duplex } from 'node:stream';
import type { Closeable } from '../lifecycle/index.ts';

export interface Address {
  host: string;
  port: number;
}

export interface TransportHandlers {
  /** One received datagram and the address it came from. */
  packet(buf: Buffer, from: Address): void;
  /** One accepted stream connection; the handler owns it (must end or destroy it). */
  stream(conn: Duplex, from: Address): void;
}

export interface Transport extends Closeable {
  /** The address and port actually bound (port 0 resolved). */
  readonly localAddress: Address;
  /** Starts delivering to `handlers`; called once. */
  listen(handlers: TransportHandlers): void;
  /** Best effort: failures are counted by the transport, never thrown. */
  sendPacket(buf: Buffer, to: Address): void;
  /** Opens a stream; rejects on refusal or after `timeoutMs`. */
  dial(to: Address, timeoutMs: number): Promise<Duplex>;
}

/** "host:port", "[v6]:port" or a bare host (then `defaultPort`). */
export function parseHostPort(s: string, defaultPort: number): Address | undefined {
  const t = s.trim();
  if (t === '') return undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) return checkPort(bracket[1], bracket[2], defaultPort);
  const colons = t.split(':').length - 1;
  if (colons === 0) return checkPort(t, undefined, defaultPort);
  if (colons === 1) {
    const [host, port] = t.split(':');
    return checkPort(host, port, defaultPort);
  }
  return checkPort(t, undefined, defaultPort); // a bare IPv6 address
}

function checkPort(host: string, port: string | undefined, defaultPort: number): Address | undefined {
  if (host === '') return undefined;
  if (port === undefined) return { host, port: defaultPort };
  if (!/^\d{1,5}$/.test(port)) return undefined;
  const p = Number(port);
  return p >= 1 && p <= 65535 ? { host, port: p } : undefined;
}

export function formatAddress(a: Address): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
