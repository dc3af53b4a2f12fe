/**
 * `dnssec ds|status|sync`: DS records for the parent zone (`/api/v1/dnssec/ds[?zone=]`, the guide's
 * shape `{zone, ds_records[]}`), signing status (`/api/v1/dnssec/status`) and key sync
 * (`/api/v1/dnssec/sync/status`). Where this Overwatch has no DNSSEC API the 404 says so.
 */
import type { Command } from 'commander';
import type { ApiResponse } from '../api-client.ts';
import { explainMissingRoute } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import { ageSeconds, cell, formatAge, renderAny } from '../format.ts';
import { renderPairs, renderTable } from '../table.ts';

interface DsRecord {
  key_tag: number;
  algorithm: number;
  digest_type: number;
  digest: string;
  ds_record: string;
}

interface ZoneDs {
  zone: string;
  ds_records: DsRecord[];
}

/** One zone (`{zone, ds_records}`), or several (`{zones: [...]}` or a bare array). */
function zonesOf(body: unknown): ZoneDs[] | undefined {
  if (Array.isArray(body)) return body as ZoneDs[];
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as { zone?: unknown; ds_records?: unknown; zones?: unknown };
  if (Array.isArray(b.ds_records)) return [b as ZoneDs];
  if (Array.isArray(b.zones)) return b.zones as ZoneDs[];
  return undefined;
}

interface StatusBody {
  algorithm: string;
  signature_validity_seconds: number;
  zones: {
    zone: string;
    /** `role`, `state`, `active_from`: absent from Overwatches before ZSK rollover. */
    keys: { key_tag: number; algorithm: number; flags: number; created_at: string; source: string; signing: boolean; role?: string; state?: string; active_from?: string | null }[];
    signatures_made: number;
    cache_hits: number;
    signatures_cached: number;
    next_refresh: string | null;
  }[];
}

interface SyncBody {
  enabled: boolean;
  reason?: string;
  poll_interval_seconds: number;
  peers: { peer: string; last_success: string | null; last_error: string | null; failures: number; keys_adopted: number }[];
  signing_keys: { zone: string; key_tag: number; dnskey_tags: number[] }[];
}

function isStatusBody(v: unknown): v is StatusBody {
  return v !== null && typeof v === 'object' && Array.isArray((v as StatusBody).zones) && (v as StatusBody).zones.every((z) => Array.isArray(z?.keys));
}

function isSyncBody(v: unknown): v is SyncBody {
  return v !== null && typeof v === 'object' && Array.isArray((v as SyncBody).peers) && Array.isArray((v as SyncBody).signing_keys);
}

function renderStatus(ctx: CliContext, body: StatusBody): string {
  const now = ctx.nowMs();
  const c = ctx.colour;
  let out = renderPairs([
    ['Algorithm', body.algorithm],
    ['Signature validity', formatAge(body.signature_validity_seconds)],
  ]);
  out += `\n${renderTable(
    ['zone', 'key tag', 'flags', 'role', 'state', 'signing', 'source', 'age', 'signatures cached', 'next refresh'],
    body.zones.flatMap((z) =>
      z.keys.map((k) => [
        z.zone,
        String(k.key_tag),
        String(k.flags),
        k.role ?? '-',
        k.state === 'published' && k.active_from ? `published, signs in ${formatAge(-(ageSeconds(k.active_from, now) ?? 0))}` : (k.state ?? '-'),
        k.signing ? c.green('yes') : 'no',
        k.source,
        formatAge(ageSeconds(k.created_at, now)),
        String(z.signatures_cached),
        z.next_refresh === null ? '-' : `in ${formatAge(-(ageSeconds(z.next_refresh, now) ?? 0))}`,
      ]),
    ),
  )}`;
  return out;
}

function renderSync(ctx: CliContext, body: SyncBody): string {
  const now = ctx.nowMs();
  const c = ctx.colour;
  let out = renderPairs([
    ['Key sync', body.enabled ? c.green('enabled') : `${c.yellow('disabled')}${body.reason ? ` (${body.reason})` : ''}`],
    ['Poll interval', formatAge(body.poll_interval_seconds)],
  ]);
  if (body.peers.length > 0) {
    out += `\n${renderTable(
      ['peer', 'last success', 'failures', 'keys adopted', 'last error'],
      body.peers.map((p) => [
        p.peer,
        p.last_success === null ? c.red('never') : `${formatAge(ageSeconds(p.last_success, now))} ago`,
        p.failures > 0 ? c.red(String(p.failures)) : '0',
        String(p.keys_adopted),
        cell(p.last_error),
      ]),
    )}`;
  }
  out += `\n${renderTable(['zone', 'signing key', 'dnskey set'], body.signing_keys.map((k) => [k.zone, String(k.key_tag), k.dnskey_tags.join(',')]))}`;
  return out;
}

async function dnssecCall(call: () => Promise<ApiResponse>): Promise<ApiResponse> {
  try {
    return await call();
  } catch (err) {
    return explainMissingRoute(err, 'DNSSEC');
  }
}

export function registerDnssec(program: Command, ctxOf: (cmd: Command) => CliContext): void {
  const dnssec = program.command('dnssec').description('DNSSEC: DS records, signing status, key sync');

  dnssec
    .command('ds')
    .description('DS records to publish in the parent zone (GET /api/v1/dnssec/ds)')
    .option('--zone <zone>', 'only this zone')
    .option('--records', 'print only the DS records, one per line, in zone-file form')
    .action(async (opts: { zone?: string; records?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await dnssecCall(() => ctx.client.get('/api/v1/dnssec/ds', { query: { zone: opts.zone } }));
      if (ctx.json) return ctx.printRaw(res);
      const zones = zonesOf(res.json);
      if (!zones) return ctx.out(renderAny(res.json));
      const all = zones.flatMap((z) => (z.ds_records ?? []).map((d) => ({ zone: z.zone, ...d })));
      if (opts.records) return ctx.out(all.map((d) => `${d.ds_record}\n`).join(''));
      if (all.length === 0) return ctx.out('no DS records (is DNSSEC enabled?)\n');
      ctx.out(
        renderTable(
          ['zone', 'key tag', 'algorithm', 'digest type', 'ds record'],
          all.map((d) => [d.zone, String(d.key_tag), String(d.algorithm), String(d.digest_type), d.ds_record]),
        ),
      );
    });

  dnssec
    .command('status')
    .description('keys, tags, ages and signing state (GET /api/v1/dnssec/status)')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await dnssecCall(() => ctx.client.get('/api/v1/dnssec/status'));
      if (ctx.json) return ctx.printRaw(res);
      ctx.out(isStatusBody(res.json) ? renderStatus(ctx, res.json) : renderAny(res.json));
    });

  dnssec
    .command('sync')
    .description('key sync with peer Overwatches: last success and error per peer (GET /api/v1/dnssec/sync/status)')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const res = await dnssecCall(() => ctx.client.get('/api/v1/dnssec/sync/status'));
      if (ctx.json) return ctx.printRaw(res);
      ctx.out(isSyncBody(res.json) ? renderSync(ctx, res.json) : renderAny(res.json));
    });
}
