/**
 * One UDP query to 127.0.0.1, decoded by dns-packet (an independent decoder): used to wait until a
 * server answers and to check, before loading it, that it answers what the bench expects.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import * as packet from 'dns-packet';
import { queryBytes, type QueryShape } from './query-bytes.ts';

export interface ProbeAnswer {
  rcode: string;
  /** A records in the answer section. */
  addresses: string[];
  hasRrsig: boolean;
  hasOpt: boolean;
}

export async function probe(port: number, name: string, type = 'A', dnssecOk = false, timeoutMs = 1000, ecs?: QueryShape['ecs']): Promise<ProbeAnswer> {
  const sock = dgram.createSocket('udp4');
  try {
    sock.send(queryBytes(name, type, { edns: true, dnssecOk, ecs }), port, '127.0.0.1');
    const [msg] = (await once(sock, 'message', { signal: AbortSignal.timeout(timeoutMs) })) as [Buffer];
    const res = packet.decode(msg);
    const answers = res.answers ?? [];
    return {
      rcode: (res as { rcode?: string }).rcode ?? 'NOERROR',
      addresses: answers.filter((a) => a.type === 'A').map((a) => String((a as { data: unknown }).data)),
      hasRrsig: [...answers, ...(res.authorities ?? [])].some((a) => a.type === 'RRSIG'),
      hasOpt: (res.additionals ?? []).some((a) => a.type === 'OPT'),
    };
  } finally {
    sock.close();
  }
}

/** Probes until `ok` accepts the answer or `timeoutMs` passes; returns the last answer or throws. */
export async function waitForAnswer(
  port: number,
  name: string,
  ok: (a: ProbeAnswer) => boolean,
  timeoutMs: number,
  what: string,
): Promise<ProbeAnswer> {
  const deadline = Date.now() + timeoutMs;
  let last: ProbeAnswer | undefined;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe(port, name);
      if (ok(last)) return last;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: no acceptable answer for ${name} on port ${port} within ${timeoutMs} ms; last ${last ? JSON.stringify(last) : String(lastErr)}`);
}
