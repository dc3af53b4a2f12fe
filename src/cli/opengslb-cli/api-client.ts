/**
 * The CLI's HTTP client for the Overwatch REST API (fetch, one AbortSignal.timeout per request).
 * Contract: a 2xx answer resolves with the status, the body text exactly as sent and its JSON;
 * any other status rejects with ApiResponseError carrying the API's own `error` message; a network
 * failure rejects with ConnectError naming the URL tried and why. Never retries.
 */
import { ApiResponseError, ConnectError, UsageError } from './cli-error.ts';

export interface ApiResponse {
  status: number;
  /** The body as the API sent it ('' for 204). */
  text: string;
  /** The parsed body; null when empty or not JSON. */
  json: unknown;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Non-2xx statuses to resolve with instead of rejecting (e.g. 503 from /ready). */
  acceptStatuses?: number[];
}

/** `127.0.0.1:8080` → `http://127.0.0.1:8080`; no trailing slash. Throws UsageError when unusable. */
export function normaliseApiBase(raw: string): string {
  const text = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (err) {
    throw new UsageError(`--api: expected a URL such as http://127.0.0.1:8080, got ${JSON.stringify(raw)}`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--api: expected an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

const CONNECT_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
};

/** Why fetch failed, in words, from the error chain undici throws (`TypeError: fetch failed` + cause). */
export function describeFetchFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs / 1000}s (--timeout)`;
  }
  let cur: unknown = err;
  for (let depth = 0; cur instanceof Error && depth < 5; depth++) {
    const code = (cur as NodeJS.ErrnoException).code;
    if (code !== undefined && CONNECT_REASONS[code] !== undefined) return `${CONNECT_REASONS[code]} (${code})`;
    if (code !== undefined) return `${cur.message} (${code})`;
    if (cur.cause === undefined) return cur.message;
    cur = cur.cause;
  }
  return String(err);
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** The API's `error` text, or the start of whatever it sent. */
function apiMessageOf(json: unknown, text: string, statusText: string): string {
  if (json !== null && typeof json === 'object' && typeof (json as { error?: unknown }).error === 'string') return (json as { error: string }).error;
  const first = text.trim().split('\n')[0]?.slice(0, 200) ?? '';
  return first !== '' ? first : statusText;
}

export class ApiClient {
  readonly base: string;
  readonly timeoutMs: number;

  constructor(base: string, timeoutMs: number) {
    this.base = normaliseApiBase(base);
    this.timeoutMs = timeoutMs;
  }

  url(path: string, query?: RequestOptions['query']): string {
    const u = new URL(this.base + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const url = this.url(path, opts.query);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const signal = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { method, headers, body, signal });
      text = await res.text();
    } catch (err) {
      throw new ConnectError(this.base, describeFetchFailure(err, this.timeoutMs), { cause: err });
    }
    const json = parseJson(text);
    const ok = (res.status >= 200 && res.status < 300) || (opts.acceptStatuses ?? []).includes(res.status);
    if (!ok) throw new ApiResponseError(method, path, res.status, apiMessageOf(json, text, res.statusText), text);
    return { status: res.status, text, json };
  }

  get(path: string, opts?: RequestOptions): Promise<ApiResponse> {
    return this.request('GET', path, opts);
  }
}

/** A path segment, percent-encoded (service names, addresses, CIDRs with their slash). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
