/**
 * `domains`: the served names. With `-c FILE`, from a configuration file (as the original, no API);
 * otherwise from the running Overwatch (`/api/v1/domains`; where that route is absent, the served
 * names of `/api/v1/backends` with their backend counts).
 */
import type { Command } from 'commander';
import { loadConfigFile } from '../../../config/index.ts';
import { ApiResponseError, UsageError } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import { renderTable } from '../table.ts';
import type { BackendJson } from './backends.ts';

interface ApiDomain {
  name: string;
  ttl: number;
  routing_policy: string;
  regions: string[];
  source: string;
  backend_count: number;
  healthy_backends: number;
}

export function registerDomains(program: Command, ctxOf: (cmd: Command) => CliContext): void {
  program
    .command('domains')
    .description('served domains: from a config file (-c) or from the running Overwatch')
    .option('-c, --config <file>', 'read the domains from this configuration file instead of the API')
    .action(async (opts: { config?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (opts.config !== undefined) {
        let config;
        try {
          config = await loadConfigFile(opts.config);
        } catch (err) {
          throw new UsageError((err as Error).message, { cause: err });
        }
        const rows = config.domains.map((d) => ({ name: d.name, routing_algorithm: d.routingAlgorithm, ttl: d.ttlSeconds, regions: d.regions, max_answers: d.maxAnswers }));
        if (ctx.json) return ctx.out(`${JSON.stringify({ domains: rows, total: rows.length })}\n`);
        if (rows.length === 0) return ctx.out('no domains\n');
        return ctx.out(renderTable(['name', 'routing', 'ttl', 'regions', 'max answers'], rows.map((d) => [d.name, d.routing_algorithm, String(d.ttl), d.regions.join(','), String(d.max_answers)])));
      }
      try {
        const domains = await ctx.client.get('/api/v1/domains');
        if (ctx.json) return ctx.printRaw(domains);
        const list = (domains.json as { domains: ApiDomain[] }).domains;
        if (list.length === 0) return ctx.out('no domains\n');
        const c = ctx.colour;
        return ctx.out(
          renderTable(
            ['name', 'routing', 'ttl', 'regions', 'backends', 'healthy', 'source'],
            list.map((d) => [
              d.name,
              d.routing_policy,
              String(d.ttl),
              d.regions.join(',') || '-',
              String(d.backend_count),
              d.backend_count > 0 && d.healthy_backends === 0 ? c.red('0') : String(d.healthy_backends),
              d.source,
            ]),
          ),
        );
      } catch (err) {
        if (!(err instanceof ApiResponseError) || err.status !== 404 || err.apiMessage !== 'not found') throw err;
      }
      const res = await ctx.client.get('/api/v1/backends');
      if (ctx.json) return ctx.printRaw(res);
      const byName = new Map<string, { total: number; serving: number; regions: Set<string> }>();
      for (const b of (res.json as { backends: BackendJson[] }).backends) {
        for (const name of b.served_names) {
          let entry = byName.get(name);
          if (!entry) byName.set(name, (entry = { total: 0, serving: 0, regions: new Set() }));
          entry.total++;
          if (b.healthy) entry.serving++;
          if (b.region) entry.regions.add(b.region);
        }
      }
      if (byName.size === 0) return ctx.out('no domains with backends\n');
      const c = ctx.colour;
      ctx.out(
        renderTable(
          ['name', 'backends', 'serving', 'regions'],
          [...byName.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, e]) => [name, String(e.total), e.serving === 0 ? c.red('0') : String(e.serving), [...e.regions].sort().join(',') || '-']),
        ),
      );
    });
}
