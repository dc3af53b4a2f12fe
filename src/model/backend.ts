/**
 * Backends and overrides as the control plane holds them. A backend is identified by service +
 * address + port (the original keyed health by address:port and mixed services up).
 */
import type { HealthCheckConfig } from '../config/types.ts';

export type BackendSource = 'static' | 'agent' | 'api';

export interface ValidationState {
  /** null until the Overwatch's own check has a verdict. */
  healthy: boolean | null;
  lastCheckMs?: number;
  error?: string;
  latencyMs?: number;
}

export interface Backend {
  /** `service:address:port`, the original's server id format. */
  id: string;
  /** The served name (lowercase FQDN without trailing dot). */
  service: string;
  address: string;
  port: number;
  weight: number;
  region: string;
  source: BackendSource;
  agentId?: string;
  healthCheck: HealthCheckConfig;
  /** Priority order among the backends of one service (config order first). */
  order: number;
  agentHealthy?: boolean;
  agentLastSeenMs?: number;
  /** heartbeat.interval x missed_threshold as the agent reported them: it is stale sooner if that is shorter. */
  agentStaleAfterMs?: number;
  draining: boolean;
  validation: ValidationState;
  registeredAtMs: number;
}

export interface Override {
  service: string;
  address: string;
  /** null = every port of that address in that service. */
  port: number | null;
  healthy: boolean;
  reason: string;
  /** 'api' (manual) or the external tool's name, e.g. 'cloudwatch'. */
  source: string;
  /** Who set it: client address or X-User. */
  authority: string;
  createdAtMs: number;
}

export function backendId(service: string, address: string, port: number): string {
  return `${service}:${address}:${port}`;
}

/** Parses `service:address:port`; the address may itself contain colons (IPv6). */
export function parseBackendId(id: string): { service: string; address: string; port: number } | null {
  const first = id.indexOf(':');
  const last = id.lastIndexOf(':');
  if (first <= 0 || last <= first) return null;
  const port = Number(id.slice(last + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { service: id.slice(0, first), address: id.slice(first + 1, last), port };
}

/** The override that applies to a backend: a port-specific one beats an any-port one. */
export function overrideFor(
  overrides: ReadonlyMap<string, Override>,
  service: string,
  address: string,
  port: number,
): Override | undefined {
  return overrides.get(overrideKey(service, address, port)) ?? overrides.get(overrideKey(service, address, null));
}

export function overrideKey(service: string, address: string, port: number | null): string {
  return `${service}|${address}|${port ?? '*'}`;
}
