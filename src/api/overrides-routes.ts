/**
 * The guide's external override API. An override is the highest authority over a backend's health:
 * `source` absent or `api` is the operator's own hand; any other source (e.g. `cloudwatch`) is an
 * external tool and ranks below a manual override. Without `?port=` an override covers every port of
 * that address in that service. Writes are durable when they return (the control commits first).
 *
 *   GET    /api/v1/overrides                          → {"overrides":[...],"generated_at"}
 *   PUT    /api/v1/overrides                          → bulk, all or nothing
 *   PUT    /api/v1/overrides/{service}/{address}      → 200 the override
 *   GET    /api/v1/overrides/{service}/{address}      → 200 | 404 "override not found"
 *   DELETE /api/v1/overrides/{service}/{address}      → 204 | 404 "override not found"
 */
import * as z from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Override } from '../model/index.ts';
import { ApiError, ApiErrorCode, ApiMessage } from './api-errors.ts';
import { resolveService } from './backend-lookup.ts';
import type { ApiRouteOptions } from './route-options.ts';
import {
  AddressSchema,
  authorityOf,
  COMMON_ERRORS,
  errorResponses,
  isoTime,
  OverrideFieldsSchema,
  OverrideJsonSchema,
  overrideJson,
  PortNumberSchema,
  PortTextSchema,
  ServiceNameSchema,
  TimestampSchema,
} from './schemas.ts';

const MAX_BULK = 1000;

const TargetParams = z.object({ service: ServiceNameSchema, address: AddressSchema });
const PortQuery = z.object({ port: PortTextSchema.optional() });

const BulkItemSchema = OverrideFieldsSchema.extend({
  service: ServiceNameSchema,
  address: AddressSchema,
  port: PortNumberSchema.nullable().optional().describe('absent or null: every port'),
});
const BulkBodySchema = z.object({ overrides: z.array(BulkItemSchema).min(1).max(MAX_BULK) });

const OverrideListSchema = z.object({ overrides: z.array(OverrideJsonSchema), generated_at: TimestampSchema });

export const overridesRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app, { control }) => {
  app.get(
    '/api/v1/overrides',
    {
      schema: {
        summary: 'Every override in force',
        tags: ['overrides'],
        response: { 200: OverrideListSchema, ...errorResponses(...COMMON_ERRORS) },
      },
    },
    () => ({ overrides: control.overrides().map(overrideJson), generated_at: isoTime(control.nowMs()) }),
  );

  app.put(
    '/api/v1/overrides',
    {
      schema: {
        summary: `Set up to ${MAX_BULK} overrides at once: all are applied or none`,
        tags: ['overrides'],
        body: BulkBodySchema,
        response: { 200: OverrideListSchema, ...errorResponses(400, 409, 413, 503, 507, ...COMMON_ERRORS) },
      },
    },
    (req) => {
      const backends = control.backends();
      const now = control.nowMs();
      const seen = new Map<string, number>();
      const list: Override[] = req.body.overrides.map((item, i) => {
        const service = resolveService(control, item.service, backends);
        const port = item.port ?? null;
        const key = `${service}|${item.address}|${port ?? '*'}`;
        const earlier = seen.get(key);
        if (earlier !== undefined) {
          throw new ApiError(ApiErrorCode.BadRequest, `body.overrides[${i}]: same service, address and port as body.overrides[${earlier}]`);
        }
        seen.set(key, i);
        return {
          service,
          address: item.address,
          port,
          healthy: item.healthy,
          reason: item.reason,
          source: item.source ?? 'api',
          authority: authorityOf(req.headers['x-user'], req.clientIp),
          createdAtMs: now,
        };
      });
      const applied = control.setOverrides(list);
      return { overrides: applied.map(overrideJson), generated_at: isoTime(control.nowMs()) };
    },
  );

  app.put(
    '/api/v1/overrides/:service/:address',
    {
      schema: {
        summary: 'Set the override of a backend (every port of the address unless ?port=)',
        tags: ['overrides'],
        params: TargetParams,
        querystring: PortQuery,
        body: OverrideFieldsSchema,
        response: { 200: OverrideJsonSchema, ...errorResponses(400, 409, 413, 503, 507, ...COMMON_ERRORS) },
      },
    },
    (req) => {
      const override = control.setOverride({
        service: resolveService(control, req.params.service),
        address: req.params.address,
        port: req.query.port ?? null,
        healthy: req.body.healthy,
        reason: req.body.reason,
        source: req.body.source ?? 'api',
        authority: authorityOf(req.headers['x-user'], req.clientIp),
        createdAtMs: control.nowMs(),
      });
      return overrideJson(override);
    },
  );

  app.get(
    '/api/v1/overrides/:service/:address',
    {
      schema: {
        summary: 'The override of a backend',
        tags: ['overrides'],
        params: TargetParams,
        querystring: PortQuery,
        response: { 200: OverrideJsonSchema, ...errorResponses(400, 404, ...COMMON_ERRORS) },
      },
    },
    (req) => {
      const found = control.getOverride(resolveService(control, req.params.service), req.params.address, req.query.port ?? null);
      if (!found) throw new ApiError(ApiErrorCode.NotFound, ApiMessage.OverrideNotFound);
      return overrideJson(found);
    },
  );

  app.delete(
    '/api/v1/overrides/:service/:address',
    {
      schema: {
        summary: 'Clear the override of a backend; health is decided by checks again',
        tags: ['overrides'],
        params: TargetParams,
        querystring: PortQuery,
        response: { 204: z.null().describe('Cleared'), ...errorResponses(400, 404, 503, 507, ...COMMON_ERRORS) },
      },
    },
    async (req, reply) => {
      const cleared = control.clearOverride(resolveService(control, req.params.service), req.params.address, req.query.port ?? null);
      if (!cleared) throw new ApiError(ApiErrorCode.NotFound, ApiMessage.OverrideNotFound);
      return reply.code(204).send(null);
    },
  );
};
