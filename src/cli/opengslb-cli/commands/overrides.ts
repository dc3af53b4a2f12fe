/**
 * `overrides list|set|clear`: the guide's external override API (`/api/v1/overrides`). An override
 * is the highest health authority; without `--port` it covers every port of the address.
 */
import type { Command } from 'commander';
import { segment } from '../api-client.ts';
import { UsageError } from '../cli-error.ts';
import { parseBoolFlag, parseIntFlag, type CliContext } from '../context.ts';
import { ageSeconds, cell, formatAge } from '../format.ts';
import { renderTable } from '../table.ts';

interface OverrideJson {
  service: string;
  address: string;
  port: number | null;
  healthy: boolean;
  reason: string;
  source: string;
  created_at: string;
  authority: string;
}

function target(service: string, address: string): string {
  return `/api/v1/overrides/${segment(service)}/${segment(address)}`;
}

export function registerOverrides(program: Command, ctxOf: (cmd: Command) => CliContext): void {
  const overrides = program.command('overrides').description('health overrides (highest authority over a backend)');

  overrides
    .command('list')
    .description('every override in force (GET /api/v1/overrides)')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await ctx.client.get('/api/v1/overrides');
      if (ctx.json) return ctx.printRaw(res);
      const list = (res.json as { overrides: OverrideJson[] }).overrides;
      if (list.length === 0) return ctx.out('no overrides\n');
      const now = ctx.nowMs();
      ctx.out(
        renderTable(
          ['service', 'address', 'port', 'healthy', 'reason', 'source', 'set by', 'age'],
          list.map((o) => [
            o.service,
            o.address,
            o.port === null ? 'all' : String(o.port),
            ctx.colour.status(o.healthy ? 'healthy' : 'unhealthy'),
            cell(o.reason),
            o.source,
            cell(o.authority),
            formatAge(ageSeconds(o.created_at, now)),
          ]),
        ),
      );
    });

  overrides
    .command('set')
    .description('set the override of a backend (PUT /api/v1/overrides/{service}/{address})')
    .argument('<service>', 'service (the agent service name or the served FQDN)')
    .argument('<address>', 'backend IP address')
    .option('--healthy [bool]', 'true: always serve it; false (--healthy=false): never serve it', parseBoolFlag('--healthy'))
    .option('--unhealthy', 'same as --healthy=false')
    .option('--reason <text>', 'why; shown in listings and logs', '')
    .option('--port <port>', 'only this port (default: every port of the address)', parseIntFlag('--port', 1, 65535))
    .option('--source <tool>', 'external tool name (default: a manual override)')
    .option('--user <name>', 'who sets it (X-User header; default: your address)')
    .action(
      async (
        service: string,
        address: string,
        opts: { healthy?: boolean; unhealthy?: boolean; reason: string; port?: number; source?: string; user?: string },
        cmd: Command,
      ) => {
        const ctx = ctxOf(cmd);
        if (opts.healthy === undefined && !opts.unhealthy) throw new UsageError('overrides set: give --healthy (serve it) or --healthy=false / --unhealthy (never serve it)');
        if (opts.healthy !== undefined && opts.unhealthy) throw new UsageError('overrides set: give either --healthy or --unhealthy, not both');
        const healthy = opts.unhealthy ? false : opts.healthy === true;
        const res = await ctx.client.request('PUT', target(service, address), {
          query: { port: opts.port },
          body: { healthy, reason: opts.reason, ...(opts.source !== undefined ? { source: opts.source } : {}) },
          headers: opts.user !== undefined ? { 'x-user': opts.user } : undefined,
        });
        if (ctx.json) return ctx.printRaw(res);
        const o = res.json as OverrideJson;
        ctx.out(
          `override set: ${o.service} ${o.address}${o.port === null ? '' : `:${o.port}`} marked ${ctx.colour.status(o.healthy ? 'healthy' : 'unhealthy')}${o.reason ? ` (${o.reason})` : ''}\n`,
        );
      },
    );

  overrides
    .command('clear')
    .description('clear the override of a backend; checks decide again (DELETE /api/v1/overrides/{service}/{address})')
    .argument('<service>', 'service')
    .argument('<address>', 'backend IP address')
    .option('--port <port>', 'the port-specific override', parseIntFlag('--port', 1, 65535))
    .action(async (service: string, address: string, opts: { port?: number }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await ctx.client.request('DELETE', target(service, address), { query: { port: opts.port } });
      if (ctx.json) return ctx.printRaw(res);
      ctx.out(`override cleared: ${service} ${address}${opts.port === undefined ? '' : `:${opts.port}`}\n`);
    });
}
