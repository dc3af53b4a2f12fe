/**
 * kill -9 of a real Overwatch process at random moments during a storm of override and server
 * writes through the API: after every restart, data_dir loads and every write the API acknowledged
 * before the kill is there. Rounds: CRASH_ROUNDS (default 12 here; `npm run test:crash` runs 300).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { OpengslbProcess, TempConfigDir } from '../support/opengslb-process.ts';

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 12);
const tmp = new TempConfigDir();
after(() => tmp.cleanup());

function config(): string {
  return `dns: { listen_address: "127.0.0.1:0", zones: [gslb.test] }
data_dir: ${path.join(tmp.dir, 'data')}
logging: { level: info, format: json }
dnssec: { enabled: false, security_acknowledgment: "I understand that disabling DNSSEC allows DNS spoofing attacks" }
validation: { enabled: false }
api: { address: "127.0.0.1:0" }
`;
}

async function apiPort(p: OpengslbProcess): Promise<number> {
  const line = await p.waitForLog((l) => l.msg === 'REST API listening');
  return Number(String(line.api).split(':').pop());
}

test(`every acknowledged write survives kill -9 (${ROUNDS} rounds)`, { timeout: 30 * 60_000 }, async () => {
  const file = tmp.write('crash.yaml', config());
  const acknowledged = new Map<string, boolean>(); // address -> healthy
  const servers = new Set<string>();
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);

  for (let round = 0; round < ROUNDS; round++) {
    const ow = new OpengslbProcess(['--config', file]);
    const port = await apiPort(ow);
    const base = `http://127.0.0.1:${port}`;

    // Everything acknowledged in earlier rounds is present after the restart.
    const listed = (await (await fetch(`${base}/api/v1/overrides`)).json()) as { overrides: { address: string; healthy: boolean }[] };
    const present = new Map(listed.overrides.map((o) => [o.address, o.healthy]));
    for (const [address, healthy] of acknowledged) {
      assert.equal(present.get(address), healthy, `round ${round}: acknowledged override for ${address} lost or changed`);
    }
    const serverList = (await (await fetch(`${base}/api/v1/servers`)).json()) as { servers: { id: string }[] };
    const ids = new Set(serverList.servers.map((s) => s.id));
    for (const id of servers) assert.ok(ids.has(id), `round ${round}: acknowledged server ${id} lost`);

    // A storm of writes, killed at a random moment.
    const killAfterMs = 5 + Math.floor(random() * 60);
    const storm = (async () => {
      for (let i = 0; ; i++) {
        const address = `10.${round & 255}.${(i >> 8) & 255}.${i & 255}`;
        const healthy = random() < 0.5;
        try {
          if (i % 5 === 4) {
            const res = await fetch(`${base}/api/v1/servers`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ name: 'app.gslb.test', address, port: 80, region: 'r' }),
            });
            if (res.status === 201) servers.add(`app.gslb.test:${address}:80`);
          } else {
            const res = await fetch(`${base}/api/v1/overrides/app.gslb.test/${address}`, {
              method: 'PUT',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ healthy, reason: `round ${round}` }),
            });
            if (res.status === 200) acknowledged.set(address, healthy);
          }
        } catch {
          return; // the process is gone: whatever was not acknowledged may or may not be there
        }
      }
    })();
    await new Promise((r) => setTimeout(r, killAfterMs));
    ow.child.kill('SIGKILL');
    await ow.exited;
    await storm;
  }
  assert.ok(acknowledged.size > ROUNDS, `the storm made progress (${acknowledged.size} acknowledged writes)`);
});
