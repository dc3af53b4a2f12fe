import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { DnsServer } from '../../src/dns/index.ts';
import type { UdpIo } from '../../src/dns/native-udp.ts';
import { buildSnapshot, type BackendView, type SnapshotInput } from '../../src/overwatch/snapshot-builder.ts';
import { encodeQuery, udpExchange, tcpExchange, decode, rcodeOf, dig, kdig, udpGetsReply } from '../support/dns-client.ts';

const ZONE = 'gslb.example.com';

function backends(): BackendView[] {
  const list: BackendView[] = [];
  for (let i = 1; i <= 3; i++) {
    list.push({ id: `app-${i}`, name: `app.${ZONE}`, address: `10.0.0.${i}`, port: 80, weight: 100, region: 'us', serve: true });
  }
  list.push({ id: 'app-v6', name: `app.${ZONE}`, address: '2001:db8::1', port: 80, weight: 100, region: 'us', serve: true });
  list.push({ id: 'dead-1', name: `dead.${ZONE}`, address: '10.1.0.1', port: 80, weight: 100, region: 'us', serve: false });
  list.push({ id: 'fo-1', name: `fo.${ZONE}`, address: '10.2.0.1', port: 80, weight: 100, region: 'us', serve: false });
  list.push({ id: 'fo-2', name: `fo.${ZONE}`, address: '10.2.0.2', port: 80, weight: 100, region: 'us', serve: true });
  list.push({ id: 'fo-3', name: `fo.${ZONE}`, address: '10.2.0.3', port: 80, weight: 100, region: 'us', serve: true });
  list.push({ id: 'w-1', name: `w.${ZONE}`, address: '10.3.0.1', port: 80, weight: 0, region: 'us', serve: true });
  list.push({ id: 'w-2', name: `w.${ZONE}`, address: '10.3.0.2', port: 80, weight: 100, region: 'us', serve: true });
  for (let i = 0; i < 100; i++) {
    list.push({ id: `big-${i}`, name: `big.${ZONE}`, address: `10.9.${i >> 8}.${i & 255}`, port: 80, weight: 1, region: 'us', serve: true });
  }
  list.push({ id: 'deep', name: `svc.eu.${ZONE}`, address: '10.4.0.1', port: 80, weight: 1, region: 'eu', serve: true });
  return list;
}

function input(): SnapshotInput {
  return {
    zones: [{ apex: ZONE, nameservers: [`ns1.${ZONE}`, `ns2.${ZONE}`], hostmaster: `hostmaster.${ZONE}`, soaTtlSeconds: 60 }],
    names: [
      { name: `app.${ZONE}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 8 },
      { name: `dead.${ZONE}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 8 },
      { name: `fo.${ZONE}`, policy: 'failover', ttlSeconds: 30, maxAnswers: 8 },
      { name: `w.${ZONE}`, policy: 'weighted', ttlSeconds: 30, maxAnswers: 8 },
      { name: `big.${ZONE}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 64 },
      { name: `svc.eu.${ZONE}`, policy: 'round-robin', ttlSeconds: 30, maxAnswers: 8 },
    ],
    backends: backends(),
    returnLastHealthy: false,
    nowMs: Date.UTC(2026, 10, 27),
  };
}

let server: DnsServer;
let port: number;
/** dns-server-dgram.test.ts runs this file again on Node's dgram path. */
const udpIo = (process.env.OPENGSLB_TEST_UDP_IO ?? 'auto') as UdpIo;

before(async () => {
  server = new DnsServer({ host: '127.0.0.1', port: 0, maxUdpPayload: 1232, tcpIdleTimeoutMs: 2000, tcpMaxConnections: 50, udpIo });
  await server.start();
  port = server.port;
  server.publish(buildSnapshot(input(), null));
});
after(() => server.close());

test('listens on the UDP I/O path asked for', () => {
  if (udpIo !== 'auto') assert.equal(server.udpIo, udpIo);
  else assert.equal(server.udpIo, process.platform === 'linux' ? 'native' : 'js');
});

test('answers A with every healthy backend, authoritative, with the domain TTL', async () => {
  const res = decode(await udpExchange(port, encodeQuery(`app.${ZONE}`, 'A')));
  assert.equal(res.rcode, 'NOERROR');
  assert.equal(res.flag_aa, true);
  const ips = res.answers!.map((a) => (a as { data: string }).data).sort();
  assert.deepEqual(ips, ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  assert.ok(res.answers!.every((a) => (a as { ttl: number }).ttl === 30));
});

test('rotates round-robin answers on each query', async () => {
  const firsts = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const res = decode(await udpExchange(port, encodeQuery(`app.${ZONE}`, 'A')));
    firsts.add((res.answers![0] as { data: string }).data);
  }
  assert.equal(firsts.size, 3);
});

test('answers AAAA from IPv6 backends only', async () => {
  const res = decode(await udpExchange(port, encodeQuery(`app.${ZONE}`, 'AAAA')));
  assert.deepEqual(res.answers!.map((a) => (a as { data: string }).data), ['2001:db8::1']);
});

test('Node resolver resolves the name (independent client)', async () => {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  const ips = (await r.resolve4(`app.${ZONE}`)).sort();
  assert.deepEqual(ips, ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  await assert.rejects(r.resolve4(`nope.${ZONE}`), { code: 'ENOTFOUND' });
});

test('matches names case-insensitively and echoes the question as sent', async () => {
  const res = decode(await udpExchange(port, encodeQuery('ApP.GsLb.ExAmPlE.CoM', 'A')));
  assert.equal(res.rcode, 'NOERROR');
  assert.equal(res.questions![0]!.name, 'ApP.GsLb.ExAmPlE.CoM');
  assert.equal(res.answers!.length, 3);
});

test('answers NXDOMAIN with the zone SOA in authority for an unknown name', async () => {
  const out = await dig(port, [`nope.${ZONE}`, 'A', '+norecurse']);
  assert.match(out, /status: NXDOMAIN/);
  assert.match(out, /flags: qr aa/);
  assert.match(out, new RegExp(`AUTHORITY SECTION:\\n${ZONE.replace(/\./g, '\\.')}\\.\\s+60\\s+IN\\s+SOA\\s+ns1\\.${ZONE.replace(/\./g, '\\.')}\\. hostmaster`));
});

test('answers NXDOMAIN for a name below a served name', async () => {
  const res = decode(await udpExchange(port, encodeQuery(`x.app.${ZONE}`, 'A')));
  assert.equal(res.rcode, 'NXDOMAIN');
  assert.equal(res.authorities![0]!.type, 'SOA');
});

test('answers NODATA with SOA for another type at a served name', async () => {
  const res = decode(await udpExchange(port, encodeQuery(`app.${ZONE}`, 'TXT')));
  assert.equal(res.rcode, 'NOERROR');
  assert.equal(res.answers!.length, 0);
  assert.equal(res.authorities![0]!.type, 'SOA');
  assert.equal(res.authorities![0]!.name, ZONE);
});

test('answers NODATA (not NXDOMAIN) for an empty non-terminal', async () => {
  const res = decode(await udpExchange(port, encodeQuery(`eu.${ZONE}`, 'A')));
  assert.equal(res.rcode, 'NOERROR');
  assert.equal(res.answers!.length, 0);
  assert.equal(res.authorities![0]!.type, 'SOA');
});

test('answers NODATA for AAAA on a name with IPv4 backends only', async () => {
  const res = decode(await udpExchange(port, encodeQuery(`fo.${ZONE}`, 'AAAA')));
  assert.equal(res.rcode, 'NOERROR');
  assert.equal(res.answers!.length, 0);
});

test('answers SOA and NS at the apex', async () => {
  const soa = await kdig(port, [ZONE, 'SOA']);
  assert.match(soa, /status: NOERROR/);
  assert.match(soa, /SOA\s+ns1\.gslb\.example\.com\. hostmaster\.gslb\.example\.com\. \d+ 3600 600 1209600 60/);
  const ns = decode(await udpExchange(port, encodeQuery(ZONE, 'NS')));
  assert.deepEqual(ns.answers!.map((a) => (a as { data: string }).data).sort(), [`ns1.${ZONE}`, `ns2.${ZONE}`]);
});

test('answers ANY minimally with one RRset (RFC 8482)', async () => {
  const res = decode(await udpExchange(port, encodeQuery(`app.${ZONE}`, 'ANY')));
  assert.equal(res.rcode, 'NOERROR');
  assert.ok(res.answers!.length > 0);
  assert.ok(res.answers!.every((a) => a.type === 'A'));
});

test('refuses names outside every zone, without AA', async () => {
  const res = decode(await udpExchange(port, encodeQuery('www.example.org', 'A')));
  assert.equal(res.rcode, 'REFUSED');
  assert.equal(res.flag_aa, false);
});

test('answers NOTIMP to opcodes other than QUERY', async () => {
  const msg = await udpExchange(port, encodeQuery(`app.${ZONE}`, 'A', { opcode: 2 }));
  assert.equal(rcodeOf(msg), 4);
});

test('answers SERVFAIL when every backend of a name is unhealthy', async () => {
  const res = decode(await udpExchange(port, encodeQuery(`dead.${ZONE}`, 'A')));
  assert.equal(res.rcode, 'SERVFAIL');
});

test('failover answers the first healthy backend in configured order only', async () => {
  for (let i = 0; i < 5; i++) {
    const res = decode(await udpExchange(port, encodeQuery(`fo.${ZONE}`, 'A')));
    assert.deepEqual(res.answers!.map((a) => (a as { data: string }).data), ['10.2.0.2']);
  }
});

test('weighted never answers a weight-0 backend', async () => {
  for (let i = 0; i < 20; i++) {
    const res = decode(await udpExchange(port, encodeQuery(`w.${ZONE}`, 'A')));
    assert.deepEqual(res.answers!.map((a) => (a as { data: string }).data), ['10.3.0.2']);
  }
});

test('echoes OPT, honours the client buffer and sets TC when the answer does not fit', async () => {
  const small = await udpExchange(port, encodeQuery(`big.${ZONE}`, 'A', { edns: { udpPayloadSize: 512 } }));
  const res = decode(small);
  assert.ok(small.length <= 512);
  assert.equal(res.flag_tc, true);
  assert.equal(res.answers!.length, 0);
  assert.equal(res.additionals!.filter((a) => a.type === 'OPT').length, 1);
  const big = decode(await udpExchange(port, encodeQuery(`big.${ZONE}`, 'A', { edns: { udpPayloadSize: 4096 } })));
  assert.equal(big.flag_tc, false);
  assert.equal(big.answers!.length, 64);
});

test('without EDNS a response never exceeds 512 bytes', async () => {
  const msg = await udpExchange(port, encodeQuery(`big.${ZONE}`, 'A'));
  assert.ok(msg.length <= 512);
  assert.equal(decode(msg).flag_tc, true);
});

test('dig retries a truncated answer over TCP and gets it whole', async () => {
  const out = await dig(port, [`big.${ZONE}`, 'A', '+noedns']);
  assert.match(out, /Truncated, retrying in TCP mode/);
  assert.equal((out.match(/\tIN\tA\t10\.9\./g) ?? []).length, 64);
});

test('answers pipelined queries on one TCP connection in order', async () => {
  const answers = await tcpExchange(port, [
    encodeQuery(`app.${ZONE}`, 'A', { id: 1 }),
    encodeQuery(`nope.${ZONE}`, 'A', { id: 2 }),
    encodeQuery(ZONE, 'SOA', { id: 3 }),
  ]);
  assert.deepEqual(answers.map((a) => decode(a).id), [1, 2, 3]);
  assert.deepEqual(answers.map((a) => decode(a).rcode), ['NOERROR', 'NXDOMAIN', 'NOERROR']);
});

test('answers BADVERS to EDNS version 1', async () => {
  const msg = await udpExchange(port, encodeQuery(`app.${ZONE}`, 'A', { edns: { version: 1 } }));
  const res = decode(msg);
  const opt = res.additionals!.find((a) => a.type === 'OPT') as unknown as { extendedRcode: number };
  // BADVERS = 16: header rcode 0, OPT extended rcode 1
  assert.equal(rcodeOf(msg), 0);
  assert.equal(opt.extendedRcode, 1);
  assert.equal(res.answers!.length, 0);
});

test('echoes ECS with scope 0 for answers that do not depend on the client', async () => {
  const res = decode(
    await udpExchange(port, encodeQuery(`app.${ZONE}`, 'A', { edns: { ecs: { family: 1, sourcePrefix: 24, address: '192.0.2.0' } } })),
  );
  const opt = res.additionals!.find((a) => a.type === 'OPT') as unknown as { options: { code: number; sourcePrefixLength: number; scopePrefixLength: number; ip: string }[] };
  const ecs = opt.options.find((o) => o.code === 8)!;
  assert.equal(ecs.sourcePrefixLength, 24);
  assert.equal(ecs.scopePrefixLength, 0);
  assert.equal(ecs.ip, '192.0.2.0');
});

test('answers FORMERR to a malformed question and keeps serving', async () => {
  const bad = Buffer.from(encodeQuery(`app.${ZONE}`, 'A'));
  bad[12] = 0xc0; // compression pointer in the question
  const reply = await udpExchange(port, bad);
  assert.equal(rcodeOf(reply), 1);
  const ok = decode(await udpExchange(port, encodeQuery(`app.${ZONE}`, 'A')));
  assert.equal(ok.rcode, 'NOERROR');
});

test('drops packets shorter than a header and responses, and keeps serving', async () => {
  assert.equal(await udpGetsReply(port, Buffer.from([1, 2, 3])), null);
  const response = Buffer.from(encodeQuery(`app.${ZONE}`, 'A'));
  response[2]! |= 0x80;
  assert.equal(await udpGetsReply(port, response), null);
  const ok = decode(await udpExchange(port, encodeQuery(`app.${ZONE}`, 'A')));
  assert.equal(ok.rcode, 'NOERROR');
});

test('answers FORMERR to an ECS option with a non-zero scope or stray address bits', async () => {
  const q = encodeQuery(`app.${ZONE}`, 'A', { edns: { ecs: { family: 1, sourcePrefix: 24, address: '192.0.2.0' } } });
  const withScope = Buffer.from(q);
  withScope[withScope.length - 4] = 8; // scope prefix byte
  assert.equal(rcodeOf(await udpExchange(port, withScope)), 1);
  // 192.0.2.0/20: the third octet (0x02) has a bit set beyond the 20-bit prefix (RFC 7871 §6)
  const stray = encodeQuery(`app.${ZONE}`, 'A', { edns: { ecs: { family: 1, sourcePrefix: 20, address: '192.0.2.0' } } });
  assert.equal(rcodeOf(await udpExchange(port, stray)), 1);
});
