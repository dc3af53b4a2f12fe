/**
 * `backends list [--healthy]`: the guide's troubleshooting steps "check registered backends" and
 * "check healthy backends" (`/api/v1/backends`, `/api/v1/backends/healthy`), with the authority
 * that decided each backend's health (override, external, validation, agent).
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { cell } from '../format.ts';
import { renderTable, type Palette } from '../table.ts';

export interface BackendJson {
  id: string;
  service: string;
  address: string;
  port: number;
  weight: number;
  region: string;
  source: string;
  agent_id: string | null;
  effective_status: string;
  healthy: boolean;
  authority: string;
  stale: boolean;
  draining: boolean;
  validation: { healthy: boolean | null; error: string | null; latency_ms: number | null };
  override: { healthy: boolean; reason: string; source: string } | null;
  served_names: string[];
}

function checkCell(c: Palette, v: BackendJson['validation']): string {
  if (v.healthy === null) return '-';
  const latency = v.latency_ms === null ? '' : ` ${Math.round(v.latency_ms)}ms`;
  return v.healthy ? c.green(`pass${latency}`) : c.red(`fail${v.error ? `: ${v.error}` : ''}`);
}

/** The backend table shared by `backends list` and `watch`. */
export function backendTable(c: Palette, list: BackendJson[]): string {
  const hostPort = (b: BackendJson) => (b.address.includes(':') ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`);
  return renderTable(
    ['service', 'backend', 'region', 'source', 'status', 'serving', 'authority', 'check', 'override'],
    list.map((b) => [
      b.service,
      hostPort(b),
      cell(b.region),
      b.agent_id ? `${b.source}:${b.agent_id}` : b.source,
      c.status(b.effective_status),
      b.healthy ? c.green('yes') : c.red('no'),
      b.authority,
      checkCell(c, b.validation),
      b.override ? `${b.override.healthy ? 'healthy' : 'unhealthy'}${b.override.reason ? ` (${b.override.reason})` : ''}` : '-',
    ]),
  );
}

export function registerBackends(program: Command, ctxOf: (cmd: Command) => CliContext): void {
  program
    .command('backends')
    .description('backends with effective health and the deciding authority')
    .command('list')
    .description('every backend (GET /api/v1/backends); --healthy: only those DNS hands out')
    .option('--healthy', 'only the backends DNS hands out now (GET /api/v1/backends/healthy)')
    .action(async (opts: { healthy?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await ctx.client.get(opts.healthy ? '/api/v1/backends/healthy' : '/api/v1/backends');
      if (ctx.json) return ctx.printRaw(res);
      const list = (res.json as { backends: BackendJson[] }).backends;
      if (list.length === 0) return ctx.out(opts.healthy ? 'no healthy backends: DNS answers SERVFAIL (or the last healthy set)\n' : 'no backends\n');
      ctx.out(backendTable(ctx.colour, list));
    });
}
