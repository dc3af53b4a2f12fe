import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GeoLocator, MmdbDatabase, parseClientIpInto, type GeoLocatorSpec } from '../../src/geo/index.ts';
import type { ClientSubnet } from '../../src/model/index.ts';
import { writeMmdb, maxmindRecord, ipLocationRecord } from './support/mmdb-writer.ts';

const DB = new MmdbDatabase(
  writeMmdb([
    { cidr: '1.0.0.0/8', record: maxmindRecord('AU', 'OC') },
    { cidr: '2.0.0.0/8', record: maxmindRecord('FR', 'EU') },
    { cidr: '3.0.0.0/8', record: ipLocationRecord('DE') },
    { cidr: '4.0.0.0/8', record: maxmindRecord('US', 'NA') },
    { cidr: '5.0.0.0/8', record: ipLocationRecord('BR') },
    { cidr: '2001:db8::/32', record: maxmindRecord('JP', 'AS') },
  ]),
);

const SPEC: GeoLocatorSpec = {
  regions: [
    { name: 'us', countries: ['us'], continents: ['NA', 'SA'] },
    { name: 'eu', countries: ['FR'], continents: ['EU'] },
    { name: 'ap', countries: [], continents: ['AS', 'OC'] },
  ],
  defaultRegion: 'us',
  mappings: [
    { cidr: '1.2.0.0/16', region: 'eu', comment: 'office', source: 'config' },
    { cidr: '2001:db8:1::/48', region: 'us', source: 'api' },
  ],
};

function client(ip: string, prefix?: number): ClientSubnet {
  const address = new Uint8Array(16);
  const family = parseClientIpInto(ip, address);
  return { family, address, prefixLength: prefix ?? (family === 4 ? 32 : 128) };
}

function locate(l: GeoLocator, ip: string): { region: string | undefined; scope: number } {
  const scope = { prefixLength: -1 };
  const id = l.locate(client(ip), scope);
  return { region: id < 0 ? undefined : l.regionNames[id], scope: scope.prefixLength };
}

test('custom CIDR beats country, country beats continent, then the default region', () => {
  const l = new GeoLocator(SPEC, { current: DB });
  assert.equal(locate(l, '1.2.3.4').region, 'eu'); // custom mapping inside Australia
  assert.equal(locate(l, '1.3.3.4').region, 'ap'); // AU -> continent OC -> ap
  assert.equal(locate(l, '2.1.1.1').region, 'eu'); // country FR
  assert.equal(locate(l, '3.1.1.1').region, 'eu'); // @ip-location-db DE -> continent EU
  assert.equal(locate(l, '4.1.1.1').region, 'us'); // country US (case-insensitive in the config)
  assert.equal(locate(l, '5.1.1.1').region, 'us'); // BR -> SA -> us
  assert.equal(locate(l, '2001:db8::1').region, 'ap'); // JP -> AS
  assert.equal(locate(l, '2001:db8:1::1').region, 'us'); // custom IPv6 mapping
  assert.equal(locate(l, '10.0.0.1').region, 'us'); // unknown to the database -> default
});

test('the scope is the prefix the decision depended on', () => {
  const l = new GeoLocator(SPEC, { current: DB });
  assert.deepEqual(locate(l, '1.2.3.4'), { region: 'eu', scope: 16 }); // the custom /16
  assert.deepEqual(locate(l, '2.1.1.1'), { region: 'eu', scope: 8 }); // the database's /8
  assert.deepEqual(locate(l, '1.3.3.4'), { region: 'ap', scope: 16 }); // /8 record, but 1.2/16 is one bit away
  assert.equal(locate(l, '2001:db8::1').scope, 48); // next to the custom /48
});

test('without a database: custom mappings, then the default; without a default: no region', () => {
  const l = new GeoLocator(SPEC, { current: null });
  assert.equal(locate(l, '1.2.3.4').region, 'eu');
  assert.equal(locate(l, '2.1.1.1').region, 'us');
  const bare = new GeoLocator({ ...SPEC, defaultRegion: undefined }, { current: null });
  assert.equal(locate(bare, '2.1.1.1').region, undefined);
});

test('a replaced database is used by the next lookup (the record cache follows it)', () => {
  const holder: { current: MmdbDatabase | null } = { current: DB };
  const l = new GeoLocator(SPEC, holder);
  assert.equal(locate(l, '2.1.1.1').region, 'eu');
  holder.current = new MmdbDatabase(writeMmdb([{ cidr: '2.0.0.0/8', record: maxmindRecord('JP', 'AS') }]));
  assert.equal(locate(l, '2.1.1.1').region, 'ap');
});

test('explain() says how the region was found', () => {
  const l = new GeoLocator(SPEC, { current: DB });
  const c = client('1.2.3.4');
  assert.deepEqual(l.explain(c.family, c.address), { region: 'eu', matchType: 'custom_mapping', matchedCidr: '1.2.0.0/16', comment: 'office', scopePrefix: 16 });
  const f = client('2.1.1.1');
  assert.deepEqual(l.explain(f.family, f.address), { region: 'eu', matchType: 'geoip_country', country: 'FR', continent: 'EU', scopePrefix: 8 });
  const d = client('10.0.0.1');
  assert.equal(l.explain(d.family, d.address).matchType, 'default');
});

test('a lookup allocates nothing measurable (100k lookups)', () => {
  const l = new GeoLocator(SPEC, { current: DB });
  const c = client('2.1.1.1');
  const scope = { prefixLength: 0 };
  for (let i = 0; i < 1000; i++) l.locate(c, scope);
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 100_000; i++) l.locate(c, scope);
  const grew = process.memoryUsage().heapUsed - before;
  assert.ok(grew < 1_000_000, `heap grew ${grew} bytes`);
});
