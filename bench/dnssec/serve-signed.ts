/**
 * Serves the signed test zone (test/dnssec/signed-server.ts) on 127.0.0.1 for load tests with
 * dnsperf, printing the port and the DS. Stop with SIGTERM/SIGINT.
 *   taskset -c 0 node bench/dnssec/serve-signed.ts &
 *   SECS=8 EXTRA="-D" /work/shared/reference/run-dnsperf.sh PORT bench/dnssec/queries-positive.txt   (DO=1)
 *   SECS=8 EXTRA="-e" /work/shared/reference/run-dnsperf.sh PORT bench/dnssec/queries-positive.txt   (DO=0, EDNS)
 */
import { startSignedServer, ZONE } from '../../test/dnssec/signed-server.ts';

const s = await startSignedServer();
const ds = s.dnssec.ds(ZONE)!.dsRecords[0]!;
console.log(JSON.stringify({ port: s.port, pid: process.pid, ds: ds.dsRecord }));
const stop = () => void s.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => {}, 1 << 30);
