/**
 * The optional native UDP path (native/udp-batch): recvmmsg/sendmmsg in batches, one JS call per
 * batch instead of one 'message' event, one send callback and a libuv request per datagram. This
 * module loads the addon (once), decides between it and Node's dgram (`dns.udp_io`), and adapts the
 * addon's shared buffers to "answer this query into that buffer".
 */
import { createRequire } from 'node:module';
import { isIP } from 'node:net';

export type UdpIo = 'auto' | 'native' | 'js';

/** What native/udp-batch/src/udp_batch.cc exports. */
interface UdpBatchBinding {
  open(host: string, port: number, reusePort: boolean, batch: number, recvSlot: number, sendSlot: number, onBatch: (count: number) => void): BatchHandle;
  close(handle: BatchHandle): void;
  addressString(handle: BatchHandle, slot: number): string;
  stats(handle: BatchHandle): NativeUdpStats;
}

interface BatchHandle {
  readonly port: number;
  readonly recv: ArrayBuffer;
  readonly send: ArrayBuffer;
  readonly meta: ArrayBuffer;
}

export interface NativeUdpStats {
  batches: number;
  datagrams: number;
  /** Queries longer than a receive slot, dropped unread. */
  truncated: number;
  sent: number;
  /** Answers dropped because the socket's send buffer was full. */
  sendDropped: number;
  sendErrors: number;
  largestBatch: number;
}

export type LoadResult = { ok: true; binding: UdpBatchBinding } | { ok: false; reason: string };

const ADDON = '../../native/udp-batch/build/Release/udp_batch.node';
let loaded: LoadResult | undefined;

/** Loads the addon once per process (thread); never throws. */
export function loadUdpBatch(): LoadResult {
  if (loaded) return loaded;
  if (process.platform !== 'linux') return (loaded = { ok: false, reason: `recvmmsg/sendmmsg need Linux, this is ${process.platform}` });
  try {
    loaded = { ok: true, binding: createRequire(import.meta.url)(ADDON) as UdpBatchBinding };
  } catch (err) {
    loaded = { ok: false, reason: `cannot load native/udp-batch (${(err as Error).message.split('\n')[0]}); build it with npm run build:native` };
  }
  return loaded;
}

export type UdpIoChoice = { io: 'native'; binding: UdpBatchBinding } | { io: 'js'; fallbackReason?: string };

/**
 * `auto`: native when the addon loaded and the host is an IP literal (the addon binds numeric
 * addresses only), else js with the reason; `native`: the addon or a start-up error; `js`: dgram.
 */
export function chooseUdpIo(requested: UdpIo, host: string, load: () => LoadResult = loadUdpBatch): UdpIoChoice {
  if (requested === 'js') return { io: 'js' };
  const numeric = host === '' || isIP(host) !== 0;
  const result = load();
  if (result.ok && numeric) return { io: 'native', binding: result.binding };
  const reason = result.ok ? `listen address ${JSON.stringify(host)} is not an IP address` : result.reason;
  if (requested === 'native') throw new Error(`dns.udp_io is native but native UDP I/O is unavailable: ${reason}`);
  return { io: 'js', fallbackReason: reason };
}

/** Answers `query` (from `address`) into `out`; returns the answer's length, 0 = no answer. */
export type AnswerFn = (query: Buffer, address: string, out: Buffer) => number;

export interface NativeUdpOptions {
  host: string;
  port: number;
  reusePort: boolean;
  /** Bytes per answer slot (the largest answer we send). */
  sendSlot: number;
  /** Datagrams per recvmmsg/sendmmsg. */
  batch?: number;
}

const META_INTS = 8;
const M_RECV_LEN = 0;
const M_SEND_LEN = 1;
const M_FAMILY = 2;
const M_ADDR = 4;
const FAMILY_V4 = 4;
const FAMILY_V4_MAPPED = 5;
const DEFAULT_BATCH = 64;
/** Queries are small (EDNS padding rounds to 468); a longer datagram is dropped unread. */
const RECV_SLOT = 4096;
const V4_NAMES_MAX = 4096;
/** Views are kept for lengths up to this (typical queries: 30-100 bytes): at most 64 x 512 views. */
const VIEW_CACHE_MAX_LENGTH = 512;

export class NativeUdpSocket {
  readonly #binding: UdpBatchBinding;
  readonly #handle: BatchHandle;
  readonly #answer: AnswerFn;
  readonly #meta: Int32Array;
  readonly #recv: ArrayBuffer;
  /**
   * Per slot, views of the receive area by query length, made on first use: a query is handed to
   * JS as a Buffer of its exact length, and a resolver's queries come in a few lengths.
   */
  readonly #queries: Buffer[][];
  readonly #answers: Buffer[];
  /** IPv4 source (as a number) -> its text, so a busy resolver's address is not re-formatted. */
  readonly #v4Names = new Map<number, string>();
  /** The same for IPv4-mapped sources ('::ffff:a.b.c.d') on a dual-stack socket (listen ":53"). */
  readonly #mappedNames = new Map<number, string>();
  readonly #lastV6 = new Int32Array(4);
  #lastV6Name = '';
  #closed = false;

  constructor(binding: UdpBatchBinding, opts: NativeUdpOptions, answer: AnswerFn) {
    const batch = opts.batch ?? DEFAULT_BATCH;
    const host = opts.host === '' ? '::' : opts.host;
    this.#binding = binding;
    this.#answer = answer;
    this.#handle = binding.open(host, opts.port, opts.reusePort, batch, RECV_SLOT, opts.sendSlot, (count) => this.#onBatch(count));
    this.#meta = new Int32Array(this.#handle.meta);
    this.#recv = this.#handle.recv;
    this.#queries = Array.from({ length: batch }, () => []);
    this.#answers = Array.from({ length: batch }, (_, i) => Buffer.from(this.#handle.send, i * opts.sendSlot, opts.sendSlot));
  }

  get port(): number {
    return this.#handle.port;
  }

  stats(): NativeUdpStats {
    return this.#binding.stats(this.#handle);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#binding.close(this.#handle);
  }

  #onBatch(count: number): void {
    const meta = this.#meta;
    for (let i = 0; i < count && !this.#closed; i++) {
      const o = i * META_INTS;
      const length = meta[o + M_RECV_LEN];
      if (length < 0) continue; // longer than a slot: dropped
      const views = this.#queries[i];
      let query = views[length];
      if (query === undefined) {
        query = Buffer.from(this.#recv, i * RECV_SLOT, length);
        if (length <= VIEW_CACHE_MAX_LENGTH) views[length] = query;
      }
      meta[o + M_SEND_LEN] = this.#answer(query, this.#address(i, o), this.#answers[i]);
    }
  }

  /** The source address as dgram's rinfo.address would spell it. */
  #address(slot: number, o: number): string {
    const meta = this.#meta;
    const family = meta[o + M_FAMILY];
    if (family === FAMILY_V4 || family === FAMILY_V4_MAPPED) {
      const names = family === FAMILY_V4 ? this.#v4Names : this.#mappedNames;
      const a = meta[o + M_ADDR];
      let name = names.get(a);
      if (name === undefined) {
        if (names.size >= V4_NAMES_MAX) names.clear();
        name = `${family === FAMILY_V4 ? '' : '::ffff:'}${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
        names.set(a, name);
      }
      return name;
    }
    const last = this.#lastV6;
    let same = this.#lastV6Name !== '';
    for (let w = 0; w < 4; w++) {
      if (last[w] !== meta[o + M_ADDR + w]) {
        same = false;
        last[w] = meta[o + M_ADDR + w];
      }
    }
    if (!same) this.#lastV6Name = this.#binding.addressString(this.#handle, slot);
    return this.#lastV6Name;
  }
}
