/**
 * The main thread's half of Snapshot replication: encodes a Snapshot once (snapshot-replica.ts)
 * and names the answer sets and behaviour objects it uses with ids, so each receiver gets a set,
 * a signer's keys or a locator's spec only the first time it needs them, and the learned-latency
 * rows only when the table's version moved. A receiver that failed to apply a message is reset
 * (`newReceiverState`) and sent everything again.
 */
import type { ClientLocator, Snapshot, ZoneDenial } from '../../model/index.ts';
import { LearnedLatencyTable } from '../../routing/index.ts';
import type { PublishMessage } from './messages.ts';
import { SetEncoder, encodeSnapshot, type AnswerSetReplica, type SnapshotReplica } from './snapshot-replica.ts';
import { signerSpecOf, type SignerSpec } from './signer-transfer.ts';
import { learnedRowsOf, locatorSpecOf, type LearnedRows, type LocatorSpec } from './routing-transfer.ts';

export interface EncodedSnapshot {
  replica: SnapshotReplica;
  sets: Map<number, AnswerSetReplica>;
  signers: Map<number, SignerSpec>;
  locators: Map<number, LocatorSpec>;
  learned: LearnedLatencyTable | null;
}

/** What one receiver has been sent so far. */
export interface ReceiverState {
  sets: Set<number>;
  signers: Set<number>;
  locators: Set<number>;
  /** The learned-latency table and version last sent. */
  learned: LearnedLatencyTable | null;
  learnedVersion: number;
}

export function newReceiverState(): ReceiverState {
  return { sets: new Set(), signers: new Set(), locators: new Set(), learned: null, learnedVersion: -1 };
}

export class ReplicaPublisher {
  readonly #validityMs: number;
  readonly #signerIds = new WeakMap<ZoneDenial, number>();
  readonly #locatorIds = new WeakMap<ClientLocator, { id: number; loads: number }>();
  #nextId = 1;
  #learnedRows?: { table: LearnedLatencyTable; rows: LearnedRows };
  readonly #sets = new SetEncoder();

  constructor(signatureValidityMs: number) {
    this.#validityMs = signatureValidityMs;
  }

  /** TypeError when the Snapshot holds a behaviour object of a kind a worker cannot rebuild. */
  encode(snapshot: Snapshot): EncodedSnapshot {
    const signers = new Map<number, SignerSpec>();
    const locators = new Map<number, LocatorSpec>();
    const { replica, sets } = encodeSnapshot(snapshot, {
      signerId: (denial) => {
        let id = this.#signerIds.get(denial);
        if (id === undefined) this.#signerIds.set(denial, (id = this.#nextId++));
        if (!signers.has(id)) signers.set(id, signerSpecOf(id, denial, this.#validityMs));
        return id;
      },
      locatorId: (routing) => {
        const locator = routing.geo!;
        const spec = locatorSpecOf(0, locator);
        let known = this.#locatorIds.get(locator);
        // A re-read database keeps the locator object: a new id makes the receivers re-read it too.
        if (known === undefined || known.loads !== spec.databaseLoads) this.#locatorIds.set(locator, (known = { id: this.#nextId++, loads: spec.databaseLoads }));
        locators.set(known.id, { ...spec, id: known.id });
        return known.id;
      },
    }, this.#sets);
    const table = snapshot.routing?.learned ?? null;
    if (table !== null && !(table instanceof LearnedLatencyTable)) throw new TypeError('dns.workers > 1 needs the learned-latency table to be a LearnedLatencyTable');
    return { replica, sets, signers, locators, learned: table };
  }

  /** The message that brings a receiver in state `peer` to `encoded` (and updates `peer`). */
  message(encoded: EncodedSnapshot, peer: ReceiverState): PublishMessage {
    const m: PublishMessage = {
      type: 'publish',
      replica: encoded.replica,
      sets: [...encoded.sets.values()].filter((s) => !peer.sets.has(s.id)),
      signers: [...encoded.signers.values()].filter((s) => !peer.signers.has(s.id)),
      locators: [...encoded.locators.values()].filter((l) => !peer.locators.has(l.id)),
    };
    const rows = this.learnedUpdate(encoded.learned, peer);
    if (rows) m.learned = rows;
    peer.sets = new Set(encoded.sets.keys());
    peer.signers = new Set(encoded.signers.keys());
    peer.locators = new Set(encoded.locators.keys());
    return m;
  }

  /** The table's rows when `peer` has an older version (and marks them sent), else undefined. */
  learnedUpdate(table: LearnedLatencyTable | null, peer: ReceiverState): LearnedRows | undefined {
    if (table === null || (table === peer.learned && table.version === peer.learnedVersion)) return undefined;
    const cached = this.#learnedRows;
    const rows = cached !== undefined && cached.table === table && cached.rows.version === table.version ? cached.rows : learnedRowsOf(table);
    this.#learnedRows = { table, rows };
    peer.learned = table;
    peer.learnedVersion = table.version;
    return rows;
  }
}
