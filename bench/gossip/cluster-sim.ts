/**
 * Simulated cluster: N memberlist nodes in one process on the in-memory transport, LAN timers
 * (probe 1 s, timeout 500 ms, gossip 200 ms, push/pull 30 s), simulated time (ManualClock), so
 * convergence is measured in protocol time and CPU/memory per node can be read off the process.
 * Every node runs the same SWIM duties (one probe per interval, ~one ping answered, gossip fan-out 3,
 * periodic push/pull), so the per-node average approximates one Overwatch in a cluster of N.
 *
 *   node --expose-gc bench/gossip/cluster-sim.ts [nodes=1000] [steadySeconds=60] [seeds=3]
 */
import { HeapClock } from './heap-clock.ts';
import { MemoryNetwork, Memberlist } from '../../src/gossip/index.ts';

const N = Number(process.argv[2] ?? 1000);
const STEADY_S = Number(process.argv[3] ?? 60);
const SEEDS = Number(process.argv[4] ?? 3);
const KEY = Buffer.from('OpenGSLB-test-key-32-bytes-long!');

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const flush = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
};

const clock = new HeapClock(0);
const random = seeded(42);
const net = new MemoryNetwork({ clock, random: seeded(43) });
const nodes: Memberlist[] = [];
const gc = (globalThis as { gc?: () => void }).gc; // run with --expose-gc for exact heap figures
gc?.();
const heap0 = process.memoryUsage().heapUsed;

async function step(ms: number): Promise<void> {
  clock.advance(ms);
  await flush();
}

for (let i = 0; i < N; i++) {
  nodes.push(
    await Memberlist.create({
      name: i < SEEDS ? `overwatch-${i}` : `agent-${i}`,
      bindHost: '127.0.0.1',
      bindPort: 0,
      keyring: [KEY],
      clock,
      random,
      transport: net.createTransport(`127.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, 7946),
    }),
  );
}

// Overwatches never join each other (as the original); agents join every Overwatch.
const seedAddrs = nodes.slice(0, SEEDS).map((n) => `${n.address.host}:${n.address.port}`);
const tJoin0 = clock.nowMs();
const cpuJoin0 = process.cpuUsage();
const wallJoin0 = performance.now();
for (let i = SEEDS; i < N; i++) {
  const joining = nodes[i].join(seedAddrs);
  // let push/pull streams complete without advancing time much
  let done = false;
  void joining.then(() => (done = true));
  for (let k = 0; !done && k < 1000; k++) await flush();
  if (i % 10 === 0) await step(10);
}
const converged = (): boolean => nodes.every((n) => n.numMembers() === N);
let guard = 0;
while (!converged() && guard++ < 12_000) await step(50);
const convergeMs = clock.nowMs() - tJoin0;
const joinCpu = process.cpuUsage(cpuJoin0);
const joinWall = performance.now() - wallJoin0;

// Steady state.
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const sent0 = net.stats.packetsSent;
for (let t = 0; t < STEADY_S * 1000; t += 20) await step(20);
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - wall0;
const packets = net.stats.packetsSent - sent0;
gc?.();
const heap = process.memoryUsage().heapUsed - heap0;
const ow = nodes[0];
const dead = nodes.reduce((s, n) => s + n.allNodes().filter((m) => m.state !== 'alive').length, 0);

const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(
  JSON.stringify(
    {
      nodes: N,
      overwatches: SEEDS,
      converged: converged(),
      convergenceSimulatedMs: convergeMs,
      joinPhase: { wallMs: Math.round(joinWall), cpuMs: Math.round((joinCpu.user + joinCpu.system) / 1000) },
      steady: {
        simulatedSeconds: STEADY_S,
        wallMs: Math.round(wall),
        cpuMsTotal: Math.round(cpuMs),
        cpuPercentPerNode: +((100 * cpuMs) / (STEADY_S * 1000) / N).toFixed(4),
        packetsPerNodePerSecond: +(packets / STEADY_S / N).toFixed(2),
        nonAliveEntriesSeen: dead,
      },
      heapMBTotal: +(heap / 1e6).toFixed(1),
      heapKBPerNode: +(heap / 1e3 / N).toFixed(1),
      overwatch0: { members: ow.numMembers(), healthScore: ow.healthScore, stats: { ...ow.stats(), received: undefined, sent: undefined } },
    },
    null,
    2,
  ),
);
await Promise.all(nodes.map((n) => n.close()));
