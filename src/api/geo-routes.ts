/**
 * Geolocation and latency routing, in the original's shapes:
 *
 *   GET /api/v1/geo (discovery, no ACL), GET /api/v1/geo/database
 *   GET|PUT|POST /api/v1/geo/mappings, DELETE /api/v1/geo/mappings/{url-escaped cidr}
 *   GET /api/v1/geo/test?ip=
 *   GET|POST /api/v1/overwatch/latency (the learned latency table; POST injects, for tests)
 *   POST /api/v1/routing/test {domain, client_ip}: the answer from the live Snapshot and why
 *
 * Mappings added here persist in data_dir (the original lost them on restart); the config's
 * mappings are listed with source "config" and are read-only here. Geolocation routes answer
 * whether or not a database is configured (custom mappings and default_region work without one).
 */
import * as z from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { GeoMappingView, GeoTestView, LearnedLatencyView, RoutingControl } from '../overwatch/index.ts';
import { ApiError, ApiErrorCode } from './api-errors.ts';
import type { ApiRouteOptions } from './route-options.ts';
import { COMMON_ERRORS, errorResponses, isoTime, TimestampSchema } from './schemas.ts';

const MappingJsonSchema = z.object({
  cidr: z.string(),
  region: z.string(),
  comment: z.string().optional(),
  source: z.enum(['config', 'api']),
});

const MappingBodySchema = z.object({
  cidr: z.string().max(100).optional(),
  region: z.string().max(100).optional(),
  comment: z.string().max(1024).optional(),
});

const GeoTestJsonSchema = z.object({
  ip: z.string(),
  region: z.string().optional(),
  match_type: z.enum(['custom_mapping', 'geoip', 'default', 'none']).describe('The original\'s values; "none": no region and no default_region'),
  geoip_match: z.enum(['country', 'continent']).optional(),
  matched_cidr: z.string().optional(),
  comment: z.string().optional(),
  country: z.string().optional(),
  continent: z.string().optional(),
  ecs_scope_prefix: z.number().int().describe('Leading address bits the decision depended on: the ECS scope a reply carries'),
});

const LatencyEntrySchema = z.object({
  subnet: z.string(),
  backend: z.string(),
  region: z.string(),
  ewma_ms: z.number(),
  sample_count: z.number(),
  last_updated: TimestampSchema,
  source: z.string().describe('The agent that reported it, or "api" for injected data'),
});

const Unavailable = 'geolocation not configured';

function mappingJson(m: GeoMappingView): z.output<typeof MappingJsonSchema> {
  return { cidr: m.cidr, region: m.region, ...(m.comment === undefined ? {} : { comment: m.comment }), source: m.source };
}

function geoTestJson(v: GeoTestView): z.output<typeof GeoTestJsonSchema> {
  const geoip = v.matchType === 'geoip_country' || v.matchType === 'geoip_continent';
  return {
    ip: v.ip,
    ...(v.region === undefined ? {} : { region: v.region }),
    match_type: geoip ? 'geoip' : (v.matchType as 'custom_mapping' | 'default' | 'none'),
    ...(geoip ? { geoip_match: v.matchType === 'geoip_country' ? ('country' as const) : ('continent' as const) } : {}),
    ...(v.matchedCidr === undefined ? {} : { matched_cidr: v.matchedCidr }),
    ...(v.comment === undefined ? {} : { comment: v.comment }),
    ...(v.country === undefined ? {} : { country: v.country }),
    ...(v.continent === undefined ? {} : { continent: v.continent }),
    ecs_scope_prefix: v.scopePrefix,
  };
}

function latencyJson(e: LearnedLatencyView): z.output<typeof LatencyEntrySchema> {
  return { subnet: e.subnet, backend: e.backend, region: e.region, ewma_ms: e.ewmaMs, sample_count: e.samples, last_updated: isoTime(e.updatedMs), source: e.agentId };
}

export const geoRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app, { control, routes }) => {
  const routing = (): RoutingControl => {
    if (!control.routing) throw new ApiError(ApiErrorCode.Unavailable, Unavailable);
    return control.routing;
  };

  app.get(
    '/api/v1/geo',
    {
      config: { aclExempt: true },
      schema: {
        summary: 'Endpoints below /api/v1/geo (no ACL)',
        tags: ['discovery'],
        response: { 200: z.object({ endpoints: z.array(z.object({ path: z.string(), description: z.string(), methods: z.array(z.string()) })), generated_at: TimestampSchema }) },
      },
    },
    () => ({ endpoints: routes.endpointsUnder('/api/v1/geo'), generated_at: isoTime(control.nowMs()) }),
  );

  app.get(
    '/api/v1/geo/mappings',
    { schema: { summary: 'Custom CIDR -> region mappings (config and API)', tags: ['geo'], response: { 200: z.object({ mappings: z.array(MappingJsonSchema), generated_at: TimestampSchema }), ...errorResponses(503, ...COMMON_ERRORS) } } },
    () => ({ mappings: routing().geoMappings().map(mappingJson), generated_at: isoTime(control.nowMs()) }),
  );

  for (const method of ['put', 'post'] as const) {
    app[method](
      '/api/v1/geo/mappings',
      {
        schema: {
          summary: 'Add or replace a custom mapping (persisted; the longest prefix wins)',
          tags: ['geo'],
          body: MappingBodySchema,
          response: { 201: MappingJsonSchema, ...errorResponses(400, 409, 413, 503, 507, ...COMMON_ERRORS) },
        },
      },
      async (req, reply) => {
        const { cidr, region, comment } = req.body ?? {};
        if (!cidr?.trim()) throw new ApiError(ApiErrorCode.BadRequest, 'cidr is required');
        if (!region?.trim()) throw new ApiError(ApiErrorCode.BadRequest, 'region is required');
        const m = routing().putGeoMapping({ cidr: cidr.trim(), region: region.trim(), ...(comment ? { comment } : {}) });
        return reply.code(201).send(mappingJson(m));
      },
    );
  }

  const remove = (cidr: string): void => {
    if (cidr.trim() === '') throw new ApiError(ApiErrorCode.BadRequest, 'cidr is required in path');
    routing().deleteGeoMapping(cidr);
  };
  app.delete(
    '/api/v1/geo/mappings/:cidr',
    { schema: { summary: 'Remove an API mapping (cidr URL-escaped: 10.0.0.0%2F8)', tags: ['geo'], params: z.object({ cidr: z.string().max(100) }), response: { 204: z.null(), ...errorResponses(400, 404, 409, 503, 507, ...COMMON_ERRORS) } } },
    async (req, reply) => {
      remove(req.params.cidr);
      return reply.code(204).send(null);
    },
  );
  app.delete(
    '/api/v1/geo/mappings/:address/:length',
    { schema: { summary: 'Remove an API mapping (cidr written with its slash)', tags: ['geo'], params: z.object({ address: z.string().max(64), length: z.string().max(3) }), response: { 204: z.null(), ...errorResponses(400, 404, 409, 503, 507, ...COMMON_ERRORS) } } },
    async (req, reply) => {
      remove(`${req.params.address}/${req.params.length}`);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/geo/test',
    {
      schema: {
        summary: 'Which region an address goes to, and why',
        tags: ['geo'],
        querystring: z.object({ ip: z.string().max(100).optional() }),
        response: { 200: GeoTestJsonSchema, ...errorResponses(400, 503, ...COMMON_ERRORS) },
      },
    },
    (req) => {
      const ip = req.query.ip?.trim();
      if (!ip) throw new ApiError(ApiErrorCode.BadRequest, 'ip query parameter is required');
      const v = routing().geoTest(ip);
      if (!v) throw new ApiError(ApiErrorCode.BadRequest, `invalid IP address: ${ip}`);
      return geoTestJson(v);
    },
  );

  app.get(
    '/api/v1/geo/database',
    {
      schema: {
        summary: 'The geolocation database in use (null when none is configured)',
        tags: ['geo'],
        response: {
          200: z.object({
            database: z
              .object({ path: z.string(), database_type: z.string(), build_epoch: TimestampSchema, size_bytes: z.number(), loads: z.number(), last_loaded_at: TimestampSchema, last_error: z.string().optional() })
              .nullable(),
            generated_at: TimestampSchema,
          }),
          ...errorResponses(503, ...COMMON_ERRORS),
        },
      },
    },
    () => {
      const d = routing().geoDatabase();
      return {
        database: d
          ? {
              path: d.path,
              database_type: d.databaseType,
              build_epoch: isoTime(d.buildEpochMs),
              size_bytes: d.sizeBytes,
              loads: d.loads,
              last_loaded_at: isoTime(d.lastLoadedAtMs),
              ...(d.lastError === undefined ? {} : { last_error: d.lastError }),
            }
          : null,
        generated_at: isoTime(control.nowMs()),
      };
    },
  );

  app.get(
    '/api/v1/overwatch/latency',
    {
      schema: {
        summary: 'Learned latency: agent-reported client RTT per client subnet and backend',
        tags: ['overwatch'],
        response: { 200: z.object({ entries: z.array(LatencyEntrySchema), count: z.number().int(), subnet_count: z.number().int(), generated_at: TimestampSchema }), ...errorResponses(503, ...COMMON_ERRORS) },
      },
    },
    () => {
      const entries = routing().learnedLatency().map(latencyJson);
      return { entries, count: entries.length, subnet_count: new Set(entries.map((e) => e.subnet)).size, generated_at: isoTime(control.nowMs()) };
    },
  );

  app.post(
    '/api/v1/overwatch/latency',
    {
      schema: {
        summary: 'Inject a learned latency sample (tests and demos)',
        tags: ['overwatch'],
        body: z.object({
          subnet: z.string().max(100).optional(),
          backend: z.string().max(400).optional().describe('Backend id: service:address:port'),
          region: z.string().max(100).optional(),
          latency_ms: z.number().min(0).optional(),
          samples: z.number().int().min(0).optional(),
        }),
        response: {
          201: z.object({ message: z.string(), subnet: z.string(), backend: z.string(), region: z.string() }),
          ...errorResponses(400, 404, 413, 503, ...COMMON_ERRORS),
        },
      },
    },
    async (req, reply) => {
      const b = req.body ?? {};
      if (!b.subnet || !b.backend) throw new ApiError(ApiErrorCode.BadRequest, 'subnet and backend are required');
      const v = routing().injectLearnedLatency({ subnet: b.subnet, backend: b.backend, latencyMs: b.latency_ms ?? 0, samples: b.samples ?? 1 });
      return reply.code(201).send({ message: 'latency data injected', subnet: v.subnet, backend: v.backend, region: v.region });
    },
  );

  app.post(
    '/api/v1/routing/test',
    {
      schema: {
        summary: 'The answer a client would get for a domain now, with each step of the decision',
        tags: ['routing'],
        body: z.object({ domain: z.string().max(254).optional(), client_ip: z.string().max(100).optional() }).passthrough(),
        response: {
          200: z.object({
            domain: z.string(),
            client_ip: z.string(),
            policy: z.string(),
            answers: z.array(z.object({ backend: z.string(), address: z.string(), region: z.string() })),
            ecs_scope_prefix: z.number().int(),
            steps: z.array(z.object({ step: z.string(), detail: z.string() })),
            generated_at: TimestampSchema,
          }),
          ...errorResponses(400, 404, 413, 503, ...COMMON_ERRORS),
        },
      },
    },
    (req) => {
      const { domain, client_ip } = req.body ?? {};
      if (!domain?.trim()) throw new ApiError(ApiErrorCode.BadRequest, 'domain is required');
      if (!client_ip?.trim()) throw new ApiError(ApiErrorCode.BadRequest, 'client_ip is required');
      const r = routing().routingTest(domain.trim(), client_ip.trim());
      return {
        domain: r.domain,
        client_ip: r.clientIp,
        policy: r.policy,
        answers: r.answers.map((a) => ({ backend: a.backendId, address: a.address, region: a.region })),
        ecs_scope_prefix: r.scopePrefix,
        steps: r.steps,
        generated_at: isoTime(control.nowMs()),
      };
    },
  );
};
