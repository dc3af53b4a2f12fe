/**
 * Signed against unsigned answers on the same names (tinybench), and signing cost at cold cache:
 *   node bench/dnssec/responder-signed.bench.ts
 * Responder.respond() only (parse, lookup, pick, write): the socket path is the same for both.
 * Issue 6 goal: DO=1 within 15% of DO=0 for the same answers.
 */
import { Bench } from 'tinybench';
import { Responder } from '../../src/dns/index.ts';
import { ResponseWriter, wireKey } from '../../src/dns/wire/index.ts';
import { DnssecService, SigningKey, ZoneSigner } from '../../src/dnssec/index.ts';
import { buildSnapshot, type SnapshotInput } from '../../src/overwatch/index.ts';
import { systemClock } from '../../src/lifecycle/index.ts';
import { MemoryKeys, silentLog, zoneInput, ZONE } from '../../test/dnssec/signed-server.ts';
import { encodeQuery } from '../../test/support/dns-client.ts';

const svc = new DnssecService({
  config: { enabled: true, algorithm: 'ECDSAP256SHA256', keySync: { peers: [], pollIntervalMs: 3_600_000, timeoutMs: 30_000 }, signatureValidityMs: 7 * 86_400_000, rollover: { zskLifetimeMs: 0, propagationDelayMs: 0 } },
    dnskeyTtlSeconds: 300,
  keys: new MemoryKeys(),
  clock: systemClock,
  log: silentLog,
  requestRebuild: () => {},
});
const input: SnapshotInput = zoneInput(Date.now());
svc.ensureZones([ZONE]);
const signed = buildSnapshot({ ...input, signer: svc }, null);
const unsigned = buildSnapshot(input, null);

const responder = new Responder({ maxUdpPayload: 1232 });
const writer = new ResponseWriter(Buffer.allocUnsafe(65535));
const q = (name: string, type: string, dnssecOk: boolean) => encodeQuery(name, type, { edns: { dnssecOk } });
const cases: [string, Buffer, Buffer][] = [
  ['www A (2 records, round-robin)', q(`www.${ZONE}`, 'A', false), q(`www.${ZONE}`, 'A', true)],
  ['sub A (2 of 5, max_answers)', q(`sub.${ZONE}`, 'A', false), q(`sub.${ZONE}`, 'A', true)],
  ['www AAAA (NODATA)', q(`www.${ZONE}`, 'AAAA', false), q(`www.${ZONE}`, 'AAAA', true)],
  ['nope A (nonexistent, proof cached)', q(`nope.${ZONE}`, 'A', false), q(`nope.${ZONE}`, 'A', true)],
];

const bench = new Bench({ time: 1000 });
for (const [label, plain, withDo] of cases) {
  bench.add(`unsigned zone, DO=0: ${label}`, () => void responder.respond(unsigned, plain, 'udp', writer));
  bench.add(`signed zone,   DO=0: ${label}`, () => void responder.respond(signed, plain, 'udp', writer));
  bench.add(`signed zone,   DO=1: ${label}`, () => void responder.respond(signed, withDo, 'udp', writer));
}
const key = SigningKey.generate(ZONE, Date.now());
let n = 0;
const cold = new ZoneSigner(key, 60, { nowMs: Date.now, validityMs: 7 * 86_400_000, maxDenials: 1 });
bench.add('cold cache: sign one NSEC proof for a new nonexistent name', () => void cold.denial(wireKey(`n${n++}.${ZONE}`), false));
await bench.run();
console.table(
  bench.tasks.map((t) => {
    const r = t.result as { throughput?: { mean: number }; latency?: { mean: number } } | undefined;
    return { task: t.name, 'ops/s': Math.round(r?.throughput?.mean ?? 0), 'mean us': Number(((r?.latency?.mean ?? 0) * 1000).toFixed(3)) };
  }),
);
await svc.close();
