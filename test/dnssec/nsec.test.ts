import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NXNAME_TYPE, canonicalRdataOrder, compareCanonicalNames, nsecRdata, successorKey, typeBitmap, rrsigLabels } from '../../src/dnssec/index.ts';
import { wireKey } from '../../src/dns/wire/index.ts';
import { compactDenialRdata } from '../../src/dnssec/nsec.ts';

const Z = 'gslb.example.com';
const k = (n: string) => wireKey(n);

test('type bitmaps match the DNSSEC.md §2.1 vectors', () => {
  const hex = (types: number[]) => typeBitmap(types).toString('hex');
  assert.equal(hex([1, 46, 47]), '0006400000000003');
  assert.equal(hex([28, 46, 47]), '0006000000080003');
  assert.equal(hex([2, 6, 46, 47, 48]), '000722000000000380');
  assert.equal(hex([1, 2, 6, 28, 46, 47, 48]), '000762000008000380');
  // DNSSEC.md prints this one with two zero octets missing; the length octet 0x11 = 17 needs them
  // (type 128 is bit 0 of octet 16). kdig decodes this form as `RRSIG NSEC TYPE128`.
  assert.equal(hex([46, 47, NXNAME_TYPE]), '00110000000000030000000000000000000080');
  assert.equal(hex([1, 46, 47, 257]), '0006400000000003010140');
});

test('NSEC RDATA is the next name uncompressed then the bitmap with RRSIG and NSEC added', () => {
  const rdata = nsecRdata(successorKey(k(`www.${Z}`)), [1]);
  assert.equal(rdata.toString('hex'), '0100' + '03777777' + '0467736c62076578616d706c6503636f6d00' + '0006400000000003');
});

test('canonical name order is the RFC 4034 §6.1 example order', () => {
  const ordered = [Z, `*.${Z}`, `app.${Z}`, `nope.${Z}`, `\0.nope.${Z}`, `x.nope.${Z}`, `nope\0.${Z}`, `www.${Z}`].map((n) =>
    Buffer.from(n.split('.').map((l) => String.fromCharCode(l.length) + l).join('') + '\0', 'latin1').toString('latin1'),
  );
  const shuffled = [...ordered].reverse();
  shuffled.sort(compareCanonicalNames);
  assert.deepEqual(shuffled, ordered);
});

test('the successor \\000.name sorts right after the name and before its other descendants', () => {
  const name = k(`nope.${Z}`);
  const succ = successorKey(name);
  assert.ok(compareCanonicalNames(name, succ) < 0);
  assert.ok(compareCanonicalNames(succ, k(`a.nope.${Z}`)) < 0);
});

test('canonical RDATA order sorts by octets and drops duplicates', () => {
  const out = canonicalRdataOrder([Buffer.from([10, 0, 0, 2]), Buffer.from([10, 0, 0, 1]), Buffer.from([10, 0, 0, 2]), Buffer.from([9, 255, 255, 255])]);
  assert.deepEqual(out.map((b) => [...b].join('.')), ['9.255.255.255', '10.0.0.1', '10.0.0.2']);
});

test('RRSIG labels do not count the root nor a leading * label', () => {
  assert.equal(rrsigLabels(k(Z)), 3);
  assert.equal(rrsigLabels(k(`www.${Z}`)), 4);
  assert.equal(rrsigLabels(k(`*.${Z}`)), 3);
});

test('compactDenialRdata is nsecRdata for the two compact-denial type sets', () => {
  for (const name of [Z, `www.${Z}`, `a.b.${Z}`]) {
    const next = successorKey(k(name));
    assert.deepEqual(compactDenialRdata(next, true), nsecRdata(next, [NXNAME_TYPE]));
    assert.deepEqual(compactDenialRdata(next, false), nsecRdata(next, []));
  }
});
