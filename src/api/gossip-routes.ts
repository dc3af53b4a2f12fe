/**
 * `GET /api/v1/gossip/members`: the memberlist members this Overwatch sees (itself, agents, any Go
 * nodes), with the role and region from their node meta. 404 when gossip is not configured.
 */
import * as z from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ApiError, ApiErrorCode } from './api-errors.ts';
import type { ApiRouteOptions } from './route-options.ts';
import { COMMON_ERRORS, errorResponses, isoTime, TimestampSchema } from './schemas.ts';

const MemberSchema = z.object({
  name: z.string(),
  address: z.string(),
  state: z.string(),
  role: z.enum(['agent', 'overwatch', 'unknown']),
  region: z.string(),
  agent_id: z.string().nullable(),
  incarnation: z.number().int(),
});

export const gossipRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app, { control }) => {
  app.get(
    '/api/v1/gossip/members',
    {
      schema: {
        summary: 'Gossip members seen by this Overwatch',
        tags: ['gossip'],
        response: { 200: z.object({ members: z.array(MemberSchema), total: z.number().int(), generated_at: TimestampSchema }), ...errorResponses(404, ...COMMON_ERRORS) },
      },
    },
    () => {
      const members = control.gossipMembers();
      if (members === null) throw new ApiError(ApiErrorCode.NotFound, 'gossip is not configured on this Overwatch (no gossip.bind_address)');
      return {
        members: members.map((m) => ({ name: m.name, address: m.address, state: m.state, role: m.role, region: m.region, agent_id: m.agentId ?? null, incarnation: m.incarnation })),
        total: members.length,
        generated_at: isoTime(control.nowMs()),
      };
    },
  );
};
