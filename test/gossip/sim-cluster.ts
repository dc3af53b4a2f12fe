/**
 * Test harness: memberlist nodes on a MemoryNetwork driven by a ManualClock, so protocol time
 * (seconds of probes and suspicion) passes in milliseconds of wall time, deterministically seeded.
 */
import { ManualClock } from '../../src/lifecycle/index.ts';
import { MemoryNetwork, Memberlist, type MemberlistOptions } from '../../src/gossip/index.ts';

export const KEY = Buffer.from('OpenGSLB-test-key-32-bytes-long!');

/** mulberry32: a small seeded PRNG so simulations repeat exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lets stream I/O and promise continuations run (they do not depend on the clock). */
export async function flush(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Fast LAN-like timers for simulations: 200 ms probes, 100 ms timeout, 50 ms gossip. */
export const FAST = {
  probeIntervalMs: 200,
  probeTimeoutMs: 100,
  gossipIntervalMs: 50,
  pushPullIntervalMs: 5_000,
  tcpTimeoutMs: 2_000,
  gossipToTheDeadMs: 5_000,
} as const;

export class SimCluster {
  readonly clock = new ManualClock(1_000_000);
  readonly random: () => number;
  readonly net: MemoryNetwork;
  readonly nodes: Memberlist[] = [];
  #seq = 0;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
    this.net = new MemoryNetwork({ clock: this.clock, random: seededRandom(seed + 1000) });
  }

  async add(overrides: Partial<MemberlistOptions> = {}): Promise<Memberlist> {
    const i = this.#seq++;
    const ml = await Memberlist.create({
      name: `node-${i}`,
      bindHost: '127.0.0.1',
      bindPort: 0,
      keyring: [KEY],
      ...FAST,
      clock: this.clock,
      random: this.random,
      transport: this.net.createTransport('127.0.0.1', 0),
      ...overrides,
    });
    this.nodes.push(ml);
    return ml;
  }

  /** Advances simulated time by `ms` in `stepMs` steps, letting I/O settle after each step. */
  async run(ms: number, stepMs = 10): Promise<void> {
    for (let t = 0; t < ms; t += stepMs) {
      this.clock.advance(stepMs);
      await flush();
    }
  }

  /** Runs until `pred()` holds; returns the simulated ms it took, or throws after `maxMs`. */
  async until(pred: () => boolean, maxMs: number, what = 'condition', stepMs = 10): Promise<number> {
    const start = this.clock.nowMs();
    while (!pred()) {
      if (this.clock.nowMs() - start > maxMs) throw new Error(`simulation: ${what} not reached within ${maxMs} ms`);
      this.clock.advance(stepMs);
      await flush();
    }
    return this.clock.nowMs() - start;
  }

  addressOf(ml: Memberlist): string {
    return `${ml.address.host}:${ml.address.port}`;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }
}

export function stateOf(observer: Memberlist, name: string): string | undefined {
  return observer.allNodes().find((m) => m.name === name)?.state;
}
