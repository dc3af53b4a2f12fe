/**
 * Parses `ss -Htin state established` output: per connection a line with the local and peer
 * address:port, then an indented line of TCP_INFO fields where `rtt:<avg>/<var>` is the kernel's
 * smoothed RTT in milliseconds. Pure; lines it does not understand are skipped.
 */
export interface ConnectionRtt {
  localPort: number;
  peerAddress: string;
  rttMs: number;
}

function splitHostPort(text: string): { host: string; port: number } | undefined {
  const cut = text.lastIndexOf(':');
  if (cut <= 0) return undefined;
  let host = text.slice(0, cut);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const pct = host.indexOf('%');
  if (pct >= 0) host = host.slice(0, pct);
  if (host.startsWith('::ffff:') && host.includes('.')) host = host.slice(7);
  const port = Number(text.slice(cut + 1));
  return Number.isInteger(port) ? { host, port } : undefined;
}

export function parseSsOutput(text: string): ConnectionRtt[] {
  const out: ConnectionRtt[] = [];
  let pending: { localPort: number; peerAddress: string } | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (!/^\s/.test(line)) {
      // Recv-Q Send-Q Local:Port Peer:Port [Process]
      const cols = line.trim().split(/\s+/);
      const local = cols.length >= 4 ? splitHostPort(cols[2]!) : undefined;
      const peer = cols.length >= 4 ? splitHostPort(cols[3]!) : undefined;
      pending = local && peer ? { localPort: local.port, peerAddress: peer.host } : undefined;
      continue;
    }
    const m = /\brtt:([0-9.]+)\//.exec(line);
    if (pending && m) {
      const rttMs = Number(m[1]);
      if (Number.isFinite(rttMs) && rttMs >= 0) out.push({ ...pending, rttMs });
    }
    pending = undefined;
  }
  return out;
}
