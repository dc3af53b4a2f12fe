/** A DnsServer on 127.0.0.1:0 serving one zone with one name (`a.<apex>` -> 10.0.0.1), for listener-level tests. */
import { DnsServer, type DnsServerOptions } from '../../src/dns/index.ts';
import { buildSnapshot } from '../../src/overwatch/index.ts';

export async function startOneNameServer(apex: string, options: Partial<DnsServerOptions> = {}): Promise<DnsServer> {
  const server = new DnsServer({ host: '127.0.0.1', port: 0, maxUdpPayload: 1232, tcpIdleTimeoutMs: 2000, tcpMaxConnections: 100, ...options });
  await server.start();
  server.publish(
    buildSnapshot(
      {
        zones: [{ apex, nameservers: [`ns1.${apex}`], hostmaster: `hostmaster.${apex}`, soaTtlSeconds: 60 }],
        names: [{ name: `a.${apex}`, policy: 'round-robin', ttlSeconds: 5, maxAnswers: 8 }],
        backends: [{ id: 'b', name: `a.${apex}`, address: '10.0.0.1', port: 80, weight: 1, region: 'r', serve: true }],
        returnLastHealthy: false,
        nowMs: 0,
      },
      null,
    ),
  );
  return server;
}
