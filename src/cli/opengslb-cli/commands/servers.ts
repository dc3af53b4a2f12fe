/**
 * `servers list|create|update|delete`, as the original CLI: the list from
 * `/api/v1/overwatch/backends` (with its exact-match filters), changes through `/api/v1/servers`.
 * A server id is `service:address:port`.
 */
import type { Command } from 'commander';
import { segment } from '../api-client.ts';
import { UsageError } from '../cli-error.ts';
import { parseIntFlag, type CliContext } from '../context.ts';
import { ageSeconds, cell, formatAge } from '../format.ts';
import { renderTable } from '../table.ts';

interface OverwatchBackend {
  service: string;
  address: string;
  port: number;
  weight: number;
  agent_id: string | null;
  region: string;
  effective_status: string;
  agent_healthy: boolean | null;
  agent_last_seen: string | null;
  validation_healthy?: boolean;
  validation_error?: string;
  override_status?: boolean;
  override_reason?: string;
}

interface ServerBody {
  server: { id: string; name: string; address: string; port: number; weight: number; region: string; status: string; healthy: boolean };
}

const STATUSES = ['healthy', 'unhealthy', 'stale', 'draining', 'unknown'];

function printServer(ctx: CliContext, verb: string, body: ServerBody): void {
  const s = body.server;
  ctx.out(`${verb} server ${s.id} (weight ${s.weight}, region ${s.region}, ${ctx.colour.status(s.status)})\n`);
}

export function registerServers(program: Command, ctxOf: (cmd: Command) => CliContext): void {
  const servers = program.command('servers').description('backend servers: list, and create/update/delete API-managed ones');

  servers
    .command('list')
    .description('every backend with its effective status (GET /api/v1/overwatch/backends)')
    .option('--service <name>', 'only this service')
    .option('--region <name>', 'only this region')
    .option('--status <status>', `only this effective status (${STATUSES.join(', ')})`)
    .action(async (opts: { service?: string; region?: string; status?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (opts.status !== undefined && !STATUSES.includes(opts.status)) {
        throw new UsageError(`--status: expected one of ${STATUSES.join(', ')}, got ${JSON.stringify(opts.status)}`);
      }
      const res = await ctx.client.get('/api/v1/overwatch/backends', { query: { service: opts.service, region: opts.region, status: opts.status } });
      if (ctx.json) return ctx.printRaw(res);
      const list = (res.json as { backends: OverwatchBackend[] }).backends;
      if (list.length === 0) return ctx.out('no backends\n');
      const now = ctx.nowMs();
      const c = ctx.colour;
      ctx.out(
        renderTable(
          ['service', 'address', 'port', 'weight', 'region', 'status', 'agent', 'heartbeat', 'check', 'override'],
          list.map((b) => [
            b.service,
            b.address,
            String(b.port),
            String(b.weight),
            cell(b.region),
            c.status(b.effective_status),
            cell(b.agent_id),
            b.agent_id ? formatAge(ageSeconds(b.agent_last_seen, now)) : '-',
            b.validation_healthy === undefined ? '-' : b.validation_healthy ? c.green('pass') : c.red(`fail${b.validation_error ? `: ${b.validation_error}` : ''}`),
            b.override_status === undefined ? '-' : `${b.override_status ? 'healthy' : 'unhealthy'}${b.override_reason ? ` (${b.override_reason})` : ''}`,
          ]),
        ),
      );
    });

  servers
    .command('create')
    .description('add a server, persisted and served in DNS (POST /api/v1/servers)')
    .requiredOption('--address <ip>', 'server IP address')
    .requiredOption('--port <port>', 'server port', parseIntFlag('--port', 1, 65535))
    .requiredOption('--region <name>', 'region')
    .requiredOption('--service <name>', 'the service (domain) it serves')
    .option('--name <name>', 'display name (defaults to the service)')
    .option('--weight <n>', 'weight', parseIntFlag('--weight', 0, 1_000_000), 100)
    .option('--protocol <proto>', 'accepted for compatibility; always tcp', 'tcp')
    .action(async (opts: { address: string; port: number; region: string; service: string; name?: string; weight: number; protocol: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await ctx.client.request('POST', '/api/v1/servers', {
        body: {
          name: opts.name ?? opts.service,
          address: opts.address,
          port: opts.port,
          weight: opts.weight,
          region: opts.region,
          protocol: opts.protocol,
          metadata: { service: opts.service },
        },
      });
      if (ctx.json) return ctx.printRaw(res);
      printServer(ctx, 'created', res.json as ServerBody);
    });

  servers
    .command('update')
    .description('change the weight and/or region of an API-created server (PATCH /api/v1/servers/{id})')
    .argument('<server-id>', 'service:address:port')
    .option('--weight <n>', 'new weight', parseIntFlag('--weight', 0, 1_000_000))
    .option('--region <name>', 'new region')
    .action(async (id: string, opts: { weight?: number; region?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (opts.weight === undefined && opts.region === undefined) throw new UsageError('servers update: give --weight and/or --region');
      const res = await ctx.client.request('PATCH', `/api/v1/servers/${segment(id)}`, { body: { weight: opts.weight, region: opts.region } });
      if (ctx.json) return ctx.printRaw(res);
      printServer(ctx, 'updated', res.json as ServerBody);
    });

  servers
    .command('delete')
    .description('delete an API-created server (DELETE /api/v1/servers/{id})')
    .argument('<server-id>', 'service:address:port')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await ctx.client.request('DELETE', `/api/v1/servers/${segment(id)}`);
      if (ctx.json) return ctx.printRaw(res);
      ctx.out(`deleted server ${id}\n`);
    });
}
