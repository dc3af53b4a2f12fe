import type { StatementSync } from 'node:sqlite';
import { FieldCheck } from './field-check.ts';
import { parseJsonColumn } from './json-column.ts';
import type { StoreConnection } from './store-connection.ts';

/** Kinds of objects created through the REST API, each stored as JSON documents keyed by id. */
export const DOCUMENT_NAMESPACES = ['servers', 'domains', 'regions', 'geo_mappings', 'domain_backends'] as const;
export type DocumentNamespace = (typeof DOCUMENT_NAMESPACES)[number];

export interface StoredDocument {
  id: string;
  body: unknown;
}

/**
 * API-created objects as opaque JSON documents. The store checks only that a body is JSON; the API
 * validates its shape when writing and reading (a body written by an older version may lack new fields).
 */
export class DocumentRepository {
  readonly #conn: StoreConnection;
  readonly #upsert: StatementSync;
  readonly #get: StatementSync;
  readonly #delete: StatementSync;
  readonly #list: StatementSync;

  constructor(conn: StoreConnection) {
    this.#conn = conn;
    this.#upsert = conn.prepare(`
      INSERT INTO documents (namespace, id, body) VALUES (?, ?, ?)
      ON CONFLICT (namespace, id) DO UPDATE SET body = excluded.body`);
    this.#get = conn.prepare('SELECT body FROM documents WHERE namespace = ? AND id = ?');
    this.#delete = conn.prepare('DELETE FROM documents WHERE namespace = ? AND id = ?');
    this.#list = conn.prepare('SELECT id, body FROM documents WHERE namespace = ? ORDER BY id');
  }

  /** Creates or replaces a document. */
  put(namespace: DocumentNamespace, id: string, body: unknown): void {
    const check = new FieldCheck(this.#conn.filePath, `documents.${String(namespace)}`);
    checkNamespace(check, namespace);
    const key = check.text('id', id);
    const json = check.json('body', body);
    this.#conn.write(`storing ${namespace}/${key}`, () => this.#upsert.run(namespace, key, json));
  }

  /** The document's body, or undefined if there is none. */
  get(namespace: DocumentNamespace, id: string): unknown {
    checkNamespace(new FieldCheck(this.#conn.filePath, 'documents'), namespace);
    return this.#conn.read(`reading ${namespace}/${id}`, () => {
      const row = this.#get.get(namespace, id);
      return row === undefined
        ? undefined
        : parseJsonColumn(row.body as string, this.#conn.filePath, `documents ${namespace}/${id}`);
    });
  }

  /** Removes a document; true if it existed. */
  delete(namespace: DocumentNamespace, id: string): boolean {
    checkNamespace(new FieldCheck(this.#conn.filePath, 'documents'), namespace);
    return this.#conn.write(
      `deleting ${namespace}/${id}`,
      () => Number(this.#delete.run(namespace, id).changes) > 0,
    );
  }

  /** Every document of a namespace, ordered by id. */
  list(namespace: DocumentNamespace): StoredDocument[] {
    checkNamespace(new FieldCheck(this.#conn.filePath, 'documents'), namespace);
    return this.#conn.read(`listing ${namespace}`, () =>
      this.#list.all(namespace).map((row) => ({
        id: row.id as string,
        body: parseJsonColumn(row.body as string, this.#conn.filePath, `documents ${namespace}/${String(row.id)}`),
      })),
    );
  }
}

function checkNamespace(check: FieldCheck, namespace: unknown): void {
  if (!(DOCUMENT_NAMESPACES as readonly unknown[]).includes(namespace)) {
    check.fail('namespace', `one of ${DOCUMENT_NAMESPACES.join(', ')}`, namespace);
  }
}
