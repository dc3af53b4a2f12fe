/**
 * The Overwatch's rebuild step: the Registry's changes applied to the previous Snapshot when it can
 * name them (updateSnapshot), a whole build otherwise (first build, reload, settings or static
 * servers changed, or a previous Snapshot the builder cannot update). Call after registry.evaluate.
 * Unless `force`, a Registry with nothing changed gives back `previous` itself: agent heartbeats
 * that repeat what is registered then cost no build, no publish and no signing pass.
 */
import type { Snapshot } from '../model/index.ts';
import type { Registry } from './registry.ts';
import { buildSnapshot, updateSnapshot, type SnapshotInput } from './snapshot-builder.ts';

/** Adds the DNSSEC signer to a build's input (dnssec-wiring.ts withSigner), or leaves it unsigned. */
export type AddSigner = <T extends Pick<SnapshotInput, 'zones' | 'signer'>>(input: T) => T;

const unsigned: AddSigner = (input) => input;

export function rebuildSnapshot(registry: Registry, previous: Snapshot | null, nowMs: number, addSigner: AddSigner = unsigned, force = true): Snapshot {
  const update = previous ? registry.snapshotUpdate(nowMs) : null;
  if (!force && update && update.changed.size === 0 && previous && previous.version > 0) return previous;
  const next = update && previous ? updateSnapshot(previous, addSigner(update)) : null;
  return next ?? buildSnapshot(addSigner(registry.snapshotInput(nowMs)), previous);
}
