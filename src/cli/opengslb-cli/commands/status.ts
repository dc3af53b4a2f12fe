/**
 * `status`: readiness (`/api/v1/ready`, 503 = not ready) and counts (`/api/v1/overwatch/stats`).
 * Exit 1 when the Overwatch is not ready, so the command works as a check in scripts.
 * `--json`: `{"ready": <ready body>, "stats": <stats body>}`, both exactly as the API sent them.
 */
import type { Command } from 'commander';
import { ExitCode, QuietExit } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import { renderPairs } from '../table.ts';

interface ReadyBody {
  ready: boolean;
  message?: string;
  dns_ready: boolean;
  health_ready: boolean;
}

interface StatsBody {
  total_backends: number;
  healthy_backends: number;
  unhealthy_backends: number;
  stale_backends: number;
  served_backends?: number;
  active_overrides: number;
  validation_enabled: boolean;
  validated_backends: number;
  disagreement_count: number;
  active_agents: number;
  unique_services: number;
  backends_by_service: Record<string, number>;
  backends_by_region: Record<string, number>;
}

function counts(record: Record<string, number>): string {
  const entries = Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '-' : entries.map(([k, n]) => `${k} (${n})`).join(', ');
}

export function registerStatus(program: Command, ctxOf: (cmd: Command) => CliContext): void {
  program
    .command('status')
    .description('readiness and backend counts of the Overwatch (exit 1 when not ready)')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const readyRes = await ctx.client.get('/api/v1/ready', { acceptStatuses: [503] });
      const statsRes = await ctx.client.get('/api/v1/overwatch/stats');
      const ready = readyRes.json as ReadyBody;
      const stats = statsRes.json as StatsBody;
      if (ctx.json) {
        ctx.out(`{"ready":${readyRes.text.trim()},"stats":${statsRes.text.trim()}}\n`);
      } else {
        const c = ctx.colour;
        const readiness = ready.ready
          ? c.green('ready')
          : `${c.red('not ready')}${ready.message ? `: ${ready.message}` : ''}`;
        const parts = [
          `${stats.total_backends} total`,
          `${stats.healthy_backends > 0 ? c.green(String(stats.healthy_backends)) : '0'} healthy`,
          `${stats.unhealthy_backends > 0 ? c.red(String(stats.unhealthy_backends)) : '0'} unhealthy`,
          `${stats.stale_backends > 0 ? c.yellow(String(stats.stale_backends)) : '0'} stale`,
        ];
        if (stats.served_backends !== undefined) parts.push(`${stats.served_backends} serving`);
        ctx.out(
          renderPairs([
            ['API', ctx.client.base],
            ['Overwatch', readiness],
            ['DNS', ready.dns_ready ? 'answering' : 'not answering yet'],
            ['Health checks', ready.health_ready ? 'have results' : 'no results yet'],
            ['Backends', parts.join(', ')],
            ['Overrides', `${stats.active_overrides} active`],
            ['Validation', stats.validation_enabled ? `enabled, ${stats.validated_backends} validated, ${stats.disagreement_count} disagreement(s)` : 'disabled'],
            ['Agents', `${stats.active_agents} active`],
            ['Services', counts(stats.backends_by_service)],
            ['Regions', counts(stats.backends_by_region)],
          ]),
        );
      }
      if (!ready.ready) throw new QuietExit(ExitCode.Error);
    });
}
