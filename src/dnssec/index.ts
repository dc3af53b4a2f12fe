/**
 * dnssec/: online DNSSEC signing for the authoritative zones (DNSSEC.md).
 *
 * Key scheme: one CSK per zone (flags 257, ECDSA P-256 / algorithm 13). An online signer keeps
 * every signing key hot on every Overwatch, so a KSK/ZSK split would add no protection (both keys
 * sit side by side in the same 0600 store) while doubling the DNSKEY RRset and its signatures,
 * and making key sync and DS publication two-key problems. RFC 6781 §3.1.4 / RFC 9904 describe
 * the CSK for exactly this case. The DS of that key goes to the parent.
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
  DIGEST_SHA256,
  type DsRecord,
} from './signing-key.ts';
export { rrsigLabels, rrsigHeader, signingInput, signRrset, rrsigTail, type RrsigTimes } from './rrsig.ts';
export { ZoneSigner, type ZoneSignerOptions, type SignerStats } from './zone-signer.ts';
export { signZone, signEntry, type SnapshotSigner } from './snapshot-signer.ts';
export { pickSigningKey, compareKeyPriority, isUsableKey } from './key-selection.ts';
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
