/**
 * `regions:`: the statically configured servers (the legacy standalone layout, served by an Overwatch).
 * Each region has a unique name, at least one server, its own health_check (thresholds are kept per
 * region; the original applied region 0's to every server), and optional geolocation hints (ISO
 * country codes, upper-cased; continent codes). Each server's `service` must name a configured domain.
 * Pure.
 */
import type { ProblemList } from './config-error.ts';
import { normaliseDnsName } from './dns-name.ts';
import { isIpLiteral } from './network-address.ts';
import { asMap, asString, field, readInt, readList, readMap, readOptionalString, report, reportMissing } from './source-reader.ts';
import type { RegionConfig, ServerConfig } from './types.ts';
import { readHealthCheck } from './validate-health-check.ts';
import type { SourceLocation, SourceMap, SourceNode } from './yaml-source.ts';

const CONTINENTS = ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'];

export interface RegionSource {
  config: RegionConfig;
  /** Where the name was written (for references to it). */
  at: SourceLocation;
}

export function readRegions(items: readonly SourceNode[], domainNames: ReadonlySet<string>, problems: ProblemList): RegionSource[] {
  const out: RegionSource[] = [];
  const seen = new Map<string, SourceLocation>();
  for (const item of items) {
    const map = asMap(item, problems, 'a region (a map with name and servers)');
    if (map === undefined) continue;

    const nameNode = field(map, 'name');
    let name: string | undefined;
    if (nameNode === undefined) reportMissing(problems, map, 'name', "required: the region's name");
    else name = asString(nameNode, problems);
    if (name !== undefined) {
      const first = seen.get(name);
      if (first) report(problems, nameNode!, `duplicate region name ${JSON.stringify(name)} (first defined at ${first.file}:${first.line ?? '?'})`);
      else seen.set(name, nameNode!);
    }

    const servers: ServerConfig[] = [];
    if (field(map, 'servers') === undefined) reportMissing(problems, map, 'servers', 'required: at least one server');
    else {
      const serverNodes = readList(map, 'servers', problems, 'a list of servers');
      if (serverNodes.length === 0 && field(map, 'servers')?.kind === 'seq') report(problems, field(map, 'servers')!, 'expected at least one server, got an empty list');
      for (const serverNode of serverNodes) {
        const server = readServer(serverNode, domainNames, problems);
        if (server !== undefined) servers.push(server);
      }
    }

    out.push({
      config: {
        name: name ?? '',
        servers,
        healthCheck: readHealthCheck(readMap(map, 'health_check', problems), problems),
        countries: readCodes(map, 'countries', problems, (code) =>
          /^[A-Z]{2}$/.test(code) ? undefined : 'expected a 2-letter ISO 3166-1 country code such as US',
        ),
        continents: readCodes(map, 'continents', problems, (code) =>
          CONTINENTS.includes(code) ? undefined : `expected a continent code, one of ${CONTINENTS.join(', ')}`,
        ),
      },
      at: nameNode ?? map,
    });
  }
  return out;
}

function readServer(node: SourceNode, domainNames: ReadonlySet<string>, problems: ProblemList): ServerConfig | undefined {
  const map = asMap(node, problems, 'a server (a map with address, port and service)');
  if (map === undefined) return undefined;

  let address = '';
  const addressNode = field(map, 'address');
  if (addressNode === undefined) reportMissing(problems, map, 'address', 'required: the IPv4 or IPv6 address answered for this server');
  else {
    const text = asString(addressNode, problems);
    if (text !== undefined && !isIpLiteral(text)) report(problems, addressNode, `expected an IPv4 or IPv6 address, got ${JSON.stringify(text)}`);
    else if (text !== undefined) address = text;
  }

  let service = '';
  const serviceNode = field(map, 'service');
  if (serviceNode === undefined) {
    reportMissing(
      problems,
      map,
      'service',
      'required (v1.1.0): each server must name the domain (service) it belongs to, for example service: webapp.example.com',
    );
  } else {
    const text = asString(serviceNode, problems);
    const result = text === undefined ? undefined : normaliseDnsName(text);
    if (result !== undefined && 'error' in result) report(problems, serviceNode, result.error);
    else if (result !== undefined) {
      service = result.name;
      if (!domainNames.has(service)) {
        report(problems, serviceNode, `domain ${JSON.stringify(text)} not found. Ensure this domain is defined in the domains section`);
      }
    }
  }

  const host = readOptionalString(map, 'host', problems);
  return {
    address,
    port: readInt(map, 'port', problems, 80, { min: 1, max: 65535 }),
    weight: readInt(map, 'weight', problems, 100, { min: 0, max: 1_000_000 }),
    service,
    ...(host === undefined ? {} : { host }),
  };
}

function readCodes(map: SourceMap, key: string, problems: ProblemList, check: (code: string) => string | undefined): string[] {
  const out: string[] = [];
  for (const node of readList(map, key, problems, 'a list of codes')) {
    const text = asString(node, problems);
    if (text === undefined) continue;
    const code = text.toUpperCase();
    const expectation = check(code);
    if (expectation !== undefined) report(problems, node, `${expectation}, got ${JSON.stringify(text)}`);
    else if (!out.includes(code)) out.push(code);
  }
  return out;
}
