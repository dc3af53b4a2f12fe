/**
 * Test clients that talk to a server over real sockets on 127.0.0.1, and decode answers with
 * independent decoders (dns-packet, dig/kdig): never with our own parser.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as packet from 'dns-packet';

const execFileAsync = promisify(execFile);

export interface QueryOptions {
  id?: number;
  rd?: boolean;
  opcode?: number;
  edns?: { udpPayloadSize?: number; dnssecOk?: boolean; version?: number; ecs?: { family: 1 | 2; sourcePrefix: number; address: string } };
}

/** A query encoded by dns-packet. */
export function encodeQuery(name: string, type: string, opts: QueryOptions = {}): Buffer {
  const additionals: packet.Answer[] = [];
  if (opts.edns) {
    const options: { code: number; data?: Buffer; family?: number; sourcePrefixLength?: number; scopePrefixLength?: number; ip?: string }[] = [];
    if (opts.edns.ecs) {
      options.push({ code: 8, family: opts.edns.ecs.family, sourcePrefixLength: opts.edns.ecs.sourcePrefix, scopePrefixLength: 0, ip: opts.edns.ecs.address });
    }
    additionals.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: opts.edns.udpPayloadSize ?? 1232,
      extendedRcode: 0,
      ednsVersion: opts.edns.version ?? 0,
      flags: opts.edns.dnssecOk ? packet.DNSSEC_OK : 0,
      options,
    } as unknown as packet.Answer);
  }
  let flags = opts.rd === false ? 0 : packet.RECURSION_DESIRED;
  if (opts.opcode) flags |= opts.opcode << 11;
  return packet.encode({
    type: 'query',
    id: opts.id ?? 4242,
    flags,
    questions: [{ type: type as packet.RecordType, name, class: 'IN' }],
    additionals,
  });
}

export async function udpExchange(port: number, query: Buffer, timeoutMs = 2000): Promise<Buffer> {
  const sock = dgram.createSocket('udp4');
  try {
    sock.send(query, port, '127.0.0.1');
    const [msg] = (await once(sock, 'message', { signal: AbortSignal.timeout(timeoutMs) })) as [Buffer];
    return msg;
  } finally {
    sock.close();
  }
}

/** Sends raw bytes and resolves true if any reply arrives within timeoutMs, false otherwise. */
export async function udpGetsReply(port: number, bytes: Buffer, timeoutMs = 300): Promise<Buffer | null> {
  try {
    return await udpExchange(port, bytes, timeoutMs);
  } catch {
    return null;
  }
}

/** Sends several framed queries on one TCP connection (pipelined) and reads as many answers. */
export async function tcpExchange(port: number, queries: Buffer[], timeoutMs = 3000): Promise<Buffer[]> {
  const sock = net.connect({ host: '127.0.0.1', port });
  await once(sock, 'connect');
  const frames = queries.map((q) => {
    const f = Buffer.alloc(q.length + 2);
    f.writeUInt16BE(q.length, 0);
    q.copy(f, 2);
    return f;
  });
  sock.write(Buffer.concat(frames));
  const answers: Buffer[] = [];
  let pending = Buffer.alloc(0);
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    while (answers.length < queries.length) {
      const [chunk] = (await once(sock, 'data', { signal })) as [Buffer];
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const len = pending.readUInt16BE(0);
        answers.push(pending.subarray(2, 2 + len));
        pending = pending.subarray(2 + len);
      }
    }
  } finally {
    sock.destroy();
  }
  return answers;
}

export type DecodedPacket = packet.Packet & { flag_aa?: boolean; flag_tc?: boolean; rcode?: string };

export function decode(msg: Buffer): DecodedPacket {
  return packet.decode(msg) as DecodedPacket;
}

export function rcodeOf(msg: Buffer): number {
  return msg.readUInt16BE(2) & 0x0f;
}

/** Runs dig against 127.0.0.1:port; returns stdout. */
export async function dig(port: number, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=2', ...args]);
  return stdout;
}

export async function kdig(port: number, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('kdig', ['@127.0.0.1', '-p', String(port), '+retry=0', '+time=2', ...args]);
  return stdout;
}
