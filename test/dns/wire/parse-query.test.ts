import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseQuery, newParsedQuery, ParseStatus, ResponseWriter, wireKey } from '../../../src/dns/wire/index.ts';
import { Responder } from '../../../src/dns/index.ts';
import { emptySnapshot } from '../../../src/model/index.ts';
import { encodeQuery } from '../../support/dns-client.ts';

test('parseQuery never throws on arbitrary bytes', () => {
  const out = newParsedQuery();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      const status = parseQuery(Buffer.from(b), out);
      assert.ok(status === ParseStatus.Ok || status === ParseStatus.Drop || status === ParseStatus.FormErr);
    }),
    { numRuns: 20000 },
  );
});

test('parseQuery never throws on mutations of a valid EDNS+ECS query', () => {
  const base = encodeQuery('app.gslb.example.com', 'A', { edns: { udpPayloadSize: 1232, dnssecOk: true, ecs: { family: 1, sourcePrefix: 24, address: '192.0.2.0' } } });
  const out = newParsedQuery();
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(base.length), (edits, cut) => {
      const msg = Buffer.from(base.subarray(0, Math.max(cut, 12)));
      for (const [at, v] of edits) if (at < msg.length) msg[at] = v;
      parseQuery(msg, out);
    }),
    { numRuns: 20000 },
  );
});

test('the responder writes a response for every parseable mutation without throwing', () => {
  const base = encodeQuery('app.gslb.example.com', 'A', { edns: { udpPayloadSize: 4096, ecs: { family: 2, sourcePrefix: 56, address: '2001:db8::' } } });
  const responder = new Responder({ maxUdpPayload: 1232 });
  const writer = new ResponseWriter(Buffer.alloc(65535));
  const snapshot = emptySnapshot();
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (edits) => {
      const msg = Buffer.from(base);
      for (const [at, v] of edits) msg[at] = v;
      const len = responder.respond(snapshot, msg, 'udp', writer);
      assert.ok(len === 0 || (len >= 12 && len <= 1232));
    }),
    { numRuns: 20000 },
  );
});

test('reads qname as a lowercase wire key, type, class and EDNS fields', () => {
  const out = newParsedQuery();
  const msg = encodeQuery('WWW.Example.COM', 'AAAA', { id: 77, edns: { udpPayloadSize: 4000, dnssecOk: true, ecs: { family: 2, sourcePrefix: 48, address: '2001:db8:1::' } } });
  assert.equal(parseQuery(msg, out), ParseStatus.Ok);
  assert.equal(out.id, 77);
  assert.equal(out.qnameKey, wireKey('www.example.com'));
  assert.equal(out.qtype, 28);
  assert.equal(out.qclass, 1);
  assert.equal(out.hasEdns, true);
  assert.equal(out.udpPayloadSize, 4000);
  assert.equal(out.dnssecOk, true);
  assert.equal(out.hasEcs, true);
  assert.equal(out.ecsFamily, 2);
  assert.equal(out.ecsSourcePrefix, 48);
  assert.equal(out.ecsAddress.subarray(0, 6).toString('hex'), '20010db80001');
});

test('rejects two OPT records, label lengths past 63, names past 255 and counts that lie', () => {
  const out = newParsedQuery();
  const q = encodeQuery('a.example', 'A', { edns: {} });
  const twoOpt = Buffer.concat([q, q.subarray(q.length - 11)]);
  twoOpt.writeUInt16BE(2, 10);
  assert.equal(parseQuery(twoOpt, out), ParseStatus.FormErr);
  assert.match(out.error, /more than one OPT/);

  const longLabel = Buffer.from(encodeQuery('a.example', 'A'));
  longLabel[12] = 64;
  assert.equal(parseQuery(longLabel, out), ParseStatus.FormErr);

  const labels = Array.from({ length: 130 }, () => 'a').join('.'); // 260 octets in wire form
  const hdr = Buffer.from(encodeQuery('a', 'A').subarray(0, 12));
  const name = Buffer.concat([...labels.split('.').map((l) => Buffer.from([1, l.charCodeAt(0)])), Buffer.from([0, 0, 1, 0, 1])]);
  assert.equal(parseQuery(Buffer.concat([hdr, name]), out), ParseStatus.FormErr);

  const lying = Buffer.from(encodeQuery('a.example', 'A'));
  lying.writeUInt16BE(3, 6); // ANCOUNT 3, no records follow
  assert.equal(parseQuery(lying, out), ParseStatus.FormErr);

  const zeroQ = Buffer.from(encodeQuery('a.example', 'A'));
  zeroQ.writeUInt16BE(0, 4);
  assert.equal(parseQuery(zeroQ, out), ParseStatus.FormErr);
});

test('rejects a forward or self compression pointer in a record (no loops)', () => {
  const out = newParsedQuery();
  const q = Buffer.from(encodeQuery('a.example', 'A'));
  // one answer RR whose owner is a pointer to itself
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc000 | q.length, 0);
  rr.writeUInt16BE(1, 2);
  rr.writeUInt16BE(1, 4);
  const msg = Buffer.concat([q, rr]);
  msg.writeUInt16BE(1, 6);
  assert.equal(parseQuery(msg, out), ParseStatus.FormErr);
});

test('a huge RDLENGTH is FORMERR, not a read past the end', () => {
  const out = newParsedQuery();
  const q = Buffer.from(encodeQuery('a.example', 'A', { edns: {} }));
  q.writeUInt16BE(0xffff, q.length - 2);
  assert.equal(parseQuery(q, out), ParseStatus.FormErr);
});
