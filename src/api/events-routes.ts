/**
 * `GET /api/v1/events`: the dashboard's live feed, Server-Sent Events (`text/event-stream`), behind
 * the API ACL like every other route.
 *
 * Contract:
 * - On connect the client gets one `event: state` with the whole dashboard state (below) at once;
 *   after that a new `state` only when something in it changed, and never more than once a second.
 *   A comment line (`: keepalive`) every 15 s keeps proxies from closing an idle stream.
 * - One hub per API server builds the state once per second for every subscriber together (one
 *   timer, one serialisation, whatever the number of dashboards): no polling storm, and nothing
 *   runs while nobody listens. A slow client gets the latest state when its socket drains, never
 *   a backlog.
 * - Heartbeat ages and uptime are not part of "changed" (the page computes them from `last_seen`
 *   and `generated_at`), nor are check timestamps and latencies (they move every round; a frame
 *   sent for another reason carries their latest values): an idle Overwatch sends only keepalives.
 * - DNS queries per second come from the Overwatch's query counters (`control.dnsQueryCounts()`),
 *   sampled once a second.
 * - DNSSEC (status, DS, key sync), gossip members and pinned agents are read every 5 s from this
 *   API's own routes when they exist (in-process inject as an admitted client); absent routes are
 *   reported as `null`, never as errors.
 * Must not: change state; hold more than MAX_SUBSCRIBERS streams; keep the process alive on close.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ServerResponse } from 'node:http';
import type { OverwatchControl } from '../overwatch/index.ts';
import { backendJson } from './backends-routes.ts';
import { ApiError, ApiErrorCode } from './api-errors.ts';
import type { RouteIndex } from './route-index.ts';
import type { ApiRouteOptions } from './route-options.ts';
import { isoTime, isoTimeOrNull, overrideJson } from './schemas.ts';

const TICK_MS = 1000;
const KEEPALIVE_MS = 15_000;
const EXTRAS_EVERY_TICKS = 5;
const MAX_SUBSCRIBERS = 64;
const MAX_EXTRA_BYTES = 256 * 1024;
/** What EventSource waits before reconnecting after the stream drops. */
const RETRY_MS = 3000;

export interface DnsRates {
  source: 'control' | 'metrics' | 'unavailable';
  reason?: string;
  /** Queries answered since the process started. */
  total: number;
  /** Over the last sampling interval; null until two samples exist. */
  qps: number | null;
  by_rcode: { rcode: string; total: number; qps: number | null }[];
}

/** Turns cumulative per-rcode counters sampled over time into totals and rates. */
export class DnsRateSampler {
  #prev?: { atMs: number; counts: Map<string, number> };
  #last: DnsRates = { source: 'unavailable', reason: 'not sampled yet', total: 0, qps: null, by_rcode: [] };

  get current(): DnsRates {
    return this.#last;
  }

  unavailable(reason: string): DnsRates {
    this.#prev = undefined;
    this.#last = { source: 'unavailable', reason, total: 0, qps: null, by_rcode: [] };
    return this.#last;
  }

  sample(source: 'control' | 'metrics', counts: Map<string, number>, atMs: number): DnsRates {
    const prev = this.#prev;
    const seconds = prev ? (atMs - prev.atMs) / 1000 : 0;
    const rate = (now: number, before: number | undefined) => (prev && seconds > 0 ? Math.max(0, now - (before ?? 0)) / seconds : null);
    const rcodes = [...new Set([...counts.keys(), ...(prev?.counts.keys() ?? [])])].sort();
    const byRcode = rcodes.map((rcode) => {
      const total = counts.get(rcode) ?? 0;
      const qps = rate(total, prev?.counts.get(rcode));
      return { rcode, total, qps: qps === null ? null : round2(qps) };
    });
    const total = byRcode.reduce((n, r) => n + r.total, 0);
    const before = prev ? [...prev.counts.values()].reduce((n, v) => n + v, 0) : undefined;
    const qps = rate(total, before);
    this.#prev = { atMs, counts };
    this.#last = { source, total, qps: qps === null ? null : round2(qps), by_rcode: byRcode };
    return this.#last;
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export interface ExtraReading {
  path: string;
  status: number;
  body: unknown;
}

export interface DashboardExtras {
  dnssec_status: ExtraReading | null;
  dnssec_ds: ExtraReading | null;
  dnssec_sync: ExtraReading | null;
  gossip_members: ExtraReading | null;
  pinned_agents: ExtraReading | null;
}

const EXTRA_PATHS: Record<keyof DashboardExtras, string[]> = {
  dnssec_status: ['/api/v1/dnssec/status'],
  dnssec_ds: ['/api/v1/dnssec/ds'],
  dnssec_sync: ['/api/v1/dnssec/sync/status'],
  gossip_members: ['/api/v1/gossip/members', '/api/v1/gossip/nodes'],
  pinned_agents: ['/api/v1/overwatch/agents'],
};

function noExtras(): DashboardExtras {
  return { dnssec_status: null, dnssec_ds: null, dnssec_sync: null, gossip_members: null, pinned_agents: null };
}

interface AgentRow {
  agent_id: string;
  region: string;
  last_seen: string | null;
  stale: boolean;
  status: 'healthy' | 'unhealthy' | 'stale';
  backend_count: number;
  healthy_claims: number;
}

/** The whole dashboard in one object; `generated_at` and `overwatch.uptime_seconds` are the only clock-driven fields. */
export function dashboardState(control: OverwatchControl, dns: DnsRates, extras: DashboardExtras) {
  const now = control.nowMs();
  const views = control.backends();
  const staleThresholdMs = control.config.stale.thresholdMs;
  const agents = new Map<string, AgentRow & { lastMs: number }>();
  const byAuthority: Record<string, number> = { override: 0, external: 0, validation: 0, agent: 0, none: 0 };
  const byStatus: Record<string, number> = { healthy: 0, unhealthy: 0, stale: 0, draining: 0, unknown: 0 };
  let serving = 0;
  for (const b of views) {
    byAuthority[b.authority] = (byAuthority[b.authority] ?? 0) + 1;
    byStatus[b.effectiveStatus] = (byStatus[b.effectiveStatus] ?? 0) + 1;
    if (b.serve) serving++;
    if (b.agentId === undefined) continue;
    let a = agents.get(b.agentId);
    if (!a) {
      a = { agent_id: b.agentId, region: b.region, last_seen: null, stale: true, status: 'stale', backend_count: 0, healthy_claims: 0, lastMs: -Infinity };
      agents.set(b.agentId, a);
    }
    a.backend_count++;
    if (b.agentHealthy === true) a.healthy_claims++;
    if (b.agentLastSeenMs !== undefined && b.agentLastSeenMs > a.lastMs) a.lastMs = b.agentLastSeenMs;
  }
  const agentRows: AgentRow[] = [...agents.values()]
    .map(({ lastMs, ...a }) => {
      const seen = Number.isFinite(lastMs) ? lastMs : undefined;
      const stale = seen === undefined || now - seen > staleThresholdMs;
      return { ...a, last_seen: isoTimeOrNull(seen), stale, status: stale ? 'stale' : a.healthy_claims > 0 ? 'healthy' : 'unhealthy' } as AgentRow;
    })
    .sort((x, y) => x.agent_id.localeCompare(y.agent_id));
  const overrides = control.overrides().map(overrideJson);
  const ready = control.readiness();
  return {
    generated_at: isoTime(now),
    overwatch: {
      node_id: control.nodeId,
      version: control.version,
      started_at: isoTime(control.startedAtMs),
      uptime_seconds: Math.max(0, Math.floor((now - control.startedAtMs) / 1000)),
      ready: ready.ready,
      dns_ready: ready.dnsReady,
      health_ready: ready.healthReady,
      message: ready.message ?? null,
      validation_enabled: control.validationEnabled,
      stale_threshold_seconds: staleThresholdMs / 1000,
      zones: control.config.dns.zones,
      dnssec_enabled: control.config.dnssec.enabled,
    },
    summary: {
      backends: views.length,
      serving,
      by_status: byStatus,
      by_authority: byAuthority,
      overrides: overrides.length,
      agents: agentRows.length,
      stale_agents: agentRows.filter((a) => a.stale).length,
    },
    backends: views.map(backendJson).sort((x, y) => x.service.localeCompare(y.service) || x.id.localeCompare(y.id)),
    agents: agentRows,
    overrides,
    dns,
    ...extras,
  };
}

export type DashboardState = ReturnType<typeof dashboardState>;

/**
 * The state without the fields that move with the clock alone (and the check timestamp and
 * latency, which move with every check round): equal keys mean "nothing to push".
 */
function changeKeyOf(state: DashboardState): string {
  const { generated_at: _g, overwatch, backends, ...rest } = state;
  const { uptime_seconds: _u, ...ow } = overwatch;
  const steady = backends.map((b) => ({ ...b, validation: { healthy: b.validation.healthy, error: b.validation.error } }));
  return JSON.stringify({ ow, steady, rest }, (key, value: unknown) => (CLOCK_DRIVEN_KEYS.has(key) ? undefined : value));
}

/** Fields of the extras (other routes' answers) that change with the clock or with traffic alone. */
const CLOCK_DRIVEN_KEYS = new Set(['generated_at', 'age_seconds', 'uptime_seconds', 'expires_in_hours', 'signatures_made', 'cache_hits']);

interface Subscriber {
  res: ServerResponse;
  waitingDrain: boolean;
  /** The newest frame this client has not received because its socket was full. */
  pending?: string;
}

interface ProbeIdentity {
  remoteAddress: string;
  headers: Record<string, string>;
}

/** One per API server: builds, diffs and fans out the dashboard state. */
export class EventsHub {
  readonly #control: OverwatchControl;
  readonly #app: FastifyInstance;
  readonly #routes: RouteIndex;
  readonly #subs = new Set<Subscriber>();
  readonly #dns = new DnsRateSampler();
  #extras: DashboardExtras = noExtras();
  #probe?: ProbeIdentity;
  #tick?: NodeJS.Timeout;
  #keepalive?: NodeJS.Timeout;
  #ticks = 0;
  #busy = false;
  #lastKey = '';
  #lastFrame = '';
  #seq = 0;
  #closed = false;

  constructor(control: OverwatchControl, app: FastifyInstance, routes: RouteIndex) {
    this.#control = control;
    this.#app = app;
    this.#routes = routes;
  }

  get subscriberCount(): number {
    return this.#subs.size;
  }

  async subscribe(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (this.#closed) throw new ApiError(ApiErrorCode.Unavailable, 'the API is shutting down');
    if (this.#subs.size >= MAX_SUBSCRIBERS) {
      throw new ApiError(ApiErrorCode.Unavailable, `too many event streams: at most ${MAX_SUBSCRIBERS} at once; close a dashboard`);
    }
    this.#probe = probeIdentityOf(req);
    const first = this.#subs.size === 0;
    if (first) {
      await this.#refresh(true);
      this.#start();
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    const sub: Subscriber = { res, waitingDrain: false };
    this.#subs.add(sub);
    res.on('drain', () => {
      sub.waitingDrain = false;
      const pending = sub.pending;
      sub.pending = undefined;
      if (pending !== undefined) this.#write(sub, pending);
    });
    const drop = () => this.#drop(sub);
    res.on('close', drop);
    res.on('error', drop);
    this.#write(sub, `retry: ${RETRY_MS}\n\n`);
    if (this.#lastFrame === '') this.#publish(this.#build(), true);
    else this.#write(sub, this.#lastFrame);
  }

  #start(): void {
    this.#tick ??= setInterval(() => void this.#onTick(), TICK_MS).unref();
    this.#keepalive ??= setInterval(() => {
      for (const sub of this.#subs) this.#write(sub, ': keepalive\n\n');
    }, KEEPALIVE_MS).unref();
  }

  #stop(): void {
    clearInterval(this.#tick);
    clearInterval(this.#keepalive);
    this.#tick = undefined;
    this.#keepalive = undefined;
    this.#lastKey = '';
    this.#lastFrame = '';
    this.#dns.unavailable('not sampled yet');
  }

  #drop(sub: Subscriber): void {
    if (!this.#subs.delete(sub)) return;
    if (this.#subs.size === 0) this.#stop();
  }

  async #onTick(): Promise<void> {
    if (this.#busy || this.#subs.size === 0) return;
    this.#busy = true;
    try {
      this.#ticks++;
      await this.#refresh(this.#ticks % EXTRAS_EVERY_TICKS === 0);
      if (this.#subs.size > 0) this.#publish(this.#build(), false);
    } catch (err) {
      this.#app.log.warn({ err }, 'dashboard state update failed');
    } finally {
      this.#busy = false;
    }
  }

  #build(): DashboardState {
    return dashboardState(this.#control, this.#dns.current, this.#extras);
  }

  #publish(state: DashboardState, force: boolean): void {
    const key = changeKeyOf(state);
    if (!force && key === this.#lastKey) return;
    this.#lastKey = key;
    this.#seq++;
    this.#lastFrame = `id: ${this.#seq}\nevent: state\ndata: ${JSON.stringify(state)}\n\n`;
    for (const sub of this.#subs) this.#write(sub, this.#lastFrame);
  }

  #write(sub: Subscriber, frame: string): void {
    if (sub.res.destroyed || sub.res.writableEnded) return;
    if (sub.waitingDrain) {
      if (frame.startsWith('id:')) sub.pending = frame;
      return;
    }
    if (!sub.res.write(frame)) sub.waitingDrain = true;
  }

  async #refresh(withExtras: boolean): Promise<void> {
    await this.#sampleDns();
    if (withExtras) await this.#readExtras();
  }

  async #sampleDns(): Promise<void> {
    const control = this.#control;
    const counts = new Map<string, number>();
    for (const c of control.dnsQueryCounts()) counts.set(c.rcode, (counts.get(c.rcode) ?? 0) + c.count);
    this.#dns.sample('control', counts, control.nowMs());
  }


  async #readExtras(): Promise<void> {
    const probe = this.#probe;
    const next = noExtras();
    for (const key of Object.keys(EXTRA_PATHS) as (keyof DashboardExtras)[]) {
      const path = EXTRA_PATHS[key].find((p) => this.#routes.methodsFor(p).includes('GET'));
      if (path === undefined || probe === undefined) continue;
      try {
        const res = await this.#app.inject({ method: 'GET', url: path, remoteAddress: probe.remoteAddress, headers: probe.headers });
        const body = res.body.length > MAX_EXTRA_BYTES ? { error: `answer larger than ${MAX_EXTRA_BYTES} bytes; use the API` } : parseBody(res.body);
        next[key] = { path, status: res.statusCode, body };
      } catch (err) {
        next[key] = { path, status: 0, body: { error: (err as Error).message } };
      }
    }
    this.#extras = next;
  }

  /** Ends every stream (clients reconnect to whichever API comes back) and stops the timers. */
  close(): void {
    this.#closed = true;
    for (const sub of this.#subs) sub.res.end();
    this.#subs.clear();
    this.#stop();
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { error: text.slice(0, 200) };
  }
}

/** How the hub asks this API for extras: as the subscriber that the ACL admitted. */
function probeIdentityOf(req: FastifyRequest): ProbeIdentity {
  const headers: Record<string, string> = {};
  for (const name of ['x-forwarded-for', 'x-real-ip']) {
    const v = req.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  return { remoteAddress: req.raw.socket.remoteAddress ?? '127.0.0.1', headers };
}

export const eventsRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app, { control, routes }) => {
  const hub = new EventsHub(control, app, routes);
  app.addHook('preClose', (done) => {
    hub.close();
    done();
  });

  app.get(
    '/api/v1/events',
    {
      schema: {
        summary: 'Live dashboard state as Server-Sent Events (event: state), pushed on change, at most once a second',
        tags: ['dashboard'],
        produces: ['text/event-stream'],
      },
      config: { longLived: true },
    },
    async (req, reply) => hub.subscribe(req, reply),
  );
};
