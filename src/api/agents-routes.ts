/**
 * `/api/v1/overwatch/agents`: the agents this Overwatch pinned (trust on first use), in the
 * original's shapes, and revocation (the agent is refused and its backends removed until its pin
 * is deleted and it authenticates again with a valid token).
 *
 *   GET    /api/v1/overwatch/agents                       → {agents, total, revoked, expiring, generated_at}
 *   GET    /api/v1/overwatch/agents/expiring?threshold_days=30
 *   GET    /api/v1/overwatch/agents/{id}                  → {agent}
 *   POST   /api/v1/overwatch/agents/{id}/revoke {reason}  → {success, message, agent}
 *   DELETE /api/v1/overwatch/agents/{id}                  → 204
 */
import * as z from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AgentView } from '../overwatch/index.ts';
import { ApiError, ApiErrorCode } from './api-errors.ts';
import type { ApiRouteOptions } from './route-options.ts';
import { COMMON_ERRORS, errorResponses, isoTime, isoTimeOrNull, TimestampSchema } from './schemas.ts';

const DAY_MS = 24 * 3600 * 1000;

const AgentJsonSchema = z.object({
  agent_id: z.string(),
  fingerprint: z.string().describe('hex SHA-256 of the pinned public key'),
  services: z.array(z.string()),
  region: z.string(),
  first_seen: TimestampSchema,
  last_seen: TimestampSchema,
  not_after: TimestampSchema.nullable(),
  expires_in_hours: z.number().nullable(),
  revoked: z.boolean(),
  revoked_at: TimestampSchema.nullable(),
  revoked_reason: z.string().nullable(),
  backend_count: z.number().int(),
  stale: z.boolean(),
});

function agentJson(a: AgentView, nowMs: number): z.output<typeof AgentJsonSchema> {
  return {
    agent_id: a.agentId,
    fingerprint: a.fingerprint,
    services: a.services,
    region: a.region,
    first_seen: isoTime(a.firstSeenMs),
    last_seen: isoTime(a.lastSeenMs),
    not_after: isoTimeOrNull(a.notAfterMs),
    expires_in_hours: a.notAfterMs === undefined ? null : Math.floor((a.notAfterMs - nowMs) / 3_600_000),
    revoked: a.revoked,
    revoked_at: isoTimeOrNull(a.revokedAtMs),
    revoked_reason: a.revokedReason ?? null,
    backend_count: a.backendCount,
    stale: a.isStale,
  };
}

const IdParams = z.object({ id: z.string().min(1).max(200) });

export const agentsRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app, { control }) => {
  const expiring = (thresholdDays: number) => {
    const now = control.nowMs();
    return control.agents().filter((a) => !a.revoked && a.notAfterMs !== undefined && a.notAfterMs - now < thresholdDays * DAY_MS);
  };

  app.get(
    '/api/v1/overwatch/agents',
    {
      schema: {
        summary: 'Pinned agents',
        tags: ['agents'],
        response: {
          200: z.object({
            agents: z.array(AgentJsonSchema),
            total: z.number().int(),
            revoked: z.number().int(),
            expiring: z.number().int(),
            generated_at: TimestampSchema,
          }),
          ...errorResponses(...COMMON_ERRORS),
        },
      },
    },
    () => {
      const now = control.nowMs();
      const agents = control.agents();
      return {
        agents: agents.map((a) => agentJson(a, now)),
        total: agents.length,
        revoked: agents.filter((a) => a.revoked).length,
        expiring: expiring(30).length,
        generated_at: isoTime(now),
      };
    },
  );

  app.get(
    '/api/v1/overwatch/agents/expiring',
    {
      schema: {
        summary: 'Agents whose certificate expires within threshold_days',
        tags: ['agents'],
        querystring: z.object({ threshold_days: z.coerce.number().int().min(0).max(3650).default(30) }),
        response: {
          200: z.object({ expiring: z.array(AgentJsonSchema), count: z.number().int(), threshold_days: z.number().int(), generated_at: TimestampSchema }),
          ...errorResponses(400, ...COMMON_ERRORS),
        },
      },
    },
    (req) => {
      const now = control.nowMs();
      const list = expiring(req.query.threshold_days);
      return { expiring: list.map((a) => agentJson(a, now)), count: list.length, threshold_days: req.query.threshold_days, generated_at: isoTime(now) };
    },
  );

  app.get(
    '/api/v1/overwatch/agents/:id',
    { schema: { summary: 'One pinned agent', tags: ['agents'], params: IdParams, response: { 200: z.object({ agent: AgentJsonSchema }), ...errorResponses(404, ...COMMON_ERRORS) } } },
    (req) => {
      const a = control.agent(req.params.id);
      if (!a) throw new ApiError(ApiErrorCode.NotFound, `agent not found: ${req.params.id}`);
      return { agent: agentJson(a, control.nowMs()) };
    },
  );

  app.post(
    '/api/v1/overwatch/agents/:id/revoke',
    {
      schema: {
        summary: 'Revoke an agent: refused from now on, its backends removed',
        tags: ['agents'],
        params: IdParams,
        body: z.object({ reason: z.string().max(1024).default('revoked through the API') }).default({ reason: 'revoked through the API' }),
        response: {
          200: z.object({ success: z.literal(true), message: z.string(), agent: AgentJsonSchema }),
          ...errorResponses(400, 404, 503, 507, ...COMMON_ERRORS),
        },
      },
    },
    (req) => {
      const a = control.revokeAgent(req.params.id, req.body.reason);
      return { success: true as const, message: `agent ${a.agentId} revoked`, agent: agentJson(a, control.nowMs()) };
    },
  );

  app.delete(
    '/api/v1/overwatch/agents/:id',
    { schema: { summary: 'Forget a pinned agent (it may pin again with a valid token)', tags: ['agents'], params: IdParams, response: { 204: z.null().describe('Deleted'), ...errorResponses(404, 503, 507, ...COMMON_ERRORS) } } },
    async (_req, reply) => {
      control.deleteAgent(_req.params.id);
      return reply.code(204).send(null);
    },
  );
};
