/**
 * Prepares a freshly built Snapshot for the client-dependent and latency policies before it is
 * published: per answer set, the record indices of each region (geolocation) and the latency
 * ranking (latency), and on the Snapshot the locator and the learned-latency table. This is the
 * "decision per prefix" made once per Snapshot; a query then only locates its client.
 * Pure: everything comes in as arguments.
 */
import type { LatencyConfig, RoutingAlgorithm } from '../config/types.ts';
import type { AnswerRouting, AnswerSet, ClientLatencyTable, ClientLocator, LearnedLatency, NameEntry, Snapshot } from '../model/index.ts';
import { latencyOrder } from './latency-tracker.ts';

export interface RoutingInputs {
  ecsEnabled: boolean;
  geo: ClientLocator | null;
  learned: ClientLatencyTable | null;
  /** The domain's latency_config (defaults for names that are no configured domain). */
  latencyConfigOf(name: string): LatencyConfig;
  /** Smoothed validation RTT of a backend (the `latency` policy). */
  measured(backendId: string): LearnedLatency | undefined;
}

/** Policies that need attach(): everything but the three client-independent ones. */
export function needsRouting(policy: RoutingAlgorithm): boolean {
  return policy === 'geolocation' || policy === 'latency' || policy === 'learned_latency';
}

/** Adds routing data to every answer set whose name needs it, and the shared inputs to the Snapshot. */
export function attachRouting(snapshot: Snapshot, inputs: RoutingInputs): void {
  let needed = false;
  for (const entry of snapshot.names.values()) {
    if (!needsRouting(entry.policy)) continue;
    needed = true;
    if (entry.a) entry.a.routing = planFor(entry, entry.a, inputs);
    if (entry.aaaa) entry.aaaa.routing = planFor(entry, entry.aaaa, inputs);
  }
  snapshot.routing = needed ? { ecsEnabled: inputs.ecsEnabled, geo: inputs.geo, learned: inputs.learned } : undefined;
}

function planFor(entry: NameEntry, set: AnswerSet, inputs: RoutingInputs): AnswerRouting {
  const cfg = inputs.latencyConfigOf(entry.name);
  const plan: AnswerRouting = { minSamples: cfg.minSamples, maxLatencyMs: cfg.maxLatencyMs };
  if (entry.policy === 'geolocation' && inputs.geo !== null) plan.byRegion = regionLists(set, inputs.geo);
  if (entry.policy === 'latency') plan.latencyOrder = latencyOrder(set.backendIds, inputs.measured, cfg.minSamples, cfg.maxLatencyMs);
  if (entry.policy === 'geolocation' && entry.withinRegion === 'latency' && plan.byRegion) {
    const order = latencyOrder(set.backendIds, inputs.measured, cfg.minSamples, cfg.maxLatencyMs);
    plan.latencyOrder = order;
    plan.byRegionLatency = plan.byRegion.map((list) => {
      const members = new Set(list);
      return Int32Array.from([...order].filter((i) => members.has(i)));
    });
  }
  return plan;
}

const EMPTY = new Int32Array(0);

function regionLists(set: AnswerSet, geo: ClientLocator): Int32Array[] {
  const lists: number[][] = [];
  let maxId = geo.defaultRegionId;
  set.regions.forEach((name, i) => {
    const id = geo.regionId(name);
    if (id < 0) return; // served only when the client's region and the default have nothing
    (lists[id] ??= []).push(i);
    if (id > maxId) maxId = id;
  });
  const out: Int32Array[] = [];
  for (let id = 0; id <= maxId; id++) out.push(lists[id] ? Int32Array.from(lists[id]!) : EMPTY);
  return out;
}

/**
 * True when the `latency` ranking the published Snapshot serves differs from what the current
 * measurements give: the runtime then rebuilds (measurements arrive every check; rankings rarely move).
 */
export function latencyRankingChanged(snapshot: Snapshot, inputs: RoutingInputs): boolean {
  for (const entry of snapshot.names.values()) {
    if (entry.policy !== 'latency' && !(entry.policy === 'geolocation' && entry.withinRegion === 'latency')) continue;
    const cfg = inputs.latencyConfigOf(entry.name);
    for (const set of [entry.a, entry.aaaa]) {
      if (!set) continue;
      const now = latencyOrder(set.backendIds, inputs.measured, cfg.minSamples, cfg.maxLatencyMs);
      const before = set.routing?.latencyOrder;
      if (!before || before.length !== now.length || now.some((v, i) => before[i] !== v)) return true;
    }
  }
  return false;
}
