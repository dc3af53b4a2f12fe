/**
 * Finding backends by what a client typed. An agent registers `myapp` and it is served as
 * `myapp.<zone>`: a client may name the service either way, so a served name resolves to the
 * registry's service name. An unknown name stays as given (an override may precede its backend).
 */
import type { BackendStatusView, OverwatchControl } from '../overwatch/index.ts';

export function resolveService(control: OverwatchControl, service: string, backends: BackendStatusView[] = control.backends()): string {
  if (backends.some((b) => b.service === service)) return service;
  return backends.find((b) => b.servedNames.includes(service))?.service ?? service;
}

/** True when the backend is the service named (registry name or a served name). */
export function matchesService(b: BackendStatusView, service: string): boolean {
  return b.service === service || b.servedNames.includes(service);
}
