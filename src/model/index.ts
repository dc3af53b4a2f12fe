/**
 * model/: the data the control plane and the data plane share (pure types and pure rules):
 * the Snapshot, backends and overrides, and the health authority that decides what is served.
 */
export {
  type Snapshot,
  type ZoneEntry,
  type NameEntry,
  type AnswerSet,
  type SignedRecord,
  type ZoneDenial,
  type ZoneDnssec,
  type AnswerRouting,
  type ClientSubnet,
  type DecisionScope,
  type ClientLocator,
  type LearnedLatency,
  type ClientLatencyTable,
  type SnapshotRouting,
  emptySnapshot,
} from './snapshot.ts';
export {
  type Backend,
  type BackendSource,
  type Override,
  type ValidationState,
  backendId,
  parseBackendId,
  overrideFor,
  overrideKey,
} from './backend.ts';
export {
  decideHealth,
  isStale,
  staleAfterMs,
  isManualSource,
  type Authority,
  type EffectiveStatus,
  type HealthDecision,
  type AuthorityContext,
} from './health-authority.ts';
