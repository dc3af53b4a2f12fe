/**
 * Chooses which records of an AnswerSet go into one answer, and in what order.
 * Pure and synchronous: the caller passes the random draw; the rotation counter is the only state.
 */
import type { AnswerSet } from '../model/index.ts';
import type { RoutingAlgorithm } from '../config/types.ts';

/** Policies the data plane can serve (geolocation and the latency ones through route-answers.ts). */
export const SERVABLE_POLICIES: readonly RoutingAlgorithm[] = ['round-robin', 'weighted', 'failover', 'geolocation', 'latency', 'learned_latency'];

/**
 * Writes record indices into `out` and returns how many. `random01` is a uniform draw in [0, 1).
 * - round-robin: every record, rotated one step per query, capped at maxAnswers.
 * - weighted: the first record drawn with probability weight/total; the rest follow in rotation
 *   order so a multi-record answer still lists every candidate once.
 * - failover: the first record only (records are in configured priority order, healthy ones only).
 */
export function pickAnswers(
  policy: RoutingAlgorithm,
  set: AnswerSet,
  maxAnswers: number,
  rotation: { next: number },
  random01: number,
  out: Int32Array,
): number {
  const n = set.records.length;
  if (n === 0) return 0;
  if (policy === 'failover') {
    out[0] = 0;
    return 1;
  }
  const count = n < maxAnswers ? n : maxAnswers;
  let start: number;
  if (policy === 'weighted') {
    start = weightedIndex(set.cumulativeWeights, set.totalWeight, random01);
  } else {
    start = rotation.next % n;
    rotation.next = (rotation.next + 1) % 0x7fffffff;
  }
  for (let i = 0; i < count; i++) {
    const j = start + i;
    out[i] = j < n ? j : j - n;
  }
  return count;
}

/**
 * Index i with probability weights[i] / total, by binary search over the running sums
 * (cumulative[i] = weights[0] + ... + weights[i]): O(log n), so 1,000 backends cost what 10 do.
 */
export function weightedIndex(cumulative: number[], total: number, random01: number): number {
  const target = random01 * total;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
