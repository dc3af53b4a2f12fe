/**
 * parseQuery (src/dns/wire/parse-query.ts) on the query shapes the load bench sends, plus ECS and a
 * malformed message: node bench/dns/wire/parse-query.bench.ts [timeMs=500]
 */
import { Bench } from 'tinybench';
import { newParsedQuery, parseQuery } from '../../../src/dns/wire/index.ts';
import { queryBytes } from '../query-bytes.ts';

const out = newParsedQuery();
const cases: [string, Buffer][] = [
  ['A app, no EDNS (dnsperf default)', queryBytes('app.gslb.example.com', 'A')],
  ['A app, EDNS DO=0 (dnsperf -e)', queryBytes('app.gslb.example.com', 'A', { edns: true })],
  ['A app, EDNS DO=1 (dnsperf -D)', queryBytes('app.gslb.example.com', 'A', { dnssecOk: true })],
  ['A app, EDNS + ECS /24', queryBytes('app.gslb.example.com', 'A', { ecs: { family: 1, sourcePrefix: 24, address: '198.51.100.0' } })],
  ['A NX name (nx0123), mixed case', queryBytes('NX0123.Gslb.Example.COM', 'A', { edns: true })],
  ['A 5-label 60-octet name', queryBytes('a-rather-long-label.service.eu-west-1.internal.gslb.example.com', 'A', { edns: true })],
  ['malformed (label runs past end)', Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 40, 0x61, 0x62])],
];

const bench = new Bench({ time: Number(process.argv[2] ?? 500) });
for (const [name, msg] of cases) bench.add(name, () => void parseQuery(msg, out));
await bench.run();
console.table(bench.table());
