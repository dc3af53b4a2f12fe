/**
 * overwatch/: the control plane. The Registry owns backend state and overrides, the health
 * authority decides what is served, the snapshot builder turns that into the immutable Snapshot
 * the DNS data plane reads, and the Overwatch runtime wires checks, timers and listeners.
 */
export { Overwatch, type OverwatchOptions } from './overwatch.ts';
export { Registry, registrySettingsFrom, type BackendInput, type HealthChange, type RegistrySettings } from './registry.ts';
export { buildSnapshot, updateSnapshot, type SnapshotInput, type SnapshotUpdate, type NameInput, type BackendView, type NameSpec, type ZoneSpec } from './snapshot-builder.ts';
export { rebuildSnapshot } from './rebuild-snapshot.ts';
export { staticBackends, unservablePolicies } from './static-servers.ts';
export {
  ControlError,
  ControlErrorCode,
  type OverwatchControl,
  type BackendStatusView,
  type ServerInput,
  type ReadinessView,
  type AgentView,
  type GossipMemberView,
  type DomainView,
  type DomainInput,
  type RegionView,
  type RegionInput,
  type RoutingControl,
  type GeoMappingView,
  type GeoTestView,
  type GeoDatabaseView,
  type LearnedLatencyView,
  type RoutingTestView,
} from './control.ts';
