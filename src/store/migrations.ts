import type { DatabaseSync } from 'node:sqlite';
import { StoreError, StoreErrorCode } from './store-error.ts';

/**
 * Forward-only schema migrations. Each runs once, in order, inside the same transaction as its row in
 * `schema_version`, so a crash mid-migration leaves the previous version intact. Never edit a released
 * migration: append a new one. A file whose version is above the last one here was written by a newer
 * build and is refused untouched.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'overrides, agents, agent_backends, documents, dnssec_keys, meta',
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
      ) STRICT;

      -- port 0 stands for "every port of the address" (a NULL would not take part in the primary key).
      CREATE TABLE overrides (
        service       TEXT    NOT NULL CHECK (length(service) > 0),
        address       TEXT    NOT NULL CHECK (length(address) > 0),
        port          INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
        healthy       INTEGER NOT NULL CHECK (healthy IN (0, 1)),
        reason        TEXT    NOT NULL,
        source        TEXT    NOT NULL CHECK (length(source) > 0),
        authority     TEXT    NOT NULL,
        created_at_ms INTEGER NOT NULL CHECK (created_at_ms >= 0),
        PRIMARY KEY (service, address, port)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE agents (
        agent_id        TEXT    PRIMARY KEY NOT NULL CHECK (length(agent_id) > 0),
        service         TEXT    NOT NULL,
        region          TEXT    NOT NULL,
        pin             TEXT    NOT NULL CHECK (length(pin) > 0),
        certificate_pem TEXT,
        first_seen_ms   INTEGER NOT NULL,
        last_seen_ms    INTEGER NOT NULL,
        revoked         INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
        revoked_at_ms   INTEGER,
        revoked_reason  TEXT
      ) STRICT;

      CREATE TABLE agent_backends (
        service          TEXT    NOT NULL CHECK (length(service) > 0),
        address          TEXT    NOT NULL CHECK (length(address) > 0),
        port             INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
        agent_id         TEXT    NOT NULL CHECK (length(agent_id) > 0),
        region           TEXT    NOT NULL,
        weight           INTEGER NOT NULL CHECK (weight >= 0),
        health_check     TEXT    NOT NULL CHECK (json_valid(health_check)),
        last_seen_ms     INTEGER NOT NULL,
        registered_at_ms INTEGER NOT NULL,
        draining         INTEGER NOT NULL CHECK (draining IN (0, 1)),
        PRIMARY KEY (service, address, port)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX agent_backends_by_agent ON agent_backends (agent_id);

      CREATE TABLE documents (
        namespace TEXT NOT NULL,
        id        TEXT NOT NULL CHECK (length(id) > 0),
        body      TEXT NOT NULL CHECK (json_valid(body)),
        PRIMARY KEY (namespace, id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE dnssec_keys (
        zone            TEXT    NOT NULL CHECK (length(zone) > 0),
        key_tag         INTEGER NOT NULL CHECK (key_tag BETWEEN 0 AND 65535),
        algorithm       INTEGER NOT NULL CHECK (algorithm BETWEEN 0 AND 255),
        flags           INTEGER NOT NULL CHECK (flags BETWEEN 0 AND 65535),
        public_key      TEXT    NOT NULL CHECK (length(public_key) > 0),
        private_key_pem TEXT    NOT NULL CHECK (length(private_key_pem) > 0),
        created_at_ms   INTEGER NOT NULL,
        source          TEXT    NOT NULL CHECK (source = 'local' OR source LIKE 'peer:_%'),
        active          INTEGER NOT NULL CHECK (active IN (0, 1)),
        PRIMARY KEY (zone, key_tag, algorithm)
      ) STRICT, WITHOUT ROWID;
    `,
  },
];

export const LATEST_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1].version;

const CREATE_SCHEMA_VERSION = `
  CREATE TABLE IF NOT EXISTS schema_version (
    version       INTEGER PRIMARY KEY NOT NULL,
    description   TEXT    NOT NULL,
    applied_at_ms INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
  ) STRICT`;

/**
 * The schema version recorded in the file: 0 for an empty database. Throws ERR_STORE_SCHEMA for a
 * SQLite file that has tables but no `schema_version` (some other application's database).
 */
export function readSchemaVersion(db: DatabaseSync, filePath: string): number {
  const tables = db
    .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`)
    .all()
    .map((row) => String(row.name));
  if (tables.length === 0) return 0;
  if (!tables.includes('schema_version')) {
    throw new StoreError(
      StoreErrorCode.Schema,
      filePath,
      `${filePath} is a SQLite database but not an OpenGSLB state file (tables ${tables.slice(0, 5).join(', ')}; ` +
        'no schema_version); it was left untouched, point data_dir at another directory',
    );
  }
  const row = db.prepare('SELECT max(version) AS version FROM schema_version').get();
  return typeof row?.version === 'number' ? row.version : 0;
}

/** Refuses a file written by a newer build; says which versions are involved. */
export function assertSchemaNotNewer(version: number, latest: number, filePath: string): void {
  if (version > latest) {
    throw new StoreError(
      StoreErrorCode.Schema,
      filePath,
      `${filePath} has schema version ${version}, newer than the ${latest} this build of OpenGSLB supports; ` +
        'it was left untouched: run the newer OpenGSLB, or restore a backup made for this version',
    );
  }
}

/**
 * Applies every migration above the file's version, in one transaction that the caller has begun.
 * Returns the version reached.
 */
export function applyMigrations(
  db: DatabaseSync,
  filePath: string,
  migrations: readonly Migration[] = MIGRATIONS,
): number {
  const latest = migrations.length > 0 ? migrations[migrations.length - 1].version : 0;
  let version = readSchemaVersion(db, filePath);
  assertSchemaNotNewer(version, latest, filePath);
  if (version === latest) return version;
  db.exec(CREATE_SCHEMA_VERSION);
  const record = db.prepare('INSERT INTO schema_version (version, description) VALUES (?, ?)');
  for (const migration of migrations) {
    if (migration.version <= version) continue;
    db.exec(migration.sql);
    record.run(migration.version, migration.description);
    version = migration.version;
  }
  return version;
}
