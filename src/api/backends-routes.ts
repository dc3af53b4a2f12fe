/**
 * The guide's backend listing: `GET /api/v1/backends` (every backend the Overwatch knows: static,
 * agent-registered and API-created) and `GET /api/v1/backends/healthy` (only those DNS hands out now).
 */
import * as z from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { BackendStatusView } from '../overwatch/index.ts';
import type { ApiRouteOptions } from './route-options.ts';
import { COMMON_ERRORS, errorResponses, isoTime, isoTimeOrNull, OverrideJsonSchema, overrideJson, TimestampSchema } from './schemas.ts';

export const BackendJsonSchema = z.object({
  id: z.string().describe('service:address:port'),
  service: z.string(),
  address: z.string(),
  port: z.number().int(),
  weight: z.number(),
  region: z.string(),
  source: z.enum(['static', 'agent', 'api']),
  agent_id: z.string().nullable(),
  effective_status: z.enum(['healthy', 'unhealthy', 'stale', 'draining', 'unknown']),
  healthy: z.boolean().describe('Whether DNS answers include this backend now'),
  authority: z.enum(['override', 'external', 'validation', 'agent', 'none']).describe('Which source decided'),
  stale: z.boolean(),
  draining: z.boolean(),
  agent_healthy: z.boolean().nullable(),
  agent_last_seen: TimestampSchema.nullable(),
  validation: z.object({
    healthy: z.boolean().nullable().describe('null until the Overwatch has checked it'),
    last_check: TimestampSchema.nullable(),
    error: z.string().nullable(),
    latency_ms: z.number().nullable(),
  }),
  override: OverrideJsonSchema.nullable(),
  served_names: z.array(z.string()),
});

const BackendListSchema = z.object({ backends: z.array(BackendJsonSchema), generated_at: TimestampSchema });

export function backendJson(b: BackendStatusView): z.output<typeof BackendJsonSchema> {
  return {
    id: b.id,
    service: b.service,
    address: b.address,
    port: b.port,
    weight: b.weight,
    region: b.region,
    source: b.source,
    agent_id: b.agentId ?? null,
    effective_status: b.effectiveStatus,
    healthy: b.serve,
    authority: b.authority,
    stale: b.isStale,
    draining: b.draining,
    agent_healthy: b.agentHealthy ?? null,
    agent_last_seen: isoTimeOrNull(b.agentLastSeenMs),
    validation: {
      healthy: b.validation.healthy,
      last_check: isoTimeOrNull(b.validation.lastCheckMs),
      error: b.validation.error ?? null,
      latency_ms: b.validation.latencyMs ?? null,
    },
    override: b.override ? overrideJson(b.override) : null,
    served_names: b.servedNames,
  };
}

export const backendsRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app, { control }) => {
  app.get(
    '/api/v1/backends',
    {
      schema: {
        summary: 'Every backend with its effective health and the authority that decided it',
        tags: ['backends'],
        response: { 200: BackendListSchema, ...errorResponses(...COMMON_ERRORS) },
      },
    },
    () => ({ backends: control.backends().map(backendJson), generated_at: isoTime(control.nowMs()) }),
  );

  app.get(
    '/api/v1/backends/healthy',
    {
      schema: {
        summary: 'The backends DNS hands out now',
        tags: ['backends'],
        response: { 200: BackendListSchema, ...errorResponses(...COMMON_ERRORS) },
      },
    },
    () => ({
      backends: control.backends().filter((b) => b.serve).map(backendJson),
      generated_at: isoTime(control.nowMs()),
    }),
  );
};
