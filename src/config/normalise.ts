/**
 * Turns one merged, substituted tree into the normalised Config: picks the mode, resolves the layout,
 * reads every section with its defaults, and cross-checks references (server services → domains, domain
 * regions → regions, geolocation regions → regions). Problems are collected, never thrown here; the
 * caller throws them all at once. Pure: the host name and mode override come in as arguments.
 */
import type { ProblemList } from './config-error.ts';
import { resolveLayout, sectionMap } from './layout.ts';
import { asList, asString, field, report } from './source-reader.ts';
import type { Config, LoggingConfig, Mode } from './types.ts';
import { readBackends, checkLatencyLearning, readHeartbeat, readIdentity, readPredictive } from './validate-agent.ts';
import { readDnssec } from './validate-dnssec.ts';
import { readDns, withImpliedZones } from './validate-dns.ts';
import { readDomains } from './validate-domains.ts';
import { readGossip } from './validate-gossip.ts';
import { readApi, readMetrics } from './validate-listeners.ts';
import { readAgentTokens, readGeolocation, readStale, readValidation } from './validate-overwatch.ts';
import { readRegions } from './validate-regions.ts';
import type { SourceMap } from './yaml-source.ts';

export interface BuildOptions {
  /** Config.sourcePath: the main file's absolute path, '' for an embedded config. */
  sourcePath: string;
  /** `--mode` from the command line; wins over `mode:` in the file. */
  modeOverride?: string;
  /** Default identity.node_id. */
  hostname: string;
}

const MODES: readonly string[] = ['overwatch', 'agent'];

/** The normalised Config, or undefined when the mode itself is invalid (nothing else can be judged). */
export function buildConfig(root: SourceMap, options: BuildOptions, problems: ProblemList): Config | undefined {
  const mode = readMode(root, options.modeOverride, problems);
  if (mode === undefined) return undefined;
  const sections = resolveLayout(root, mode, problems);

  const dataDir = (sections.data_dir.node && asString(sections.data_dir.node, problems)) ?? '/var/lib/opengslb';
  const dns = readDns(sectionMap(sections.dns, problems), problems);

  const domainItems = (sections.domains.node && asList(sections.domains.node, problems, 'a list of domains')) ?? [];
  const domains = readDomains(domainItems, dns.defaultTtlSeconds, problems);
  const domainNames = new Set(domains.map((d) => d.config.name).filter((n) => n !== ''));

  const regionItems = (sections.regions.node && asList(sections.regions.node, problems, 'a list of regions')) ?? [];
  const regions = readRegions(regionItems, domainNames, problems);
  const regionNames = new Set(regions.map((r) => r.config.name).filter((n) => n !== ''));
  for (const domain of domains) {
    for (const ref of domain.regionRefs) {
      if (!regionNames.has(ref.name)) report(problems, ref.node, `region ${JSON.stringify(ref.name)} not found: define it in the regions section`);
    }
  }
  dns.zones = withImpliedZones(dns.zones, [...domainNames]);

  const latencyLearning = checkLatencyLearning(sectionMap(sections.latency_learning, problems), problems);

  return {
    sourcePath: options.sourcePath,
    mode,
    identity: readIdentity(sectionMap(sections.identity, problems), mode, dataDir, options.hostname, problems),
    dns,
    regions: regions.map((r) => r.config),
    domains: domains.map((d) => d.config),
    gossip: readGossip(sectionMap(sections.gossip, problems), sections.gossip.isPresent, mode, problems),
    agentTokens: readAgentTokens(sections.agent_tokens.node, problems),
    validation: readValidation(sectionMap(sections.validation, problems), problems),
    stale: readStale(sectionMap(sections.stale, problems), problems),
    dnssec: readDnssec(sectionMap(sections.dnssec, problems), problems),
    api: readApi(sectionMap(sections.api, problems), sections.api.isPresent, problems),
    metrics: readMetrics(sectionMap(sections.metrics, problems), sections.metrics.isPresent, problems),
    dataDir,
    logging: readLogging(sectionMap(sections.logging, problems), problems),
    backends: readBackends(sections.backends.node, sections.backends.at, mode, problems),
    heartbeat: readHeartbeat(sectionMap(sections.heartbeat, problems), problems),
    predictive: readPredictive(sectionMap(sections.predictive, problems), problems),
    latencyLearning,
    geolocation: readGeolocation(sectionMap(sections.geolocation, problems), regionNames, problems),
  };
}

function readMode(root: SourceMap, modeOverride: string | undefined, problems: ProblemList): Mode | undefined {
  const invalid = (text: string): string => `invalid mode ${JSON.stringify(text)}: must be 'agent' or 'overwatch'`;
  if (modeOverride !== undefined && modeOverride !== '') {
    if (MODES.includes(modeOverride)) return modeOverride as Mode;
    problems.add({ file: root.file, keyPath: '--mode', message: invalid(modeOverride) });
    return undefined;
  }
  const node = field(root, 'mode');
  // Absent or empty means overwatch, as in the original.
  if (node === undefined || (node.kind === 'scalar' && node.value === '')) return 'overwatch';
  const text = asString(node, problems);
  if (text === undefined) return undefined;
  if (MODES.includes(text)) return text as Mode;
  report(problems, node, invalid(text));
  return undefined;
}

const LEVELS: Readonly<Record<string, LoggingConfig['level']>> = { debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error' };

function readLogging(map: SourceMap, problems: ProblemList): LoggingConfig {
  let level: LoggingConfig['level'] = 'info';
  const levelNode = field(map, 'level');
  const levelText = levelNode && asString(levelNode, problems);
  if (levelText !== undefined) {
    const key = levelText.toLowerCase();
    if (Object.hasOwn(LEVELS, key)) level = LEVELS[key]!;
    else report(problems, levelNode!, `expected debug, info, warn or error, got ${JSON.stringify(levelText)}`);
  }
  let format: LoggingConfig['format'] = 'json';
  const formatNode = field(map, 'format');
  const formatText = formatNode && asString(formatNode, problems);
  if (formatText !== undefined) {
    const key = formatText.toLowerCase();
    if (key === 'json' || key === 'text') format = key;
    else report(problems, formatNode!, `expected json or text, got ${JSON.stringify(formatText)}`);
  }
  return { level, format };
}
