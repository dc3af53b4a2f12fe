import assert from 'node:assert/strict';
import test from 'node:test';
import { restartRequiredChanges } from '../../src/config/index.ts';
import { GOSSIP_KEY, parse } from './config-fixture.ts';

const base = (over: { listen?: string; ttl?: number; key?: string; apiAddress?: string; level?: string; dataDir?: string } = {}) =>
  parse(`dns:
  listen_address: "${over.listen ?? ':53'}"
  default_ttl: ${over.ttl ?? 60}
gossip:
  encryption_key: "${over.key ?? GOSSIP_KEY}"
api:
  address: "${over.apiAddress ?? '127.0.0.1:8080'}"
logging:
  level: ${over.level ?? 'info'}
data_dir: ${over.dataDir ?? '/var/lib/opengslb'}
regions:
  - name: r
    servers: [{ address: 10.0.0.1, service: a.example.com }]
domains:
  - { name: a.example.com, regions: [r] }
`);

test('identical configurations need no restart', () => {
  assert.deepEqual(restartRequiredChanges(base(), base()), []);
});

test('changes a reload applies (TTLs, log level, domains) need no restart', () => {
  assert.deepEqual(restartRequiredChanges(base(), base({ ttl: 5, level: 'debug' })), []);
});

test('listen addresses and data_dir (and the certificate paths under it) are named as needing a restart; the gossip keyring is not (applied live)', () => {
  const other = Buffer.alloc(32, 9).toString('base64');
  assert.deepEqual(restartRequiredChanges(base(), base({ listen: ':5353', apiAddress: '127.0.0.1:9000', dataDir: '/srv', key: other, ttl: 5 })), [
    'identity.cert_path',
    'identity.key_path',
    'dns.listen_address',
    'api.address',
    'data_dir',
  ]);
});

test('a mode change is named', () => {
  const overwatch = parse('');
  const agent = parse(`mode: agent
identity: { service_token: "0123456789abcdef" }
backends: [{ service: s, address: 127.0.0.1, port: 80 }]
gossip: { encryption_key: "${GOSSIP_KEY}", overwatch_nodes: ["10.0.0.1:7946"] }
`);
  assert.ok(restartRequiredChanges(overwatch, agent).includes('mode'));
  assert.ok(restartRequiredChanges(overwatch, agent).includes('gossip.overwatch_nodes'));
});

test('turning the metrics listener on is named', () => {
  assert.deepEqual(restartRequiredChanges(parse(''), parse('metrics:\n  address: ":9090"\n')), ['metrics.enabled']);
});
