/**
 * Reads the application's error rate from `predictive.error_rate.endpoint` (format: error-rate-body.ts).
 * One `GET` per read, with one hard deadline (`timeoutMs`) over connect, headers and body; a 2xx status
 * is required, redirects are not followed, the body is read up to 64 KiB, TLS verification is on.
 * `read()` rejects with a PredictiveError (code ERR_PREDICTIVE_ENDPOINT_FAILED) whose message names the
 * URL and the cause; it never logs. Owns one keep-alive connection, released by close().
 */
import { Client } from 'undici';
import type { Closeable } from '../../lifecycle/index.ts';
import { parseErrorRateBody } from './error-rate-body.ts';
import { PredictiveError, PredictiveErrorCode } from './predictive-error.ts';

const maxBodyBytes = 64 * 1024;
export const errorRateUserAgent = 'OpenGSLB-Agent/predictive';

/** A source of the application's error rate; the monitor takes any (tests use fakes). */
export interface ErrorRateSource {
  /** The current error rate; rejects with a PredictiveError when it cannot be read. */
  read(signal: AbortSignal): Promise<number>;
  close?(): Promise<void>;
}

export interface ErrorRateEndpointOptions {
  /** Deadline of one read, in milliseconds. */
  timeoutMs: number;
}

/** Checks an endpoint URL: absolute http(s), no credentials. Returns the parsed URL. */
export function parseErrorRateEndpointUrl(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (err) {
    throw new PredictiveError(
      PredictiveErrorCode.InvalidConfig,
      `predictive.error_rate.endpoint: expected an absolute http(s) URL, got ${JSON.stringify(endpoint)}`,
      { cause: err },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PredictiveError(
      PredictiveErrorCode.InvalidConfig,
      `predictive.error_rate.endpoint: expected an http or https URL, got scheme ${JSON.stringify(url.protocol.slice(0, -1))}`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new PredictiveError(
      PredictiveErrorCode.InvalidConfig,
      'predictive.error_rate.endpoint: credentials in the URL are not supported (they would end up in logs)',
    );
  }
  return url;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

export class ErrorRateEndpoint implements ErrorRateSource, Closeable {
  readonly url: URL;
  readonly timeoutMs: number;
  readonly #client: Client;
  readonly #path: string;
  #closing: Promise<void> | undefined;

  constructor(endpoint: string, options: ErrorRateEndpointOptions) {
    if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
      throw new PredictiveError(PredictiveErrorCode.InvalidConfig, `endpoint timeoutMs: expected a positive number, got ${options.timeoutMs}`);
    }
    this.url = parseErrorRateEndpointUrl(endpoint);
    this.timeoutMs = options.timeoutMs;
    this.#path = `${this.url.pathname}${this.url.search}`;
    this.#client = new Client(this.url.origin, {
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  async read(signal: AbortSignal): Promise<number> {
    const where = `error-rate endpoint ${this.url.href}`;
    const fail = (reason: string, cause?: unknown): PredictiveError =>
      new PredictiveError(PredictiveErrorCode.EndpointFailed, `${where}: ${reason}`, cause === undefined ? undefined : { cause });
    if (this.#closing !== undefined) throw fail('closed');
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const deadline = AbortSignal.any([signal, timeout]);
    let text: string;
    try {
      const res = await this.#client.request({
        method: 'GET',
        path: this.#path,
        headers: { accept: 'application/json, text/plain;q=0.9, */*;q=0.1', 'user-agent': errorRateUserAgent },
        signal: deadline,
      });
      if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump();
        throw fail(`HTTP ${res.statusCode}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxBodyBytes) throw fail(`body larger than ${maxBodyBytes} bytes`);
        chunks.push(chunk as Buffer);
      }
      text = Buffer.concat(chunks).toString('utf8');
    } catch (err) {
      if (err instanceof PredictiveError) throw err;
      if (timeout.aborted) throw fail(`timeout after ${this.timeoutMs}ms`, err);
      if (signal.aborted) throw fail('aborted', err);
      const code = (err as { code?: unknown } | null)?.code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw fail(`timeout after ${this.timeoutMs}ms`, err);
      }
      throw fail(describe(err), err);
    }
    const parsed = parseErrorRateBody(text);
    if (!parsed.ok) throw fail(parsed.error);
    return parsed.value;
  }

  close(): Promise<void> {
    this.#closing ??= this.#client.destroy();
    return this.#closing;
  }
}
