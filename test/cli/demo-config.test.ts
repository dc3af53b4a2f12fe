import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { parseConfigText } from '../../src/config/index.ts';
import { demoConfigText, DEMO_GEO_DATABASE } from '../../src/cli/demo.ts';

test('the embedded demo configuration loads, with a geolocation domain on the packaged database', () => {
  const config = parseConfigText(demoConfigText(), { sourcePath: '' });
  assert.deepEqual(config.dns.zones, ['demo.gslb.local']);
  assert.deepEqual(config.domains.map((d) => [d.name, d.routingAlgorithm]), [
    ['app.demo.gslb.local', 'round-robin'],
    ['primary.demo.gslb.local', 'failover'],
    ['geo.demo.gslb.local', 'geolocation'],
  ]);
  assert.equal(config.geolocation.databasePath, DEMO_GEO_DATABASE);
  assert.ok(existsSync(DEMO_GEO_DATABASE), 'the database ships in node_modules');
});
