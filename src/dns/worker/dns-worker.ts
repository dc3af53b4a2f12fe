/**
 * A DNS worker thread: its own UDP socket on the server's address and port (SO_REUSEPORT, so the
 * kernel spreads datagrams over the workers' sockets by a hash of the client's address and port),
 * its own Responder and rate limiter, answering from a replica of the main thread's latest
 * Snapshot (replica-receiver.ts). Publishes are applied in order; a query sees the previous
 * Snapshot until the next one is decoded (a reference swap, as on the main thread). Counters go to
 * the main thread every `statsIntervalMs` and when asked.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UdpListener } from '../udp-listener.ts';
import { ResponseRateLimiter } from '../rate-limiter.ts';
import { ReplicaReceiver } from './replica-receiver.ts';
import { QueryTally } from './query-tally.ts';
import type { FromWorker, PublishMessage, ToWorker, WorkerInit } from './messages.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: FromWorker): void => port.postMessage(m);

const tally = new QueryTally();
const limiter = init.rateLimit?.enabled ? new ResponseRateLimiter(init.rateLimit) : undefined;
const receiver = new ReplicaReceiver(() => tally.signaturesMade++);
let listener: UdpListener | undefined;
let fallback: string | undefined;
let queue: Promise<void> = Promise.resolve();
let closing = false;

const reportError = (err: Error): void => post({ type: 'error', message: err.message, ...(err.stack ? { stack: err.stack } : {}) });

/** Binds once the first Snapshot is in: a worker never answers from an empty one (REFUSED for every zone). */
async function listen(): Promise<void> {
  listener = await UdpListener.start({
    host: init.host,
    port: init.port,
    maxUdpPayload: init.maxUdpPayload,
    currentSnapshot: () => receiver.snapshot,
    onResponse: (outcome) => tally.record(outcome),
    onTiming: (seconds) => tally.timing(seconds),
    onError: reportError,
    rateLimiter: limiter,
    reusePort: true,
    ...(init.udpIo ? { udpIo: init.udpIo } : {}),
    onUdpIoFallback: (reason) => (fallback = reason),
  });
  post({ type: 'listening', io: listener.io, ...(fallback === undefined ? {} : { fallback }) });
}

async function apply(m: PublishMessage): Promise<void> {
  await receiver.apply(m);
  if (listener === undefined && !closing) await listen();
  post({ type: 'published', version: m.replica.version });
}

const sendStats = (flushId?: number): void => {
  const stats = tally.drain(limiter?.stats ?? { dropped: 0, slipped: 0 });
  post({ type: 'stats', stats, ...(flushId === undefined ? {} : { flushId }) });
};
const statsTimer = setInterval(() => sendStats(), init.statsIntervalMs);

/**
 * Before the socket is bound nothing can be answered: the error ends the thread and the pool starts
 * a new one. Later, the previous Snapshot keeps serving and the pool is asked to send everything again.
 */
function failed(err: unknown): void {
  if (listener === undefined) throw err;
  reportError(err as Error);
  receiver.reset();
  post({ type: 'resync' });
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'publish') queue = queue.then(() => apply(m)).catch(failed);
  else if (m.type === 'learned') receiver.setLearned(m.learned);
  else if (m.type === 'flush') sendStats(m.id);
  else if (m.type === 'close' && !closing) {
    closing = true;
    clearInterval(statsTimer);
    void (async () => {
      await queue.catch(() => undefined);
      await listener?.close();
      await receiver.close();
      sendStats();
      post({ type: 'closed' });
      port.close();
    })();
  }
});
