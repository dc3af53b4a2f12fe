/**
 * `/api/v1/servers`: CRUD on backends in the original's BackendServer shape. The list holds every
 * backend (configuration, agents, API); only API-created servers can be changed or deleted
 * (the others answer 409 and point at the configuration file or the agent). A server id is
 * `service:address:port` (the address may be IPv6 with its colons).
 *
 *   GET    /api/v1/servers?region=&enabled=&healthy=   → {"servers":[...],"total","generated_at"}
 *   POST   /api/v1/servers                              → 201 {"server":...}
 *   GET|PUT|PATCH /api/v1/servers/{id}                 → 200 {"server":...} (PUT/PATCH: weight, region)
 *   DELETE /api/v1/servers/{id}                        → 204
 */
import * as z from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { backendId, parseBackendId } from '../model/index.ts';
import type { BackendStatusView, OverwatchControl } from '../overwatch/index.ts';
import { ApiError, ApiErrorCode } from './api-errors.ts';
import type { ApiRouteOptions } from './route-options.ts';
import {
  AddressSchema,
  BooleanTextSchema,
  canonicalAddress,
  COMMON_ERRORS,
  errorResponses,
  isoTime,
  isServiceName,
  normaliseService,
  PortNumberSchema,
  TimestampSchema,
} from './schemas.ts';

const NS_PER_MS = 1_000_000;

const ServerJsonSchema = z.object({
  id: z.string().describe('service:address:port'),
  name: z.string(),
  address: z.string(),
  port: z.number().int(),
  protocol: z.literal('tcp'),
  weight: z.number(),
  region: z.string(),
  enabled: z.boolean().describe('false while the agent drains the backend'),
  healthy: z.boolean().describe('effective_status is healthy'),
  status: z.string().describe('effective_status'),
  metadata: z.record(z.string(), z.string()),
  created_at: TimestampSchema,
  health_check: z.object({
    enabled: z.literal(true),
    type: z.string(),
    path: z.string(),
    host: z.string().optional(),
    interval: z.number().int().describe('nanoseconds, as the original'),
    timeout: z.number().int().describe('nanoseconds, as the original'),
    healthy_threshold: z.number().int(),
    unhealthy_threshold: z.number().int(),
  }),
});
type ServerJson = z.output<typeof ServerJsonSchema>;

function serverJson(b: BackendStatusView): ServerJson {
  const metadata: Record<string, string> = {
    service: b.service,
    source: b.source,
    effective_status: b.effectiveStatus,
    authority: b.authority,
    serve: String(b.serve),
  };
  if (b.agentId !== undefined) metadata.agent_id = b.agentId;
  if (b.agentHealthy !== undefined) metadata.agent_healthy = String(b.agentHealthy);
  if (b.agentLastSeenMs !== undefined) metadata.agent_last_seen = isoTime(b.agentLastSeenMs);
  if (b.validation.healthy !== null) metadata.validation_check = b.validation.healthy ? 'healthy' : 'unhealthy';
  if (b.validation.latencyMs !== undefined) metadata.latency_ms = String(b.validation.latencyMs);
  const hc = b.healthCheck;
  return {
    id: b.id,
    name: b.service,
    address: b.address,
    port: b.port,
    protocol: 'tcp',
    weight: b.weight,
    region: b.region,
    enabled: !b.draining,
    healthy: b.effectiveStatus === 'healthy',
    status: b.effectiveStatus,
    metadata,
    created_at: isoTime(b.registeredAtMs),
    health_check: {
      enabled: true,
      type: hc.type,
      path: hc.type === 'tcp' ? '' : hc.path,
      host: hc.host,
      interval: hc.intervalMs * NS_PER_MS,
      timeout: hc.timeoutMs * NS_PER_MS,
      healthy_threshold: hc.successThreshold,
      unhealthy_threshold: hc.failureThreshold,
    },
  };
}

const ServerEnvelopeSchema = z.object({ server: ServerJsonSchema });
const WeightSchema = z.number().int().min(0).max(1_000_000);
const RegionNameSchema = z.string().trim().min(1, 'expected a region name').max(253);

const CreateBodySchema = z.object({
  name: z.string().max(254).optional().describe('The service, unless metadata.service is given'),
  address: AddressSchema,
  port: PortNumberSchema.default(80),
  weight: WeightSchema.default(100),
  region: z.string().max(253).optional().describe('Required'),
  protocol: z.string().optional().describe('Accepted for compatibility; always tcp'),
  priority: z.number().int().optional().describe('Accepted for compatibility; ignored'),
  enabled: z.boolean().optional().describe('Accepted for compatibility; ignored'),
  description: z.string().max(1024).optional(),
  tags: z.array(z.string()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional().describe('metadata.service names the service'),
});

const UpdateBodySchema = z.object({
  weight: WeightSchema.optional(),
  region: RegionNameSchema.optional(),
});

const IdParams = z.object({ id: z.string().min(1).describe('service:address:port') });

/** Canonical id from the path, or 400 saying what an id looks like. */
function parseServerId(id: string): string {
  const parts = parseBackendId(id);
  if (!parts || !isServiceName(parts.service)) {
    throw new ApiError(ApiErrorCode.BadRequest, `path.id: expected service:address:port (e.g. app.example.com:10.0.1.10:80), got ${JSON.stringify(id)}`);
  }
  return backendId(normaliseService(parts.service), canonicalAddress(parts.address), parts.port);
}

function serverById(control: OverwatchControl, rawId: string): BackendStatusView {
  const id = parseServerId(rawId);
  const b = control.backend(id);
  if (!b) throw new ApiError(ApiErrorCode.NotFound, `server not found: ${id}`);
  return b;
}

export const serversRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app, { control }) => {
  app.get(
    '/api/v1/servers',
    {
      schema: {
        summary: 'Every backend as a server (configuration, agents, API)',
        tags: ['servers'],
        querystring: z.object({
          region: z.string().max(253).optional(),
          enabled: BooleanTextSchema.optional(),
          healthy: BooleanTextSchema.optional(),
        }),
        response: {
          200: z.object({ servers: z.array(ServerJsonSchema), total: z.number().int(), generated_at: TimestampSchema }),
          ...errorResponses(400, ...COMMON_ERRORS),
        },
      },
    },
    (req) => {
      const { region, enabled, healthy } = req.query;
      const servers = control
        .backends()
        .map(serverJson)
        .filter((s) => (region === undefined || s.region === region) && (enabled === undefined || s.enabled === enabled) && (healthy === undefined || s.healthy === healthy));
      return { servers, total: servers.length, generated_at: isoTime(control.nowMs()) };
    },
  );

  app.post(
    '/api/v1/servers',
    {
      schema: {
        summary: 'Add a server: persisted and served in DNS',
        tags: ['servers'],
        body: CreateBodySchema,
        response: { 201: ServerEnvelopeSchema, ...errorResponses(400, 409, 413, 503, 507, ...COMMON_ERRORS) },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const region = body.region?.trim() ?? '';
      if (region === '') throw new ApiError(ApiErrorCode.BadRequest, 'region is required');
      const fromMetadata = body.metadata?.service;
      const service = (typeof fromMetadata === 'string' && fromMetadata !== '' ? fromMetadata : body.name ?? '').trim();
      if (service === '') throw new ApiError(ApiErrorCode.BadRequest, 'service is required (set via name or metadata.service)');
      if (!isServiceName(service)) {
        throw new ApiError(ApiErrorCode.BadRequest, `service: expected a DNS name such as app.gslb.example.com, got ${JSON.stringify(service.slice(0, 60))}`);
      }
      const created = control.createServer({ service: normaliseService(service), address: body.address, port: body.port, weight: body.weight, region });
      return reply.code(201).send({ server: serverJson(created) });
    },
  );

  app.get(
    '/api/v1/servers/:id',
    {
      schema: {
        summary: 'One server',
        tags: ['servers'],
        params: IdParams,
        response: { 200: ServerEnvelopeSchema, ...errorResponses(400, 404, ...COMMON_ERRORS) },
      },
    },
    (req) => ({ server: serverJson(serverById(control, req.params.id)) }),
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/v1/servers/:id',
      schema: {
        summary: 'Change the weight and/or region of an API-created server',
        tags: ['servers'],
        params: IdParams,
        body: UpdateBodySchema,
        response: { 200: ServerEnvelopeSchema, ...errorResponses(400, 404, 409, 413, 503, 507, ...COMMON_ERRORS) },
      },
      handler: (req) => {
        const id = parseServerId(req.params.id);
        const changes: { weight?: number; region?: string } = {};
        if (req.body.weight !== undefined) changes.weight = req.body.weight;
        if (req.body.region !== undefined) changes.region = req.body.region;
        return { server: serverJson(control.updateServer(id, changes)) };
      },
    });
  }

  app.delete(
    '/api/v1/servers/:id',
    {
      schema: {
        summary: 'Delete an API-created server',
        tags: ['servers'],
        params: IdParams,
        response: { 204: z.null().describe('Deleted'), ...errorResponses(400, 404, 409, 503, 507, ...COMMON_ERRORS) },
      },
    },
    async (req, reply) => {
      control.deleteServer(parseServerId(req.params.id));
      return reply.code(204).send(null);
    },
  );
};
