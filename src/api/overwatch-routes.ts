/**
 * The original's `/api/v1/overwatch/*` endpoints, with its paths, JSON shapes and messages:
 * backend listing with filters, per-backend manual override (POST/DELETE), stats, and a validation
 * round on demand. The override set here is a manual (`api`) override of one port.
 */
import * as z from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyBaseLogger } from 'fastify';
import type { BackendStatusView, OverwatchControl } from '../overwatch/index.ts';
import { backendId } from '../model/index.ts';
import { ApiError, ApiErrorCode, ApiMessage } from './api-errors.ts';
import { matchesService } from './backend-lookup.ts';
import type { ApiRouteOptions } from './route-options.ts';
import {
  AddressSchema,
  authorityOf,
  BooleanTextSchema,
  COMMON_ERRORS,
  errorResponses,
  isoTime,
  isoTimeOrNull,
  PortTextSchema,
  ServiceNameSchema,
  TimestampSchema,
} from './schemas.ts';

const STATUSES = ['healthy', 'unhealthy', 'stale', 'draining', 'unknown'] as const;

const OverwatchBackendSchema = z.object({
  service: z.string(),
  address: z.string(),
  port: z.number().int(),
  weight: z.number(),
  agent_id: z.string().nullable(),
  region: z.string(),
  effective_status: z.enum(STATUSES),
  agent_healthy: z.boolean().nullable(),
  agent_last_seen: TimestampSchema.nullable(),
  validation_healthy: z.boolean().optional(),
  validation_last_check: TimestampSchema.optional(),
  validation_error: z.string().optional(),
  override_status: z.boolean().optional().describe('The override in force: true = healthy'),
  override_reason: z.string().optional(),
  override_by: z.string().optional(),
  override_at: TimestampSchema.optional(),
});

function overwatchBackendJson(b: BackendStatusView): z.output<typeof OverwatchBackendSchema> {
  return {
    service: b.service,
    address: b.address,
    port: b.port,
    weight: b.weight,
    agent_id: b.agentId ?? null,
    region: b.region,
    effective_status: b.effectiveStatus,
    agent_healthy: b.agentHealthy ?? null,
    agent_last_seen: isoTimeOrNull(b.agentLastSeenMs),
    validation_healthy: b.validation.healthy ?? undefined,
    validation_last_check: b.validation.lastCheckMs === undefined ? undefined : isoTime(b.validation.lastCheckMs),
    validation_error: b.validation.error,
    override_status: b.override?.healthy,
    override_reason: b.override?.reason,
    override_by: b.override?.authority,
    override_at: b.override ? isoTime(b.override.createdAtMs) : undefined,
  };
}

const SuccessSchema = z.object({ success: z.literal(true), message: z.string() });

const BackendTargetParams = z.object({ service: ServiceNameSchema, address: AddressSchema, port: PortTextSchema });

const StatsSchema = z.object({
  total_backends: z.number().int(),
  healthy_backends: z.number().int().describe('effective_status healthy'),
  unhealthy_backends: z.number().int().describe('effective_status unhealthy'),
  stale_backends: z.number().int().describe('agent silent for longer than stale.threshold'),
  served_backends: z.number().int().describe('in DNS answers now (includes unchecked static servers)'),
  active_overrides: z.number().int(),
  validation_enabled: z.boolean(),
  validated_backends: z.number().int().describe('with a verdict from the Overwatch check'),
  disagreement_count: z.number().int().describe('agent claim differs from the Overwatch check'),
  active_agents: z.number().int().describe('agents with at least one backend not stale'),
  unique_services: z.number().int(),
  backends_by_service: z.record(z.string(), z.number().int()),
  backends_by_region: z.record(z.string(), z.number().int()),
  generated_at: TimestampSchema,
});

function statsOf(control: OverwatchControl): z.output<typeof StatsSchema> {
  const backends = control.backends();
  const byService: Record<string, number> = {};
  const byRegion: Record<string, number> = {};
  const agents = new Set<string>();
  let healthy = 0;
  let unhealthy = 0;
  let stale = 0;
  let served = 0;
  let validated = 0;
  let disagreements = 0;
  for (const b of backends) {
    if (b.effectiveStatus === 'healthy') healthy++;
    else if (b.effectiveStatus === 'unhealthy') unhealthy++;
    if (b.isStale) stale++;
    if (b.serve) served++;
    if (b.validation.healthy !== null) {
      validated++;
      if (b.agentHealthy !== undefined && b.agentHealthy !== b.validation.healthy) disagreements++;
    }
    if (b.agentId !== undefined && !b.isStale) agents.add(b.agentId);
    byService[b.service] = (byService[b.service] ?? 0) + 1;
    const region = b.region || 'unknown';
    byRegion[region] = (byRegion[region] ?? 0) + 1;
  }
  return {
    total_backends: backends.length,
    healthy_backends: healthy,
    unhealthy_backends: unhealthy,
    stale_backends: stale,
    served_backends: served,
    active_overrides: control.overrides().length,
    validation_enabled: control.validationEnabled,
    validated_backends: validated,
    disagreement_count: disagreements,
    active_agents: agents.size,
    unique_services: Object.keys(byService).length,
    backends_by_service: byService,
    backends_by_region: byRegion,
    generated_at: isoTime(control.nowMs()),
  };
}

/** The backend a path names (service by registry or served name); 404 with the original's wording. */
function backendAt(control: OverwatchControl, service: string, address: string, port: number): BackendStatusView {
  const found = control.backends().find((b) => b.address === address && b.port === port && matchesService(b, service));
  if (!found) throw new ApiError(ApiErrorCode.NotFound, `backend not found: ${backendId(service, address, port)}`);
  return found;
}

const ValidateQuery = z.object({
  service: ServiceNameSchema.optional(),
  address: AddressSchema.optional(),
  port: PortTextSchema.optional(),
  wait: BooleanTextSchema.optional().describe('true: answer when the round has finished'),
});

function startValidation(control: OverwatchControl, log: FastifyBaseLogger, target: { service: string; address: string; port: number } | undefined): Promise<void> {
  return control.validateNow(target).catch((err: unknown) => {
    log.warn({ err, target }, 'validation round requested through the API failed');
    throw err;
  });
}

export const overwatchRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app, { control }) => {
  app.get(
    '/api/v1/overwatch/backends',
    {
      schema: {
        summary: 'Backends as the original listed them; exact-match filters',
        tags: ['overwatch'],
        querystring: z.object({
          service: ServiceNameSchema.optional(),
          region: z.string().max(253).optional(),
          status: z.enum(STATUSES).optional().describe('effective_status'),
        }),
        response: { 200: z.object({ backends: z.array(OverwatchBackendSchema), generated_at: TimestampSchema }), ...errorResponses(400, ...COMMON_ERRORS) },
      },
    },
    (req) => {
      const { service, region, status } = req.query;
      const backends = control
        .backends()
        .filter((b) => (service === undefined || matchesService(b, service)) && (region === undefined || b.region === region) && (status === undefined || b.effectiveStatus === status));
      return { backends: backends.map(overwatchBackendJson), generated_at: isoTime(control.nowMs()) };
    },
  );

  app.post(
    '/api/v1/overwatch/backends/:service/:address/:port/override',
    {
      schema: {
        summary: 'Manual override of one backend (X-User header → override_by)',
        tags: ['overwatch'],
        params: BackendTargetParams,
        body: z.object({ healthy: z.boolean(), reason: z.string().max(1024).default('') }),
        response: { 200: SuccessSchema, ...errorResponses(400, 404, 409, 413, 503, 507, ...COMMON_ERRORS) },
      },
    },
    (req) => {
      const b = backendAt(control, req.params.service, req.params.address, req.params.port);
      control.setOverride({
        service: b.service,
        address: b.address,
        port: b.port,
        healthy: req.body.healthy,
        reason: req.body.reason,
        source: 'api',
        authority: authorityOf(req.headers['x-user'], req.clientIp),
        createdAtMs: control.nowMs(),
      });
      return { success: true as const, message: `Override set: backend marked as ${req.body.healthy ? 'healthy' : 'unhealthy'}` };
    },
  );

  app.delete(
    '/api/v1/overwatch/backends/:service/:address/:port/override',
    {
      schema: {
        summary: 'Clear the manual override of one backend',
        tags: ['overwatch'],
        params: BackendTargetParams,
        response: { 200: SuccessSchema, ...errorResponses(400, 404, 503, 507, ...COMMON_ERRORS) },
      },
    },
    (req) => {
      const b = backendAt(control, req.params.service, req.params.address, req.params.port);
      if (!control.clearOverride(b.service, b.address, b.port)) throw new ApiError(ApiErrorCode.NotFound, ApiMessage.OverrideNotFound);
      return { success: true as const, message: 'Override cleared' };
    },
  );

  app.get(
    '/api/v1/overwatch/stats',
    {
      schema: {
        summary: 'Counts over every backend',
        tags: ['overwatch'],
        response: { 200: StatsSchema, ...errorResponses(...COMMON_ERRORS) },
      },
    },
    () => statsOf(control),
  );

  app.post(
    '/api/v1/overwatch/validate',
    {
      schema: {
        summary: 'Run a validation round now: every backend, or one with service, address and port',
        tags: ['overwatch'],
        querystring: ValidateQuery,
        response: { 200: SuccessSchema, ...errorResponses(400, 404, 503, ...COMMON_ERRORS) },
      },
    },
    async (req) => {
      const { service, address, port, wait } = req.query;
      const given = [service, address, port].filter((v) => v !== undefined).length;
      if (given !== 0 && given !== 3) {
        throw new ApiError(ApiErrorCode.BadRequest, 'query: give service, address and port together (one backend) or none (every backend)');
      }
      if (!control.validationEnabled) throw new ApiError(ApiErrorCode.Unavailable, ApiMessage.ValidatorUnavailable);
      let target: { service: string; address: string; port: number } | undefined;
      if (service !== undefined && address !== undefined && port !== undefined) {
        const b = backendAt(control, service, address, port);
        target = { service: b.service, address: b.address, port: b.port };
      }
      const round = startValidation(control, req.log, target);
      if (wait === true) await round;
      else round.catch(() => {}); // already logged; the client was told the round was triggered
      return { success: true as const, message: `Validation triggered for ${target ? 'specific backend' : 'all backends'}` };
    },
  );
};
