/**
 * pickAnswers (src/routing/pick-answers.ts) per policy on answer sets of 10, 100 and 1,000 records,
 * taking 3 (the load bench's max_answers) and 8 (the default): the cost must not grow with the set.
 *   node bench/routing/pick-answers.bench.ts [timeMs=300]
 */
import { Bench } from 'tinybench';
import { pickAnswers } from '../../src/routing/index.ts';
import type { AnswerSet } from '../../src/model/index.ts';
import type { RoutingAlgorithm } from '../../src/config/types.ts';
import { backendWeight } from '../overwatch/bench-fleet.ts';

function answerSet(n: number): AnswerSet {
  const set: AnswerSet = { records: [], weights: [], totalWeight: 0, cumulativeWeights: [], regions: [], backendIds: [], isLastHealthy: false };
  for (let i = 0; i < n; i++) {
    set.records.push(Buffer.alloc(16));
    set.weights.push(backendWeight(i));
    set.totalWeight += backendWeight(i);
    set.cumulativeWeights.push(set.totalWeight);
    set.regions.push('bench');
    set.backendIds.push(`b${i}`);
  }
  return set;
}

const out = new Int32Array(256);
const rotation = { next: 0 };
const bench = new Bench({ time: Number(process.argv[2] ?? 300) });
const policies: RoutingAlgorithm[] = ['round-robin', 'weighted', 'failover'];
for (const size of [10, 100, 1000]) {
  const set = answerSet(size);
  for (const policy of policies) {
    for (const max of [3, 8]) {
      if (policy === 'failover' && max === 8) continue; // failover always answers one record
      bench.add(`${policy} ${size} records, max ${max}`, () => void pickAnswers(policy, set, max, rotation, Math.random(), out));
    }
  }
}
await bench.run();
console.table(bench.table());
