/**
 * The normalised configuration every other module receives (one typed slice each).
 * Both input layouts (the guide's top-level keys and the original's nested `overwatch:` / `agent:`
 * blocks) load into this one shape; every default is already applied, durations are milliseconds,
 * addresses are split into host and port, names are lowercase without a trailing dot.
 */

export type Mode = 'overwatch' | 'agent';

export type RoutingAlgorithm =
  | 'round-robin'
  | 'weighted'
  | 'failover'
  | 'geolocation'
  | 'latency'
  | 'learned_latency';

export type HealthCheckType = 'http' | 'https' | 'tcp';

export interface HostPort {
  /** '' or '0.0.0.0' / '::' mean all addresses; IPv6 without brackets. */
  host: string;
  port: number;
}

export interface HealthCheckConfig {
  type: HealthCheckType;
  /** HTTP(S) path; '/health' by default. Ignored for tcp. */
  path: string;
  /** Host header and TLS SNI for HTTP(S); undefined = the address. */
  host?: string;
  intervalMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
}

export interface ServerConfig {
  address: string;
  port: number;
  weight: number;
  /** The domain (service) this server answers for: lowercase FQDN without trailing dot. */
  service: string;
  /** Host header / SNI for this server's checks (overrides the region's health_check.host). */
  host?: string;
}

export interface RegionConfig {
  name: string;
  servers: ServerConfig[];
  healthCheck: HealthCheckConfig;
  /** ISO 3166-1 alpha-2, upper case. */
  countries: string[];
  /** AF AN AS EU NA OC SA. */
  continents: string[];
}

export interface LatencyConfig {
  smoothingFactor: number;
  maxLatencyMs: number;
  minSamples: number;
}

export interface DomainConfig {
  /** Lowercase FQDN without trailing dot. */
  name: string;
  routingAlgorithm: RoutingAlgorithm;
  /** Region names in configured order (failover priority follows it). */
  regions: string[];
  /** Resolved: the domain's ttl, else dns.default_ttl. */
  ttlSeconds: number;
  /** Cap on A/AAAA records in one answer. */
  maxAnswers: number;
  /**
   * Geolocation composed with another policy (`routing_algorithm: { geolocation: weighted }`):
   * geolocation picks the region, this picks within it. Absent: round-robin within the region.
   */
  withinRegion?: 'round-robin' | 'weighted' | 'failover' | 'latency';
  latencyConfig: LatencyConfig;
}

export interface DnsConfig {
  listen: HostPort;
  /** Lowercase apex names without trailing dot; includes zones implied by `domains`. */
  zones: string[];
  defaultTtlSeconds: number;
  returnLastHealthy: boolean;
  /** Largest UDP response we send, whatever the client offers (RFC 6891; 1232 avoids fragmentation). */
  maxUdpPayload: number;
  tcpIdleTimeoutMs: number;
  tcpMaxConnections: number;
  /** Concurrent TCP connections from one client address. */
  tcpMaxConnectionsPerClient: number;
  rateLimit: RateLimitConfig;
  /** UDP I/O: `native` = recvmmsg/sendmmsg addon, `js` = Node's dgram, `auto` = native when it loaded. */
  udpIo: 'auto' | 'native' | 'js';
  /** UDP answering threads sharing the port (SO_REUSEPORT); 1 = the main thread answers. */
  workers: number;
}

/** UDP response rate limiting per client prefix (anti-amplification), with slip. */
export interface RateLimitConfig {
  enabled: boolean;
  responsesPerSecond: number;
  /** Every slip-th limited response is sent truncated (TC) instead of dropped; 0 = drop all. */
  slip: number;
  ipv4PrefixLength: number;
  ipv6PrefixLength: number;
  /** CIDRs never limited (loopback by default: a local resolver). */
  exempt: string[];
}

export interface GossipConfig {
  /** Undefined in agent mode without bind_address (ephemeral port on all addresses). */
  bind?: HostPort;
  /** Keyring: the first key encrypts, every key decrypts. 32 bytes each. Never logged. */
  encryptionKeys: Buffer[];
  probeIntervalMs: number;
  probeTimeoutMs: number;
  gossipIntervalMs: number;
  /** Agent mode: host:port of every Overwatch. */
  overwatchNodes: string[];
  /**
   * Overwatch: accept unsigned agent messages (the original Go agents, which cannot authenticate)
   * for migration. Off by default: then only the gossip key protects registrations.
   */
  allowUnsignedAgents: boolean;
}

export interface ValidationConfig {
  enabled: boolean;
  checkIntervalMs: number;
  checkTimeoutMs: number;
}

export interface StaleConfig {
  thresholdMs: number;
  removeAfterMs: number;
}

export interface DnssecConfig {
  enabled: boolean;
  algorithm: 'ECDSAP256SHA256';
  /**
   * `sharedSecret`: seals private keys between Overwatches (never logged). Absent: derived from the
   * gossip key, which agents also hold; a dedicated secret is recommended.
   */
  keySync: { peers: string[]; pollIntervalMs: number; timeoutMs: number; sharedSecret?: string };
  /** RRSIG validity window; signatures are refreshed at half-life. */
  signatureValidityMs: number;
  /**
   * ZSK pre-publication rollover (RFC 7583). `zskLifetimeMs` 0: no ZSK, the KSK signs everything
   * (a CSK, never rolled). `propagationDelayMs`: how long a new key takes to reach every Overwatch
   * (key sync) and every resolver (on top of the DNSKEY TTL).
   */
  rollover: { zskLifetimeMs: number; propagationDelayMs: number };
}

export interface ApiConfig {
  enabled: boolean;
  listen: HostPort;
  /** CIDRs; bare IPs are accepted as /32 or /128. */
  allowedNetworks: string[];
  trustProxyHeaders: boolean;
}

export interface MetricsConfig {
  enabled: boolean;
  listen: HostPort;
}

export interface LoggingConfig {
  level: 'debug' | 'info' | 'warn' | 'error';
  format: 'json' | 'text';
}

export interface IdentityConfig {
  nodeId: string;
  region: string;
  /** Agent mode: the token for its services. Never logged. */
  serviceToken?: string;
  certPath: string;
  keyPath: string;
}

export interface AgentBackendConfig {
  service: string;
  address: string;
  port: number;
  weight: number;
  healthCheck: HealthCheckConfig;
}

export interface HeartbeatConfig {
  intervalMs: number;
  missedThreshold: number;
}

export interface PredictiveSignalConfig {
  threshold: number;
  bleedDurationMs: number;
}

export interface PredictiveConfig {
  enabled: boolean;
  checkIntervalMs: number;
  cpu: PredictiveSignalConfig;
  memory: PredictiveSignalConfig;
  errorRate: PredictiveSignalConfig & { windowMs: number; endpoint?: string };
}

/** Agent: measure the RTT real clients see on established connections (learned_latency). */
export interface LatencyLearningConfig {
  enabled: boolean;
  pollIntervalMs: number;
  ipv4PrefixLength: number;
  ipv6PrefixLength: number;
  ewmaAlpha: number;
  maxSubnets: number;
  subnetTtlMs: number;
  minSamples: number;
  reportIntervalMs: number;
}

export interface CustomGeoMapping {
  cidr: string;
  region: string;
  comment?: string;
}

export interface GeolocationConfig {
  databasePath?: string;
  defaultRegion?: string;
  ecsEnabled: boolean;
  customMappings: CustomGeoMapping[];
}

export interface Config {
  /** Absolute path of the main file this came from ('' for the embedded demo config). */
  sourcePath: string;
  mode: Mode;
  identity: IdentityConfig;
  dns: DnsConfig;
  regions: RegionConfig[];
  domains: DomainConfig[];
  gossip: GossipConfig;
  /** service -> token. Never logged. */
  agentTokens: Record<string, string>;
  validation: ValidationConfig;
  stale: StaleConfig;
  dnssec: DnssecConfig;
  api: ApiConfig;
  metrics: MetricsConfig;
  dataDir: string;
  logging: LoggingConfig;
  backends: AgentBackendConfig[];
  heartbeat: HeartbeatConfig;
  predictive: PredictiveConfig;
  latencyLearning: LatencyLearningConfig;
  geolocation: GeolocationConfig;
}
