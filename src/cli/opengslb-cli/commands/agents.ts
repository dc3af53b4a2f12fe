/**
 * `agents list|revoke|forget`: pinned agents from `/api/v1/overwatch/agents` (the original's shapes).
 * When this Overwatch does not offer that route (404) or has no agent authentication (503), `list`
 * says so on stderr and shows the agents it knows from heartbeats (`/api/v1/cluster/status`)
 * instead; `revoke` reports the API's answer as an error.
 */
import type { Command } from 'commander';
import { segment } from '../api-client.ts';
import { ApiResponseError } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import { ageSeconds, cell, formatAge } from '../format.ts';
import { renderTable } from '../table.ts';

interface PinnedAgent {
  agent_id: string;
  fingerprint?: string;
  services?: string[];
  region?: string;
  first_seen?: string;
  last_seen?: string;
  not_after?: string | null;
  revoked?: boolean;
  revoked_reason?: string | null;
  expires_in_hours?: number | null;
  backend_count?: number;
  stale?: boolean;
}

interface ClusterAgent {
  agent_id: string;
  region: string;
  status: string;
  last_seen: string | null;
  backend_count: number;
}

function shortFingerprint(f: string | undefined): string {
  if (!f) return '-';
  return f.length > 23 ? `${f.slice(0, 23)}…` : f;
}

export function registerAgents(program: Command, ctxOf: (cmd: Command) => CliContext): void {
  const agents = program.command('agents').description('agents: pinned identities, heartbeats, revocation');

  agents
    .command('list')
    .description('pinned agents (GET /api/v1/overwatch/agents), else agents seen by heartbeat (/api/v1/cluster/status)')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const now = ctx.nowMs();
      const c = ctx.colour;
      try {
        const res = await ctx.client.get('/api/v1/overwatch/agents');
        if (ctx.json) return ctx.printRaw(res);
        const list = (res.json as { agents: PinnedAgent[] }).agents ?? [];
        if (list.length === 0) return ctx.out('no pinned agents\n');
        ctx.out(
          renderTable(
            ['agent', 'region', 'services', 'backends', 'heartbeat age', 'state', 'fingerprint', 'pinned', 'cert expires', 'revoked'],
            list.map((a) => [
              a.agent_id,
              cell(a.region),
              a.services && a.services.length > 0 ? a.services.join(',') : '-',
              a.backend_count === undefined ? '-' : String(a.backend_count),
              a.last_seen ? formatAge(ageSeconds(a.last_seen, now)) : '-',
              a.revoked ? c.red('revoked') : a.stale ? c.yellow('stale') : a.stale === false ? c.green('live') : '-',
              shortFingerprint(a.fingerprint),
              a.first_seen ? `${formatAge(ageSeconds(a.first_seen, now))} ago` : '-',
              a.expires_in_hours === undefined || a.expires_in_hours === null ? cell(a.not_after) : `in ${formatAge(a.expires_in_hours * 3600)}`,
              a.revoked ? c.red(`yes${a.revoked_reason ? ` (${a.revoked_reason})` : ''}`) : 'no',
            ]),
          ),
        );
      } catch (err) {
        if (!(err instanceof ApiResponseError) || (err.status !== 404 && err.status !== 503)) throw err;
        ctx.err(`note: ${err.message}; showing agents seen by heartbeat (GET /api/v1/cluster/status)\n`);
        const res = await ctx.client.get('/api/v1/cluster/status');
        if (ctx.json) return ctx.printRaw(res);
        const list = (res.json as { agents: ClusterAgent[] }).agents;
        if (list.length === 0) return ctx.out('no agents have registered backends\n');
        ctx.out(
          renderTable(
            ['agent', 'region', 'status', 'heartbeat age', 'backends'],
            list.map((a) => [a.agent_id, cell(a.region), c.status(a.status), formatAge(ageSeconds(a.last_seen, now)), String(a.backend_count)]),
          ),
        );
      }
    });

  agents
    .command('revoke')
    .description('revoke a pinned agent: it must re-pin with a valid token (POST /api/v1/overwatch/agents/{id}/revoke)')
    .argument('<agent-id>', 'the agent id')
    .option('--reason <text>', 'why (kept with the revocation)')
    .action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await ctx.client.request('POST', `/api/v1/overwatch/agents/${segment(id)}/revoke`, { body: opts.reason === undefined ? {} : { reason: opts.reason } });
      if (ctx.json) return ctx.printRaw(res);
      const message = (res.json as { message?: unknown } | null)?.message;
      ctx.out(`${typeof message === 'string' ? message : `revoked agent ${id}`}\n`);
    });

  agents
    .command('forget')
    .description('delete a pinned agent: it may pin again with a valid token (DELETE /api/v1/overwatch/agents/{id})')
    .argument('<agent-id>', 'the agent id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await ctx.client.request('DELETE', `/api/v1/overwatch/agents/${segment(id)}`);
      if (ctx.json) return ctx.printRaw(res);
      ctx.out(`forgot agent ${id}: it pins again on its next valid registration\n`);
    });
}
