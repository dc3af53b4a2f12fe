/**
 * routing/: choose the ordered answer set for one name from one Snapshot entry.
 * Invariants: pure and synchronous; never returns a record the Snapshot left out (unhealthy or
 * weight 0); the same inputs, draw and counter always give the same order. Client-dependent
 * policies (geolocation, learned_latency) also report the ECS scope their answer depended on.
 */
export { pickAnswers, weightedIndex, SERVABLE_POLICIES } from './pick-answers.ts';
export { routeAnswers, newRouteState, fillClient, type RouteState, type EcsQuery } from './route-answers.ts';
export { attachRouting, latencyRankingChanged, needsRouting, type RoutingInputs } from './attach-routing.ts';
export { LatencyTracker, latencyOrder } from './latency-tracker.ts';
export { LearnedLatencyTable, type LearnedLatencyOptions, type LearnedPrefix, type LearnedSample } from './learned-latency-table.ts';
export { explainRoute, type RouteExplanation, type RouteStep } from './explain-route.ts';
