/**
 * Every route the server registered (fed by the onRoute hook): the discovery endpoints list them,
 * and the not-found handler tells "no such path" (404) from "path exists, not with this method" (405).
 * Adding a route plugin needs no change here.
 */
import type { HTTPMethods } from 'fastify';

export interface EndpointInfo {
  /** OpenAPI-style: `/api/v1/overrides/{service}/{address}`. */
  path: string;
  description: string;
  methods: string[];
}

interface Entry {
  url: string;
  path: string;
  pattern: RegExp;
  methods: Set<string>;
  description: string;
}

export interface RouteRecord {
  method: HTTPMethods | HTTPMethods[];
  url: string;
  schema?: { summary?: string; description?: string } | unknown;
}

function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

function summaryOf(schema: unknown): string {
  if (typeof schema !== 'object' || schema === null) return '';
  const s = schema as { summary?: unknown; description?: unknown };
  return typeof s.summary === 'string' ? s.summary : typeof s.description === 'string' ? s.description : '';
}

export class RouteIndex {
  readonly #entries = new Map<string, Entry>();

  add(route: RouteRecord): void {
    let entry = this.#entries.get(route.url);
    if (!entry) {
      entry = {
        url: route.url,
        path: route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
        pattern: patternOf(route.url),
        methods: new Set(),
        description: '',
      };
      this.#entries.set(route.url, entry);
    }
    for (const m of Array.isArray(route.method) ? route.method : [route.method]) entry.methods.add(m);
    if (entry.description === '') entry.description = summaryOf(route.schema);
  }

  /** Methods registered for the path a request used (query string ignored); empty when none matches. */
  methodsFor(rawUrl: string): string[] {
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const methods = new Set<string>();
    for (const e of this.#entries.values()) if (e.pattern.test(path)) for (const m of e.methods) methods.add(m);
    return [...methods].sort();
  }

  /** Routes strictly below `prefix` (e.g. `/api/v1`), GET/POST/... without the implied HEAD. */
  endpointsUnder(prefix: string): EndpointInfo[] {
    const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
    return [...this.#entries.values()]
      .filter((e) => e.url.startsWith(base))
      .map((e) => ({ path: e.path, description: e.description, methods: [...e.methods].filter((m) => m !== 'HEAD').sort() }))
      .filter((e) => e.methods.length > 0)
      .sort((a, b) => a.path.localeCompare(b.path));
  }
}
