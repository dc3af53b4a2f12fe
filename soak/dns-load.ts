/**
 * DNS load at a fixed rate, in its own process (so the soak harness's agents do not skew latency):
 *   node dns-load.ts '{"port":5353,"qps":2000,"seconds":600,"names":["a.gslb.test"],"windowMs":10000}'
 * Paces queries by the clock (catching up at most 100 ms of backlog), matches answers by ID, counts a
 * query lost when no answer came within 2 s, and prints one JSON line per window:
 *   {"t", "sent", "answered", "lost", "noerror", "p50", "p99", "max"} (latencies in ms).
 */
import dgram from 'node:dgram';
import * as dnsPacket from 'dns-packet';

const spec = JSON.parse(process.argv[2]!) as { port: number; qps: number; seconds: number; names: string[]; windowMs: number };
const queries = spec.names.map((name) => dnsPacket.encode({ type: 'query', id: 0, flags: 0, questions: [{ type: 'A', name }] }));
const sock = dgram.createSocket('udp4');
sock.bind(0, '127.0.0.1');
const sentAt = new Float64Array(65536).fill(-1);
let id = 0;
let window = { sent: 0, answered: 0, lost: 0, noerror: 0, rtts: [] as number[] };
sock.on('message', (m) => {
  const qid = m.readUInt16BE(0);
  const t0 = sentAt[qid]!;
  if (t0 < 0) return;
  sentAt[qid] = -1;
  window.answered++;
  if ((m[3]! & 0x0f) === 0) window.noerror++;
  window.rtts.push(performance.now() - t0);
});
sock.on('error', () => {});

const start = performance.now();
const end = start + spec.seconds * 1000;
let sent = 0;
let nextWindow = start + spec.windowMs;

function flushWindow(now: number): void {
  // Anything still pending for more than 2 s is lost.
  for (let i = 0; i < 65536; i++) {
    if (sentAt[i]! >= 0 && now - sentAt[i]! > 2000) {
      sentAt[i] = -1;
      window.lost++;
    }
  }
  const r = window.rtts.sort((a, b) => a - b);
  const q = (p: number) => (r.length === 0 ? null : Number(r[Math.min(r.length - 1, Math.floor(p * r.length))]!.toFixed(3)));
  process.stdout.write(`${JSON.stringify({ t: Date.now(), sent: window.sent, answered: window.answered, lost: window.lost, noerror: window.noerror, p50: q(0.5), p99: q(0.99), max: q(1) })}\n`);
  window = { sent: 0, answered: 0, lost: 0, noerror: 0, rtts: [] };
}

function tick(): void {
  const now = performance.now();
  if (now >= end) {
    flushWindow(now);
    sock.close();
    return;
  }
  const due = Math.floor(((now - start) / 1000) * spec.qps);
  // never more than 100 ms of backlog at once: a stalled loop must not turn into a burst
  let n = Math.min(due - sent, Math.ceil(spec.qps / 10));
  if (due - sent > n) sent = due - n;
  while (n-- > 0) {
    id = (id + 1) & 0xffff;
    if (sentAt[id]! >= 0) window.lost++; // still pending after a whole ID cycle
    const q = Buffer.from(queries[sent % queries.length]!); // the socket may still hold the last one
    q.writeUInt16BE(id, 0);
    sentAt[id] = performance.now();
    sock.send(q, spec.port, '127.0.0.1');
    window.sent++;
    sent++;
  }
  if (now >= nextWindow) {
    flushWindow(now);
    nextWindow += spec.windowMs;
  }
  setTimeout(tick, 1);
}
sock.on('listening', tick);
