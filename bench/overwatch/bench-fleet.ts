/**
 * A synthetic fleet for the in-process benches: served names under gslb.example.com, each with a
 * routing policy and N backends on distinct 127.x addresses, loaded into a real Registry (as the
 * Overwatch does for static servers) and turned into a Snapshot with the real snapshot builder.
 * Nothing here opens a socket: health is set with registry.setValidation, as a check result would.
 */
import type { DomainConfig, HealthCheckConfig, RoutingAlgorithm } from '../../src/config/types.ts';
import { Registry, rebuildSnapshot, type BackendInput } from '../../src/overwatch/index.ts';
import type { Snapshot } from '../../src/model/index.ts';

export const ZONE = 'gslb.example.com';

export interface FleetName {
  /** Served name (FQDN under ZONE). */
  name: string;
  policy: RoutingAlgorithm;
  backends: number;
  maxAnswers: number;
}

const CHECK: HealthCheckConfig = {
  type: 'tcp',
  path: '/health',
  intervalMs: 3_600_000,
  timeoutMs: 2000,
  failureThreshold: 3,
  successThreshold: 1,
};

/** Distinct loopback address of backend `i` (0-based) of name number `nameIndex`. */
export function backendAddress(nameIndex: number, i: number): string {
  // 250 per /24 keeps .0 and .255 out; 200 names x 62,500 backends each is far beyond what we bench.
  return `127.${10 + (nameIndex % 200)}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

export function domainConfig(n: FleetName): DomainConfig {
  return {
    name: n.name,
    routingAlgorithm: n.policy,
    regions: ['bench'],
    ttlSeconds: 30,
    maxAnswers: n.maxAnswers,
    latencyConfig: { smoothingFactor: 0.3, maxLatencyMs: 500, minSamples: 3 },
  };
}

/** Weights 3, 2, 1 repeating (as gdnsd's appw in the reference config). */
export function backendWeight(i: number): number {
  return 3 - (i % 3);
}

export function fleetInputs(names: FleetName[]): BackendInput[] {
  const out: BackendInput[] = [];
  names.forEach((n, k) => {
    for (let i = 0; i < n.backends; i++) {
      out.push({ service: n.name, address: backendAddress(k, i), port: 80, weight: backendWeight(i), region: 'bench', healthCheck: CHECK });
    }
  });
  return out;
}

/** A Registry holding `names` with every backend validated healthy (evaluated, not yet built). */
export function fleetRegistry(names: FleetName[], nowMs: number): Registry {
  const registry = new Registry({
    zones: [ZONE],
    domains: names.map(domainConfig),
    defaultTtlSeconds: 30,
    returnLastHealthy: false,
    staleThresholdMs: 60_000,
    removeAfterMs: 600_000,
  });
  registry.setStatic(fleetInputs(names), nowMs);
  for (const b of registry.backends()) registry.setValidation(b.id, true, nowMs);
  registry.evaluate(nowMs);
  return registry;
}

/** The Overwatch's rebuild step (Overwatch#rebuildNow without logs and metrics). */
export function rebuild(registry: Registry, previous: Snapshot | null, nowMs: number): Snapshot {
  registry.evaluate(nowMs);
  return rebuildSnapshot(registry, previous, nowMs);
}

/** `count` names of `perName` backends each, policy cycling round-robin / weighted / failover. */
export function spreadFleet(count: number, perName: number, maxAnswers = 8): FleetName[] {
  const policies: RoutingAlgorithm[] = ['round-robin', 'weighted', 'failover'];
  return Array.from({ length: count }, (_, i) => ({ name: `svc${i}.${ZONE}`, policy: policies[i % 3]!, backends: perName, maxAnswers }));
}
