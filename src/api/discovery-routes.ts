/**
 * Discovery, as the original: `GET /api` lists API versions, `GET /api/v1` and the group roots
 * (`/api/v1/health`, `/api/v1/overwatch`, `/api/v1/cluster`) list the endpoints below them, read
 * from the routes actually registered. The roots are exempt from the ACL (they reveal no state);
 * `GET /api/v1/version` is not (it reveals the build).
 */
import * as z from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiRouteOptions } from './route-options.ts';
import { COMMON_ERRORS, errorResponses, isoTime, TimestampSchema } from './schemas.ts';

const EndpointSchema = z.object({ path: z.string(), description: z.string(), methods: z.array(z.string()) });
const EndpointListSchema = z.object({ endpoints: z.array(EndpointSchema), generated_at: TimestampSchema });

/** Group roots with their own listing, besides `/api/v1`. */
const GROUP_ROOTS = ['/api/v1/health', '/api/v1/overwatch', '/api/v1/cluster'] as const;

export const discoveryRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app, { control, routes }) => {
  app.get(
    '/api',
    {
      config: { aclExempt: true },
      schema: {
        summary: 'API versions (no ACL)',
        tags: ['discovery'],
        response: { 200: z.object({ versions: z.array(EndpointSchema), generated_at: TimestampSchema }) },
      },
    },
    () => ({
      versions: [{ path: '/api/v1', description: 'OpenGSLB Overwatch API v1 (OpenAPI document: /api/v1/openapi.json)', methods: ['GET'] }],
      generated_at: isoTime(control.nowMs()),
    }),
  );

  app.get(
    '/api/v1',
    {
      config: { aclExempt: true },
      schema: { summary: 'Every v1 endpoint (no ACL)', tags: ['discovery'], response: { 200: EndpointListSchema } },
    },
    () => ({ endpoints: routes.endpointsUnder('/api/v1'), generated_at: isoTime(control.nowMs()) }),
  );

  for (const root of GROUP_ROOTS) {
    app.get(
      root,
      {
        config: { aclExempt: true },
        schema: { summary: `Endpoints below ${root} (no ACL)`, tags: ['discovery'], response: { 200: EndpointListSchema } },
      },
      () => ({ endpoints: routes.endpointsUnder(root), generated_at: isoTime(control.nowMs()) }),
    );
  }

  app.get(
    '/api/v1/version',
    {
      schema: {
        summary: 'Build and runtime versions',
        tags: ['discovery'],
        response: {
          200: z.object({ version: z.string(), node_version: z.string(), platform: z.string(), generated_at: TimestampSchema }),
          ...errorResponses(...COMMON_ERRORS),
        },
      },
    },
    () => ({
      version: control.version,
      node_version: process.version,
      platform: `${process.platform}/${process.arch}`,
      generated_at: isoTime(control.nowMs()),
    }),
  );
};
