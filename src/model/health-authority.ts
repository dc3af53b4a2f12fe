/**
 * The health authority: which source decides whether a backend is served, highest first:
 * manual override (API) > external tool (override with another source) > Overwatch validation >
 * agent claim. Validation always beats an agent claim, so a lying agent never gets a failing
 * backend served; a draining backend is out unless an override says otherwise; a stale agent's
 * backend is out unless validation passes. Pure: time comes in as nowMs.
 */
import type { Backend, Override } from './backend.ts';

export type Authority = 'override' | 'external' | 'validation' | 'agent' | 'none';
export type EffectiveStatus = 'healthy' | 'unhealthy' | 'stale' | 'draining' | 'unknown';

export interface HealthDecision {
  serve: boolean;
  status: EffectiveStatus;
  authority: Authority;
  /** No heartbeat for longer than the stale threshold (agent backends only). */
  isStale: boolean;
}

export interface AuthorityContext {
  nowMs: number;
  staleThresholdMs: number;
}

/** Override sources that count as the operator's own hand (priority 1); anything else is an external tool. */
export function isManualSource(source: string): boolean {
  return source === '' || source === 'api' || source === 'manual' || source === 'cli' || source === 'ui';
}

/** stale.threshold, or the agent's heartbeat.interval x missed_threshold when that is shorter. */
export function staleAfterMs(b: Backend, staleThresholdMs: number): number {
  return b.agentStaleAfterMs !== undefined && b.agentStaleAfterMs < staleThresholdMs ? b.agentStaleAfterMs : staleThresholdMs;
}

export function isStale(b: Backend, ctx: AuthorityContext): boolean {
  return b.source === 'agent' && b.agentLastSeenMs !== undefined && ctx.nowMs - b.agentLastSeenMs > staleAfterMs(b, ctx.staleThresholdMs);
}

export function decideHealth(b: Backend, override: Override | undefined, ctx: AuthorityContext): HealthDecision {
  const stale = isStale(b, ctx);
  if (override) {
    return {
      serve: override.healthy,
      status: override.healthy ? 'healthy' : 'unhealthy',
      authority: isManualSource(override.source) ? 'override' : 'external',
      isStale: stale,
    };
  }
  if (b.draining) return { serve: false, status: 'draining', authority: 'agent', isStale: stale };
  if (b.validation.healthy !== null) {
    // A passing check keeps or brings back a stale backend (guide: "Stale Backend Recovery").
    const healthy = b.validation.healthy;
    return { serve: healthy, status: healthy ? 'healthy' : 'unhealthy', authority: 'validation', isStale: stale };
  }
  if (b.source === 'agent') {
    if (stale) return { serve: false, status: 'stale', authority: 'agent', isStale: true };
    const claim = b.agentHealthy === true;
    return { serve: claim, status: claim ? 'healthy' : 'unhealthy', authority: 'agent', isStale: false };
  }
  // Static and API servers before their first check: served, as the original did, so a restart
  // does not black out a zone; the first check result replaces this within one check timeout.
  return { serve: true, status: 'unknown', authority: 'none', isStale: false };
}
