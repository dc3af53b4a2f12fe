/**
 * Fixture: a DnsServer on 127.0.0.1 (port 0) answering a signed zone built by the real snapshot
 * builder and DnssecService, with keys in an in-memory repository. The wall clock is real:
 * validators compare signature times with their own clock.
 */
import { DnsServer, type DnsServerOptions } from '../../src/dns/index.ts';
import { DnssecService, type DnssecServiceOptions } from '../../src/dnssec/index.ts';
import { buildSnapshot, type BackendView, type SnapshotInput } from '../../src/overwatch/index.ts';
import { systemClock, type Clock } from '../../src/lifecycle/index.ts';
import type { DnssecKeyRecord } from '../../src/store/index.ts';
import type { Snapshot } from '../../src/model/index.ts';

export const ZONE = 'gslb.example.com';

/** DnssecKeyRepository's put/listForZone in memory. */
export class MemoryKeys {
  readonly records: DnssecKeyRecord[] = [];
  put(r: DnssecKeyRecord): void {
    const i = this.records.findIndex((x) => x.zone === r.zone && x.keyTag === r.keyTag && x.algorithm === r.algorithm);
    // As the real store: a different key under a stored tag is refused, never silently replaced.
    if (i >= 0 && this.records[i]!.publicKey !== r.publicKey) throw new Error(`zone ${r.zone} already has a different key with tag ${r.keyTag}`);
    if (i >= 0) this.records[i] = { ...r };
    else this.records.push({ ...r });
  }
  listForZone(zone: string): DnssecKeyRecord[] {
    return this.records.filter((r) => r.zone === zone).map((r) => ({ ...r }));
  }
  delete(zone: string, keyTag: number, algorithm: number): boolean {
    const i = this.records.findIndex((x) => x.zone === zone && x.keyTag === keyTag && x.algorithm === algorithm);
    if (i >= 0) this.records.splice(i, 1);
    return i >= 0;
  }
}

export const silentLog = { info() {}, warn() {}, error() {} };

function backends(): BackendView[] {
  const b = (id: string, name: string, address: string, serve = true, weight = 100): BackendView => ({
    id,
    name: `${name}.${ZONE}`,
    address,
    port: 80,
    weight,
    region: 'us',
    serve,
  });
  const list = [
    b('www-1', 'www', '192.0.2.10'),
    b('www-2', 'www', '192.0.2.11'),
    b('app-6', 'app', '2001:db8::10'),
    b('fo-1', 'fo', '192.0.2.21', false),
    b('fo-2', 'fo', '192.0.2.22'),
    b('fo-3', 'fo', '192.0.2.23'),
    b('deep', 'svc.eu', '192.0.2.40'),
    b('w-1', 'w', '192.0.2.51', true, 10),
    b('w-2', 'w', '192.0.2.52', true, 90),
  ];
  for (let i = 0; i < 5; i++) list.push(b(`sub-${i}`, 'sub', `192.0.2.${100 + i}`));
  for (let i = 0; i < 120; i++) list.push(b(`big-${i}`, 'big', `198.51.100.${i}`));
  return list;
}

export function zoneInput(nowMs: number): SnapshotInput {
  return {
    zones: [{ apex: ZONE, nameservers: [`ns1.${ZONE}`, `ns2.${ZONE}`], hostmaster: `hostmaster.${ZONE}`, soaTtlSeconds: 60 }],
    names: [
      { name: `www.${ZONE}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 8 },
      { name: `app.${ZONE}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 8 },
      { name: `fo.${ZONE}`, policy: 'failover', ttlSeconds: 30, maxAnswers: 8 },
      { name: `svc.eu.${ZONE}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 8 },
      { name: `w.${ZONE}`, policy: 'weighted', ttlSeconds: 30, maxAnswers: 1 },
      { name: `sub.${ZONE}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 2 },
      { name: `big.${ZONE}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 120 },
    ],
    backends: backends(),
    returnLastHealthy: false,
    nowMs,
  };
}

export interface SignedServer {
  server: DnsServer;
  port: number;
  dnssec: DnssecService;
  keys: MemoryKeys;
  snapshot: Snapshot;
  rebuild(): void;
  close(): Promise<void>;
}

export async function startSignedServer(opts: { clock?: Clock; keys?: MemoryKeys; service?: Partial<DnssecServiceOptions>; server?: Partial<DnsServerOptions> } = {}): Promise<SignedServer> {
  const clock = opts.clock ?? systemClock;
  const keys = opts.keys ?? new MemoryKeys();
  const server = new DnsServer({ host: '127.0.0.1', port: 0, maxUdpPayload: 1232, tcpIdleTimeoutMs: 2000, tcpMaxConnections: 50, ...opts.server });
  let closed = false;
  const dnssec: DnssecService = new DnssecService({
    config: { enabled: true, algorithm: 'ECDSAP256SHA256', keySync: { peers: [], pollIntervalMs: 3_600_000, timeoutMs: 30_000 }, signatureValidityMs: 7 * 86_400_000, rollover: { zskLifetimeMs: 0, propagationDelayMs: 0 } },
    dnskeyTtlSeconds: 300,
    keys,
    clock,
    log: silentLog,
    // As the Overwatch does (on the next turn), so adopted keys and refreshes reach answers.
    requestRebuild: () => setImmediate(() => {
      if (!closed) out.rebuild();
    }),
    ...opts.service,
  });
  const out: SignedServer = {
    server,
    port: 0,
    dnssec,
    keys,
    snapshot: server.snapshot,
    rebuild() {
      const input = zoneInput(clock.nowMs());
      dnssec.ensureZones(input.zones.map((z) => z.apex));
      out.snapshot = buildSnapshot({ ...input, signer: dnssec }, server.snapshot.version === 0 ? null : server.snapshot);
      server.publish(out.snapshot);
      dnssec.afterBuild();
    },
    async close() {
      closed = true;
      await dnssec.close();
      await server.close();
    },
  };
  out.rebuild();
  await server.start();
  out.port = server.port;
  return out;
}
