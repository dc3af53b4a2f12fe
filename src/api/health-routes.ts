/**
 * Probes and the health of the configured (static) servers, in the original's shapes:
 * `GET /api/v1/live` and `GET /api/v1/ready` (both exempt from the ACL, for load balancers and
 * orchestrators), `GET /api/v1/health/servers`, `GET /api/v1/health/regions`. "Healthy" here is
 * the Overwatch's own check result (validation), as the original's health manager reported it.
 */
import * as z from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { BackendStatusView, OverwatchControl } from '../overwatch/index.ts';
import type { ApiRouteOptions } from './route-options.ts';
import { COMMON_ERRORS, errorResponses, isoTime, TimestampSchema } from './schemas.ts';

const ReadySchema = z.object({
  ready: z.boolean(),
  message: z.string().optional(),
  dns_ready: z.boolean(),
  health_ready: z.boolean(),
});

const ServerHealthSchema = z.object({
  service: z.string(),
  address: z.string(),
  port: z.number().int(),
  region: z.string().optional(),
  healthy: z.boolean(),
  status: z.enum(['healthy', 'unhealthy', 'unknown']),
  last_check: TimestampSchema.optional(),
  last_error: z.string().optional(),
  latency_ms: z.number().optional(),
});

const RegionHealthSchema = z.object({
  name: z.string(),
  total_servers: z.number().int(),
  healthy_count: z.number().int(),
  unhealthy_count: z.number().int(),
  health_percent: z.number(),
});

function staticBackends(control: OverwatchControl): BackendStatusView[] {
  return control.backends().filter((b) => b.source === 'static');
}

function serverHealth(b: BackendStatusView): z.output<typeof ServerHealthSchema> {
  const v = b.validation;
  return {
    service: b.service,
    address: b.address,
    port: b.port,
    region: b.region || undefined,
    healthy: v.healthy === true,
    status: v.healthy === null ? 'unknown' : v.healthy ? 'healthy' : 'unhealthy',
    last_check: v.lastCheckMs === undefined ? undefined : isoTime(v.lastCheckMs),
    last_error: v.error,
    latency_ms: v.latencyMs,
  };
}

function regionHealth(control: OverwatchControl): z.output<typeof RegionHealthSchema>[] {
  const regions = new Map<string, { total: number; healthy: number; unhealthy: number }>();
  for (const r of control.config.regions) regions.set(r.name, { total: 0, healthy: 0, unhealthy: 0 });
  for (const b of staticBackends(control)) {
    const name = b.region || 'unknown';
    let r = regions.get(name);
    if (!r) regions.set(name, (r = { total: 0, healthy: 0, unhealthy: 0 }));
    r.total++;
    if (b.validation.healthy === true) r.healthy++;
    else if (b.validation.healthy === false) r.unhealthy++;
  }
  return [...regions.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, r]) => ({
      name,
      total_servers: r.total,
      healthy_count: r.healthy,
      unhealthy_count: r.unhealthy,
      health_percent: r.total === 0 ? 0 : Math.round((r.healthy / r.total) * 10_000) / 100,
    }));
}

export const healthRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app, { control }) => {
  app.get(
    '/api/v1/live',
    {
      config: { aclExempt: true },
      schema: { summary: 'Liveness: the process answers (no ACL)', tags: ['health'], response: { 200: z.object({ alive: z.literal(true) }) } },
    },
    () => ({ alive: true as const }),
  );

  app.get(
    '/api/v1/ready',
    {
      config: { aclExempt: true },
      schema: {
        summary: 'Readiness: DNS is answering and health checks have results (503 until then; no ACL)',
        tags: ['health'],
        response: { 200: ReadySchema, 503: ReadySchema },
      },
    },
    async (_req, reply) => {
      const r = control.readiness();
      const body = { ready: r.ready, message: r.message, dns_ready: r.dnsReady, health_ready: r.healthReady };
      return reply.code(r.ready ? 200 : 503).send(body);
    },
  );

  app.get(
    '/api/v1/health/servers',
    {
      schema: {
        summary: 'Check results of the servers from the configuration file',
        tags: ['health'],
        response: { 200: z.object({ servers: z.array(ServerHealthSchema), generated_at: TimestampSchema }), ...errorResponses(...COMMON_ERRORS) },
      },
    },
    () => ({ servers: staticBackends(control).map(serverHealth), generated_at: isoTime(control.nowMs()) }),
  );

  app.get(
    '/api/v1/health/regions',
    {
      schema: {
        summary: 'Check results of the configured servers per region',
        tags: ['health'],
        response: { 200: z.object({ regions: z.array(RegionHealthSchema), generated_at: TimestampSchema }), ...errorResponses(...COMMON_ERRORS) },
      },
    },
    () => ({ regions: regionHealth(control), generated_at: isoTime(control.nowMs()) }),
  );
};
