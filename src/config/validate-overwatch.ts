/**
 * Overwatch-side sections: `validation` (the Overwatch's own checks of agent backends; on by default, as
 * the guide says), `stale` (30s / 5m), `agent_tokens` (service → token, at least 16 characters, never
 * echoed) and `geolocation` (its region references must exist; ECS honoured by default). Pure.
 */
import type { ProblemList } from './config-error.ts';
import { formatDuration } from './duration.ts';
import { normaliseCidr } from './network-address.ts';
import { asMap, asString, field, readBool, readDuration, readList, readOptionalString, report, reportMissing } from './source-reader.ts';
import type { CustomGeoMapping, GeolocationConfig, StaleConfig, ValidationConfig } from './types.ts';
import type { SourceMap, SourceNode } from './yaml-source.ts';

export const MIN_TOKEN_LENGTH = 16;

export function readValidation(map: SourceMap, problems: ProblemList): ValidationConfig {
  const checkIntervalMs = readDuration(map, 'check_interval', problems, 30_000, { minMs: 1000 });
  const checkTimeoutMs = readDuration(map, 'check_timeout', problems, 5000, { minMs: 100 });
  if (checkTimeoutMs >= checkIntervalMs) {
    const at = field(map, 'check_timeout') ?? field(map, 'check_interval') ?? map;
    report(
      problems,
      { file: at.file, line: at.line, path: `${map.path}.check_timeout` },
      `expected a timeout shorter than check_interval (${formatDuration(checkIntervalMs)}), got ${formatDuration(checkTimeoutMs)}`,
    );
  }
  return { enabled: readBool(map, 'enabled', problems, true), checkIntervalMs, checkTimeoutMs };
}

export function readStale(map: SourceMap, problems: ProblemList): StaleConfig {
  const thresholdMs = readDuration(map, 'threshold', problems, 30_000, { minMs: 1000 });
  const removeAfterMs = readDuration(map, 'remove_after', problems, 300_000, { minMs: 1000 });
  if (removeAfterMs < thresholdMs) {
    const at = field(map, 'remove_after') ?? map;
    report(
      problems,
      { file: at.file, line: at.line, path: `${map.path}.remove_after` },
      `expected remove_after to be at least the stale threshold (${formatDuration(thresholdMs)}), got ${formatDuration(removeAfterMs)}`,
    );
  }
  return { thresholdMs, removeAfterMs };
}

/** A token check shared with the agent's service_token. */
export function checkToken(node: SourceNode, token: string, problems: ProblemList): boolean {
  if (token.length >= MIN_TOKEN_LENGTH) return true;
  report(problems, node, `expected a token of at least ${MIN_TOKEN_LENGTH} characters, got (redacted, ${token.length} characters)`);
  return false;
}

export function readAgentTokens(node: SourceNode | undefined, problems: ProblemList): Record<string, string> {
  const map = node && asMap(node, problems, 'a map of service name to token', { secret: true });
  const tokens = new Map<string, string>();
  for (const entry of map?.entries.values() ?? []) {
    if (entry.value.kind === 'scalar' && entry.value.value === null) {
      report(problems, entry.value, 'expected a token, got nothing');
      continue;
    }
    const token = asString(entry.value, problems, { secret: true });
    if (token !== undefined && checkToken(entry.value, token, problems)) tokens.set(entry.key, token);
  }
  // fromEntries defines own properties, so a service called "__proto__" cannot reach the prototype.
  return Object.fromEntries(tokens);
}

export function readGeolocation(map: SourceMap, regionNames: ReadonlySet<string>, problems: ProblemList): GeolocationConfig {
  const checkRegion = (node: SourceNode, name: string): boolean => {
    if (regionNames.has(name)) return true;
    report(problems, node, `region ${JSON.stringify(name)} does not exist in regions`);
    return false;
  };

  const defaultRegionNode = field(map, 'default_region');
  let defaultRegion = readOptionalString(map, 'default_region', problems);
  if (defaultRegion !== undefined && !checkRegion(defaultRegionNode!, defaultRegion)) defaultRegion = undefined;

  const customMappings: CustomGeoMapping[] = [];
  for (const item of readList(map, 'custom_mappings', problems, 'a list of {cidr, region} mappings')) {
    const mapping = asMap(item, problems, 'a mapping (a map with cidr and region)');
    if (mapping === undefined) continue;
    const cidrNode = field(mapping, 'cidr');
    const regionNode = field(mapping, 'region');
    let cidr: string | undefined;
    if (cidrNode === undefined) reportMissing(problems, mapping, 'cidr', 'required: a CIDR such as 10.0.0.0/8');
    else {
      const text = asString(cidrNode, problems);
      cidr = text === undefined ? undefined : normaliseCidr(text);
      if (text !== undefined && cidr === undefined) report(problems, cidrNode, `expected a CIDR such as 10.0.0.0/8, got ${JSON.stringify(text)}`);
    }
    let region: string | undefined;
    if (regionNode === undefined) reportMissing(problems, mapping, 'region', 'required: the region this network is sent to');
    else {
      region = asString(regionNode, problems);
      if (region !== undefined && !checkRegion(regionNode, region)) region = undefined;
    }
    const comment = readOptionalString(mapping, 'comment', problems);
    if (cidr !== undefined && region !== undefined) customMappings.push(comment === undefined ? { cidr, region } : { cidr, region, comment });
  }

  const databasePath = readOptionalString(map, 'database_path', problems);
  return {
    ...(databasePath === undefined ? {} : { databasePath }),
    ...(defaultRegion === undefined ? {} : { defaultRegion }),
    ecsEnabled: readBool(map, 'ecs_enabled', problems, true),
    customMappings,
  };
}
