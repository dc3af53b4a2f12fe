/**
 * health/: active health checks (http, https, tcp) and the scheduler that runs them with thresholds.
 * Used by the Overwatch (static servers, validation of agent backends) and by the agent (its backends).
 *
 * Layers:
 * - threshold-state.ts: pure state machine, no I/O, no timers (consecutive results -> status).
 * - http-probe.ts, tcp-probe.ts (behind probe.ts): one check each; never throw; every failure is a
 *   ProbeResult with a short, secret-free `error`; one hard deadline of `timeoutMs` per check.
 * - health-scheduler.ts: the runtime shell (Clock + injectable probe): jittered first checks,
 *   bounded concurrency, one check in flight per target, checkNow(), callbacks, close().
 *
 * What `unknown` means: no verdict yet (see threshold-state.ts). This module never decides whether an
 * unknown target is served; its owner does, and can choose a target's starting status with
 * `initialStatus` (the original served static servers from the first query and started agent
 * backends `unhealthy`).
 *
 * Must not: follow redirects, pool or reuse connections, skip TLS verification, read process.env or
 * apply config defaults (they live in config/).
 */
export {
  applyCheckResult,
  initialThresholdState,
  type HealthStatus,
  type ThresholdState,
  type Thresholds,
  type ThresholdStep,
} from './threshold-state.ts';
export { probe, createProbe, type HealthTarget, type ProbeResult, type ProbeFn, type ProbeOptions } from './probe.ts';
export { probeHttp, healthCheckUrl, healthCheckUserAgent } from './http-probe.ts';
export { probeTcp } from './tcp-probe.ts';
export {
  HealthScheduler,
  healthTargetId,
  type HealthSchedulerOptions,
  type HealthTargetState,
  type HealthTransition,
  type AddTargetOptions,
} from './health-scheduler.ts';
export { HealthError, HealthErrorCode } from './health-error.ts';
