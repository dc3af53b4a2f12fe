/**
 * The protocol between the DNS server (main thread) and its UDP worker threads. Everything here
 * is structured-clone data; see snapshot-replica.ts for the Snapshot's form.
 */
import type { RateLimitConfig } from '../../config/types.ts';
import type { UdpIo } from '../native-udp.ts';
import type { LearnedRows, LocatorSpec } from './routing-transfer.ts';
import type { SignerSpec } from './signer-transfer.ts';
import type { AnswerSetReplica, SnapshotReplica } from './snapshot-replica.ts';

export interface WorkerInit {
  index: number;
  host: string;
  port: number;
  maxUdpPayload: number;
  rateLimit?: RateLimitConfig;
  udpIo?: UdpIo;
  /** How often counters go to the main thread. */
  statsIntervalMs: number;
}

/** A Snapshot to answer from, with the answer sets and behaviour objects it names that this worker has not had yet. */
export interface PublishMessage {
  type: 'publish';
  replica: SnapshotReplica;
  sets: AnswerSetReplica[];
  signers: SignerSpec[];
  locators: LocatorSpec[];
  /** Present when the learned-latency table changed since the last one sent. */
  learned?: LearnedRows;
}

export type ToWorker =
  | PublishMessage
  | { type: 'learned'; learned: LearnedRows }
  | { type: 'flush'; id: number }
  | { type: 'close' };

/** Counters since the last report (deltas). */
export interface WorkerStats {
  /** [domain or null, code, count] repeated; code = qtype * 8192 + rcode * 2 + truncated. */
  counts: (string | number | null)[];
  /** Sampled answer times in seconds (one query in 16). */
  timings: Float64Array;
  responses: number;
  rateLimitedDropped: number;
  rateLimitedSlipped: number;
  signaturesMade: number;
}

export type FromWorker =
  | { type: 'listening'; io: 'native' | 'js'; fallback?: string }
  | { type: 'published'; version: number }
  /** Applying a publish failed: the worker dropped what it had been sent and needs everything again. */
  | { type: 'resync' }
  | { type: 'stats'; stats: WorkerStats; flushId?: number }
  | { type: 'error'; message: string; stack?: string }
  | { type: 'closed' };

export function responseCode(qtype: number, rcode: number, truncated: boolean): number {
  return qtype * 8192 + (rcode & 0xfff) * 2 + (truncated ? 1 : 0);
}

export function decodeResponseCode(code: number): { qtype: number; rcode: number; truncated: boolean } {
  return { qtype: Math.floor(code / 8192), rcode: (code >> 1) & 0xfff, truncated: (code & 1) === 1 };
}
