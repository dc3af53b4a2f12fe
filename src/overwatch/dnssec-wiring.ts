/**
 * Wires DNSSEC into the Overwatch runtime with as little as possible in overwatch.ts: opening the
 * service (keys loaded or generated before the first answer), adding the signer to each snapshot
 * build, and making the service reachable from the API and the metrics.
 */
import type { Config } from '../config/types.ts';
import { DnssecService, KeySyncer, attachDnssec, createDnssecMetrics, deriveSyncKey, registerDnssecReadouts, type DnssecLog } from '../dnssec/index.ts';
import type { Clock } from '../lifecycle/index.ts';
import type { StateStore } from '../store/index.ts';
import type { Registry as PromRegistry } from 'prom-client';
import type { SnapshotInput } from './snapshot-builder.ts';

export interface DnssecWiringOptions {
  config: Config;
  store: StateStore;
  clock: Clock;
  log: DnssecLog;
  metrics: PromRegistry;
  /** The object the API is given (OverwatchControl): the service is attached to it. */
  control: object;
  requestRebuild: () => void;
  /** Online signatures made by DNS worker threads (dns.workers > 1), for the signatures metric. */
  workerSignatures?: () => number;
}

export interface DnssecRuntime {
  service: DnssecService;
  sync: KeySyncer;
  /** Starts key sync polling (after DNS is up: a peer being down must never delay answers). */
  start(): void;
  close(): Promise<void>;
}

/**
 * The key sync transport secret: `dnssec.key_sync.shared_secret` when set (recommended: only the
 * Overwatches hold it). Without it the gossip key is used through HKDF with a key-sync label (the
 * derived key opens only sealed DNSSEC keys, never gossip); agents hold the gossip key too, which
 * is why start-up warns when peers are configured without a dedicated secret.
 */
function syncKeyFrom(config: Config): Buffer | null {
  if (config.dnssec.keySync.sharedSecret !== undefined) return deriveSyncKey(Buffer.from(config.dnssec.keySync.sharedSecret, 'utf8'));
  const secret = config.gossip.encryptionKeys[0];
  return secret === undefined ? null : deriveSyncKey(secret);
}

/** The DNSSEC runtime, or undefined when `dnssec.enabled` is false. Generates missing zone keys. */
export function openDnssec(o: DnssecWiringOptions): DnssecRuntime | undefined {
  if (!o.config.dnssec.enabled) return undefined;
  const metrics = createDnssecMetrics(o.metrics);
  let sync: KeySyncer | undefined;
  const service = new DnssecService({
    config: o.config.dnssec,
    keys: o.store.dnssecKeys,
    clock: o.clock,
    log: o.log,
    requestRebuild: o.requestRebuild,
    onSign: (seconds) => metrics.signingSeconds.observe(seconds),
    dnskeyTtlSeconds: o.config.dns.defaultTtlSeconds,
    // A node joining a cluster first learns the cluster's keys, then decides whether a ZSK is due.
    mayGenerateZsk: () => (sync ? !sync.enabled || sync.firstRoundDone : o.config.dnssec.keySync.peers.length === 0),
  });
  service.ensureZones(o.config.dns.zones);
  registerDnssecReadouts(o.metrics, service, () => o.clock.nowMs(), o.workerSignatures);
  const ks = o.config.dnssec.keySync;
  sync = new KeySyncer({
    service,
    peers: ks.peers,
    pollIntervalMs: ks.pollIntervalMs,
    timeoutMs: ks.timeoutMs,
    syncKey: syncKeyFrom(o.config),
    clock: o.clock,
    log: o.log,
    onFailure: (peer) => metrics.keySyncFailures.inc({ peer }),
    onRound: () => service.replanAll(),
  });
  if (ks.peers.length > 0 && sync.syncKey === null) o.log.warn({ peers: ks.peers }, 'dnssec.key_sync.peers is set but there is no dnssec.key_sync.shared_secret or gossip key: key sync is off');
  else if (ks.peers.length > 0 && ks.sharedSecret === undefined) {
    o.log.warn({}, 'dnssec.key_sync.shared_secret is not set: private keys are sealed with a key derived from the gossip key, which agents also hold; set a secret only the Overwatches share');
  }
  attachDnssec(o.control, service, { sync, nodeId: o.config.identity.nodeId });
  return {
    service,
    sync,
    start: () => sync.start(),
    async close() {
      await sync.close();
      await service.close();
    },
  };
}

/** The build input with the signer added (keys for zones a reload added are made here). */
export function withSigner<T extends Pick<SnapshotInput, 'zones' | 'signer'>>(input: T, dnssec: DnssecRuntime | undefined): T {
  if (!dnssec) return input;
  dnssec.service.ensureZones(input.zones.map((z) => z.apex));
  return { ...input, signer: dnssec.service };
}
