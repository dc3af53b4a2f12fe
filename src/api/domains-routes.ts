/**
 * `/api/v1/domains` and `/api/v1/regions`: the original's CRUD. Items from the configuration file
 * are listed and read-only (409, pointing at the file); items created here are persisted in
 * data_dir and served in DNS. A domain's backends are API servers of that service.
 *
 *   GET|POST /api/v1/domains, GET|PUT|PATCH|DELETE /api/v1/domains/{name}
 *   GET|POST /api/v1/domains/{name}/backends, DELETE /api/v1/domains/{name}/backends/{id}
 *   GET|POST /api/v1/regions, GET|PUT|PATCH|DELETE /api/v1/regions/{name}
 */
import * as z from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { BackendStatusView, DomainView, RegionView } from '../overwatch/index.ts';
import { ApiError, ApiErrorCode } from './api-errors.ts';
import type { ApiRouteOptions } from './route-options.ts';
import { AddressSchema, COMMON_ERRORS, errorResponses, isoTime, isoTimeOrNull, TimestampSchema } from './schemas.ts';

const DomainJsonSchema = z.object({
  id: z.string(),
  name: z.string(),
  ttl: z.number().int(),
  routing_policy: z.string(),
  max_answers: z.number().int(),
  dnssec_enabled: z.boolean(),
  enabled: z.literal(true),
  source: z.enum(['config', 'api']),
  regions: z.array(z.string()),
  description: z.string().nullable(),
  created_at: TimestampSchema.nullable(),
  updated_at: TimestampSchema.nullable(),
  backend_count: z.number().int(),
  healthy_backends: z.number().int(),
});

const RegionJsonSchema = z.object({
  id: z.string(),
  name: z.string(),
  code: z.string(),
  source: z.enum(['config', 'api']),
  countries: z.array(z.string()),
  continents: z.array(z.string()),
  description: z.string().nullable(),
  enabled: z.literal(true),
  server_count: z.number().int(),
  healthy_servers: z.number().int(),
});

const DomainBackendJsonSchema = z.object({
  id: z.string(),
  address: z.string(),
  port: z.number().int(),
  weight: z.number(),
  region: z.string(),
  healthy: z.boolean(),
  enabled: z.boolean(),
  source: z.string(),
  last_check: TimestampSchema.nullable(),
});

const DomainBodySchema = z.object({
  name: z.string().max(254).optional(),
  ttl: z.number().int().min(0).max(604800).optional(),
  routing_policy: z.string().max(40).optional(),
  max_answers: z.number().int().min(1).max(64).optional(),
  description: z.string().max(1024).optional(),
  dnssec_enabled: z.boolean().optional(),
  enabled: z.boolean().optional(),
  tags: z.array(z.string()).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
});

const RegionBodySchema = z.object({
  name: z.string().max(100).optional(),
  code: z.string().max(100).optional(),
  countries: z.array(z.string()).max(300).optional(),
  continents: z.array(z.string()).max(7).optional(),
  description: z.string().max(1024).optional(),
});

const NameParams = z.object({ name: z.string().min(1).max(254) });

export const domainsRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app, { control }) => {
  const dnssec = () => control.config.dnssec.enabled;
  const domainJson = (d: DomainView): z.output<typeof DomainJsonSchema> => ({
    id: d.name,
    name: d.name,
    ttl: d.ttlSeconds,
    routing_policy: d.routingPolicy,
    max_answers: d.maxAnswers,
    dnssec_enabled: dnssec(),
    enabled: true,
    source: d.source,
    regions: d.regions,
    description: d.description ?? null,
    created_at: isoTimeOrNull(d.createdAtMs),
    updated_at: isoTimeOrNull(d.updatedAtMs),
    backend_count: d.backendCount,
    healthy_backends: d.healthyBackends,
  });
  const regionJson = (r: RegionView): z.output<typeof RegionJsonSchema> => ({
    id: r.name,
    name: r.name,
    code: r.name,
    source: r.source,
    countries: r.countries,
    continents: r.continents,
    description: r.description ?? null,
    enabled: true,
    server_count: r.serverCount,
    healthy_servers: r.healthyServers,
  });
  const backendJson = (b: BackendStatusView): z.output<typeof DomainBackendJsonSchema> => ({
    id: b.id,
    address: b.address,
    port: b.port,
    weight: b.weight,
    region: b.region,
    healthy: b.serve,
    enabled: !b.draining,
    source: b.source,
    last_check: isoTimeOrNull(b.validation.lastCheckMs),
  });
  const domainOr404 = (name: string) => {
    const d = control.domain(name);
    if (!d) throw new ApiError(ApiErrorCode.NotFound, `domain not found: ${name}`);
    return d;
  };
  const changesOf = (b: z.output<typeof DomainBodySchema>) => ({
    ttlSeconds: b.ttl,
    routingPolicy: b.routing_policy,
    maxAnswers: b.max_answers,
    description: b.description,
  });

  app.get(
    '/api/v1/domains',
    { schema: { summary: 'Domains (config and API)', tags: ['domains'], response: { 200: z.object({ domains: z.array(DomainJsonSchema), total: z.number().int(), generated_at: TimestampSchema }), ...errorResponses(...COMMON_ERRORS) } } },
    () => {
      const domains = control.domains().map(domainJson);
      return { domains, total: domains.length, generated_at: isoTime(control.nowMs()) };
    },
  );
  app.post(
    '/api/v1/domains',
    { schema: { summary: 'Create a domain (persisted, served in DNS)', tags: ['domains'], body: DomainBodySchema, response: { 201: z.object({ domain: DomainJsonSchema }), ...errorResponses(400, 409, 413, 503, 507, ...COMMON_ERRORS) } } },
    async (req, reply) => {
      if (!req.body.name?.trim()) throw new ApiError(ApiErrorCode.BadRequest, 'name is required');
      const d = control.createDomain({ name: req.body.name, ...changesOf(req.body) });
      return reply.code(201).send({ domain: domainJson(d) });
    },
  );
  app.get(
    '/api/v1/domains/:name',
    { schema: { summary: 'One domain', tags: ['domains'], params: NameParams, response: { 200: z.object({ domain: DomainJsonSchema }), ...errorResponses(404, ...COMMON_ERRORS) } } },
    (req) => ({ domain: domainJson(domainOr404(req.params.name)) }),
  );
  for (const method of ['put', 'patch'] as const) {
    app[method](
      '/api/v1/domains/:name',
      { schema: { summary: 'Change an API-created domain', tags: ['domains'], params: NameParams, body: DomainBodySchema, response: { 200: z.object({ domain: DomainJsonSchema }), ...errorResponses(400, 404, 409, 413, 503, 507, ...COMMON_ERRORS) } } },
      (req) => ({ domain: domainJson(control.updateDomain(req.params.name.toLowerCase(), changesOf(req.body))) }),
    );
  }
  app.delete(
    '/api/v1/domains/:name',
    { schema: { summary: 'Delete an API-created domain', tags: ['domains'], params: NameParams, response: { 204: z.null(), ...errorResponses(404, 409, 503, 507, ...COMMON_ERRORS) } } },
    async (req, reply) => {
      control.deleteDomain(req.params.name.toLowerCase());
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/domains/:name/backends',
    { schema: { summary: "A domain's backends", tags: ['domains'], params: NameParams, response: { 200: z.object({ backends: z.array(DomainBackendJsonSchema), total: z.number().int(), generated_at: TimestampSchema }), ...errorResponses(404, ...COMMON_ERRORS) } } },
    (req) => {
      const d = domainOr404(req.params.name);
      const backends = control.backends().filter((b) => b.servedNames.includes(d.name)).map(backendJson);
      return { backends, total: backends.length, generated_at: isoTime(control.nowMs()) };
    },
  );
  app.post(
    '/api/v1/domains/:name/backends',
    {
      schema: {
        summary: 'Add a backend to a domain (an API server of that service)',
        tags: ['domains'],
        params: NameParams,
        body: z.object({
          address: AddressSchema.optional(),
          port: z.number().int().min(1).max(65535).optional(),
          weight: z.number().int().min(0).max(1_000_000).default(100),
          priority: z.number().int().optional(),
          region: z.string().max(100).default('default'),
          enabled: z.boolean().optional(),
        }),
        response: { 201: z.object({ backend: DomainBackendJsonSchema }), ...errorResponses(400, 404, 409, 413, 503, 507, ...COMMON_ERRORS) },
      },
    },
    async (req, reply) => {
      const d = domainOr404(req.params.name);
      if (!req.body.address) throw new ApiError(ApiErrorCode.BadRequest, 'address is required');
      if (!req.body.port) throw new ApiError(ApiErrorCode.BadRequest, 'port is required');
      const b = control.createServer({ service: d.name, address: req.body.address, port: req.body.port, weight: req.body.weight, region: req.body.region });
      return reply.code(201).send({ backend: backendJson(b) });
    },
  );
  app.delete(
    '/api/v1/domains/:name/backends/:id',
    { schema: { summary: 'Remove an API-created backend of a domain', tags: ['domains'], params: z.object({ name: z.string().min(1).max(254), id: z.string().min(1).max(400) }), response: { 204: z.null(), ...errorResponses(404, 409, 503, 507, ...COMMON_ERRORS) } } },
    async (req, reply) => {
      const d = domainOr404(req.params.name);
      if (!req.params.id.startsWith(`${d.name}:`)) throw new ApiError(ApiErrorCode.NotFound, `backend not found: ${req.params.id}`);
      control.deleteServer(req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/regions',
    { schema: { summary: 'Regions (config and API)', tags: ['regions'], querystring: z.object({ continent: z.string().max(2).optional() }), response: { 200: z.object({ regions: z.array(RegionJsonSchema), total: z.number().int(), generated_at: TimestampSchema }), ...errorResponses(400, ...COMMON_ERRORS) } } },
    (req) => {
      const c = req.query.continent?.toUpperCase();
      const regions = control.regions().filter((r) => !c || r.continents.includes(c)).map(regionJson);
      return { regions, total: regions.length, generated_at: isoTime(control.nowMs()) };
    },
  );
  app.post(
    '/api/v1/regions',
    { schema: { summary: 'Create a region (persisted)', tags: ['regions'], body: RegionBodySchema, response: { 201: z.object({ region: RegionJsonSchema }), ...errorResponses(400, 409, 413, 503, 507, ...COMMON_ERRORS) } } },
    async (req, reply) => {
      const name = (req.body.name ?? req.body.code ?? '').trim();
      if (!name) throw new ApiError(ApiErrorCode.BadRequest, 'name is required');
      const r = control.createRegion({ name, countries: req.body.countries, continents: req.body.continents, description: req.body.description });
      return reply.code(201).send({ region: regionJson(r) });
    },
  );
  app.get(
    '/api/v1/regions/:name',
    { schema: { summary: 'One region', tags: ['regions'], params: NameParams, response: { 200: z.object({ region: RegionJsonSchema }), ...errorResponses(404, ...COMMON_ERRORS) } } },
    (req) => {
      const r = control.region(req.params.name);
      if (!r) throw new ApiError(ApiErrorCode.NotFound, `region not found: ${req.params.name}`);
      return { region: regionJson(r) };
    },
  );
  for (const method of ['put', 'patch'] as const) {
    app[method](
      '/api/v1/regions/:name',
      { schema: { summary: 'Change an API-created region', tags: ['regions'], params: NameParams, body: RegionBodySchema, response: { 200: z.object({ region: RegionJsonSchema }), ...errorResponses(400, 404, 409, 413, 503, 507, ...COMMON_ERRORS) } } },
      (req) => ({ region: regionJson(control.updateRegion(req.params.name, { countries: req.body.countries, continents: req.body.continents, description: req.body.description })) }),
    );
  }
  app.delete(
    '/api/v1/regions/:name',
    { schema: { summary: 'Delete an API-created region', tags: ['regions'], params: NameParams, response: { 204: z.null(), ...errorResponses(404, 409, 503, 507, ...COMMON_ERRORS) } } },
    async (req, reply) => {
      control.deleteRegion(req.params.name);
      return reply.code(204).send(null);
    },
  );
};
