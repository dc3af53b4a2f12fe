/**
 * HTTP(S) check: `GET {scheme}://{address}:{port}{path}` on a fresh connection that is closed afterwards.
 * Healthy iff the status is 2xx; redirects are not followed (a 3xx is unhealthy, as in the original).
 * One hard deadline (`check.timeoutMs`) covers connect, TLS, headers and the drained body, so a backend
 * that accepts and never answers, or stalls its body, fails in time. TLS verification is always on;
 * `check.host` sets the Host header and the SNI name the certificate is verified against.
 * Fixes the original's unbracketed IPv6 URLs.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Client, type buildConnector } from 'undici';
import type { HealthCheckConfig } from '../config/types.ts';
import { describeProbeError } from './describe-probe-error.ts';
import type { HealthTarget, ProbeOptions, ProbeResult } from './probe.ts';

export const healthCheckUserAgent = 'OpenGSLB-HealthCheck/1.0';
const defaultMaxBodyBytes = 64 * 1024;

/** `[::1]` for an IPv6 literal (RFC 3986 §3.2.2), the address itself otherwise. */
function urlHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

function requestPath(path: string): string {
  if (path === '') return '/';
  return path.startsWith('/') ? path : `/${path}`;
}

/** The URL a check requests, e.g. `http://[2001:db8::1]:8080/health`; for logs, the API and tests. */
export function healthCheckUrl(type: 'http' | 'https', target: HealthTarget, path: string): string {
  return `${type}://${urlHost(target.address)}:${target.port}${requestPath(path)}`;
}

/** An IP literal can be neither an SNI name (RFC 6066 §3) nor checked against DNS SANs, so it is not sent. */
function sniName(host: string): string | undefined {
  let name = host;
  if (name.startsWith('[')) return undefined;
  const colon = name.lastIndexOf(':');
  if (colon >= 0) {
    if (name.indexOf(':') !== colon) return undefined; // bare IPv6 literal
    name = name.slice(0, colon); // "example.com:8443"
  }
  if (/^[0-9.]+$/.test(name) || name === '') return undefined;
  return name;
}

/** Runs one HTTP(S) check. Never rejects. */
export async function probeHttp(
  target: HealthTarget,
  check: HealthCheckConfig,
  signal: AbortSignal,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const startedAt = performance.now();
  const elapsed = (): number => performance.now() - startedAt;
  if (signal.aborted) return { ok: false, latencyMs: 0, error: 'aborted' };
  const scheme = check.type === 'https' ? 'https' : 'http';
  const timeout = AbortSignal.timeout(check.timeoutMs);
  const deadline = AbortSignal.any([signal, timeout]);
  const timeoutReason = `timeout after ${check.timeoutMs}ms`;
  const fail = (error: string, statusCode?: number): ProbeResult =>
    statusCode === undefined
      ? { ok: false, latencyMs: elapsed(), error }
      : { ok: false, latencyMs: elapsed(), error, statusCode };

  // Our own connector, so the deadline can destroy a socket that is still connecting: undici defers a
  // request's abort until its connection is established, which would stretch a blackholed connect
  // past timeoutMs to undici's coarse connect timer.
  let socket: Socket | undefined;
  const onDeadline = (): void => {
    socket?.destroy(Object.assign(new Error('health check deadline'), { code: 'ABORT_ERR' }));
  };
  deadline.addEventListener('abort', onDeadline, { once: true });
  const servername = check.host === undefined ? undefined : sniName(check.host);
  const connector: buildConnector.connector = (opts, callback) => {
    let pending: buildConnector.Callback | undefined = callback;
    const port = Number(opts.port) || (scheme === 'https' ? 443 : 80);
    const s: Socket =
      scheme === 'https'
        ? tlsConnect({
            host: opts.hostname,
            port,
            rejectUnauthorized: true,
            ALPNProtocols: ['http/1.1'],
            ...(servername === undefined ? {} : { servername }),
            ...(options.ca === undefined ? {} : { ca: options.ca }),
          })
        : netConnect({ host: opts.hostname, port });
    socket = s;
    s.setNoDelay(true);
    s.once(scheme === 'https' ? 'secureConnect' : 'connect', () => {
      const cb = pending;
      pending = undefined;
      cb?.(null, s);
    });
    s.on('error', (err) => {
      const cb = pending;
      pending = undefined;
      cb?.(err, null);
    });
    if (deadline.aborted) onDeadline();
  };

  let client: Client;
  try {
    client = new Client(`${scheme}://${urlHost(target.address)}:${target.port}`, {
      connect: connector,
      // The deadline governs; undici's own phase timers only back it up.
      headersTimeout: check.timeoutMs,
      bodyTimeout: check.timeoutMs,
      pipelining: 1,
    });
  } catch (err) {
    deadline.removeEventListener('abort', onDeadline);
    return fail(`invalid target: ${describeProbeError(err)}`); // e.g. an IPv6 zone id, which URLs cannot carry
  }

  let statusCode: number | undefined;
  try {
    const headers: Record<string, string> = {
      'user-agent': healthCheckUserAgent,
      connection: 'close',
    };
    if (check.host !== undefined && check.host !== '') headers.host = check.host;
    const res = await client.request({ method: 'GET', path: requestPath(check.path), headers, signal: deadline });
    statusCode = res.statusCode;
    // Read and discard at most maxBodyBytes, so a health page cannot make us buffer or wait forever.
    const cap = options.maxBodyBytes ?? defaultMaxBodyBytes;
    let read = 0;
    for await (const chunk of res.body) {
      read += (chunk as Buffer).length;
      if (read >= cap) break; // leaving the loop destroys the body; the connection is dropped below
    }
    if (statusCode >= 200 && statusCode < 300) return { ok: true, latencyMs: elapsed(), statusCode };
    return fail(`HTTP ${statusCode}`, statusCode);
  } catch (err) {
    if (timeout.aborted) return fail(timeoutReason, statusCode);
    if (signal.aborted) return fail('aborted', statusCode);
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return fail(timeoutReason, statusCode);
    }
    return fail(describeProbeError(err), statusCode);
  } finally {
    deadline.removeEventListener('abort', onDeadline);
    try {
      await client.destroy();
    } catch (err) {
      // Destroying our own client only closes its socket; the check's outcome is already decided.
      void err;
    }
  }
}
