/**
 * ZSK pre-publication rollover (RFC 7583 §3.2.1), planned from the stored keys and the clock alone.
 *
 * Independent Overwatches never coordinate, so every node must reach the same decision from the
 * same key set (key sync spreads the keys). Nothing but a key's `createdAtMs` (its publication
 * time) and the configured timing decides its state:
 *
 *   Tpub = createdAtMs      the key enters the DNSKEY RRset (at its maker at once, at the others
 *                           within a key sync poll)
 *   Tact = Tpub + Ipub      it signs the zone data; its predecessor retires (Ipub = DNSKEY TTL +
 *                           propagation delay, so every node and every resolver cache holds it first)
 *   Trem = Tret + Iret      the retired key leaves the DNSKEY RRset (Iret = propagation delay +
 *                           the largest TTL signed, so no cached signature outlives its key)
 *   successor made at Tact(current) + lifetime - Ipub, so it takes over at Tact(current) + lifetime.
 *
 * Two nodes may make a successor at the same moment (before they have synced): among keys still in
 * pre-publication only the oldest (ties: smaller public key) goes on; the rest are superseded and
 * dropped everywhere. Nothing has signed with them, so removing them cannot break validation.
 * Key-signing keys (SEP flag) are not rolled here: their DS is in the parent. Pure.
 */
import type { DnssecKeyRecord } from '../store/index.ts';
import { compareKeyPriority } from './key-selection.ts';
import { isKeySigningKey } from './signing-key.ts';

export interface RolloverTiming {
  /** How long each ZSK signs; 0: no ZSK is made and the KSK signs everything (a CSK). */
  zskLifetimeMs: number;
  /** Ipub: DNSKEY TTL + propagation delay. */
  prePublishMs: number;
  /** Iret: propagation delay + the largest TTL signed; undefined while unknown (nothing is removed). */
  retireMs: number | undefined;
}

export type ZoneKeyState = 'active' | 'published' | 'retiring';

export interface PlannedKey {
  record: DnssecKeyRecord;
  role: 'ksk' | 'zsk';
  /** ksk: `active` for the one whose DS to publish, `published` for others. */
  state: ZoneKeyState;
  /** When a ZSK starts (or started) signing. */
  activeFromMs?: number;
  /** When a retiring ZSK leaves the DNSKEY RRset (null: not known yet). */
  removeAtMs?: number | null;
}

export interface ZoneKeyPlan {
  /** Signs the DNSKEY RRset; its DS is the one to publish. Undefined: the zone has no KSK yet. */
  ksk: DnssecKeyRecord | undefined;
  /** Signs everything but the DNSKEY RRset; undefined: the KSK does (CSK mode, or before the first ZSK is ready). */
  zsk: DnssecKeyRecord | undefined;
  /** Every key in the DNSKEY RRset: KSKs (the chosen one first), then ZSKs oldest first. */
  published: PlannedKey[];
  /** Keys to retire for good: superseded successors and retired keys past their removal time. */
  drop: DnssecKeyRecord[];
  /** True when a successor ZSK is due and none is in pre-publication. */
  generateZsk: boolean;
  /** When the plan changes next by itself (activation, removal, successor due); Infinity: never. */
  nextEventMs: number;
}

/** The plan for one zone's usable keys (active, algorithm 13, with private keys) at `nowMs`. */
export function planZoneKeys(keys: readonly DnssecKeyRecord[], nowMs: number, timing: RolloverTiming): ZoneKeyPlan {
  const ksks = keys.filter(isKeySigningKey).sort(compareKeyPriority);
  const zsks = keys.filter((k) => !isKeySigningKey(k)).sort(compareKeyPriority);
  const activation = (k: DnssecKeyRecord): number => k.createdAtMs + timing.prePublishMs;
  const ready = zsks.filter((k) => activation(k) <= nowMs);
  const pending = zsks.filter((k) => activation(k) > nowMs);
  const successor = pending[0];
  const active = ready.at(-1);

  const published: PlannedKey[] = ksks.map((record, i) => ({ record, role: 'ksk', state: i === 0 ? 'active' : 'published' }));
  const drop: DnssecKeyRecord[] = pending.slice(1);
  let next = Infinity;
  for (let i = 0; i < ready.length - 1; i++) {
    const record = ready[i]!;
    const retiredAt = activation(ready[i + 1]!);
    const removeAtMs = timing.retireMs === undefined ? null : retiredAt + timing.retireMs;
    if (removeAtMs !== null && removeAtMs <= nowMs) {
      drop.push(record);
      continue;
    }
    published.push({ record, role: 'zsk', state: 'retiring', activeFromMs: activation(record), removeAtMs });
    if (removeAtMs !== null) next = Math.min(next, removeAtMs);
  }
  if (active) published.push({ record: active, role: 'zsk', state: 'active', activeFromMs: activation(active) });
  if (successor) {
    published.push({ record: successor, role: 'zsk', state: 'published', activeFromMs: activation(successor) });
    next = Math.min(next, activation(successor));
  }

  let generateZsk = false;
  if (timing.zskLifetimeMs > 0 && successor === undefined) {
    // The successor is made one pre-publication interval before the current key's lifetime ends.
    const dueAt = active === undefined ? nowMs : activation(active) + timing.zskLifetimeMs - timing.prePublishMs;
    if (dueAt <= nowMs) generateZsk = true;
    else next = Math.min(next, dueAt);
  }
  return { ksk: ksks[0], zsk: active, published, drop, generateZsk, nextEventMs: next };
}
