/**
 * Watches one Overwatch from inside its network namespace (a test in the root namespace cannot
 * reach it): every `intervalMs` it asks the Overwatch's DNS for `name` A and its API for
 * /api/v1/backends, and prints one JSON line
 *   {"t": ms, "rcode": "NOERROR", "ips": [...], "backends": [{address, healthy, stale, status, authority}]}
 * until stdin closes. Usage: node ns-probe.ts '{"dns":"10.99.0.11:53","api":"http://10.99.0.11:8080","name":"myapp.gslb.test","intervalMs":200}'
 */
import dgram from 'node:dgram';
import * as dnsPacket from 'dns-packet';

const spec = JSON.parse(process.argv[2]!) as { dns: string; api: string; name: string; intervalMs: number };
const [dnsHost, dnsPortText] = spec.dns.split(':') as [string, string];
const sock = dgram.createSocket('udp4');
let id = 0;
let stopped = false;
process.stdin.on('end', () => {
  stopped = true;
  sock.close();
  process.exit(0);
});
process.stdin.resume();

function ask(): Promise<{ rcode: string; ips: string[] }> {
  return new Promise((resolve) => {
    id = (id + 1) & 0xffff;
    const myId = id;
    const timer = setTimeout(() => {
      sock.off('message', onMessage);
      resolve({ rcode: 'TIMEOUT', ips: [] });
    }, Math.max(150, spec.intervalMs - 20));
    const onMessage = (m: Buffer) => {
      if (m.readUInt16BE(0) !== myId) return;
      clearTimeout(timer);
      sock.off('message', onMessage);
      const p = dnsPacket.decode(m);
      const rcode = (p as { rcode?: string }).rcode ?? 'NOERROR';
      resolve({ rcode, ips: (p.answers ?? []).filter((a) => a.type === 'A').map((a) => String((a as { data: unknown }).data)).sort() });
    };
    sock.on('message', onMessage);
    sock.send(dnsPacket.encode({ type: 'query', id: myId, questions: [{ type: 'A', name: spec.name }] }), Number(dnsPortText), dnsHost);
  });
}

async function backends(): Promise<unknown[]> {
  try {
    const res = await fetch(`${spec.api}/api/v1/backends`, { signal: AbortSignal.timeout(Math.max(150, spec.intervalMs - 20)) });
    const body = (await res.json()) as { backends: { address: string; healthy: boolean; stale: boolean; effective_status: string; authority: string }[] };
    return body.backends.map((b) => ({ address: b.address, healthy: b.healthy, stale: b.stale, status: b.effective_status, authority: b.authority }));
  } catch {
    return [];
  }
}

while (!stopped) {
  const t = Date.now();
  const [dns, list] = await Promise.all([ask(), backends()]);
  process.stdout.write(`${JSON.stringify({ t, ...dns, backends: list })}\n`);
  const wait = spec.intervalMs - (Date.now() - t);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
