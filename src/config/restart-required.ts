/**
 * Which settings a SIGHUP reload cannot apply. The contract with the runtime: these are bound at start
 * (the mode, listening sockets, the gossip identity and timing, storage, the signing setup, the GeoIP
 * database, the log format); everything else (domains, regions, servers, TTLs, health checks, zones,
 * validation and stale timing, tokens, the Overwatch's gossip keyring, log level, ...) is applied live. Names use the config file's keys.
 * Pure.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config } from './types.ts';

const RESTART_SETTINGS: readonly [name: string, read: (c: Config) => unknown][] = [
  ['mode', (c) => c.mode],
  ['identity.node_id', (c) => c.identity.nodeId],
  ['identity.region', (c) => c.identity.region],
  ['identity.service_token', (c) => c.identity.serviceToken],
  ['identity.cert_path', (c) => c.identity.certPath],
  ['identity.key_path', (c) => c.identity.keyPath],
  ['dns.listen_address', (c) => c.dns.listen],
  ['dns.workers', (c) => c.dns.workers],
  ['dns.udp_io', (c) => c.dns.udpIo],
  ['api.enabled', (c) => c.api.enabled],
  ['api.address', (c) => c.api.listen],
  ['metrics.enabled', (c) => c.metrics.enabled],
  ['metrics.address', (c) => c.metrics.listen],
  ['gossip.bind_address', (c) => c.gossip.bind],
  ['gossip.probe_interval', (c) => c.gossip.probeIntervalMs],
  ['gossip.probe_timeout', (c) => c.gossip.probeTimeoutMs],
  ['gossip.gossip_interval', (c) => c.gossip.gossipIntervalMs],
  ['gossip.overwatch_nodes', (c) => c.gossip.overwatchNodes],
  ['data_dir', (c) => c.dataDir],
  ['dnssec.enabled', (c) => c.dnssec.enabled],
  ['dnssec.algorithm', (c) => c.dnssec.algorithm],
  ['dnssec.signature_validity', (c) => c.dnssec.signatureValidityMs],
  ['dnssec.zsk_lifetime', (c) => c.dnssec.rollover.zskLifetimeMs],
  ['dnssec.propagation_delay', (c) => c.dnssec.rollover.propagationDelayMs],
  ['dnssec.key_sync', (c) => c.dnssec.keySync],
  ['geolocation.database_path', (c) => c.geolocation.databasePath],
  ['logging.format', (c) => c.logging.format],
];

/** Names of the changed settings that need a restart to take effect; [] when a reload applies everything. */
export function restartRequiredChanges(oldConfig: Config, newConfig: Config): string[] {
  return RESTART_SETTINGS.filter(([, read]) => !isDeepStrictEqual(read(oldConfig), read(newConfig))).map(([name]) => name);
}
