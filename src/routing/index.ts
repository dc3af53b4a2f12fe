/**
 * routing/: choose the ordered answer set for one name from one Snapshot entry.
 * Invariants: pure and synchronous; never returns a record the Snapshot left out (unhealthy or
 * weight 0); the same inputs, draw and counter always give the same order.
 */
export { pickAnswers, weightedIndex, SERVABLE_POLICIES } from './pick-answers.ts';
