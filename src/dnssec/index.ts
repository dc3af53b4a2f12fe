/**
 * dnssec/: online DNSSEC signing for the authoritative zones (DNSSEC.md).
 *
 * Key scheme: one KSK per zone (flags 257, ECDSA P-256 / algorithm 13) whose DS goes to the
 * parent. By default it signs everything (a CSK, like BIND's default policy: an online signer keeps
 * every key hot on every Overwatch, so a split adds no protection). With `dnssec.zsk_lifetime`
 * set, ZSKs (flags 256) sign the zone data and are rolled on that period by pre-publication
 * (rollover.ts, RFC 7583) without touching the DS; the KSK then signs only the DNSKEY RRset.
 *
 * Denial: RFC 9824 compact denial (NOERROR + one NSEC owned by the query name, NXNAME for
 * nonexistent names, `RRSIG NSEC` for empty non-terminals, the name's real types for NODATA); the
 * NXDOMAIN rcode only when the client sent the CO flag. No chain: nothing to walk.
 *
 * Cache: RRSIGs keyed by RRset content (owner, type, TTL, canonical RDATA) and pre-made when a
 * Snapshot is built; see zone-signer.ts.
 *
 * Must not: log or return private keys; call Date.now() in the signer (time is injected).
 */
export { keyTag } from './key-tag.ts';
export { compareCanonicalNames, canonicalRdataOrder } from './canonical-order.ts';
export { typeBitmap, nsecRdata, successorKey, NXNAME_TYPE } from './nsec.ts';
export {
  SigningKey,
  normaliseZone,
  publicKeyField,
  dnskeyRdata,
  publicKeyFromDnskey,
  dsOf,
  dsPresentation,
  ALGORITHM_ECDSAP256SHA256,
  FLAGS_CSK,
  FLAGS_ZSK,
  isKeySigningKey,
  DIGEST_SHA256,
  type DsRecord,
} from './signing-key.ts';
export { rrsigLabels, rrsigHeader, signingInput, signRrset, rrsigTail, type RrsigTimes } from './rrsig.ts';
export { ZoneSigner, type ZoneSignerOptions, type SignerStats } from './zone-signer.ts';
export { signZone, signEntry, type SnapshotSigner } from './snapshot-signer.ts';
export { compareKeyPriority, isUsableKey } from './key-selection.ts';
export { planZoneKeys, type RolloverTiming, type ZoneKeyPlan, type PlannedKey, type ZoneKeyState } from './rollover.ts';
export {
  DnssecService,
  type DnssecServiceOptions,
  type DnssecLog,
  type DsView,
  type ZoneKeyView,
  type ZoneStatusView,
} from './dnssec-service.ts';
export { attachDnssec, dnssecOf, dnssecAccessOf, type DnssecAccess } from './dnssec-access.ts';
export { createDnssecMetrics, registerDnssecReadouts, type DnssecMetrics } from './dnssec-metrics.ts';
export { deriveSyncKey, sealPrivateKey, openPrivateKey, type SealedKeyMeta } from './key-sync-crypto.ts';
export {
  KeySyncer,
  exportBundle,
  parseBundle,
  SYNC_KEYS_PATH,
  NO_SECRET_ERROR,
  type KeySyncerOptions,
  type PeerSyncStatus,
  type SyncBundle,
  type SyncKeyJson,
} from './key-sync.ts';
