import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Memberlist } from '../../src/gossip/index.ts';

test('inbound TCP streams past the cap are closed at once (unauthenticated peers cannot pin memory with open frames)', async (t) => {
  const node = await Memberlist.create({ name: 'cap', bindHost: '127.0.0.1', bindPort: 0, keyring: [randomBytes(32)], tcpTimeoutMs: 10_000 });
  t.after(() => node.close());
  const sockets: net.Socket[] = [];
  t.after(() => sockets.forEach((s) => s.destroy()));
  for (let i = 0; i < 64; i++) {
    const s = net.connect(node.address.port, '127.0.0.1');
    await once(s, 'connect');
    s.write(Buffer.from([0x01])); // the start of a frame that never completes
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 100));
  const extra = net.connect(node.address.port, '127.0.0.1');
  sockets.push(extra);
  await once(extra, 'close');
  assert.ok(sockets.slice(0, 64).every((s) => !s.destroyed), 'the first 64 are still open');
  assert.ok(node.stats().streamErrors >= 1);
});
