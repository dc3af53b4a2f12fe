import type { HealthCheckConfig } from '../config/types.ts';
import { probeHttp } from './http-probe.ts';
import { probeTcp } from './tcp-probe.ts';

/** What a check is pointed at. `address` is an IP literal (IPv6 without brackets) or a host name. */
export interface HealthTarget {
  readonly address: string;
  readonly port: number;
}

/** The outcome of one check. Probes report every failure here; they never throw or reject. */
export interface ProbeResult {
  ok: boolean;
  /** Wall time of the check (connect through drained body), fractional milliseconds. */
  latencyMs: number;
  /** Short, secret-free reason when !ok: `connect ECONNREFUSED`, `timeout after 2000ms`, `HTTP 503`. */
  error?: string;
  /** HTTP(S) only: the response status when headers arrived (also on a later body timeout). */
  statusCode?: number;
}

/** Options a probe takes beyond the check definition; for deployments with private CAs, and tests. */
export interface ProbeOptions {
  /** Extra trusted CA certificates (PEM) for https checks; replaces Node's bundled roots when given. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Bytes of an HTTP body read and discarded before the connection is dropped; 64 KiB by default. */
  maxBodyBytes?: number;
}

export type ProbeFn = (target: HealthTarget, check: HealthCheckConfig, signal: AbortSignal) => Promise<ProbeResult>;

/** Runs the check `check.type` names against `target`. Never rejects. */
export function probe(
  target: HealthTarget,
  check: HealthCheckConfig,
  signal: AbortSignal,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  switch (check.type) {
    case 'http':
    case 'https':
      return probeHttp(target, check, signal, options);
    case 'tcp':
      return probeTcp(target, check, signal);
    default:
      return Promise.resolve({ ok: false, latencyMs: 0, error: `unsupported check type ${JSON.stringify(check.type)}` });
  }
}

/** A ProbeFn bound to `options` (e.g. a private CA), for HealthScheduler's `probe` option. */
export function createProbe(options: ProbeOptions = {}): ProbeFn {
  return (target, check, signal) => probe(target, check, signal, options);
}
