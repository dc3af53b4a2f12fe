/**
 * Responder.respond (src/dns/responder.ts): parse, look up, pick and write one answer, on a Snapshot
 * built by the real builder from a Registry: the load bench's names (app with 3 backends; round-robin,
 * weighted and failover with 10, 100 and 1,000 backends, max_answers 3) among 1,000 other names of
 * 10 backends. No sockets: this is what our code costs per query, beside the UDP I/O.
 *   node bench/dns/responder.bench.ts [timeMs=500]
 */
import { Bench } from 'tinybench';
import { Responder } from '../../src/dns/index.ts';
import { ResponseWriter } from '../../src/dns/wire/index.ts';
import { ZONE, fleetRegistry, rebuild, spreadFleet, type FleetName } from '../overwatch/bench-fleet.ts';
import { queryBytes } from './query-bytes.ts';

const loadNames: FleetName[] = [{ name: `app.${ZONE}`, policy: 'round-robin', backends: 3, maxAnswers: 3 }];
for (const [tag, policy] of [['rr', 'round-robin'], ['w', 'weighted'], ['fo', 'failover']] as const) {
  for (const n of [10, 100, 1000]) loadNames.push({ name: `${tag}${n}.${ZONE}`, policy, backends: n, maxAnswers: 3 });
}
const nowMs = Date.now();
const snapshot = rebuild(fleetRegistry([...loadNames, ...spreadFleet(1000, 10)], nowMs), null, nowMs);

const responder = new Responder({ maxUdpPayload: 1232 });
const writer = new ResponseWriter(Buffer.alloc(1232));
const cases: [string, Buffer][] = [
  ['A app (3 backends), no EDNS', queryBytes(`app.${ZONE}`, 'A')],
  ['A app, EDNS DO=0', queryBytes(`app.${ZONE}`, 'A', { edns: true })],
  ['A app, EDNS DO=1', queryBytes(`app.${ZONE}`, 'A', { dnssecOk: true })],
  ['NXDOMAIN nx0123, EDNS DO=0', queryBytes(`nx0123.${ZONE}`, 'A', { edns: true })],
  ['AAAA app (NODATA), EDNS', queryBytes(`app.${ZONE}`, 'AAAA', { edns: true })],
  ['A out of zone (REFUSED)', queryBytes('www.example.org', 'A', { edns: true })],
];
for (const [tag, policy] of [['rr', 'round-robin'], ['w', 'weighted'], ['fo', 'failover']]) {
  for (const n of [10, 100, 1000]) cases.push([`A ${policy} ${n} backends, EDNS`, queryBytes(`${tag}${n}.${ZONE}`, 'A', { edns: true })]);
}

// Sanity: every case answers (a bench of a dropped query would measure nothing).
for (const [name, msg] of cases) if (responder.respond(snapshot, msg, 'udp', writer) === 0) throw new Error(`no answer for ${name}`);

const bench = new Bench({ time: Number(process.argv[2] ?? 500) });
for (const [name, msg] of cases) bench.add(name, () => void responder.respond(snapshot, msg, 'udp', writer));
await bench.run();
console.table(bench.table());
