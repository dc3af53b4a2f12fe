import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { parseSsOutput } from '../../../src/agent/latency-learning/ss-output.ts';
import { SubnetLatencyTable, clientPrefix } from '../../../src/agent/latency-learning/subnet-latency-table.ts';
import { LatencyLearner, ssConnections } from '../../../src/agent/latency-learning/latency-learner.ts';
import { ManualClock } from '../../../src/lifecycle/index.ts';

const SAMPLE = `0      0      10.0.1.10:8080     192.0.2.77:51234
\t cubic wscale:7,7 rto:204 rtt:12.5/3.1 ato:40 mss:1448 cwnd:10 bytes_sent:100
0      0      [::ffff:10.0.1.10]:8080     [::ffff:198.51.100.9]:40000
\t cubic rtt:80.25/10 ato:40
0      0      [2001:db8::1]:8080     [2001:db8:aa:bb::5]:40001
\t cubic rtt:7/1
0      0      10.0.1.10:8080     203.0.113.1:1
\t cubic wscale:7,7 rto:204 ato:40
`;

test('parses ss -tin: local port, peer address (v4, mapped v4, v6) and the smoothed rtt; rows without rtt are skipped', () => {
  assert.deepEqual(parseSsOutput(SAMPLE), [
    { localPort: 8080, peerAddress: '192.0.2.77', rttMs: 12.5 },
    { localPort: 8080, peerAddress: '198.51.100.9', rttMs: 80.25 },
    { localPort: 8080, peerAddress: '2001:db8:aa:bb::5', rttMs: 7 },
  ]);
  assert.deepEqual(parseSsOutput('garbage\n\tmore garbage rtt:\n'), []);
});

test('client prefixes: /24 and /48 by default', () => {
  assert.equal(clientPrefix('192.0.2.77', 24, 48), '192.0.2.0/24');
  assert.equal(clientPrefix('10.1.2.3', 16, 48), '10.1.0.0/16');
  assert.equal(clientPrefix('2001:db8:aa:bb::5', 24, 48), '2001:db8:aa::/48');
  assert.equal(clientPrefix('::ffff:192.0.2.77', 24, 48), '192.0.2.0/24');
  assert.equal(clientPrefix('nope', 24, 48), undefined);
});

test('the table keeps an EWMA per prefix, evicts the least recently seen past max_subnets, and ages out entries', () => {
  const t = new SubnetLatencyTable(0.5, 2, 10_000);
  t.observe('b', '10.0.0.0/24', 10, 0);
  t.observe('b', '10.0.0.0/24', 20, 1);
  assert.deepEqual(t.report('b', 1, 2).map((e) => [e.subnet, e.ewmaMs, e.samples]), [['10.0.0.0/24', 15, 2]]);
  assert.deepEqual(t.report('b', 3, 2), [], 'below min_samples');
  t.observe('b', '10.1.0.0/24', 5, 3);
  t.observe('b', '10.2.0.0/24', 5, 4); // evicts the oldest: 10.0.0.0/24 (seen at 1)
  assert.deepEqual(t.report('b', 1, 5).map((e) => e.subnet).sort(), ['10.1.0.0/24', '10.2.0.0/24']);
  assert.deepEqual(t.report('b', 1, 20_000), [], 'aged out');
  assert.equal(t.size, 0);
});

test('reads real established connections through ss and reports the client prefix of each backend', async (t) => {
  const server = net.createServer(() => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.9' });
  await once(client, 'connect');
  client.write('x');
  t.after(() => {
    client.destroy();
    server.close();
  });
  const rows = await ssConnections([port]);
  if (rows.length === 0) {
    t.skip('ss is not installed or shows no TCP_INFO here');
    return;
  }
  const reports: { backend: string; subnets: string[] }[] = [];
  const learner = new LatencyLearner({
    config: { enabled: true, pollIntervalMs: 1000, ipv4PrefixLength: 24, ipv6PrefixLength: 48, ewmaAlpha: 0.3, maxSubnets: 100, subnetTtlMs: 60_000, minSamples: 1, reportIntervalMs: 1000 },
    backends: [{ service: 'app', address: '127.0.0.1', port, weight: 100, healthCheck: { type: 'tcp', path: '/', intervalMs: 1000, timeoutMs: 500, failureThreshold: 1, successThreshold: 1 } }],
    clock: new ManualClock(0),
    onReport: (b, subnets) => reports.push({ backend: `${b.address}:${b.port}`, subnets: subnets.map((s) => s.subnet) }),
  });
  await learner.pollNow();
  learner.reportNow();
  assert.deepEqual(reports, [{ backend: `127.0.0.1:${port}`, subnets: ['127.0.0.0/24'] }]);
});
