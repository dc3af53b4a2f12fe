/**
 * `geo mappings|add|remove|test`: custom CIDR → region mappings and a lookup test
 * (`/api/v1/geo/mappings`, `/api/v1/geo/test?ip=`), as the original. Where this Overwatch has no
 * geo API the 404 is reported with that explanation.
 */
import type { Command } from 'commander';
import { segment, type ApiResponse } from '../api-client.ts';
import { explainMissingRoute } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import { cell, renderAny } from '../format.ts';
import { renderTable } from '../table.ts';

interface Mapping {
  cidr: string;
  region: string;
  comment?: string;
  source?: string;
}

async function geoCall(call: () => Promise<ApiResponse>): Promise<ApiResponse> {
  try {
    return await call();
  } catch (err) {
    return explainMissingRoute(err, 'geolocation');
  }
}

export function registerGeo(program: Command, ctxOf: (cmd: Command) => CliContext): void {
  const geo = program.command('geo').description('geolocation: custom CIDR mappings and lookups');

  geo
    .command('mappings')
    .description('custom CIDR → region mappings (GET /api/v1/geo/mappings)')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await geoCall(() => ctx.client.get('/api/v1/geo/mappings'));
      if (ctx.json) return ctx.printRaw(res);
      const list = (res.json as { mappings?: Mapping[] }).mappings ?? [];
      if (list.length === 0) return ctx.out('no custom mappings\n');
      ctx.out(renderTable(['cidr', 'region', 'source', 'comment'], list.map((m) => [m.cidr, m.region, cell(m.source), cell(m.comment)])));
    });

  geo
    .command('add')
    .description('add a custom mapping (PUT /api/v1/geo/mappings)')
    .argument('<cidr>', 'client network, e.g. 10.1.0.0/16')
    .argument('<region>', 'region to answer with')
    .option('--comment <text>', 'note kept with the mapping')
    .action(async (cidr: string, region: string, opts: { comment?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await geoCall(() => ctx.client.request('PUT', '/api/v1/geo/mappings', { body: { cidr, region, ...(opts.comment !== undefined ? { comment: opts.comment } : {}) } }));
      if (ctx.json) return ctx.printRaw(res);
      ctx.out(`mapping added: ${cidr} → ${region}\n`);
    });

  geo
    .command('remove')
    .description('remove a custom mapping (DELETE /api/v1/geo/mappings/{cidr})')
    .argument('<cidr>', 'the mapping to remove')
    .action(async (cidr: string, _opts: unknown, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await geoCall(() => ctx.client.request('DELETE', `/api/v1/geo/mappings/${segment(cidr)}`));
      if (ctx.json) return ctx.printRaw(res);
      ctx.out(`mapping removed: ${cidr}\n`);
    });

  geo
    .command('test')
    .description('which region a client address maps to, and why (GET /api/v1/geo/test?ip=)')
    .argument('<ip>', 'client address')
    .action(async (ip: string, _opts: unknown, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await geoCall(() => ctx.client.get('/api/v1/geo/test', { query: { ip } }));
      if (ctx.json) return ctx.printRaw(res);
      ctx.out(renderAny(res.json));
    });
}
