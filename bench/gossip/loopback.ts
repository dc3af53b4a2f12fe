/**
 * Real sockets on 127.0.0.1 with the original's timers (probe 1 s, timeout 500 ms, gossip 200 ms):
 *  1. convergence of 3 Overwatches + N agents, every agent joining all Overwatches (Pattern 2);
 *  2. time until every survivor marks a crashed agent dead (Lifeguard suspicion with confirmations).
 *   node bench/gossip/loopback.ts [agents=50]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Memberlist } from '../../src/gossip/index.ts';

const AGENTS = Number(process.argv[2] ?? 50);
const KEY = Buffer.from('OpenGSLB-test-key-32-bytes-long!');
const mk = (name: string): Promise<Memberlist> => Memberlist.create({ name, bindHost: '127.0.0.1', bindPort: 0, keyring: [KEY] });

async function until(pred: () => boolean, maxMs: number): Promise<number> {
  const t0 = performance.now();
  while (!pred()) {
    if (performance.now() - t0 > maxMs) return NaN;
    await sleep(10);
  }
  return performance.now() - t0;
}

const overwatches = [await mk('overwatch-0'), await mk('overwatch-1'), await mk('overwatch-2')];
const agents: Memberlist[] = [];
for (let i = 0; i < AGENTS; i++) agents.push(await mk(`agent-${i}`));
const all = [...overwatches, ...agents];
const seeds = overwatches.map((o) => `127.0.0.1:${o.address.port}`);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(agents.map((a) => a.join(seeds)));
const joinedMs = performance.now() - t0;
const convergeMs = (await until(() => all.every((n) => n.numMembers() === all.length), 60_000)) + joinedMs;

const victim = agents[AGENTS - 1];
await victim.close();
const survivors = all.filter((n) => n !== victim);
const t1 = performance.now();
const victimName = `agent-${AGENTS - 1}`;
const stateIn = (n: Memberlist): string | undefined => n.allNodes().find((m) => m.name === victimName)?.state;
await until(() => survivors.some((n) => stateIn(n) !== 'alive'), 60_000);
const suspectMs = performance.now() - t1;
await until(() => survivors.every((n) => stateIn(n) === 'dead'), 60_000);
const deadMs = performance.now() - t1;
const cpu = process.cpuUsage(cpu0);
const totalMs = performance.now() - t0;
console.log(
  JSON.stringify(
    {
      nodes: all.length,
      joinCallsMs: Math.round(joinedMs),
      convergenceMs: Math.round(convergeMs),
      firstSuspectAfterCrashMs: Math.round(suspectMs),
      deadEverywhereAfterCrashMs: Math.round(deadMs),
      processCpuPercent: +((100 * (cpu.user + cpu.system)) / 1000 / totalMs).toFixed(1),
      rssMB: +(process.memoryUsage().rss / 1e6).toFixed(1),
    },
    null,
    2,
  ),
);
await Promise.all(survivors.map((n) => n.close()));
