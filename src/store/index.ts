/**
 * store/: the Overwatch's persistent state in `<data_dir>/opengslb.db` (node:sqlite, WAL,
 * synchronous=FULL): overrides, pinned agent identities, agent registrations, API-created objects,
 * DNSSEC keys and a small meta table.
 *
 * Contract:
 * - Every method is synchronous. A write that returns is durable (fsync'ed); a write that throws has
 *   changed nothing: each call, including the bulk ones, is one transaction. The one exception is
 *   `agents.touch()`, which batches heartbeat times in memory (see AgentRepository).
 * - Failures are StoreErrors with a stable code naming the file: ERR_STORE_FULL (→ 507),
 *   ERR_STORE_READ_ONLY / ERR_STORE_IO / ERR_STORE_LOCKED / ERR_STORE_UNAVAILABLE (→ 503),
 *   ERR_STORE_INVALID (→ 400), ERR_STORE_CONFLICT (→ 409); ERR_STORE_CORRUPT and ERR_STORE_SCHEMA
 *   stop the start. After a failed write the callers' in-memory state stays authoritative.
 * - A corrupt, foreign or newer-schema file is refused and left untouched: never discarded or recreated.
 * - No timers and no clock: times come in as arguments.
 * Must not: log (callers log the StoreErrors), hold secrets anywhere but the 0600 file.
 */
export { StateStore, type StateStoreOptions } from './state-store.ts';
export { StoreError, StoreErrorCode } from './store-error.ts';
export {
  OverrideRepository,
  type OverrideKey,
  type OverrideRecord,
  type OverrideInput,
} from './override-repository.ts';
export { AgentRepository, type AgentRecord, type AgentInput } from './agent-repository.ts';
export {
  AgentBackendRepository,
  type AgentBackendKey,
  type AgentBackendRecord,
} from './agent-backend-repository.ts';
export {
  DocumentRepository,
  DOCUMENT_NAMESPACES,
  type DocumentNamespace,
  type StoredDocument,
} from './document-repository.ts';
export { DnssecKeyRepository, type DnssecKeyRecord, type DnssecKeySource } from './dnssec-key-repository.ts';
export { MetaRepository } from './meta-repository.ts';
export { LATEST_SCHEMA_VERSION } from './migrations.ts';
