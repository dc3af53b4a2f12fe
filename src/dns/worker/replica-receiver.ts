/**
 * The worker's half of Snapshot replication: turns publish messages into Snapshots the Responder
 * can answer from, rebuilding the behaviour objects they name (signers from keys, the locator from
 * its spec and the database file, the learned-latency table from rows) and keeping per-name
 * rotation counters and answer sets across Snapshots. No thread or socket here, so tests run it
 * in-process. A failed apply leaves the previous Snapshot serving; the caller then `reset()`s and
 * asks for everything again (what this receiver holds no longer matches what the sender thinks).
 */
import { emptySnapshot, type AnswerSet, type Snapshot, type ZoneDenial } from '../../model/index.ts';
import type { ZoneSigner } from '../../dnssec/index.ts';
import type { LearnedLatencyTable } from '../../routing/index.ts';
import { decodeSet, decodeSnapshot } from './snapshot-replica.ts';
import { buildWorkerSigner, negativeTtlOf } from './signer-transfer.ts';
import { WorkerGeo, tableFromRows, type LearnedRows } from './routing-transfer.ts';
import type { PublishMessage } from './messages.ts';

export class ReplicaReceiver {
  snapshot: Snapshot = emptySnapshot();
  readonly #signers = new Map<number, ZoneSigner>();
  readonly #geo = new WorkerGeo();
  #learned: LearnedLatencyTable | null = null;
  #sets = new Map<number, AnswerSet>();
  #rotations = new Map<string, { next: number }>();
  readonly #onSign?: (seconds: number) => void;

  constructor(onSign?: (seconds: number) => void) {
    this.#onSign = onSign;
  }

  /** Decodes `m` and makes it the current Snapshot; on error the previous one stays. */
  async apply(m: PublishMessage): Promise<Snapshot> {
    for (const spec of m.signers) this.#signers.set(spec.id, buildWorkerSigner(spec, this.#onSign));
    for (const spec of m.locators) await this.#geo.add(spec);
    if (m.learned) this.#learned = tableFromRows(m.learned);
    const r = m.replica;
    const views = new Map<SharedArrayBuffer, Buffer[]>();
    const known = this.#sets;
    const sets = new Map<number, AnswerSet>();
    for (const s of m.sets) sets.set(s.id, decodeSet(s, views));
    const rotations = new Map<string, { next: number }>();
    const used = new Set<number>();
    const next = decodeSnapshot(r, {
      signer: (id) => this.#signer(id, used),
      answerSet: (id) => {
        let set = sets.get(id);
        if (set === undefined) {
          set = known.get(id);
          if (set === undefined) throw new Error(`snapshot names answer set ${id}, which was never sent`);
          sets.set(id, set);
        }
        return set;
      },
      routing: (rr) => ({ ecsEnabled: rr.ecsEnabled, geo: rr.geo < 0 ? null : this.#geo.get(rr.geo), learned: rr.learned ? this.#learned : null }),
      rotation: (key, initial) => {
        const rotation = this.#rotations.get(key) ?? { next: initial };
        rotations.set(key, rotation);
        return rotation;
      },
    });
    // The signers follow the zone SOA as signZone does on the main thread, then drop what this Snapshot no longer serves.
    for (const zone of next.zones.values()) {
      if (zone.dnssec) (zone.dnssec.denial as ZoneSigner).negativeTtlSeconds = negativeTtlOf(zone.soaTail);
    }
    for (const [id, signer] of this.#signers) {
      if (used.has(id)) signer.sweep();
      else this.#signers.delete(id);
    }
    this.#geo.keepOnly(r.routing?.geo ?? -1);
    this.#rotations = rotations;
    this.#sets = sets; // exactly the sets this Snapshot uses: the sender assumes the same
    this.snapshot = next;
    return next;
  }

  #signer(id: number, used: Set<number>): ZoneDenial {
    const signer = this.#signers.get(id);
    if (signer === undefined) throw new Error(`snapshot names signer ${id}, which was never sent`);
    used.add(id);
    return signer;
  }

  /** Forgets everything sent so far (after a failed apply); the current Snapshot keeps serving. */
  reset(): void {
    this.#signers.clear();
    this.#geo.keepOnly(-1);
    this.#sets = new Map();
    this.#learned = null;
  }

  /** New learned-latency rows between Snapshots (agents' reports). */
  setLearned(rows: LearnedRows): void {
    this.#learned = tableFromRows(rows);
    if (this.snapshot.routing?.learned) this.snapshot.routing.learned = this.#learned;
  }

  close(): Promise<void> {
    return this.#geo.close();
  }
}
