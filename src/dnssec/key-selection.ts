/**
 * Which stored key wins when several of one role are stored for a zone (keys generated here and
 * keys adopted from peers by key sync): every Overwatch must choose the same one so that one DS in
 * the parent validates answers from all of them. The rule is deterministic and needs no
 * coordination: among active algorithm-13 keys with private material, the oldest (smallest
 * createdAtMs) wins; ties go to the smaller public key (base64 compared as a string). rollover.ts
 * applies it to key-signing keys and to ZSK successors. Pure.
 */
import type { DnssecKeyRecord } from '../store/index.ts';
import { ALGORITHM_ECDSAP256SHA256 } from './signing-key.ts';

export function isUsableKey(k: DnssecKeyRecord): boolean {
  return k.active && k.algorithm === ALGORITHM_ECDSAP256SHA256 && k.privateKeyPem.length > 0;
}

/** <0 when `a` should sign rather than `b`. */
export function compareKeyPriority(a: Pick<DnssecKeyRecord, 'createdAtMs' | 'publicKey'>, b: Pick<DnssecKeyRecord, 'createdAtMs' | 'publicKey'>): number {
  if (a.createdAtMs !== b.createdAtMs) return a.createdAtMs - b.createdAtMs;
  return a.publicKey < b.publicKey ? -1 : a.publicKey > b.publicKey ? 1 : 0;
}
