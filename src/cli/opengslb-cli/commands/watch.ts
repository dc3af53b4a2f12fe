/**
 * `watch`: live status in the terminal. Subscribes to the dashboard's event stream
 * (`/api/v1/events`: a new frame only when something changed, at most once a second); where the
 * Overwatch has no such route it polls `/api/v1/backends` and `/api/v1/overwatch/stats` every
 * `--interval`. On a terminal each frame redraws the screen; otherwise frames follow each other
 * (`--json`: one state per line, as the API sent it). A dropped stream is retried; Ctrl-C stops
 * (exit 0). Cannot connect at the start: exit 2.
 */
import type { Command } from 'commander';
import { ApiResponseError, ConnectError } from '../cli-error.ts';
import { describeFetchFailure } from '../api-client.ts';
import type { CliContext } from '../context.ts';
import { ageSeconds, cell, formatAge } from '../format.ts';
import { readSse } from '../sse-reader.ts';
import { renderTable } from '../table.ts';
import { backendTable, type BackendJson } from './backends.ts';

const CLEAR_SCREEN = '\x1b[H\x1b[2J';
const RECONNECT_MS = 2000;

interface StreamState {
  generated_at: string;
  overwatch: { node_id: string; version: string; ready: boolean; message: string | null; uptime_seconds: number };
  summary: { backends: number; serving: number; by_status: Record<string, number>; overrides: number; agents: number; stale_agents: number };
  backends: BackendJson[];
  agents: { agent_id: string; region: string; last_seen: string | null; stale: boolean; backend_count: number }[];
  overrides: { service: string; address: string; port: number | null; healthy: boolean; reason: string; authority: string }[];
  dns: { source: string; reason?: string; qps: number | null; by_rcode: { rcode: string; qps: number | null }[] };
}

interface StatsBody {
  total_backends: number;
  served_backends?: number;
  unhealthy_backends: number;
  stale_backends: number;
  active_overrides: number;
  active_agents: number;
}

function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export function renderStreamFrame(ctx: CliContext, s: StreamState): string {
  const c = ctx.colour;
  const now = ctx.nowMs();
  const ow = s.overwatch;
  const dns =
    s.dns.source === 'unavailable'
      ? c.grey('DNS rate n/a')
      : `DNS ${s.dns.qps === null ? '…' : `${s.dns.qps} q/s`}${s.dns.by_rcode.length > 0 ? ` (${s.dns.by_rcode.map((r) => `${r.rcode} ${r.qps ?? '…'}`).join(', ')})` : ''}`;
  let out = `${c.bold(`OpenGSLB ${ow.node_id}`)}  v${ow.version}  ${ow.ready ? c.green('ready') : c.red(`not ready${ow.message ? `: ${ow.message}` : ''}`)}  up ${formatAge(ow.uptime_seconds)}  ${clockTime(Date.parse(s.generated_at))} UTC\n`;
  const sum = s.summary;
  const unhealthy = sum.by_status.unhealthy ?? 0;
  const stale = sum.by_status.stale ?? 0;
  out += `backends ${sum.backends}  serving ${sum.serving}  unhealthy ${unhealthy > 0 ? c.red(String(unhealthy)) : '0'}  stale ${stale > 0 ? c.yellow(String(stale)) : '0'}  overrides ${sum.overrides}  agents ${sum.agents}${sum.stale_agents > 0 ? ` (${c.yellow(`${sum.stale_agents} stale`)})` : ''}  ${dns}\n\n`;
  out += s.backends.length === 0 ? 'no backends\n' : backendTable(c, s.backends);
  if (s.agents.length > 0) {
    out += `\n${renderTable(
      ['agent', 'region', 'heartbeat age', 'state', 'backends'],
      s.agents.map((a) => [a.agent_id, cell(a.region), formatAge(ageSeconds(a.last_seen, now)), a.stale ? c.yellow('stale') : c.green('live'), String(a.backend_count)]),
    )}`;
  }
  if (s.overrides.length > 0) {
    out += `\n${renderTable(
      ['override', 'address', 'healthy', 'reason', 'set by'],
      s.overrides.map((o) => [o.service, o.port === null ? o.address : `${o.address}:${o.port}`, c.status(o.healthy ? 'healthy' : 'unhealthy'), cell(o.reason), cell(o.authority)]),
    )}`;
  }
  return out;
}

function renderPollFrame(ctx: CliContext, backends: BackendJson[], stats: StatsBody): string {
  const c = ctx.colour;
  let out = `${c.bold('OpenGSLB')}  ${ctx.client.base}  ${clockTime(ctx.nowMs())} UTC  ${c.grey('(polling: no /api/v1/events on this Overwatch)')}\n`;
  out += `backends ${stats.total_backends}  serving ${stats.served_backends ?? '-'}  unhealthy ${stats.unhealthy_backends}  stale ${stats.stale_backends}  overrides ${stats.active_overrides}  agents ${stats.active_agents}\n\n`;
  out += backends.length === 0 ? 'no backends\n' : backendTable(c, backends);
  return out;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

class FrameSink {
  readonly #ctx: CliContext;
  readonly #limit: number;
  #shown = 0;
  constructor(ctx: CliContext, limit: number) {
    this.#ctx = ctx;
    this.#limit = limit;
  }
  get done(): boolean {
    return this.#limit > 0 && this.#shown >= this.#limit;
  }
  show(text: string): void {
    const ctx = this.#ctx;
    if (ctx.json) ctx.out(text.endsWith('\n') ? text : `${text}\n`);
    else if (ctx.io.isTty) ctx.out(CLEAR_SCREEN + text);
    else ctx.out(`${this.#shown > 0 ? '\n' : ''}${text}`);
    this.#shown++;
  }
}

/** Streams frames until the limit, the signal, or (before the first frame) a connection failure. */
async function watchStream(ctx: CliContext, sink: FrameSink, signal: AbortSignal | undefined): Promise<'done' | 'no-route'> {
  let connectedOnce = false;
  while (!sink.done && !signal?.aborted) {
    const local = new AbortController();
    const onAbort = () => local.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    // --timeout bounds getting the stream's headers only: an idle stream is normal (keepalives every 15 s).
    const connectTimer = setTimeout(() => local.abort(new DOMException(`no answer within ${ctx.timeoutMs / 1000}s`, 'TimeoutError')), ctx.timeoutMs);
    try {
      const res = await fetch(ctx.client.url('/api/v1/events'), { headers: { accept: 'text/event-stream' }, signal: local.signal }).catch((err: unknown) => {
        throw new ConnectError(ctx.client.base, describeFetchFailure(err, ctx.timeoutMs), { cause: err });
      });
      clearTimeout(connectTimer);
      if (res.status === 404) {
        await res.body?.cancel();
        return 'no-route';
      }
      if (!res.ok || !res.body) {
        const text = await res.text();
        let message = text.trim() || res.statusText;
        try {
          message = (JSON.parse(text) as { error?: string }).error ?? message;
        } catch {
          // not JSON: the text as it came
        }
        throw new ApiResponseError('GET', '/api/v1/events', res.status, message, text);
      }
      connectedOnce = true;
      const reader = res.body;
      for await (const msg of readSse(reader)) {
        if (msg.event !== 'state') continue;
        sink.show(ctx.json ? msg.data : renderStreamFrame(ctx, JSON.parse(msg.data) as StreamState));
        if (sink.done || signal?.aborted) break;
      }
      await reader.cancel().catch(() => {});
    } catch (err) {
      if (signal?.aborted) break;
      if (!connectedOnce) throw err;
      ctx.err(`watch: stream lost (${err instanceof Error ? err.message : String(err)}); reconnecting in ${RECONNECT_MS / 1000}s\n`);
      await sleep(RECONNECT_MS, signal);
    } finally {
      clearTimeout(connectTimer);
      signal?.removeEventListener('abort', onAbort);
      local.abort();
    }
  }
  return 'done';
}

async function watchPoll(ctx: CliContext, sink: FrameSink, intervalMs: number, signal: AbortSignal | undefined): Promise<void> {
  let first = true;
  while (!sink.done && !signal?.aborted) {
    try {
      const backends = await ctx.client.get('/api/v1/backends');
      const stats = await ctx.client.get('/api/v1/overwatch/stats');
      sink.show(ctx.json ? backends.text : renderPollFrame(ctx, (backends.json as { backends: BackendJson[] }).backends, stats.json as StatsBody));
    } catch (err) {
      if (first) throw err;
      ctx.err(`watch: ${err instanceof Error ? err.message : String(err)}; retrying\n`);
    }
    first = false;
    if (!sink.done) await sleep(intervalMs, signal);
  }
}

export function registerWatch(program: Command, ctxOf: (cmd: Command) => CliContext): void {
  program
    .command('watch')
    .description('live status in the terminal (Ctrl-C to stop)')
    .option('--interval <seconds>', 'poll interval when the Overwatch has no event stream', '2')
    .option('--count <n>', 'stop after this many frames (0: run until stopped)', '0')
    .option('--poll', 'poll instead of subscribing to the event stream')
    .action(async (opts: { interval: string; count: string; poll?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const intervalMs = Math.max(0.2, Number(opts.interval) || 2) * 1000;
      const sink = new FrameSink(ctx, Math.max(0, Math.floor(Number(opts.count) || 0)));
      const signal = ctx.io.signal;
      if (!opts.poll && (await watchStream(ctx, sink, signal)) === 'done') return;
      await watchPoll(ctx, sink, intervalMs, signal);
    });
}
