/**
 * Worker thread of control-latency.ts: asks 127.0.0.1:port for `name` A in a tight loop (one query
 * outstanding, re-sent after 50 ms without an answer) and watches one address. On {watch, present}
 * it answers 'armed' once an answer shows the address in the wanted state's opposite (so the change
 * has not happened yet), then reports the process.hrtime.bigint() of the first answer in the wanted
 * state. Stops on 'stop' or after 120 s. Decodes with dns-packet (independent of our parser).
 */
import dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import * as packet from 'dns-packet';

interface Watch {
  address: string;
  /** Report when the address is present (true) or absent (false) in an answer. */
  present: boolean;
  armed: boolean;
}

const { port, name } = workerData as { port: number; name: string };
const query = packet.encode({ type: 'query', id: 1, flags: 0, questions: [{ type: 'A', name, class: 'IN' }] });
const sock = dgram.createSocket('udp4');
let watch: Watch | null = null;
let answers = 0;
let resend: NodeJS.Timeout | undefined;
let stopped = false;

function send(): void {
  if (stopped) return;
  clearTimeout(resend);
  sock.send(query, port, '127.0.0.1');
  resend = setTimeout(send, 50);
}

sock.on('message', (msg) => {
  const t = process.hrtime.bigint();
  answers++;
  const w = watch;
  if (w) {
    const res = packet.decode(msg);
    const has = (res.answers ?? []).some((a) => a.type === 'A' && a.data === w.address);
    if (!w.armed) {
      if (has !== w.present) {
        w.armed = true;
        parentPort!.postMessage({ type: 'armed' });
      }
    } else if (has === w.present) {
      watch = null;
      parentPort!.postMessage({ type: 'seen', atNs: t.toString(), answers });
    }
  }
  send();
});

parentPort!.on('message', (m: { type: string; address?: string; present?: boolean }) => {
  if (m.type === 'watch') watch = { address: m.address!, present: m.present!, armed: false };
  if (m.type === 'stop') stop();
});

function stop(): void {
  stopped = true;
  clearTimeout(resend);
  clearTimeout(limit);
  sock.close();
  parentPort!.close();
}
const limit = setTimeout(stop, 120_000);

sock.bind(0, '127.0.0.1', send);
