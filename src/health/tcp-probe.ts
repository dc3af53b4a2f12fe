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
  const host = target.address.startsWith('[') ? target.address.slice(1, -1) : target.address;

  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    // A plain timer cleared on completion, not AbortSignal.timeout + AbortSignal.any: those outlive
    // the check (the timeout signal until it fires, the composite until GC) and at 10,000 backends
    // checked every 10 s they were a steady source of garbage.
    let timer: NodeJS.Timeout | undefined;
    const finish = (ok: boolean, error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket?.destroy();
      const latencyMs = performance.now() - startedAt;
      resolve(error === undefined ? { ok, latencyMs } : { ok, latencyMs, error });
    };
    const onAbort = (): void => finish(false, 'aborted');
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
    timer = setTimeout(() => finish(false, `timeout after ${check.timeoutMs}ms`), check.timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
