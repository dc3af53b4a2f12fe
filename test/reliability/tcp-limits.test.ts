/**
 * DNS over TCP limits, from the outside: connections past dns.tcp_max_connections are closed at
 * accept and counted (the same counter as the per-client limit, opengslb_dns_tcp_connections_refused_total),
 * an idle connection is closed after dns.tcp_idle_timeout, and queries on a fresh connection are
 * answered afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import type { DnsServer } from '../../src/dns/index.ts';
import { decode, encodeQuery, tcpExchange } from '../support/dns-client.ts';
import { startOneNameServer } from '../support/one-name-server.ts';

const IDLE_MS = 300;

function serve(maxConnections: number): Promise<DnsServer> {
  return startOneNameServer('tl.test', { tcpIdleTimeoutMs: IDLE_MS, tcpMaxConnections: maxConnections, tcpMaxConnectionsPerClient: 100 });
}

test('TCP connections past dns.tcp_max_connections are closed at accept and counted; idle ones time out', async (t) => {
  const server = await serve(3);
  t.after(() => server.close());
  const held = Array.from({ length: 3 }, () => net.connect(server.port, '127.0.0.1'));
  t.after(() => held.forEach((s) => s.destroy()));
  await Promise.all(held.map((s) => once(s, 'connect')));
  // The fourth connects at the kernel level, then Node closes it ('drop') since 3 are open.
  const extra = net.connect(server.port, '127.0.0.1');
  extra.on('error', () => {});
  await once(extra, 'close');
  assert.equal(server.tcpRefused, 1, 'the fourth connection is refused and counted');

  // Held connections say nothing: each is closed after the idle timeout (not before half of it).
  const started = Date.now();
  await Promise.all(held.map((s) => once(s, 'close')));
  const idleMs = Date.now() - started;
  assert.ok(idleMs >= IDLE_MS / 2 && idleMs < IDLE_MS * 10, `idle connections closed after ${idleMs} ms (timeout ${IDLE_MS} ms)`);

  // Slots are free again: a query over TCP is answered.
  const [answer] = await tcpExchange(server.port, [encodeQuery('a.tl.test', 'A')]);
  assert.equal(decode(answer!).rcode, 'NOERROR');
  t.diagnostic(`refused past the total limit: ${server.tcpRefused}; idle connections closed after ${idleMs} ms`);
});
