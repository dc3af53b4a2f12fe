/**
 * Test fixtures for api/: a FakeControl-backed API on 127.0.0.1 port 0 (closed after the test), an
 * inject()-able instance for varying the client address, a logger that keeps its lines, and a small
 * JSON request helper over fetch.
 */
import type { TestContext } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { createApiServer, startApiServer, type ApiServerOptions } from '../../src/api/index.ts';
import type { ApiConfig } from '../../src/config/types.ts';
import type { Logger } from '../../src/log/index.ts';
import { FakeControl } from './fake-control.ts';

export function apiConfig(overrides: Partial<ApiConfig> = {}): ApiConfig {
  return {
    enabled: true,
    listen: { host: '127.0.0.1', port: 0 },
    allowedNetworks: ['127.0.0.0/8', '::1/128'],
    trustProxyHeaders: false,
    ...overrides,
  };
}

/** A pino logger at `level` whose JSON lines are kept in `lines`. */
export function capturingLogger(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

export interface Harness {
  control: FakeControl;
  base: string;
  port: number;
  lines: string[];
}

export interface HarnessOptions {
  control?: FakeControl;
  api?: Partial<ApiConfig>;
  bodyLimitBytes?: number;
}

/** A real listening API over a FakeControl; closed when the test ends. */
export async function startHarness(t: TestContext, opts: HarnessOptions = {}): Promise<Harness> {
  const control = opts.control ?? new FakeControl();
  const { logger, lines } = capturingLogger();
  const options: ApiServerOptions = { control, config: apiConfig(opts.api), logger, bodyLimitBytes: opts.bodyLimitBytes };
  const server = await startApiServer(options);
  t.after(() => server.close());
  return { control, base: `http://127.0.0.1:${server.port}`, port: server.port, lines };
}

/** A not-listening instance for inject() (client address set per request with remoteAddress). */
export async function injectable(t: TestContext, opts: HarnessOptions = {}): Promise<{ app: FastifyInstance; control: FakeControl; lines: string[] }> {
  const control = opts.control ?? new FakeControl();
  const { logger, lines } = capturingLogger();
  const app = await createApiServer({ control, config: apiConfig(opts.api), logger, bodyLimitBytes: opts.bodyLimitBytes });
  t.after(() => app.close());
  return { app, control, lines };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body. */
  body: any;
  text: string;
}

/** fetch with a JSON body (objects are serialised; strings sent as given) and the answer parsed. */
export async function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let parsed: unknown;
  if (text !== '') parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** RFC 3339 with the UTC designator, as the original wrote generated_at and friends. */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
