/**
 * api/: the Overwatch REST API (fastify 5 + zod schemas + OpenAPI), reading and changing the
 * Overwatch only through OverwatchControl.
 *
 * Contract:
 * - JSON everywhere; errors are `{"error": "<message>", "code": <status>}`; unknown paths 404,
 *   known paths with another method 405 (with Allow).
 * - Every route except `/api/v1/live`, `/api/v1/ready` and the discovery roots (`/api`, `/api/v1`,
 *   `/api/v1/{health,overwatch,cluster}`) answers only clients inside `api.allowed_networks`
 *   (403 otherwise); the client is the socket peer, or the first X-Forwarded-For entry only with
 *   `api.trust_proxy_headers`.
 * - Bodies are size-limited (64 KiB default, 413) and schema-validated (400 naming the field).
 * - At most 256 requests in flight (503 + Retry-After past it; event streams have their own cap).
 * - ControlError/StoreError become HTTP statuses in api-errors.ts and nowhere else.
 * Must not: log request bodies; read config files or the environment; touch the store directly.
 * Adding a resource: one plugin file (see route-options.ts), listed in api-server.ts.
 */
export {
  createApiServer,
  startApiServer,
  DEFAULT_BODY_LIMIT_BYTES,
  type ApiServerOptions,
  type RunningApiServer,
} from './api-server.ts';
export { ApiError, ApiErrorCode, httpErrorOf, type ErrorBody } from './api-errors.ts';
export { InFlightLimit, DEFAULT_MAX_IN_FLIGHT, type InFlightStats } from './in-flight-limit.ts';
export { ClientAcl, clientAddress } from './acl.ts';
export type { ApiRouteOptions } from './route-options.ts';
