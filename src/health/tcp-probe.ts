/**
 * TCP check: open a connection to `address:port` and close it at once. Healthy iff the connect
 * completes within `check.timeoutMs`. Nothing is written to the backend.
 */
import { connect, type Socket } from 'node:net';
import type { HealthCheckConfig } from '../config/types.ts';
import { describeProbeError } from './describe-probe-error.ts';
import type { HealthTarget, ProbeResult } from './probe.ts';

/** Runs one TCP connect check. Never rejects. */
export function probeTcp(target: HealthTarget, check: HealthCheckConfig, signal: AbortSignal): Promise<ProbeResult> {
  const startedAt = performance.now();
  if (signal.aborted) return Promise.resolve({ ok: false, latencyMs: 0, error: 'aborted' });
  const timeout = AbortSignal.timeout(check.timeoutMs);
  const deadline = AbortSignal.any([signal, timeout]);
  const host = target.address.startsWith('[') ? target.address.slice(1, -1) : target.address;

  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    const finish = (ok: boolean, error?: string): void => {
      if (settled) return;
      settled = true;
      deadline.removeEventListener('abort', onAbort);
      socket?.destroy();
      const latencyMs = performance.now() - startedAt;
      resolve(error === undefined ? { ok, latencyMs } : { ok, latencyMs, error });
    };
    const onAbort = (): void => finish(false, timeout.aborted ? `timeout after ${check.timeoutMs}ms` : 'aborted');
    let socket: Socket | undefined;
    try {
      socket = connect({ host, port: target.port });
    } catch (err) {
      // connect() throws synchronously on an invalid port or options
      resolve({ ok: false, latencyMs: performance.now() - startedAt, error: describeProbeError(err) });
      return;
    }
    socket.on('error', (err) => finish(false, describeProbeError(err)));
    socket.once('connect', () => finish(true));
    deadline.addEventListener('abort', onAbort, { once: true });
  });
}
