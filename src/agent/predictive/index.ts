/**
 * agent/predictive/: predictive health of the machine an agent runs on. Signals (CPU %, memory %, error
 * rate) sampled every `predictive.check_interval` drive a per-agent state — normal → bleeding (the
 * Overwatch multiplies the backends' weight by `weight_factor`) → draining (removed from answers) →
 * recovered/normal — with `bleed_duration` honoured and hysteresis on the way back, so a backend does not
 * flap. Fixes the original's §4c: real error rate (failed checks + optional app endpoint), bleed_duration
 * used, hysteresis, cgroup limits respected, no fake 0% on the first CPU sample.
 *
 * Layers:
 * - predictive-state.ts: the pure state machine (rules and hysteresis in its header).
 * - check-failure-window.ts, error-rate-body.ts, host-stats.ts, cgroup-stats.ts, predictive-report.ts:
 *   pure counting, parsing and formatting; never throw on untrusted text.
 * - system-sampler.ts (fs), error-rate-endpoint.ts (HTTP): I/O, with injectable roots / URL.
 * - predictive-monitor.ts: the Clock-driven, Closeable runtime shell; `current()` is the heartbeat's
 *   `predictive` object.
 *
 * Must not: read process.env or apply config defaults (config/ does), log (callers get onError), or
 * decide serving (the Overwatch acts on the report).
 */
export {
  applyPredictiveSample,
  initialPredictiveState,
  recoveryLevel,
  reasonSignal,
  checkPredictiveTuning,
  defaultPredictiveTuning,
  predictiveSignals,
  bleedReasonOf,
  BleedReason,
  type PredictiveSample,
  type PredictiveSignal,
  type PredictiveState,
  type PredictiveStatus,
  type PredictiveStep,
  type PredictiveThresholds,
  type PredictiveTuning,
  type SignalPhase,
  type SignalState,
} from './predictive-state.ts';
export { predictiveHealthReport, type PredictiveHealthReport } from './predictive-report.ts';
export { CheckFailureWindow } from './check-failure-window.ts';
export { parseErrorRateBody, type ErrorRateParse } from './error-rate-body.ts';
export {
  ErrorRateEndpoint,
  parseErrorRateEndpointUrl,
  errorRateUserAgent,
  type ErrorRateSource,
  type ErrorRateEndpointOptions,
} from './error-rate-endpoint.ts';
export { parseProcStat, cpuBusyPercent, parseMeminfo, memUsedPercent, type CpuTicks, type HostMemory } from './host-stats.ts';
export {
  parseProcSelfCgroup,
  parseCpuMax,
  parseCfsQuota,
  parseMemoryLimit,
  parseFlatKeyed,
  parseInteger,
  cgroupLevels,
  type CgroupMembership,
} from './cgroup-stats.ts';
export {
  SystemSampler,
  type SystemSample,
  type SystemSamplerOptions,
  type SystemStatsSource,
  type StatsSource,
} from './system-sampler.ts';
export {
  PredictiveMonitor,
  type PredictiveMonitorOptions,
  type PredictiveReading,
} from './predictive-monitor.ts';
export { PredictiveError, PredictiveErrorCode } from './predictive-error.ts';
