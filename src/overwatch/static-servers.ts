/**
 * Legacy standalone config (`regions` / `servers` / `domains`) as backend registrations. A server
 * belongs to a domain when its `service` is the domain's name and its region is listed by the
 * domain (the original's v1.1.0 rule); order follows the domain's region list, then the region's
 * server list, which is the failover priority. Pure.
 */
import type { Config } from '../config/types.ts';
import { SERVABLE_POLICIES } from '../routing/index.ts';
import type { BackendInput } from './registry.ts';

export function staticBackends(config: Config): BackendInput[] {
  const regions = new Map(config.regions.map((r) => [r.name, r]));
  const out: BackendInput[] = [];
  for (const domain of config.domains) {
    for (const regionName of domain.regions) {
      const region = regions.get(regionName);
      if (!region) continue;
      for (const s of region.servers) {
        if (s.service !== domain.name) continue;
        out.push({
          service: domain.name,
          address: s.address,
          port: s.port,
          weight: s.weight,
          region: region.name,
          healthCheck: { ...region.healthCheck, host: s.host ?? region.healthCheck.host },
        });
      }
    }
  }
  return out;
}

/**
 * Routing algorithms the config accepts but this build cannot serve yet: refused at start-up with
 * the domain named, never silently served as something else.
 */
export function unservablePolicies(config: Config): string[] {
  return config.domains
    .map((d, i) => ({ d, i }))
    .filter(({ d }) => !SERVABLE_POLICIES.includes(d.routingAlgorithm))
    .map(
      ({ d, i }) =>
        `domains[${i}].routing_algorithm: "${d.routingAlgorithm}" (domain ${d.name}) is not available in this version; expected one of ${SERVABLE_POLICIES.join(', ')}`,
    );
}
