/**
 * DNS targets. `dns` drives the whole query path in process (parseQuery + Responder over the
 * fixture's signed Snapshot, UDP and TCP limits); `dns-udp` sends the same inputs to the real UDP
 * listener. Inputs: random bytes, valid queries (EDNS, DO=1, ECS), valid queries with one aimed
 * corruption (dns-message.ts), and byte havoc on top. Checked for every input: a response with the
 * query's ID, QR set and within the size limit, or a silent drop only for what cannot be answered
 * (shorter than a header, or a response); FORMERR for the corruptions that always make a query
 * malformed; every 4th response decodes with dns-packet (an independent decoder); and the next
 * valid query is answered with its records.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import * as dnsPacket from 'dns-packet';
import { Responder } from '../../src/dns/index.ts';
import { ResponseWriter } from '../../src/dns/wire/index.ts';
import type { Snapshot } from '../../src/model/index.ts';
import { FuzzFinding, type FuzzTarget } from '../harness.ts';
import { havoc } from '../mutate.ts';
import type { Rng } from '../rng.ts';
import { CORRUPTIONS, T, corrupt, encodeRaw, optRecord, validQuery, wireName, type Corruption } from '../dns-message.ts';

const FORMERR = 1;
/** Corruptions after which the query is malformed whatever else it holds: the answer must be FORMERR. */
export const ALWAYS_MALFORMED: readonly Corruption[] = [
  'compression-loop',
  'pointer-in-question',
  'label-past-63',
  'name-past-255',
  'truncated-opt',
  'duplicate-opt',
  'opt-outside-additional',
  'opt-non-root-owner',
  'huge-rdlength',
  'edns-option-overrun',
];
const alwaysMalformed = new Set<Corruption>(ALWAYS_MALFORMED);
const RCODE_NAMES = ['noerror', 'formerr', 'servfail', 'nxdomain', 'notimp', 'refused'];

export interface DnsInput {
  msg: Buffer;
  /** The corruption applied, if any, and whether byte havoc was applied after it. */
  corruption?: Corruption;
  havoc: boolean;
  qtype?: number;
}

const INTERESTING = [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xc0, 0xff];

/**
 * Fuzz inputs for the DNS path. Structured inputs (valid queries, one aimed corruption each) are
 * expensive to build, so a corpus of them is kept and refreshed one entry in 16 inputs; most inputs
 * are a corpus entry with a few in-place byte mutations in a scratch buffer (no allocation), and
 * some are random bytes.
 */
export class DnsInputSource {
  readonly #names: readonly string[];
  readonly #zone: string;
  readonly #corpus: DnsInput[] = [];
  readonly #scratch = Buffer.alloc(65535);
  #n = 0;

  constructor(rng: Rng, names: readonly string[], zone: string, size = 2048) {
    this.#names = names;
    this.#zone = zone;
    for (let i = 0; i < size; i++) this.#corpus.push(this.structured(rng));
  }

  /** A valid query, with one corruption 4 times in 5, with byte havoc on top 1 time in 4. */
  structured(rng: Rng): DnsInput {
    const q = validQuery(rng, this.#names, this.#zone);
    if (rng.chance(0.2)) return { msg: encodeRaw(q), havoc: false, qtype: q.qtype };
    const corruption = rng.pick(CORRUPTIONS);
    corrupt(rng, q, corruption);
    const withHavoc = rng.chance(0.25);
    const msg = encodeRaw(q);
    return { msg: withHavoc ? havoc(rng, msg, 3) : msg, corruption, havoc: withHavoc, qtype: q.qtype };
  }

  /** The next input; its `msg` may live in a scratch buffer reused by the next call (copy to keep it). */
  next(rng: Rng): DnsInput {
    const n = ++this.#n;
    if ((n & 15) === 0) this.#corpus[rng.int(this.#corpus.length)] = this.structured(rng);
    const mode = rng.int(10);
    if (mode === 0) {
      const len = rng.length(600);
      const buf = this.#scratch;
      for (let i = 0; i < len; i += 4) buf.writeUInt32LE(rng.u32(), i);
      return { msg: buf.subarray(0, len), havoc: true };
    }
    const base = this.#corpus[rng.int(this.#corpus.length)]!;
    if (mode < 4) return base;
    // A few in-place mutations of a copy: bit flips, interesting bytes and words, truncation.
    const buf = this.#scratch;
    let len = base.msg.copy(buf, 0);
    const ops = 1 + rng.int(4);
    for (let i = 0; i < ops && len > 0; i++) {
      const at = rng.int(len);
      switch (rng.int(6)) {
        case 0:
          buf[at] ^= 1 << rng.int(8);
          break;
        case 1:
          buf[at] = INTERESTING[rng.int(INTERESTING.length)]!;
          break;
        case 2:
          if (at + 1 < len) buf.writeUInt16BE(rng.boundary(16), at);
          break;
        case 3:
          len = at;
          break;
        case 4:
          buf[at] = rng.u32() & 0xff;
          break;
        default:
          // header fields are where lies hurt most
          buf[2 + rng.int(10)] = rng.u32() & 0xff;
      }
    }
    return { msg: buf.subarray(0, len), havoc: true };
  }
}

/** The query the fuzzers send after every input: must be answered NOERROR with records. */
export function canaryQuery(zone: string, id = 0x4242): Buffer {
  return encodeRaw({
    id,
    flags: 0x0100,
    qname: wireName(`www.${zone}`),
    qtype: T.A,
    qclass: 1,
    hasQuestion: true,
    answers: [],
    authority: [],
    additional: [optRecord({ dnssecOk: true, udpSize: 1232 })],
  });
}

/** Header checks of one response to `msg`; returns the outcome class. */
export function checkResponse(msg: Buffer, out: Buffer, len: number, maxLen: number, input: DnsInput): string {
  if (len === 0) {
    if (msg.length >= 12 && (msg[2]! & 0x80) === 0) throw new FuzzFinding('dropped a query whose header is readable (expected a response, at least FORMERR)');
    return 'drop';
  }
  if (len < 12) throw new FuzzFinding(`response shorter than a header (${len} bytes)`);
  if (len > maxLen) throw new FuzzFinding(`response of ${len} bytes exceeds the limit ${maxLen}`);
  if (out.readUInt16BE(0) !== msg.readUInt16BE(0)) throw new FuzzFinding('response ID differs from the query ID');
  if ((out[2]! & 0x80) === 0) throw new FuzzFinding('response without QR');
  const rcode = out[3]! & 0x0f;
  if (input.corruption && !input.havoc && (msg[2]! & 0x80) === 0) {
    if (alwaysMalformed.has(input.corruption) && rcode !== FORMERR) {
      throw new FuzzFinding(`${input.corruption}: expected FORMERR, got rcode ${rcode}`);
    }
    // RFC 9824 §3.5: an explicit NXNAME query is FORMERR whatever its name.
    if (input.corruption === 'name-exactly-255' && rcode === FORMERR && input.qtype !== T.NXNAME) throw new FuzzFinding('a 255-octet name (legal) was answered FORMERR');
  }
  const tc = (out[2]! & 0x02) !== 0 ? '+tc' : '';
  return (RCODE_NAMES[rcode] ?? `rcode${rcode}`) + tc;
}

/** Decodes a response with dns-packet; a throw means we wrote something malformed. */
export function independentDecode(out: Buffer): void {
  try {
    dnsPacket.decode(out);
  } catch (err) {
    throw new FuzzFinding(`response does not decode with dns-packet: ${(err as Error).message}`);
  }
}

export function dnsTarget(snapshot: () => Snapshot, names: readonly string[], zone: string): FuzzTarget {
  const responder = new Responder({ maxUdpPayload: 1232 });
  const writer = new ResponseWriter(Buffer.alloc(65535));
  const canary = canaryQuery(zone);
  let source: DnsInputSource | undefined;
  let n = 0;
  const t = {
    name: 'dns',
    description: 'parseQuery + Responder (signed zone, DO=0/1, UDP and TCP limits)',
    lastInput: Buffer.alloc(0) as Buffer | string,
    one(rng: Rng): string {
      source ??= new DnsInputSource(rng, names, zone);
      const input = source.next(rng);
      t.lastInput = input.msg;
      const tcp = (++n & 7) === 0;
      const snap = snapshot();
      const len = responder.respond(snap, input.msg, tcp ? 'tcp' : 'udp', writer);
      const outcome = checkResponse(input.msg, writer.buf, len, tcp ? 65535 : 1232, input);
      if (len > 0 && (n & 3) === 0) independentDecode(Buffer.from(writer.buf.subarray(0, len)));
      const clen = responder.respond(snap, canary, 'udp', writer);
      if (clen < 12 || (writer.buf[3]! & 0x0f) !== 0 || writer.buf.readUInt16BE(6) === 0) {
        throw new FuzzFinding('the next valid query was not answered with its records');
      }
      return outcome;
    },
  };
  return t;
}

/**
 * The same inputs over the real UDP listener, in batches of 32 followed by a canary query whose
 * answer must arrive (within 2 s). Every reply to a fuzz input is header-checked.
 */
export async function dnsUdpTarget(port: number, names: readonly string[], zone: string): Promise<FuzzTarget & { close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  let canaryId = 1;
  let source: DnsInputSource | undefined;
  let waiting: { id: number; resolve: (b: Buffer) => void } | undefined;
  const replies: Buffer[] = [];
  sock.on('message', (m) => {
    if (waiting && m.length >= 12 && m.readUInt16BE(0) === waiting.id && m.length > 12 && (m[3]! & 0x0f) === 0 && m.readUInt16BE(6) > 0) {
      const w = waiting;
      waiting = undefined;
      w.resolve(m);
    } else replies.push(m);
  });
  const t = {
    name: 'dns-udp',
    inputsPerCall: 32,
    description: 'the real UDP listener: batches of 32 inputs, then a valid query that must be answered',
    lastInput: Buffer.alloc(0) as Buffer | string,
    async one(rng: Rng): Promise<string> {
      source ??= new DnsInputSource(rng, names, zone);
      const batch: Buffer[] = [];
      for (let i = 0; i < 32; i++) {
        const msg = Buffer.from(source.next(rng).msg);
        batch.push(msg);
        sock.send(msg, port, '127.0.0.1');
      }
      t.lastInput = Buffer.concat(batch);
      canaryId = (canaryId % 65000) + 1;
      const answered = new Promise<Buffer>((resolve) => (waiting = { id: canaryId, resolve }));
      sock.send(canaryQuery(zone, canaryId), port, '127.0.0.1');
      const timeout = new Promise<null>((resolve) => setTimeout(resolve, 2000, null).unref());
      const got = await Promise.race([answered, timeout]);
      if (!got) {
        waiting = undefined;
        throw new FuzzFinding('the valid query after a batch was not answered within 2 s');
      }
      for (const r of replies.splice(0)) {
        if (r.length < 12 || r.length > 1232 || (r[2]! & 0x80) === 0) throw new FuzzFinding(`malformed UDP reply of ${r.length} bytes`);
      }
      return 'batch-of-32';
    },
    async close() {
      await new Promise<void>((r) => sock.close(() => r()));
    },
  };
  return t;
}
