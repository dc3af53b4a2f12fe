import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { verify } from 'node:crypto';
import * as packet from 'dns-packet';
import { rrsigHeader, signingInput, publicKeyFromDnskey, type SigningKey } from '../../src/dnssec/index.ts';
import { wireKey } from '../../src/dns/wire/index.ts';
import { encodeQuery, udpExchange, tcpExchange, decode, rcodeOf } from '../support/dns-client.ts';
import { startSignedServer, ZONE, type SignedServer } from '../dnssec/signed-server.ts';

let s: SignedServer;
let key: SigningKey;

before(async () => {
  s = await startSignedServer();
  key = s.dnssec.forZone(wireKey(ZONE))!.key;
});
after(() => s.close());

const DO = { edns: { dnssecOk: true } };

interface Rrsig {
  typeCovered: string;
  algorithm: number;
  labels: number;
  originalTTL: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signersName: string;
  signature: Buffer;
}

type Rec = { name: string; type: string; ttl: number; data: unknown };

/** Verifies `sig` over A/AAAA records with our (vector-checked) signing-input builder. */
function verifiesAddresses(sig: Rrsig, owner: string, type: number, ttl: number, addrs: Buffer[]): boolean {
  const header = rrsigHeader(key, key.apexKey, wireKey(owner), type, sig.originalTTL, { inceptionSec: sig.inception, expirationSec: sig.expiration });
  assert.equal(sig.originalTTL, ttl);
  const input = signingInput(header, wireKey(owner), type, ttl, addrs);
  return verify('sha256', input, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, sig.signature);
}

function ipv4(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

function rrsigs(list: Rec[] | undefined): Rrsig[] {
  return (list ?? []).filter((r) => r.type === 'RRSIG').map((r) => r.data as Rrsig);
}

test('DO=0 answers carry no RRSIG and no NSEC', async () => {
  for (const [name, type] of [[`www.${ZONE}`, 'A'], [`nope.${ZONE}`, 'A'], [`www.${ZONE}`, 'AAAA'], [ZONE, 'SOA']] as const) {
    const res = decode(await udpExchange(s.port, encodeQuery(name, type, { edns: { dnssecOk: false } })));
    const all = [...(res.answers ?? []), ...(res.authorities ?? [])] as Rec[];
    assert.ok(all.every((r) => r.type !== 'RRSIG' && r.type !== 'NSEC'), `${name} ${type}`);
  }
});

test('DO=0 gets a plain NXDOMAIN for a nonexistent name (RFC 9824 §5)', async () => {
  const msg = await udpExchange(s.port, encodeQuery(`nope.${ZONE}`, 'A'));
  assert.equal(rcodeOf(msg), 3);
});

test('DO=1 A answer: RRSIG follows the RRset, TTL = RRset TTL, fields per RFC 4034 §3.1, signature verifies', async () => {
  const before = Math.floor(Date.now() / 1000);
  const res = decode(await udpExchange(s.port, encodeQuery(`www.${ZONE}`, 'A', DO)));
  const answers = res.answers as Rec[];
  assert.equal(answers.length, 3);
  const rrsig = answers[2]!;
  assert.equal(rrsig.type, 'RRSIG');
  assert.equal(rrsig.ttl, 30);
  const sig = rrsig.data as Rrsig;
  assert.equal(sig.typeCovered, 'A');
  assert.equal(sig.algorithm, 13);
  assert.equal(sig.labels, 4);
  assert.equal(sig.keyTag, key.keyTag);
  assert.equal(sig.signersName, ZONE);
  assert.ok(sig.inception <= before - 3500, 'inception back-dated about an hour');
  assert.ok(Math.abs(sig.expiration - (before + 7 * 86400)) < 120, 'expiration = now + 7 days');
  assert.ok(verifiesAddresses(sig, `www.${ZONE}`, 1, 30, [ipv4('192.0.2.10'), ipv4('192.0.2.11')]));
});

test('never sets AD on authoritative answers, even when the query asks for it', async () => {
  const q = encodeQuery(`www.${ZONE}`, 'A', DO);
  q.writeUInt16BE(q.readUInt16BE(2) | 0x0020, 2); // AD in the query (RFC 6840 §5.7)
  const msg = await udpExchange(s.port, q);
  assert.equal(msg.readUInt16BE(2) & 0x0020, 0);
  assert.notEqual(msg.readUInt16BE(2) & 0x0400, 0, 'AA');
});

test('a round-robin rotation reuses one signature: same RRSIG bytes, no new signing', async () => {
  const made = s.dnssec.totals().signaturesMade;
  const seen = new Set<string>();
  const firsts = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const res = decode(await udpExchange(s.port, encodeQuery(`www.${ZONE}`, 'A', DO)));
    const answers = res.answers as Rec[];
    firsts.add(String(answers[0]!.data));
    seen.add((answers[2]!.data as Rrsig).signature.toString('hex'));
  }
  assert.equal(firsts.size, 2, 'the order rotates');
  assert.equal(seen.size, 1, 'the signature does not change');
  assert.equal(s.dnssec.totals().signaturesMade, made);
});

test('each max_answers subset is its own RRset with its own valid signature, pre-signed', async () => {
  const made = s.dnssec.totals().signaturesMade;
  const sigs = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const res = decode(await udpExchange(s.port, encodeQuery(`sub.${ZONE}`, 'A', DO)));
    const answers = res.answers as Rec[];
    assert.equal(answers.length, 3);
    const sig = answers[2]!.data as Rrsig;
    sigs.add(sig.signature.toString('hex'));
    assert.ok(verifiesAddresses(sig, `sub.${ZONE}`, 1, 30, [ipv4(String(answers[0]!.data)), ipv4(String(answers[1]!.data))]));
  }
  assert.equal(sigs.size, 5, 'five windows of two records');
  assert.equal(s.dnssec.totals().signaturesMade, made, 'all made at build time');
});

test('failover and weighted single answers are signed', async () => {
  for (const name of [`fo.${ZONE}`, `w.${ZONE}`]) {
    const res = decode(await udpExchange(s.port, encodeQuery(name, 'A', DO)));
    const answers = res.answers as Rec[];
    assert.equal(answers.length, 2);
    assert.ok(verifiesAddresses(answers[1]!.data as Rrsig, name, 1, 30, [ipv4(String(answers[0]!.data))]));
  }
});

test('DNSKEY at the apex: the CSK, signed by itself', async () => {
  const res = decode(await udpExchange(s.port, encodeQuery(ZONE, 'DNSKEY', DO)));
  const answers = res.answers as Rec[];
  assert.deepEqual(answers.map((a) => a.type), ['DNSKEY', 'RRSIG']);
  const dk = answers[0]!.data as { flags: number; algorithm: number; key: Buffer };
  assert.equal(dk.flags, 257);
  assert.equal(dk.algorithm, 13);
  const rdata = Buffer.concat([Buffer.from([1, 1, 3, 13]), dk.key]);
  assert.ok(publicKeyFromDnskey(rdata).equals(key.publicKey));
  const sig = answers[1]!.data as Rrsig;
  const header = rrsigHeader(key, key.apexKey, key.apexKey, 48, sig.originalTTL, { inceptionSec: sig.inception, expirationSec: sig.expiration });
  assert.ok(verify('sha256', signingInput(header, key.apexKey, 48, sig.originalTTL, [rdata]), { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, sig.signature));
});

test('DNSKEY without DO is served unsigned', async () => {
  const res = decode(await udpExchange(s.port, encodeQuery(ZONE, 'DNSKEY')));
  assert.deepEqual((res.answers as Rec[]).map((a) => a.type), ['DNSKEY']);
});

test('SOA and NS at the apex are signed', async () => {
  for (const type of ['SOA', 'NS'] as const) {
    const res = decode(await udpExchange(s.port, encodeQuery(ZONE, type, DO)));
    const answers = res.answers as Rec[];
    assert.equal(answers.at(-1)!.type, 'RRSIG');
    assert.equal((answers.at(-1)!.data as Rrsig).typeCovered, type);
    assert.equal((answers.at(-1)!.data as Rrsig).labels, 3);
  }
});

test('nonexistent name with DO: NOERROR, SOA+RRSIG, NSEC owned by the name to \\000.name with RRSIG NSEC NXNAME', async () => {
  const res = decode(await udpExchange(s.port, encodeQuery(`nope.${ZONE}`, 'A', DO)));
  assert.equal(res.rcode, 'NOERROR');
  assert.equal(res.answers!.length, 0);
  const auth = res.authorities as Rec[];
  assert.deepEqual(auth.map((a) => a.type), ['SOA', 'RRSIG', 'NSEC', 'RRSIG']);
  assert.equal(auth[2]!.name, `nope.${ZONE}`);
  assert.equal(auth[2]!.ttl, 60);
  const nsec = auth[2]!.data as { nextDomain: string; rrtypes: string[] };
  assert.equal(nsec.nextDomain, `\x00.nope.${ZONE}`);
  assert.deepEqual([...nsec.rrtypes].sort(), ['NSEC', 'RRSIG', 'UNKNOWN_128'].sort());
  assert.equal((auth[3]!.data as Rrsig).labels, 4);
});

test('with the CO flag a nonexistent name answers NXDOMAIN and CO is echoed (RFC 9824 §5.1)', async () => {
  const q = packet.encode({
    type: 'query',
    id: 7,
    flags: 0,
    questions: [{ type: 'A', name: `nope.${ZONE}`, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0xc000 } as unknown as packet.Answer],
  });
  const msg = await udpExchange(s.port, q);
  assert.equal(rcodeOf(msg), 3);
  const res = decode(msg) as unknown as { additionals: { flags: number }[]; authorities: Rec[] };
  assert.equal(res.additionals[0]!.flags & 0xc000, 0xc000);
  assert.deepEqual(res.authorities.map((a) => a.type), ['SOA', 'RRSIG', 'NSEC', 'RRSIG']);
});

test('NODATA with DO: the NSEC at the name lists its types, never the queried one', async () => {
  const res = decode(await udpExchange(s.port, encodeQuery(`www.${ZONE}`, 'AAAA', DO)));
  assert.equal(res.rcode, 'NOERROR');
  const auth = res.authorities as Rec[];
  assert.deepEqual(auth.map((a) => a.type), ['SOA', 'RRSIG', 'NSEC', 'RRSIG']);
  const nsec = auth[2]!.data as { nextDomain: string; rrtypes: string[] };
  assert.deepEqual([...nsec.rrtypes].sort(), ['A', 'NSEC', 'RRSIG']);
  assert.equal(nsec.nextDomain, `\x00.www.${ZONE}`);
});

test('empty non-terminal with DO: NSEC with RRSIG NSEC only', async () => {
  const res = decode(await udpExchange(s.port, encodeQuery(`eu.${ZONE}`, 'A', DO)));
  const nsec = (res.authorities as Rec[])[2]!.data as { rrtypes: string[] };
  assert.deepEqual([...nsec.rrtypes].sort(), ['NSEC', 'RRSIG']);
});

test('DS at the apex is NODATA with the apex NSEC, which never lists DS (RFC 4035 §3.1.4.1)', async () => {
  const res = decode(await udpExchange(s.port, encodeQuery(ZONE, 'DS', DO)));
  assert.equal(res.rcode, 'NOERROR');
  assert.equal(res.answers!.length, 0);
  const nsec = (res.authorities as Rec[])[2]!.data as { rrtypes: string[] };
  assert.deepEqual([...nsec.rrtypes].sort(), ['DNSKEY', 'NS', 'NSEC', 'RRSIG', 'SOA']);
});

test('an explicit NXNAME (type 128) query is FORMERR (RFC 9824 §3.5)', async () => {
  const q = encodeQuery(`nope.${ZONE}`, 'A', DO);
  q.writeUInt16BE(128, 12 + wireKey(`nope.${ZONE}`).length);
  assert.equal(rcodeOf(await udpExchange(s.port, q)), 1);
});

test('proofs for nonexistent names are signed once and then served from the cache', async () => {
  const name = `cache-me.${ZONE}`;
  await udpExchange(s.port, encodeQuery(name, 'A', DO));
  const made = s.dnssec.totals().signaturesMade;
  const a = decode(await udpExchange(s.port, encodeQuery(name, 'A', DO)));
  const b = decode(await udpExchange(s.port, encodeQuery(name, 'AAAA', DO)));
  assert.equal(s.dnssec.totals().signaturesMade, made);
  assert.equal(((a.authorities as Rec[])[3]!.data as Rrsig).signature.toString('hex'), ((b.authorities as Rec[])[3]!.data as Rrsig).signature.toString('hex'));
});

test('a signed answer larger than the client buffer is truncated whole (TC), and TCP returns it with its RRSIG', async () => {
  const udp = await udpExchange(s.port, encodeQuery(`big.${ZONE}`, 'A', { edns: { dnssecOk: true, udpPayloadSize: 1232 } }));
  assert.notEqual(udp.readUInt16BE(2) & 0x0200, 0, 'TC');
  assert.equal(udp.readUInt16BE(6), 0, 'no partial RRset');
  const [tcp] = await tcpExchange(s.port, [encodeQuery(`big.${ZONE}`, 'A', DO)]);
  const answers = decode(tcp!).answers as Rec[];
  assert.equal(answers.length, 121);
  const sig = answers.at(-1)!.data as Rrsig;
  assert.ok(verifiesAddresses(sig, `big.${ZONE}`, 1, 30, answers.slice(0, 120).map((a) => ipv4(String(a.data)))));
});

test('a signed answer that fits a 512-byte client is sent whole, without TC', async () => {
  const signed = await udpExchange(s.port, encodeQuery(`www.${ZONE}`, 'A', { edns: { dnssecOk: true, udpPayloadSize: 512 } }));
  assert.equal(signed.readUInt16BE(2) & 0x0200, 0);
  assert.ok(signed.length <= 512);
});

test('the responder survives a burst of random nonexistent names (bounded proof cache)', async () => {
  const sock = dgram.createSocket('udp4');
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  // The native UDP path sends the 200 answers in a few sendmmsg calls: the default receive buffer
  // (~212 KB of skb truesize) would drop some of them before this loop reads them.
  sock.setRecvBufferSize(4 * 1024 * 1024);
  let got = 0;
  sock.on('message', () => got++);
  for (let i = 0; i < 200; i++) sock.send(encodeQuery(`r${i}.${ZONE}`, 'A', DO), s.port, '127.0.0.1');
  const deadline = AbortSignal.timeout(3000);
  while (got < 200) await once(sock, 'message', { signal: deadline });
  sock.close();
  assert.equal(got, 200);
});

test('an RRSIG query at a signed name answers one RRSIG there (not a NODATA its own NSEC contradicts)', async () => {
  for (const name of [ZONE, `www.${ZONE}`]) {
    const res = decode(await udpExchange(s.port, encodeQuery(name, 'RRSIG', DO)));
    assert.equal(res.rcode, 'NOERROR');
    assert.deepEqual((res.answers as Rec[]).map((a) => a.type), ['RRSIG']);
    assert.equal(((res.answers as Rec[])[0]!.data as Rrsig).typeCovered, 'NSEC');
  }
});
