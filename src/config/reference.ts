/**
 * The configuration reference: every key either layout knows, with its default and meaning. The
 * README's reference table is generated from this (`npm run docs`), and a test checks that the
 * entries cover exactly `knownKeyPaths()` and that the README matches, so the documentation cannot
 * drift from what the loader accepts. Pure.
 */

export interface ReferenceEntry {
  /** Key paths in the guide's top-level form; the original's nested blocks use the same keys. */
  keys: string[];
  default: string;
  meaning: string;
}

const hc = (p: string) => ['type', 'path', 'host', 'interval', 'timeout', 'failure_threshold', 'success_threshold'].map((k) => `${p}.${k}`);

export const CONFIG_REFERENCE: readonly ReferenceEntry[] = [
  { keys: ['mode'], default: '`overwatch`', meaning: '`overwatch` or `agent` (`--mode` overrides)' },
  { keys: ['includes[]'], default: '-', meaning: 'globs relative to the file (`regions/*.yaml`, `domains/**/*.yaml`); merges regions, domains, agent_tokens, agent backends, custom_mappings; 10 levels, cycles refused' },
  { keys: ['identity.node_id', 'identity.region'], default: 'hostname, -', meaning: "this node's name and region" },
  { keys: ['identity.service_token', 'identity.cert_path', 'identity.key_path'], default: 'agent: required; `<data_dir>/agent.crt`, `agent.key`', meaning: "agent: token for its services (16+ characters); its certificate and key (made on first start)" },
  { keys: ['dns.listen_address'], default: '`:53`', meaning: 'UDP and TCP address (port 0: any free port; restart to change)' },
  { keys: ['dns.zones[]'], default: 'implied by `domains`', meaning: 'zones served authoritatively' },
  { keys: ['dns.default_ttl'], default: '`60`', meaning: 'TTL when a domain sets none; also the SOA and negative TTL' },
  { keys: ['dns.return_last_healthy'], default: '`false`', meaning: 'all backends down: serve the last healthy set instead of SERVFAIL' },
  { keys: ['dns.max_udp_payload'], default: '`1232`', meaning: 'largest UDP response, whatever the client offers' },
  { keys: ['dns.udp_io'], default: '`auto`', meaning: 'UDP I/O: `native` (recvmmsg/sendmmsg addon, built by `npm ci` on Linux; start fails without it), `js` (Node dgram), `auto` (native when it loaded, else js and a log line); restart to change' },
  { keys: ['dns.workers'], default: '`1`', meaning: 'UDP answering threads sharing the DNS port (Linux SO_REUSEPORT); TCP stays on the main thread; restart to change' },
  { keys: ['dns.tcp_idle_timeout', 'dns.tcp_max_connections', 'dns.tcp_max_connections_per_client'], default: '`10s`, `1000`, `32`', meaning: 'TCP idle timeout, total and per-client connection limits' },
  {
    keys: ['dns.rate_limit.enabled', 'dns.rate_limit.responses_per_second', 'dns.rate_limit.slip', 'dns.rate_limit.ipv4_prefix', 'dns.rate_limit.ipv6_prefix', 'dns.rate_limit.exempt[]'],
    default: 'on, `200`, `2`, `24`, `56`, loopback',
    meaning: 'UDP response rate limiting per client prefix; every slip-th limited answer is sent truncated',
  },
  { keys: ['regions[].name'], default: 'required', meaning: 'region name' },
  {
    keys: ['regions[].servers[].address', 'regions[].servers[].port', 'regions[].servers[].weight', 'regions[].servers[].service', 'regions[].servers[].host'],
    default: 'required, `80`, `100`, required, -',
    meaning: 'static servers: IP, port, weight (0 drains), the domain it serves, Host/SNI for checks',
  },
  { keys: hc('regions[].health_check'), default: '`http`, `/health`, -, `30s`, `5s`, `3`, `2`', meaning: "the Overwatch's checks of the region's servers (`http`, `https`, `tcp`)" },
  { keys: ['regions[].countries[]', 'regions[].continents[]'], default: '-', meaning: 'ISO-2 countries and continents (AF AN AS EU NA OC SA) for geolocation' },
  { keys: ['domains[].name'], default: 'required', meaning: 'the served name' },
  {
    keys: ['domains[].routing_algorithm'],
    default: '`round-robin`',
    meaning: '`round-robin` (`rr`), `weighted`, `failover` (`active-standby`), `geolocation` (`geo`), `latency`, `learned_latency`; or `{ geolocation: weighted }` (also `failover`, `latency`, `round-robin`): geolocation picks the region, the inner policy picks within it',
  },
  { keys: ['domains[].regions[]'], default: 'required', meaning: 'regions whose servers serve it, in failover priority order' },
  { keys: ['domains[].ttl', 'domains[].max_answers'], default: '`dns.default_ttl`, `8`', meaning: 'answer TTL; A/AAAA records per answer' },
  {
    keys: ['domains[].latency_config.smoothing_factor', 'domains[].latency_config.max_latency_ms', 'domains[].latency_config.min_samples'],
    default: '`0.3`, `500`, `3`',
    meaning: 'latency routing: EWMA factor, backends above this are last, samples needed',
  },
  { keys: ['agent_tokens.<name>'], default: '-', meaning: 'service -> token (16+ characters); an agent is authorised for the services whose token it presents' },
  { keys: ['gossip.bind_address'], default: 'Overwatch `0.0.0.0:7946`; agent ephemeral', meaning: 'memberlist UDP+TCP address; an Overwatch without `gossip` runs without agents' },
  { keys: ['gossip.encryption_key', 'gossip.encryption_keys[]'], default: 'required with gossip', meaning: 'base64 of 32 bytes (`openssl rand -base64 32`); `encryption_keys` is a keyring (first encrypts, all decrypt), applied on SIGHUP' },
  { keys: ['gossip.overwatch_nodes[]'], default: 'agent: required', meaning: "every Overwatch's gossip address" },
  { keys: ['gossip.probe_interval', 'gossip.probe_timeout', 'gossip.gossip_interval'], default: '`1s`, `500ms`, `200ms`', meaning: 'memberlist timing' },
  {
    keys: ['gossip.allow_unsigned_agents'],
    default: '`false`',
    meaning: "Overwatch: accept the original Go agents' unsigned messages while migrating (then anyone holding the gossip key can register backends)",
  },
  { keys: ['validation.enabled', 'validation.check_interval', 'validation.check_timeout'], default: '`true`, `30s`, `5s`', meaning: "the Overwatch's own checks of agent backends (their check definition)" },
  { keys: ['stale.threshold', 'stale.remove_after'], default: '`30s`, `5m`', meaning: 'no heartbeat: stale; stale this long: removed' },
  { keys: ['dnssec.enabled', 'dnssec.security_acknowledgment'], default: '`true`, -', meaning: "disabling needs the guide's (or the original's) acknowledgement sentence" },
  { keys: ['dnssec.algorithm', 'dnssec.signature_validity'], default: '`ECDSAP256SHA256`, `7d`', meaning: 'signing algorithm (13); RRSIG validity, refreshed at half-life' },
  {
    keys: ['dnssec.zsk_lifetime', 'dnssec.propagation_delay'],
    default: '`0`, `5m` (with key sync peers: 2 × poll_interval + timeout)',
    meaning: 'ZSK rollover period (0: one key signs everything, never rolled, like BIND\'s default policy); time for a new key to reach every Overwatch, added to the DNSKEY TTL before it signs (RFC 7583)',
  },
  {
    keys: ['dnssec.key_sync.peers[]', 'dnssec.key_sync.poll_interval', 'dnssec.key_sync.timeout', 'dnssec.key_sync.shared_secret'],
    default: '-, `1h`, `30s`, -',
    meaning: "other Overwatches' API URLs to sync zone keys with; the secret sealing private keys (else derived from the gossip key)",
  },
  { keys: ['geolocation.database_path', 'geolocation.default_region', 'geolocation.ecs_enabled'], default: '-, -, `true`', meaning: 'MaxMind or @ip-location-db `.mmdb` (reloaded on change); fallback region; use EDNS Client Subnet' },
  {
    keys: ['geolocation.custom_mappings[].cidr', 'geolocation.custom_mappings[].region', 'geolocation.custom_mappings[].comment'],
    default: '-',
    meaning: 'CIDR -> region, longest prefix wins, before the database',
  },
  { keys: ['api.enabled', 'api.address'], default: 'on if `api:` present, `127.0.0.1:8080`', meaning: 'REST API listener' },
  { keys: ['api.allowed_networks[]', 'api.trust_proxy_headers'], default: 'loopback, `false`', meaning: 'clients allowed on every route but liveness/readiness; read X-Forwarded-For' },
  { keys: ['metrics.enabled', 'metrics.address'], default: 'on if `metrics:` present, `:9090`', meaning: 'Prometheus `/metrics` listener' },
  { keys: ['data_dir'], default: '`/var/lib/opengslb`', meaning: 'state (SQLite, 0600) and agent identity' },
  { keys: ['logging.level', 'logging.format'], default: '`info`, `json`', meaning: '`debug`/`info`/`warn`/`error`; `json` or `text`' },
  { keys: ['backends[].service', 'backends[].address', 'backends[].port', 'backends[].weight'], default: 'required, required, required, `100`', meaning: "agent: its local backends" },
  { keys: hc('backends[].health_check'), default: 'as for regions', meaning: "agent: each backend's check (the Overwatch validates with the same definition)" },
  { keys: ['heartbeat.interval', 'heartbeat.missed_threshold'], default: '`10s`, `3`', meaning: 'agent heartbeats' },
  {
    keys: ['predictive.enabled', 'predictive.check_interval', 'predictive.cpu_threshold', 'predictive.memory_threshold', 'predictive.error_rate_threshold'],
    default: 'off, `10s`, `90`, `85`, `10`',
    meaning: "agent predictive health (the guide's flat form)",
  },
  {
    keys: [
      'predictive.cpu.threshold',
      'predictive.cpu.bleed_duration',
      'predictive.memory.threshold',
      'predictive.memory.bleed_duration',
      'predictive.error_rate.threshold',
      'predictive.error_rate.window',
      'predictive.error_rate.bleed_duration',
      'predictive.error_rate.endpoint',
    ],
    default: '`30s` bleed, `60s` window',
    meaning: "the original's nested form; `endpoint`: the application's error-rate URL (`{\"error_rate\": N}`)",
  },
  {
    keys: [
      'latency_learning.enabled',
      'latency_learning.poll_interval',
      'latency_learning.min_connection_age',
      'latency_learning.ipv4_prefix',
      'latency_learning.ipv6_prefix',
      'latency_learning.ewma_alpha',
      'latency_learning.max_subnets',
      'latency_learning.subnet_ttl',
      'latency_learning.min_samples',
      'latency_learning.report_interval',
    ],
    default: 'off, `10s`, `5s`, `24`, `48`, `0.3`, `100000`, `168h`, `5`, `30s`',
    meaning: 'agent: read the RTT real clients see (`ss -tin`, TCP_INFO of established connections to each backend port), EWMA per client prefix, sent as signed latency_report for learned_latency; min_connection_age is accepted but not applied',
  },
];

/** The README's configuration reference table. */
export function renderConfigReference(): string {
  const rows = CONFIG_REFERENCE.map((e) => `| ${e.keys.map((k) => `\`${k}\``).join(', ')} | ${e.default} | ${e.meaning} |`);
  return ['| key | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
