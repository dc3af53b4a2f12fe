import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GeoDatabaseFile, GeoError, GeoLocator, parseClientIpInto, type MmdbDatabase } from '../../src/geo/index.ts';
import { writeMmdb, maxmindRecord } from './support/mmdb-writer.ts';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'opengslb-geo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const fr = writeMmdb([{ cidr: '2.0.0.0/8', record: maxmindRecord('FR', 'EU') }]);
const jp = writeMmdb([{ cidr: '2.0.0.0/8', record: maxmindRecord('JP', 'AS') }]);

/** Atomic replace, as geoipupdate does: write a temp file, rename it over the database. */
async function replace(file: string, bytes: Buffer): Promise<void> {
  const tmp = `${file}.tmp-${process.hrtime.bigint()}`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
}

function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('timed out'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

test('a missing or broken database is a start-up error naming the path', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(GeoDatabaseFile.open(path.join(dir, 'none.mmdb'), { watch: false }), (e: unknown) => e instanceof GeoError && e.message.includes('none.mmdb'));
  await writeFile(path.join(dir, 'bad.mmdb'), 'garbage');
  await assert.rejects(GeoDatabaseFile.open(path.join(dir, 'bad.mmdb'), { watch: false }), GeoError);
});

test('an atomic replacement is picked up by the watcher without a restart', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'geo.mmdb');
  await writeFile(file, fr);
  const reloaded: MmdbDatabase[] = [];
  const db = await GeoDatabaseFile.open(file, { debounceMs: 20, onReload: (d) => reloaded.push(d) });
  t.after(() => db.close());
  const first = db.current;
  await replace(file, jp);
  await waitFor(() => reloaded.length > 0);
  assert.notEqual(db.current, first);
  assert.equal(db.loads, 2);
});

test('a file that does not parse keeps the previous database serving', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'geo.mmdb');
  await writeFile(file, fr);
  const errors: Error[] = [];
  const db = await GeoDatabaseFile.open(file, { watch: false, onReloadError: (e) => errors.push(e) });
  t.after(() => db.close());
  const first = db.current;
  await writeFile(file, fr.subarray(0, 40)); // a copy cut short
  assert.equal(await db.reloadIfChanged(), false);
  assert.equal(db.current, first);
  assert.equal(errors.length, 1);
  assert.match(db.lastError ?? '', /not a MaxMind DB|truncated/);
  await replace(file, jp);
  assert.equal(await db.reloadIfChanged(), true);
});

test('lookups under continuous load across repeated replacements never fail and only see whole databases', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'geo.mmdb');
  await writeFile(file, fr);
  const db = await GeoDatabaseFile.open(file, { debounceMs: 5 });
  t.after(() => db.close());
  const locator = new GeoLocator({ regions: [{ name: 'eu', countries: ['FR'], continents: [] }, { name: 'ap', countries: ['JP'], continents: [] }], mappings: [] }, db);
  const address = new Uint8Array(16);
  const family = parseClientIpInto('2.3.4.5', address);
  const client = { family, address, prefixLength: 32 };
  const scope = { prefixLength: 0 };
  const seen = new Set<string>();
  let lookups = 0;
  let stop = false;
  const load = (async () => {
    while (!stop) {
      for (let i = 0; i < 2000; i++) {
        const id = locator.locate(client, scope);
        assert.ok(id === 0 || id === 1, `region id ${id}`);
        seen.add(locator.regionNames[id]!);
        lookups++;
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  for (let i = 0; i < 10; i++) {
    const before = db.loads;
    await replace(file, i % 2 === 0 ? jp : fr);
    await waitFor(() => db.loads > before);
  }
  stop = true;
  await load;
  assert.deepEqual([...seen].sort(), ['ap', 'eu']);
  assert.ok(lookups > 10_000, `${lookups} lookups`);
});
