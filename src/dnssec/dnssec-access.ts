/**
 * How the API finds the DNSSEC service (and key syncer) of an Overwatch without widening
 * OverwatchControl (owned by the control plane): the runtime attaches them to its control object,
 * the API routes look them up. WeakMaps, so nothing outlives the Overwatch.
 */
import type { DnssecService } from './dnssec-service.ts';
import type { KeySyncer } from './key-sync.ts';

export interface DnssecAccess {
  service: DnssecService;
  sync?: KeySyncer;
  /** Names this node in the key sync bundle. */
  nodeId: string;
}

const attached = new WeakMap<object, DnssecAccess>();

export function attachDnssec(control: object, service: DnssecService, extra: { sync?: KeySyncer; nodeId?: string } = {}): void {
  attached.set(control, { service, sync: extra.sync, nodeId: extra.nodeId ?? '' });
}

/** The DNSSEC service attached to `control`, or undefined when DNSSEC is off. */
export function dnssecOf(control: object): DnssecService | undefined {
  return attached.get(control)?.service;
}

export function dnssecAccessOf(control: object): DnssecAccess | undefined {
  return attached.get(control);
}
