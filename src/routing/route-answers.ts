/**
 * The per-query routing step for every policy: the client-independent ones go to pickAnswers;
 * geolocation, latency and learned_latency read the data routing/ attached to the Snapshot
 * (attach-routing.ts) and, for the client-dependent two, the client: the ECS address when
 * geolocation.ecs_enabled and the query carries one, else the resolver's socket address.
 * Pure and allocation-free: the caller owns `out` and `state` and reuses them.
 */
import type { AnswerSet, ClientSubnet, NameEntry, SnapshotRouting } from '../model/index.ts';
import { parseClientIpInto, unmapV4 } from '../geo/index.ts';
import { pickAnswers } from './pick-answers.ts';

/** The ECS fields of a parsed query (dns/wire's ParsedQuery has them). */
export interface EcsQuery {
  hasEcs: boolean;
  /** 1 = IPv4, 2 = IPv6 (RFC 7871 §6). */
  ecsFamily: number;
  ecsSourcePrefix: number;
  ecsAddress: Uint8Array;
}

/** Reused per responder; describes the last routeAnswers() call. */
export interface RouteState {
  /** The picks are the rotation window starting at out[0] (what pre-made RRSIGs cover). */
  isWindow: boolean;
  /** Leading client address bits the answer depended on; 0 = the same answer for everyone. */
  scopePrefix: number;
  /** The answer was tailored to the query's ECS address (the reply then carries scopePrefix). */
  usedEcs: boolean;
  /** The answer was tailored to the client (ECS or socket address). */
  usedClient: boolean;
  client: ClientSubnet;
  /** Scratch for learned latency ordering. */
  readonly keys: Float64Array;
}

export function newRouteState(): RouteState {
  return {
    isWindow: true,
    scopePrefix: 0,
    usedEcs: false,
    usedClient: false,
    client: { family: 0, address: new Uint8Array(16), prefixLength: 0 },
    keys: new Float64Array(256),
  };
}

/** Fills `client` from the query's ECS option (when honoured) or the socket address; true = from ECS. */
export function fillClient(client: ClientSubnet, ecsEnabled: boolean, query: EcsQuery, socketAddress: string): boolean {
  // RFC 7871 §7.1.2: SOURCE PREFIX-LENGTH 0 asks for no tailoring to the client: the resolver's
  // own address decides and the reply scope stays 0.
  if (ecsEnabled && query.hasEcs && query.ecsSourcePrefix > 0) {
    const a = client.address;
    const src = query.ecsAddress;
    for (let i = 0; i < 16; i++) a[i] = src[i]!;
    if (query.ecsFamily === 1) {
      client.family = 4;
      client.prefixLength = query.ecsSourcePrefix;
    } else {
      // An IPv4-mapped ECS prefix (a /96 or longer) is an IPv4 client.
      client.family = query.ecsSourcePrefix >= 96 ? unmapV4(a) : 6;
      client.prefixLength = client.family === 4 ? query.ecsSourcePrefix - 96 : query.ecsSourcePrefix;
    }
    return true;
  }
  client.family = socketAddress === '' ? 0 : parseClientIpInto(socketAddress, client.address);
  client.prefixLength = client.family === 4 ? 32 : client.family === 6 ? 128 : 0;
  return false;
}

/**
 * Writes record indices into `out` and returns how many (at most maxAnswers).
 * - geolocation: the client's region (routing.geo), rotated; else default_region's; else all.
 * - latency: the precomputed order (lowest smoothed validation RTT first); no data -> round-robin.
 * - learned_latency: the client prefix's agent-reported RTTs, lowest first; no data -> round-robin.
 */
export function routeAnswers(
  entry: NameEntry,
  set: AnswerSet,
  maxAnswers: number,
  routing: SnapshotRouting | undefined,
  query: EcsQuery,
  socketAddress: string,
  random01: number,
  out: Int32Array,
  state: RouteState,
): number {
  state.isWindow = true;
  state.scopePrefix = 0;
  state.usedEcs = false;
  state.usedClient = false;
  const policy = entry.policy;
  const n = set.records.length;
  if (n === 0) return 0;
  if (policy === 'latency') {
    const order = set.routing?.latencyOrder;
    if (order !== undefined && order.length > 0) return copyList(order, maxAnswers, out, state);
    return pickAnswers('round-robin', set, maxAnswers, entry.rotation, random01, out);
  }
  if ((policy !== 'geolocation' && policy !== 'learned_latency') || routing === undefined) {
    return pickAnswers(policy === 'geolocation' || policy === 'learned_latency' ? 'round-robin' : policy, set, maxAnswers, entry.rotation, random01, out);
  }
  const client = state.client;
  const fromEcs = fillClient(client, routing.ecsEnabled, query, socketAddress);
  if (client.family === 0) return pickAnswers('round-robin', set, maxAnswers, entry.rotation, random01, out);
  state.usedClient = true;
  state.usedEcs = fromEcs;
  if (policy === 'geolocation') return geoAnswers(entry, set, maxAnswers, routing, random01, out, state);
  return learnedAnswers(entry, set, maxAnswers, routing, random01, out, state);
}

/** Out-parameter box for locate()/lookup(); module-level because routing is single-threaded per isolate. */
const scopeBox = { prefixLength: 0 };

function geoAnswers(entry: NameEntry, set: AnswerSet, maxAnswers: number, routing: SnapshotRouting, random01: number, out: Int32Array, state: RouteState): number {
  const geo = routing.geo;
  const byRegion = set.routing?.byRegion;
  if (geo === null || byRegion === undefined) {
    state.usedClient = state.usedEcs = false;
    return pickAnswers('round-robin', set, maxAnswers, entry.rotation, random01, out);
  }
  const region = geo.locate(state.client, scopeBox);
  state.scopePrefix = scopeBox.prefixLength;
  let regionId = region;
  let list = region >= 0 ? byRegion[region] : undefined;
  if (list === undefined || list.length === 0) {
    const d = geo.defaultRegionId;
    regionId = d;
    list = d >= 0 ? byRegion[d] : undefined;
  }
  if (list === undefined || list.length === 0) return pickAnswers('round-robin', set, maxAnswers, entry.rotation, random01, out);
  const len = list.length;
  const within = entry.withinRegion;
  if (within === 'failover') {
    // The region's list is in configured order: its first healthy backend.
    out[0] = list[0]!;
    state.isWindow = false;
    return 1;
  }
  if (within === 'weighted') return weightedInRegion(list, set, maxAnswers, random01, out, state);
  if (within === 'latency') {
    // Lowest measured RTT first within the region; no measurements yet: round-robin within it.
    const ranked = regionId >= 0 ? set.routing?.byRegionLatency?.[regionId] : undefined;
    if (ranked !== undefined && ranked.length > 0) return copyList(ranked, maxAnswers, out, state);
  }
  const count = len < maxAnswers ? len : maxAnswers;
  const rotation = entry.rotation;
  const start = rotation.next % len;
  rotation.next = (rotation.next + 1) % 0x7fffffff;
  for (let i = 0; i < count; i++) {
    const j = start + i;
    out[i] = list[j < len ? j : j - len]!;
  }
  state.isWindow = len === set.records.length;
  return count;
}

/** Weighted first pick among the region's records, then the rest of the region in order. */
function weightedInRegion(list: Int32Array | number[], set: AnswerSet, maxAnswers: number, random01: number, out: Int32Array, state: RouteState): number {
  const len = list.length;
  let total = 0;
  for (let i = 0; i < len; i++) total += set.weights[list[i]!]!;
  let target = random01 * total;
  let start = len - 1;
  for (let i = 0; i < len; i++) {
    target -= set.weights[list[i]!]!;
    if (target < 0) {
      start = i;
      break;
    }
  }
  const count = len < maxAnswers ? len : maxAnswers;
  for (let i = 0; i < count; i++) {
    const j = start + i;
    out[i] = list[j < len ? j : j - len]!;
  }
  state.isWindow = false;
  return count;
}

function learnedAnswers(entry: NameEntry, set: AnswerSet, maxAnswers: number, routing: SnapshotRouting, random01: number, out: Int32Array, state: RouteState): number {
  const table = routing.learned;
  const plan = set.routing;
  if (table === null || plan === undefined) {
    state.usedClient = state.usedEcs = false;
    return pickAnswers('round-robin', set, maxAnswers, entry.rotation, random01, out);
  }
  const data = table.lookup(state.client, scopeBox);
  state.scopePrefix = scopeBox.prefixLength;
  if (data === null) return pickAnswers('round-robin', set, maxAnswers, entry.rotation, random01, out);
  const ids = set.backendIds;
  const keys = state.keys;
  const limit = out.length < keys.length ? out.length : keys.length;
  // Eligible: enough samples. Those within max_latency_ms, unless none is (then all eligible).
  let eligible = 0;
  let under = 0;
  for (let i = 0; i < ids.length; i++) {
    const s = data.get(ids[i]!);
    if (s === undefined || s.samples < plan.minSamples) continue;
    eligible++;
    if (s.ewmaMs <= plan.maxLatencyMs) under++;
  }
  if (eligible === 0) return pickAnswers('round-robin', set, maxAnswers, entry.rotation, random01, out);
  const capAll = under === 0;
  let count = 0;
  for (let i = 0; i < ids.length && count < limit; i++) {
    const s = data.get(ids[i]!);
    if (s === undefined || s.samples < plan.minSamples) continue;
    if (!capAll && s.ewmaMs > plan.maxLatencyMs) continue;
    // Insertion sort, ascending RTT; ties keep configured order.
    let k = count++;
    while (k > 0 && keys[k - 1]! > s.ewmaMs) {
      keys[k] = keys[k - 1]!;
      out[k] = out[k - 1]!;
      k--;
    }
    keys[k] = s.ewmaMs;
    out[k] = i;
  }
  state.isWindow = false;
  return count < maxAnswers ? count : maxAnswers;
}

function copyList(list: Int32Array, maxAnswers: number, out: Int32Array, state: RouteState): number {
  const count = list.length < maxAnswers ? list.length : maxAnswers;
  for (let i = 0; i < count; i++) out[i] = list[i]!;
  state.isWindow = false;
  return count;
}
