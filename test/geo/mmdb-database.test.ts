import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Reader } from 'maxmind';
import { MmdbDatabase, GeoError, factsOfRecord, parseClientIpInto } from '../../src/geo/index.ts';
import { writeMmdb, maxmindRecord, ipLocationRecord } from './support/mmdb-writer.ts';

function find(db: MmdbDatabase, ip: string): { pointer: number; prefix: number; facts: ReturnType<MmdbDatabase['facts']> } {
  const bytes = new Uint8Array(16);
  const family = parseClientIpInto(ip, bytes);
  const scope = { prefixLength: -1 };
  const pointer = db.find(family, bytes, scope);
  return { pointer, prefix: scope.prefixLength, facts: pointer === 0 ? {} : db.facts(family, bytes) };
}

const ENTRIES = [
  { cidr: '1.0.0.0/8', record: maxmindRecord('AU', 'OC') },
  { cidr: '1.2.0.0/16', record: maxmindRecord('JP', 'AS') },
  { cidr: '81.0.0.0/8', record: ipLocationRecord('DE') },
  { cidr: '2001:db8::/32', record: maxmindRecord('US', 'NA') },
];

for (const recordSize of [24, 28, 32] as const) {
  test(`the tree walk agrees with mmdb-lib on a ${recordSize}-bit database the tests wrote`, () => {
    const buf = writeMmdb(ENTRIES, { recordSize });
    const db = new MmdbDatabase(buf);
    const reference = new Reader<Record<string, unknown>>(buf);
    for (const ip of ['1.1.1.1', '1.2.3.4', '81.1.1.1', '8.8.8.8', '2001:db8::1', '2001:db9::1', '::1']) {
      const got = find(db, ip);
      const [record, prefix] = reference.getWithPrefixLength(ip);
      assert.equal(got.prefix, prefix, `${ip} prefix`);
      assert.equal(got.pointer === 0, record === null, `${ip} found`);
      assert.deepEqual(got.facts, factsOfRecord(record), ip);
    }
  });
}

test('reads both record schemas: MaxMind country/continent and @ip-location-db country_code', () => {
  const db = new MmdbDatabase(writeMmdb(ENTRIES));
  assert.deepEqual(find(db, '1.2.3.4').facts, { country: 'JP', continent: 'AS' });
  assert.deepEqual(find(db, '81.1.1.1').facts, { country: 'DE', continent: 'EU' });
  assert.equal(find(db, '1.2.3.4').prefix, 16);
  assert.equal(find(db, '1.3.0.1').prefix, 16); // 1.3/16 differs from 1.2/16 at bit 15: still inside 1/8's record
  assert.equal(find(db, '8.8.8.8').pointer, 0);
});

test('an IPv4-only database answers IPv4 and has nothing for IPv6', () => {
  const db = new MmdbDatabase(writeMmdb([{ cidr: '10.0.0.0/8', record: ipLocationRecord('FR') }], { ipVersion: 4 }));
  assert.deepEqual(find(db, '10.1.1.1').facts, { country: 'FR', continent: 'EU' });
  assert.deepEqual(find(db, '2001:db8::1'), { pointer: 0, prefix: 0, facts: {} });
});

test('a file that is no MMDB, or is cut short, is refused with a GeoError naming it', () => {
  assert.throws(() => new MmdbDatabase(Buffer.from('not a database'), 'geo.mmdb'), (e: unknown) => e instanceof GeoError && /geo\.mmdb: not a MaxMind DB/.test(e.message));
  const good = writeMmdb(ENTRIES);
  const cut = Buffer.concat([good.subarray(0, 20), good.subarray(good.lastIndexOf(Buffer.from([0xab, 0xcd, 0xef])))]);
  assert.throws(() => new MmdbDatabase(cut, 'cut.mmdb'), GeoError);
});

test('the @ip-location-db package database (real data) locates well-known networks', () => {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
  const db = new MmdbDatabase(readFileSync(file), file);
  assert.equal(find(db, '8.8.8.8').facts.country, 'US');
  assert.equal(find(db, '8.8.8.8').facts.continent, 'NA');
  assert.equal(find(db, '193.0.0.1').facts.country, 'NL'); // RIPE NCC
  assert.equal(find(db, '2001:4860::1').facts.country, 'US');
  assert.equal(find(db, '10.0.0.1').pointer, 0); // private space is nobody's
});
