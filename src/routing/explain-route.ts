/**
 * The answer one client would get for one name, and why, from a published Snapshot: the API's
 * POST /api/v1/routing/test. Runs the same routeAnswers() the data plane runs, on a copy of the
 * rotation counter so that asking does not move live answers. Not the hot path: allocates freely.
 */
import type { AnswerSet, LearnedLatency, NameEntry, SnapshotRouting } from '../model/index.ts';
import { newRouteState, routeAnswers } from './route-answers.ts';

export interface RouteStep {
  step: string;
  detail: string;
}

export interface RouteAnswer {
  backendId: string;
  region: string;
}

export interface RouteExplanation {
  policy: string;
  answers: RouteAnswer[];
  /** The ECS scope a reply tailored to this client would carry. */
  scopePrefix: number;
  steps: RouteStep[];
}

const NO_ECS = { hasEcs: false, ecsFamily: 0, ecsSourcePrefix: 0, ecsAddress: new Uint8Array(16) };

export function explainRoute(
  entry: NameEntry,
  set: AnswerSet,
  routing: SnapshotRouting | undefined,
  clientIp: string,
  measured?: (backendId: string) => LearnedLatency | undefined,
): RouteExplanation {
  const steps: RouteStep[] = [];
  steps.push({ step: 'policy', detail: `${entry.name} uses ${entry.policy}; at most ${entry.maxAnswers} answers` });
  const candidates = set.records.map((_, i) => `${set.backendIds[i]} (${set.regions[i]})`);
  steps.push({
    step: 'candidates',
    detail: candidates.length > 0 ? `healthy: ${candidates.join(', ')}${set.isLastHealthy ? ' (last healthy set: none is healthy now)' : ''}` : 'no healthy backend: SERVFAIL',
  });
  const out = new Int32Array(256);
  const state = newRouteState();
  const copy: NameEntry = { ...entry, rotation: { next: entry.rotation.next } };
  const n = routeAnswers(copy, set, entry.maxAnswers, routing, NO_ECS, clientIp, 0.5, out, state);
  const picked = [...out.subarray(0, n)];

  if (entry.policy === 'geolocation') {
    if (!routing?.geo) steps.push({ step: 'geolocation', detail: 'no locator: every healthy backend, rotated' });
    else if (!state.usedClient) steps.push({ step: 'client', detail: `${JSON.stringify(clientIp)} is no IP address: every healthy backend, rotated` });
    else {
      const regions = [...new Set(picked.map((i) => set.regions[i]))];
      steps.push({ step: 'region', detail: `answered from region ${regions.join(', ')} (decision depends on the first ${state.scopePrefix} bits of the address)` });
    }
  } else if (entry.policy === 'latency') {
    const order = set.routing?.latencyOrder;
    if (!order || order.length === 0) steps.push({ step: 'latency', detail: 'no backend has enough validation samples yet: round-robin' });
    else {
      const ms = (i: number) => measured?.(set.backendIds[i]!);
      const list = [...order].map((i) => `${set.backendIds[i]} ${ms(i)?.ewmaMs.toFixed(1) ?? '?'} ms (${ms(i)?.samples ?? 0} samples)`);
      steps.push({ step: 'latency', detail: `lowest smoothed validation RTT first (max ${set.routing!.maxLatencyMs} ms, min ${set.routing!.minSamples} samples): ${list.join(', ')}` });
    }
  } else if (entry.policy === 'learned_latency') {
    if (!state.usedClient) steps.push({ step: 'learned_latency', detail: 'no client address or no table: round-robin' });
    else {
      const data = routing?.learned?.lookup(state.client, { prefixLength: 0 }) ?? null;
      if (data === null) steps.push({ step: 'learned_latency', detail: 'no agent report covers this client: round-robin' });
      else {
        const rows = set.backendIds.map((id) => {
          const s = data.get(id);
          return s ? `${id} ${s.ewmaMs.toFixed(1)} ms (${s.samples} samples)` : `${id} no data`;
        });
        steps.push({ step: 'learned_latency', detail: `agent-reported RTT for this client's prefix: ${rows.join(', ')}` });
      }
    }
  } else {
    steps.push({ step: entry.policy, detail: 'the answer does not depend on the client' });
  }
  const answers = picked.map((i) => ({ backendId: set.backendIds[i]!, region: set.regions[i]! }));
  steps.push({ step: 'answer', detail: answers.length > 0 ? answers.map((a) => a.backendId).join(', ') : 'none' });
  return { policy: entry.policy, answers, scopePrefix: state.scopePrefix, steps };
}
