/**
 * Independent validators accept what we serve: delv with the DS from the DS API as trust anchor
 * reports "fully validated" for positive, NXDOMAIN (compact denial) and NODATA answers; unbound as
 * a validating resolver returns AD for them and SERVFAIL when the anchor is wrong.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSignedServer, ZONE, type SignedServer } from './signed-server.ts';
import { delv, digVia, hasTool, startUnbound, tempDir, writeDelvAnchor, type DsLine } from './validator-tools.ts';
import { createApiServer } from '../../src/api/index.ts';
import { attachDnssec } from '../../src/dnssec/index.ts';
import { FakeControl } from '../api/fake-control.ts';
import { apiConfig, capturingLogger } from '../api/api-fixture.ts';

let s: SignedServer;
let ds: DsLine;
let anchor: string;
let tmp: { dir: string; remove(): void };

before(async () => {
  s = await startSignedServer();
  // The DS comes from the API, as an operator would take it for the parent zone.
  const control = new FakeControl();
  attachDnssec(control, s.dnssec);
  const app = await createApiServer({ control, config: apiConfig(), logger: capturingLogger().logger });
  const res = await app.inject({ method: 'GET', url: `/api/v1/dnssec/ds?zone=${ZONE}`, remoteAddress: '127.0.0.1' });
  await app.close();
  const body = res.json() as { ds_records: { key_tag: number; algorithm: number; digest_type: number; digest: string }[] };
  const r = body.ds_records[0]!;
  ds = { keyTag: r.key_tag, algorithm: r.algorithm, digestType: r.digest_type, digest: r.digest };
  tmp = tempDir();
  anchor = writeDelvAnchor(tmp.dir, ZONE, ds);
});
after(async () => {
  await s.close();
  tmp.remove();
});

const hasDelv = hasTool('delv');
const hasUnbound = hasTool('unbound') && hasTool('dig');

const POSITIVE: [string, string][] = [
  [`www.${ZONE}`, 'A'],
  [`app.${ZONE}`, 'AAAA'],
  [ZONE, 'SOA'],
  [ZONE, 'NS'],
  [ZONE, 'DNSKEY'],
  [`sub.${ZONE}`, 'A'],
  [`fo.${ZONE}`, 'A'],
  [`w.${ZONE}`, 'A'],
  [`svc.eu.${ZONE}`, 'A'],
];
const NEGATIVE: [string, string][] = [
  [`nope.${ZONE}`, 'A'], // nonexistent: compact denial
  [`deeper.nope.${ZONE}`, 'AAAA'],
  [`x.www.${ZONE}`, 'A'], // below a served name
  [`www.${ZONE}`, 'AAAA'], // NODATA
  [`app.${ZONE}`, 'A'],
  [`eu.${ZONE}`, 'A'], // empty non-terminal
  [ZONE, 'TXT'], // NODATA at the apex
  [ZONE, 'A'],
];

for (const [name, type] of POSITIVE) {
  test(`delv: ${name} ${type} is fully validated`, { skip: !hasDelv && 'delv not installed' }, async () => {
    const out = await delv(s.port, anchor, ZONE, name, type);
    assert.match(out, /; fully validated/, out);
    assert.match(out, new RegExp(`IN\\s+RRSIG\\s+${type} 13 `), out);
  });
}

for (const [name, type] of NEGATIVE) {
  test(`delv: ${name} ${type} is a negative response, fully validated`, { skip: !hasDelv && 'delv not installed' }, async () => {
    const out = await delv(s.port, anchor, ZONE, name, type);
    assert.match(out, /; negative response, fully validated/, out);
  });
}

test('delv: a large signed answer validates (truncated over UDP, retried over TCP)', { skip: !hasDelv && 'delv not installed' }, async () => {
  const out = await delv(s.port, anchor, ZONE, `big.${ZONE}`, 'A');
  assert.match(out, /; fully validated/, out);
  assert.equal(out.match(/IN\s+A\s+198\.51\.100\./g)?.length, 120, out);
});

test('delv over TCP only validates too', { skip: !hasDelv && 'delv not installed' }, async () => {
  const out = await delv(s.port, anchor, ZONE, `www.${ZONE}`, 'A', ['+tcp']);
  assert.match(out, /; fully validated/, out);
});

test('delv: a wrong trust anchor is not validated (negative control)', { skip: !hasDelv && 'delv not installed' }, async () => {
  const wrong = tempDir();
  try {
    const file = writeDelvAnchor(wrong.dir, ZONE, { ...ds, digest: ds.digest.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) });
    const out = await delv(s.port, file, ZONE, `www.${ZONE}`, 'A');
    assert.doesNotMatch(out, /fully validated/, out);
  } finally {
    wrong.remove();
  }
});

test('unbound validates positive and negative answers (AD) and SERVFAILs with a wrong anchor', { skip: !hasUnbound && 'unbound or dig not installed', timeout: 60_000 }, async () => {
  const good = await startUnbound(s.port, ZONE, ds);
  try {
    for (const [name, type, status] of [
      [`www.${ZONE}`, 'A', 'NOERROR'],
      [`app.${ZONE}`, 'AAAA', 'NOERROR'],
      [ZONE, 'SOA', 'NOERROR'],
      [`nope.${ZONE}`, 'A', 'NOERROR'], // compact denial: validators see NODATA (RFC 9824 §3)
      [`www.${ZONE}`, 'AAAA', 'NOERROR'],
      [`eu.${ZONE}`, 'A', 'NOERROR'],
      [`big.${ZONE}`, 'A', 'NOERROR'],
    ] as const) {
      const out = await digVia(good.port, name, type);
      assert.match(out, new RegExp(`status: ${status}`), `${name} ${type}\n${out}\n${good.log()}`);
      assert.match(out, /flags: qr rd ra ad;/, `${name} ${type}\n${out}\n${good.log()}`);
    }
  } finally {
    await good.stop();
  }
  const bad = await startUnbound(s.port, ZONE, { ...ds, keyTag: ds.keyTag, digest: '00'.repeat(32) });
  try {
    const out = await digVia(bad.port, `www.${ZONE}`, 'A');
    assert.match(out, /status: SERVFAIL/, out);
    assert.doesNotMatch(out, / ad;/, out);
  } finally {
    await bad.stop();
  }
});
