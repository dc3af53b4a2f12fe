/**
 * `domains:`: the names we answer for and how. Names are normalised (lowercase, no trailing dot) and
 * must be unique; `routing_algorithm` accepts the original's aliases; `ttl` falls back to
 * `dns.default_ttl` (an explicit `ttl: 0` is kept as 0, where the original read it as "unset");
 * `max_answers` caps an answer (1-64, 8 by default); `latency_config` gets the
 * original's documented defaults. Region references are checked once regions are read. Pure.
 */
import type { ProblemList } from './config-error.ts';
import { normaliseDnsName } from './dns-name.ts';
import { asMap, asString, field, readInt, readList, readMap, readNumber, reportMissing, report } from './source-reader.ts';
import type { DomainConfig, RoutingAlgorithm } from './types.ts';
import type { SourceLocation, SourceNode } from './yaml-source.ts';

const ALGORITHMS: Readonly<Record<string, RoutingAlgorithm>> = {
  'round-robin': 'round-robin',
  roundrobin: 'round-robin',
  rr: 'round-robin',
  weighted: 'weighted',
  weight: 'weighted',
  failover: 'failover',
  'active-standby': 'failover',
  activestandby: 'failover',
  geolocation: 'geolocation',
  geo: 'geolocation',
  latency: 'latency',
  learned_latency: 'learned_latency',
  'learned-latency': 'learned_latency',
};

/** A domain as read, with where each region reference was written (for the cross-check). */
export interface DomainSource {
  config: DomainConfig;
  at: SourceLocation;
  regionRefs: { name: string; node: SourceNode }[];
}

/** Normalises a routing algorithm name or alias; undefined when unknown. */
export function normaliseRoutingAlgorithm(text: string): RoutingAlgorithm | undefined {
  const key = text.trim().toLowerCase();
  return Object.hasOwn(ALGORITHMS, key) ? ALGORITHMS[key] : undefined;
}

export function readDomains(items: readonly SourceNode[], defaultTtlSeconds: number, problems: ProblemList): DomainSource[] {
  const out: DomainSource[] = [];
  const seen = new Map<string, SourceLocation>();
  for (const item of items) {
    const map = asMap(item, problems, 'a domain (a map with name, routing_algorithm and regions)');
    if (map === undefined) continue;

    let name: string | undefined;
    const nameNode = field(map, 'name');
    if (nameNode === undefined) reportMissing(problems, map, 'name', 'required: the domain name, such as app.example.com');
    else {
      const text = asString(nameNode, problems);
      if (text !== undefined) {
        const result = normaliseDnsName(text);
        if ('error' in result) report(problems, nameNode, result.error);
        else name = result.name;
      }
    }
    if (name !== undefined) {
      const first = seen.get(name);
      if (first) report(problems, nameNode!, `duplicate domain name ${JSON.stringify(name)} (first defined at ${first.file}:${first.line ?? '?'})`);
      else seen.set(name, nameNode!);
    }

    let routingAlgorithm: RoutingAlgorithm = 'round-robin';
    let withinRegion: DomainConfig['withinRegion'];
    let algorithmNode = field(map, 'routing_algorithm');
    // Nested form: `routing_algorithm: { geolocation: weighted }` = geolocation picks the region,
    // the inner policy picks within it.
    if (algorithmNode?.kind === 'map') {
      const entries = [...algorithmNode.entries.values()];
      const outer = entries.length === 1 ? normaliseRoutingAlgorithm(entries[0]!.key) : undefined;
      const innerText = entries.length === 1 ? asString(entries[0]!.value, problems) : undefined;
      const inner = innerText === undefined ? undefined : normaliseRoutingAlgorithm(innerText);
      if (outer !== 'geolocation' || (inner !== 'round-robin' && inner !== 'weighted' && inner !== 'failover' && inner !== 'latency')) {
        report(
          problems,
          algorithmNode,
          'expected a routing algorithm name, or { geolocation: round-robin | weighted | failover | latency } (geolocation picks the region, the inner policy picks within it)',
        );
      } else {
        routingAlgorithm = 'geolocation';
        withinRegion = inner;
      }
      algorithmNode = undefined;
    }
    const algorithmText = algorithmNode && asString(algorithmNode, problems);
    if (algorithmText !== undefined) {
      const algorithm = normaliseRoutingAlgorithm(algorithmText);
      if (algorithm === undefined) {
        report(
          problems,
          algorithmNode!,
          `unknown routing algorithm ${JSON.stringify(algorithmText)}: expected one of round-robin, weighted, failover, geolocation, latency, learned_latency`,
        );
      } else routingAlgorithm = algorithm;
    }

    const regionRefs: { name: string; node: SourceNode }[] = [];
    if (field(map, 'regions') === undefined) reportMissing(problems, map, 'regions', 'required: at least one region name');
    else {
      const refs = readList(map, 'regions', problems, 'a list of region names');
      if (refs.length === 0 && field(map, 'regions')?.kind === 'seq') report(problems, field(map, 'regions')!, 'expected at least one region name, got an empty list');
      for (const node of refs) {
        const ref = asString(node, problems);
        if (ref === undefined) continue;
        if (regionRefs.some((r) => r.name === ref)) report(problems, node, `region ${JSON.stringify(ref)} is listed twice`);
        else regionRefs.push({ name: ref, node });
      }
    }

    const latency = readMap(map, 'latency_config', problems);
    const config: DomainConfig = {
      name: name ?? '',
      routingAlgorithm,
      regions: regionRefs.map((r) => r.name),
      ttlSeconds: readInt(map, 'ttl', problems, defaultTtlSeconds, { min: 0, max: 2_147_483_647 }),
      maxAnswers: readInt(map, 'max_answers', problems, 8, { min: 1, max: 64 }),
      ...(withinRegion === undefined ? {} : { withinRegion }),
      latencyConfig: {
        smoothingFactor: readNumber(latency, 'smoothing_factor', problems, 0.3, { min: 0, max: 1, isMinExclusive: true }),
        maxLatencyMs: readInt(latency, 'max_latency_ms', problems, 500, { min: 1 }),
        minSamples: readInt(latency, 'min_samples', problems, 3, { min: 1 }),
      },
    };
    out.push({ config, at: map, regionRefs });
  }
  return out;
}
