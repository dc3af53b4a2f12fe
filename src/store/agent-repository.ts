import type { StatementSync } from 'node:sqlite';
import { FieldCheck } from './field-check.ts';
import type { StoreConnection } from './store-connection.ts';

/** An agent identity pinned on first use (TOFU). */
export interface AgentRecord {
  agentId: string;
  service: string;
  region: string;
  /** The pinned public-key / certificate fingerprint, e.g. 'sha256:…'. */
  pin: string;
  certificatePem: string | null;
  firstSeenMs: number;
  lastSeenMs: number;
  revoked: boolean;
  revokedAtMs: number | null;
  revokedReason: string | null;
}

export type AgentInput = Omit<AgentRecord, 'certificatePem' | 'revoked' | 'revokedAtMs' | 'revokedReason'> & {
  certificatePem?: string | null;
};

/**
 * Pinned agent identities.
 *
 * `touch()` is called once per heartbeat (1,000 agents every few seconds), so it does not write: it
 * records last_seen in memory, and the pending values are written in one transaction by `flushTouches()`
 * — called by `touch()` itself once the oldest pending value is `touchFlushIntervalMs` old (measured on
 * the heartbeat times it is given, so the store keeps no timer), and by `StateStore.close()`. Reads
 * (`get`, `list`) include pending values. A kill -9 can therefore lose at most the last interval of
 * last_seen updates, which only makes an agent look a few seconds older after a restart; pins,
 * revocations and registrations are durable on return. `touchFlushIntervalMs: 0` makes every touch durable.
 */
export class AgentRepository {
  readonly #conn: StoreConnection;
  readonly #touchFlushIntervalMs: number;
  readonly #pending = new Map<string, number>();
  /** Heartbeat time at which the current batch of pending touches started (or the last failed flush). */
  #batchStartMs: number | undefined;
  readonly #upsert: StatementSync;
  readonly #get: StatementSync;
  readonly #list: StatementSync;
  readonly #revoke: StatementSync;
  readonly #delete: StatementSync;
  readonly #touch: StatementSync;

  constructor(conn: StoreConnection, touchFlushIntervalMs: number) {
    this.#conn = conn;
    this.#touchFlushIntervalMs = touchFlushIntervalMs;
    // An upsert never moves first_seen later or last_seen earlier, and leaves revocation alone: a
    // revoked agent is un-revoked only by delete() and a new pin.
    this.#upsert = conn.prepare(`
      INSERT INTO agents (agent_id, service, region, pin, certificate_pem, first_seen_ms, last_seen_ms)
      VALUES (:agentId, :service, :region, :pin, :certificatePem, :firstSeenMs, :lastSeenMs)
      ON CONFLICT (agent_id) DO UPDATE SET
        service = excluded.service, region = excluded.region, pin = excluded.pin,
        certificate_pem = excluded.certificate_pem,
        first_seen_ms = min(first_seen_ms, excluded.first_seen_ms),
        last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)
      RETURNING *`);
    this.#get = conn.prepare('SELECT * FROM agents WHERE agent_id = ?');
    this.#list = conn.prepare('SELECT * FROM agents ORDER BY agent_id');
    this.#revoke = conn.prepare(
      'UPDATE agents SET revoked = 1, revoked_at_ms = ?, revoked_reason = ? WHERE agent_id = ?',
    );
    this.#delete = conn.prepare('DELETE FROM agents WHERE agent_id = ?');
    this.#touch = conn.prepare('UPDATE agents SET last_seen_ms = max(last_seen_ms, ?) WHERE agent_id = ?');
  }

  /** Pins a new agent or updates a known one; returns the stored record. */
  upsert(input: AgentInput): AgentRecord {
    const check = new FieldCheck(this.#conn.filePath, 'agent');
    const a = check.record(input);
    const params = {
      agentId: check.text('agentId', a.agentId),
      service: check.text('service', a.service),
      region: check.text('region', a.region, true),
      pin: check.text('pin', a.pin),
      certificatePem: check.optionalText('certificatePem', a.certificatePem),
      firstSeenMs: check.timestampMs('firstSeenMs', a.firstSeenMs),
      lastSeenMs: check.timestampMs('lastSeenMs', a.lastSeenMs),
    };
    return this.#conn.write('storing an agent', () => this.#merge(toRecord(this.#upsert.get(params)!)));
  }

  get(agentId: string): AgentRecord | undefined {
    return this.#conn.read('reading an agent', () => {
      const row = this.#get.get(agentId);
      return row === undefined ? undefined : this.#merge(toRecord(row));
    });
  }

  /** Every agent, ordered by id. */
  list(): AgentRecord[] {
    return this.#conn.read('listing agents', () => this.#list.all().map((row) => this.#merge(toRecord(row))));
  }

  /** Marks an agent revoked; true if it existed. Its heartbeats must be refused from now on. */
  revoke(agentId: string, reason: string, revokedAtMs: number): boolean {
    const check = new FieldCheck(this.#conn.filePath, 'agent');
    check.text('reason', reason, true);
    check.timestampMs('revokedAtMs', revokedAtMs);
    return this.#conn.write(
      'revoking an agent',
      () => Number(this.#revoke.run(revokedAtMs, reason, agentId).changes) > 0,
    );
  }

  /** Forgets an agent and its pin (its registrations stay: see AgentBackendRepository.deleteByAgent). */
  delete(agentId: string): boolean {
    return this.#conn.write('deleting an agent', () => {
      const existed = Number(this.#delete.run(agentId).changes) > 0;
      this.#pending.delete(agentId);
      return existed;
    });
  }

  /**
   * Records a heartbeat time; cheap (a Map write). May flush the batch, in which case a write failure
   * is thrown as a StoreError; the batch is kept and retried one interval later.
   */
  touch(agentId: string, lastSeenMs: number): void {
    if (this.#conn.isClosed || typeof agentId !== 'string' || !Number.isSafeInteger(lastSeenMs) || lastSeenMs < 0) {
      // The slow path only to throw the right error: closed store or a bad argument.
      this.#conn.read('recording a heartbeat', () => {
        const check = new FieldCheck(this.#conn.filePath, 'touch');
        check.text('agentId', agentId);
        check.timestampMs('lastSeenMs', lastSeenMs);
      });
    }
    const previous = this.#pending.get(agentId);
    if (previous === undefined || lastSeenMs > previous) this.#pending.set(agentId, lastSeenMs);
    this.#batchStartMs ??= lastSeenMs;
    if (lastSeenMs - this.#batchStartMs >= this.#touchFlushIntervalMs) {
      // Move the batch start first so a failing disk is retried once per interval, not on every heartbeat.
      this.#batchStartMs = lastSeenMs;
      this.flushTouches();
    }
  }

  /** Heartbeat times recorded by touch() and not yet written. */
  get pendingTouchCount(): number {
    return this.#pending.size;
  }

  /** Writes every pending touch in one transaction; returns how many agents were written. */
  flushTouches(): number {
    if (this.#pending.size === 0) return 0;
    const batch = [...this.#pending];
    this.#conn.write(`writing last_seen of ${batch.length} agents`, () => {
      for (const [agentId, lastSeenMs] of batch) this.#touch.run(lastSeenMs, agentId);
    });
    this.#pending.clear();
    this.#batchStartMs = undefined;
    return batch.length;
  }

  #merge(record: AgentRecord): AgentRecord {
    const pending = this.#pending.get(record.agentId);
    if (pending !== undefined && pending > record.lastSeenMs) record.lastSeenMs = pending;
    return record;
  }
}

function toRecord(row: Record<string, unknown>): AgentRecord {
  return {
    agentId: row.agent_id as string,
    service: row.service as string,
    region: row.region as string,
    pin: row.pin as string,
    certificatePem: (row.certificate_pem as string | null) ?? null,
    firstSeenMs: row.first_seen_ms as number,
    lastSeenMs: row.last_seen_ms as number,
    revoked: row.revoked === 1,
    revokedAtMs: (row.revoked_at_ms as number | null) ?? null,
    revokedReason: (row.revoked_reason as string | null) ?? null,
  };
}
