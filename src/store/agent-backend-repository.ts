import type { StatementSync } from 'node:sqlite';
import { FieldCheck } from './field-check.ts';
import { parseJsonColumn } from './json-column.ts';
import { StoreError, StoreErrorCode } from './store-error.ts';
import type { StoreConnection } from './store-connection.ts';

export interface AgentBackendKey {
  service: string;
  address: string;
  port: number;
}

/** A backend registered by an agent. */
export interface AgentBackendRecord extends AgentBackendKey {
  agentId: string;
  region: string;
  weight: number;
  /** The agent's health check definition (type, path, host, …) as a JSON value. */
  healthCheck: unknown;
  lastSeenMs: number;
  /** When this agent first registered this backend; kept when the same agent registers it again. */
  registeredAtMs: number;
  draining: boolean;
}

/** Agent registrations keyed by (service, address, port); the last agent to register a key owns it. */
export class AgentBackendRepository {
  readonly #conn: StoreConnection;
  readonly #upsert: StatementSync;
  readonly #get: StatementSync;
  readonly #delete: StatementSync;
  readonly #deleteByAgent: StatementSync;
  readonly #list: StatementSync;
  readonly #listByAgent: StatementSync;

  constructor(conn: StoreConnection) {
    this.#conn = conn;
    this.#upsert = conn.prepare(`
      INSERT INTO agent_backends
        (service, address, port, agent_id, region, weight, health_check, last_seen_ms, registered_at_ms, draining)
      VALUES
        (:service, :address, :port, :agentId, :region, :weight, :healthCheck, :lastSeenMs, :registeredAtMs, :draining)
      ON CONFLICT (service, address, port) DO UPDATE SET
        registered_at_ms = CASE WHEN agent_id = excluded.agent_id
          THEN registered_at_ms ELSE excluded.registered_at_ms END,
        agent_id = excluded.agent_id, region = excluded.region, weight = excluded.weight,
        health_check = excluded.health_check, last_seen_ms = excluded.last_seen_ms, draining = excluded.draining
      RETURNING *`);
    this.#get = conn.prepare('SELECT * FROM agent_backends WHERE service = ? AND address = ? AND port = ?');
    this.#delete = conn.prepare('DELETE FROM agent_backends WHERE service = ? AND address = ? AND port = ?');
    this.#deleteByAgent = conn.prepare('DELETE FROM agent_backends WHERE agent_id = ?');
    this.#list = conn.prepare('SELECT * FROM agent_backends ORDER BY service, address, port');
    this.#listByAgent = conn.prepare(
      'SELECT * FROM agent_backends WHERE agent_id = ? ORDER BY service, address, port',
    );
  }

  /** Registers or updates one backend; returns it as stored. */
  upsert(input: AgentBackendRecord): AgentBackendRecord {
    return this.#conn.write('storing an agent backend', () => this.#upsertOne(input, 'agentBackend'));
  }

  /** Registers or updates every backend in `inputs`, all or none. */
  upsertMany(inputs: readonly AgentBackendRecord[]): AgentBackendRecord[] {
    return this.#conn.write(`storing ${inputs.length} agent backends`, () =>
      inputs.map((input, i) => this.#upsertOne(input, `agentBackends[${i}]`)),
    );
  }

  /**
   * Makes `inputs` the complete set of `agentId`'s registrations (a full-state heartbeat), all or none:
   * its backends missing from `inputs` are removed. Every input must carry `agentId`.
   */
  replaceForAgent(agentId: string, inputs: readonly AgentBackendRecord[]): AgentBackendRecord[] {
    new FieldCheck(this.#conn.filePath, 'replaceForAgent').text('agentId', agentId);
    return this.#conn.write(`replacing the backends of agent ${agentId}`, () => {
      this.#deleteByAgent.run(agentId);
      return inputs.map((input, i) => {
        if (input?.agentId !== agentId) {
          throw new StoreError(
            StoreErrorCode.Invalid,
            this.#conn.filePath,
            `agentBackends[${i}].agentId: expected ${JSON.stringify(agentId)}, got ${JSON.stringify(input?.agentId)}`,
          );
        }
        return this.#upsertOne(input, `agentBackends[${i}]`);
      });
    });
  }

  get(key: AgentBackendKey): AgentBackendRecord | undefined {
    return this.#conn.read('reading an agent backend', () => {
      const row = this.#get.get(key.service, key.address, key.port);
      return row === undefined ? undefined : toRecord(row, this.#conn.filePath);
    });
  }

  /** Removes one registration; true if it existed. */
  delete(key: AgentBackendKey): boolean {
    return this.#conn.write(
      'deleting an agent backend',
      () => Number(this.#delete.run(key.service, key.address, key.port).changes) > 0,
    );
  }

  /** Removes every registration of an agent; returns how many there were. */
  deleteByAgent(agentId: string): number {
    return this.#conn.write(`deleting the backends of agent ${agentId}`, () =>
      Number(this.#deleteByAgent.run(agentId).changes),
    );
  }

  /** Every registration, ordered by service, address, port. */
  list(): AgentBackendRecord[] {
    return this.#conn.read('listing agent backends', () =>
      this.#list.all().map((row) => toRecord(row, this.#conn.filePath)),
    );
  }

  listByAgent(agentId: string): AgentBackendRecord[] {
    return this.#conn.read('listing agent backends', () =>
      this.#listByAgent.all(agentId).map((row) => toRecord(row, this.#conn.filePath)),
    );
  }

  #upsertOne(input: AgentBackendRecord, where: string): AgentBackendRecord {
    const check = new FieldCheck(this.#conn.filePath, where);
    const b = check.record(input);
    const params = {
      service: check.text('service', b.service),
      address: check.text('address', b.address),
      port: check.integer('port', b.port, 1, 65535),
      agentId: check.text('agentId', b.agentId),
      region: check.text('region', b.region, true),
      weight: check.integer('weight', b.weight, 0, 2 ** 31 - 1),
      healthCheck: check.json('healthCheck', b.healthCheck),
      lastSeenMs: check.timestampMs('lastSeenMs', b.lastSeenMs),
      registeredAtMs: check.timestampMs('registeredAtMs', b.registeredAtMs),
      draining: check.boolean('draining', b.draining) ? 1 : 0,
    };
    return toRecord(this.#upsert.get(params)!, this.#conn.filePath);
  }
}

function toRecord(row: Record<string, unknown>, filePath: string): AgentBackendRecord {
  return {
    service: row.service as string,
    address: row.address as string,
    port: row.port as number,
    agentId: row.agent_id as string,
    region: row.region as string,
    weight: row.weight as number,
    healthCheck: parseJsonColumn(row.health_check as string, filePath, 'agent_backends.health_check'),
    lastSeenMs: row.last_seen_ms as number,
    registeredAtMs: row.registered_at_ms as number,
    draining: row.draining === 1,
  };
}
