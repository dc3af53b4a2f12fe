/**
 * `GET /api/v1/cluster/status?expected_agents=N`, the original's cluster summary, from real data:
 * this Overwatch's node id and uptime, and the agents as the registry knows them (every backend an
 * agent registered carries its agent id and last heartbeat). An agent is stale when its last
 * heartbeat is older than `stale.threshold`, unhealthy when it claims none of its backends healthy.
 */
import * as z from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { BackendStatusView, OverwatchControl } from '../overwatch/index.ts';
import type { ApiRouteOptions } from './route-options.ts';
import { COMMON_ERRORS, errorResponses, isoTime, isoTimeOrNull, TimestampSchema } from './schemas.ts';

const AgentStatusSchema = z.object({
  agent_id: z.string(),
  region: z.string(),
  status: z.enum(['healthy', 'unhealthy', 'stale']),
  last_seen: TimestampSchema.nullable(),
  backend_count: z.number().int(),
});

const ClusterStatusSchema = z.object({
  cluster_healthy: z.boolean(),
  overwatch: z.object({ node_id: z.string(), status: z.literal('healthy'), uptime_seconds: z.number().int() }),
  agents: z.array(AgentStatusSchema),
  expected_agents: z.number().int().optional(),
  healthy_agents: z.number().int(),
  gossip_members: z.number().int().describe('agents heard from within stale.threshold'),
  backend_summary: z.object({ total: z.number().int(), healthy: z.number().int(), unhealthy: z.number().int(), stale: z.number().int() }),
  generated_at: TimestampSchema,
});

type AgentStatus = z.output<typeof AgentStatusSchema>;

function agentsOf(backends: BackendStatusView[], nowMs: number, staleThresholdMs: number): AgentStatus[] {
  const byAgent = new Map<string, BackendStatusView[]>();
  for (const b of backends) {
    if (b.agentId === undefined) continue;
    const list = byAgent.get(b.agentId);
    if (list) list.push(b);
    else byAgent.set(b.agentId, [b]);
  }
  return [...byAgent.entries()]
    .map(([agentId, list]) => {
      const lastSeen = Math.max(...list.map((b) => b.agentLastSeenMs ?? -Infinity));
      const seen = Number.isFinite(lastSeen) ? lastSeen : undefined;
      const isStale = seen === undefined || nowMs - seen > staleThresholdMs;
      const status: AgentStatus['status'] = isStale ? 'stale' : list.some((b) => b.agentHealthy === true) ? 'healthy' : 'unhealthy';
      return { agent_id: agentId, region: list[0]!.region, status, last_seen: isoTimeOrNull(seen), backend_count: list.length };
    })
    .sort((a, b) => a.agent_id.localeCompare(b.agent_id));
}

function clusterStatus(control: OverwatchControl, expectedAgents: number | undefined): z.output<typeof ClusterStatusSchema> {
  const now = control.nowMs();
  const backends = control.backends();
  const agents = agentsOf(backends, now, control.config.stale.thresholdMs);
  const healthyAgents = agents.filter((a) => a.status === 'healthy').length;
  const summary = {
    total: backends.length,
    healthy: backends.filter((b) => b.effectiveStatus === 'healthy').length,
    unhealthy: backends.filter((b) => b.effectiveStatus === 'unhealthy').length,
    stale: backends.filter((b) => b.isStale).length,
  };
  const clusterHealthy = !(expectedAgents !== undefined && healthyAgents < expectedAgents) && !(summary.total > 0 && summary.healthy === 0);
  return {
    cluster_healthy: clusterHealthy,
    overwatch: { node_id: control.nodeId, status: 'healthy', uptime_seconds: Math.max(0, Math.floor((now - control.startedAtMs) / 1000)) },
    agents,
    expected_agents: expectedAgents,
    healthy_agents: healthyAgents,
    gossip_members: agents.filter((a) => a.status !== 'stale').length,
    backend_summary: summary,
    generated_at: isoTime(now),
  };
}

export const clusterRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app, { control }) => {
  app.get(
    '/api/v1/cluster/status',
    {
      schema: {
        summary: 'This Overwatch, its agents and a backend summary',
        tags: ['cluster'],
        querystring: z.object({
          expected_agents: z
            .string()
            .regex(/^[0-9]{1,6}$/, 'expected a non-negative integer')
            .transform(Number)
            .optional()
            .describe('cluster_healthy is false with fewer healthy agents'),
        }),
        response: { 200: ClusterStatusSchema, ...errorResponses(400, ...COMMON_ERRORS) },
      },
    },
    (req) => clusterStatus(control, req.query.expected_agents),
  );
};
