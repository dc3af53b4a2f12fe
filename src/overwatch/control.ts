/**
 * The narrow interface the REST API (and later the dashboard and the CLI) uses to read and change
 * the Overwatch. Writes are durable before they return (the state store commits first), then
 * applied to the Registry and published to DNS on the next turn of the event loop.
 * Errors: ControlError with a code the API maps to an HTTP status once; StoreError from the store
 * (ERR_STORE_FULL -> 507, ERR_STORE_READ_ONLY/IO/LOCKED/CLOSED -> 503).
 */
import { OpenGslbError } from '../errors.ts';
import type { Authority, BackendSource, EffectiveStatus, Override } from '../model/index.ts';
import type { Config, HealthCheckConfig } from '../config/types.ts';
import type { GeoDatabaseInfo } from '../geo/index.ts';

export const ControlErrorCode = {
  NotFound: 'ERR_NOT_FOUND',
  Conflict: 'ERR_CONFLICT',
  Invalid: 'ERR_INVALID',
  ValidatorDisabled: 'ERR_VALIDATOR_DISABLED',
  ReadOnlyItem: 'ERR_READ_ONLY_ITEM',
} as const;
export type ControlErrorCode = (typeof ControlErrorCode)[keyof typeof ControlErrorCode];

export class ControlError extends OpenGslbError {
  constructor(code: ControlErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

export interface BackendStatusView {
  id: string;
  service: string;
  address: string;
  port: number;
  weight: number;
  region: string;
  source: BackendSource;
  agentId?: string;
  effectiveStatus: EffectiveStatus;
  /** Whether DNS hands this backend out now. */
  serve: boolean;
  authority: Authority;
  isStale: boolean;
  draining: boolean;
  agentHealthy?: boolean;
  agentLastSeenMs?: number;
  validation: { healthy: boolean | null; lastCheckMs?: number; error?: string; latencyMs?: number };
  /** The override in force (port-specific first), if any. */
  override?: Override;
  /** DNS names this backend answers for. */
  servedNames: string[];
  healthCheck: HealthCheckConfig;
  registeredAtMs: number;
}

export interface ServerInput {
  service: string;
  address: string;
  port: number;
  weight: number;
  region: string;
}

export interface AgentView {
  agentId: string;
  /** Services its token covers. */
  services: string[];
  region: string;
  /** Hex SHA-256 of the pinned public key. */
  fingerprint: string;
  firstSeenMs: number;
  lastSeenMs: number;
  /** Certificate expiry, when the pinned certificate parses. */
  notAfterMs?: number;
  revoked: boolean;
  revokedAtMs?: number;
  revokedReason?: string;
  backendCount: number;
  isStale: boolean;
}

export interface DomainView {
  name: string;
  ttlSeconds: number;
  routingPolicy: string;
  maxAnswers: number;
  /** 'config' items are read-only through the API. */
  source: 'config' | 'api';
  regions: string[];
  description?: string;
  createdAtMs?: number;
  updatedAtMs?: number;
  backendCount: number;
  healthyBackends: number;
}

export interface DomainInput {
  name: string;
  ttlSeconds?: number;
  routingPolicy?: string;
  maxAnswers?: number;
  description?: string;
}

export interface RegionView {
  name: string;
  source: 'config' | 'api';
  countries: string[];
  continents: string[];
  description?: string;
  serverCount: number;
  healthyServers: number;
}

export interface RegionInput {
  name: string;
  countries?: string[];
  continents?: string[];
  description?: string;
}

export interface GossipMemberView {
  name: string;
  address: string;
  state: string;
  role: 'agent' | 'overwatch' | 'unknown';
  region: string;
  agentId?: string;
  incarnation: number;
}

export interface ReadinessView {
  ready: boolean;
  dnsReady: boolean;
  healthReady: boolean;
  message?: string;
}

export interface OverwatchControl {
  readonly nodeId: string;
  readonly version: string;
  readonly startedAtMs: number;
  readonly config: Config;
  readonly validationEnabled: boolean;
  nowMs(): number;

  backends(): BackendStatusView[];
  backend(id: string): BackendStatusView | undefined;

  overrides(): Override[];
  getOverride(service: string, address: string, port: number | null): Override | undefined;
  /** Durable, then applied. A manual override cannot be replaced by an external tool's (Conflict). */
  setOverride(override: Override): Override;
  /** All or nothing. */
  setOverrides(overrides: Override[]): Override[];
  /** True when one existed. */
  clearOverride(service: string, address: string, port: number | null): boolean;

  /** A validation round now: every backend, or one (NotFound; ValidatorDisabled when validation is off). */
  validateNow(target?: { service: string; address: string; port: number }): Promise<void>;

  /** API-created servers: persisted, served in DNS, editable; config servers are ReadOnlyItem. */
  createServer(input: ServerInput): BackendStatusView;
  updateServer(id: string, changes: Partial<Pick<ServerInput, 'weight' | 'region'>>): BackendStatusView;
  deleteServer(id: string): void;

  readiness(): ReadinessView;

  /** Gossip members this Overwatch sees, itself included; null when gossip is not configured. */
  gossipMembers(): GossipMemberView[] | null;

  /** DNS answers so far by response code (the dashboard turns them into rates). */
  dnsQueryCounts(): { rcode: string; count: number }[];

  /** Domains from the config (read-only) and created through the API (persisted, served in DNS). */
  domains(): DomainView[];
  domain(name: string): DomainView | undefined;
  createDomain(input: DomainInput): DomainView;
  updateDomain(name: string, changes: Omit<DomainInput, 'name'>): DomainView;
  deleteDomain(name: string): void;
  regions(): RegionView[];
  region(name: string): RegionView | undefined;
  createRegion(input: RegionInput): RegionView;
  updateRegion(name: string, changes: Omit<RegionInput, 'name'>): RegionView;
  deleteRegion(name: string): void;

  /** Pinned agents (TOFU). */
  agents(): AgentView[];
  agent(agentId: string): AgentView | undefined;
  /** Refuses the agent from now on and removes its backends; it must re-pin after its pin is deleted. */
  revokeAgent(agentId: string, reason: string): AgentView;
  /** Forgets the pin (and the agent's backends): the next agent_auth with a valid token pins again. */
  deleteAgent(agentId: string): void;

  /** Geolocation mappings, learned latency and routing tests; absent until the Overwatch has started them. */
  routing?: RoutingControl;
}

export interface GeoMappingView {
  cidr: string;
  region: string;
  comment?: string;
  source: 'config' | 'api';
}

export interface GeoTestView {
  ip: string;
  region?: string;
  matchType: 'custom_mapping' | 'geoip_country' | 'geoip_continent' | 'default' | 'none';
  matchedCidr?: string;
  comment?: string;
  country?: string;
  continent?: string;
  /** Leading address bits the decision depended on (the ECS scope a reply carries). */
  scopePrefix: number;
}

/** The loaded geolocation database, as the geo service reports it. */
export type GeoDatabaseView = GeoDatabaseInfo;

export interface LearnedLatencyView {
  subnet: string;
  backend: string;
  region: string;
  ewmaMs: number;
  samples: number;
  updatedMs: number;
  agentId: string;
}

export interface RoutingTestView {
  domain: string;
  clientIp: string;
  policy: string;
  answers: { backendId: string; address: string; region: string }[];
  scopePrefix: number;
  steps: { step: string; detail: string }[];
}

/** Geolocation and latency routing, as the API reads and changes them. Errors: ControlError. */
export interface RoutingControl {
  geoMappings(): GeoMappingView[];
  /** Adds or replaces an API mapping (persisted): Invalid (bad cidr, unknown region), ReadOnlyItem (a config cidr). */
  putGeoMapping(input: { cidr: string; region: string; comment?: string }): GeoMappingView;
  /** NotFound, Invalid, ReadOnlyItem (a config mapping). */
  deleteGeoMapping(cidr: string): void;
  /** undefined when `ip` is no IP address. */
  geoTest(ip: string): GeoTestView | undefined;
  geoDatabase(): GeoDatabaseView | undefined;
  learnedLatency(): LearnedLatencyView[];
  /** Test injection (the original's POST /overwatch/latency): Invalid, NotFound (backend). */
  injectLearnedLatency(input: { subnet: string; backend: string; latencyMs: number; samples: number }): LearnedLatencyView;
  /** The answer for `clientIp` from the live Snapshot, with each step of the decision: NotFound (domain), Invalid (ip). */
  routingTest(domain: string, clientIp: string): RoutingTestView;
}
