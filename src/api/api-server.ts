/**
 * The Overwatch REST API server: fastify with zod schemas, one plugin per resource, the ACL as an
 * onRequest hook (before any body is read), JSON errors everywhere, and the OpenAPI document
 * generated from the same schemas. createApiServer() builds it without listening (tests inject);
 * startApiServer() listens on `api.address`.
 *
 * Contract: every response is JSON; every error is `{"error","code"}`; a route not marked
 * `aclExempt` answers only clients inside `api.allowed_networks`; request bodies are never logged.
 */
import type { AddressInfo } from 'node:net';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler } from 'fastify-type-provider-zod';
import type { ApiConfig } from '../config/types.ts';
import type { Logger } from '../log/index.ts';
import type { OverwatchControl } from '../overwatch/index.ts';
import { clientAddress, ClientAcl, displayAddress } from './acl.ts';
import { ApiError, ApiErrorCode, ApiMessage, errorBody, httpErrorOf } from './api-errors.ts';
import { DEFAULT_MAX_IN_FLIGHT, InFlightLimit } from './in-flight-limit.ts';
import { backendsRoutes } from './backends-routes.ts';
import { clusterRoutes } from './cluster-routes.ts';
import { discoveryRoutes } from './discovery-routes.ts';
import { dnssecRoutes } from './dnssec-routes.ts';
import { eventsRoutes } from './events-routes.ts';
import { healthRoutes } from './health-routes.ts';
import { overridesRoutes } from './overrides-routes.ts';
import { overwatchRoutes } from './overwatch-routes.ts';
import { formatValidationError, zodValidatorCompiler } from './request-validation.ts';
import { RouteIndex } from './route-index.ts';
import type { ApiRouteOptions } from './route-options.ts';
import { domainsRoutes } from './domains-routes.ts';
import { gossipRoutes } from './gossip-routes.ts';
import { agentsRoutes } from './agents-routes.ts';
import { serversRoutes } from './servers-routes.ts';
import { geoRoutes } from './geo-routes.ts';
import { uiRoutes } from './ui-routes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client address the ACL judged (IPv4-mapped IPv6 shown as IPv4); set for every request. */
    clientIp: string;
  }
  interface FastifyContextConfig {
    /** Answer clients outside api.allowed_networks too (probes and discovery roots only). */
    aclExempt?: boolean;
    /** A stream held open (event stream): capped by its own route, not by the in-flight limit. */
    longLived?: boolean;
  }
}

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/** Slowloris guard: a request must arrive whole within this time. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Long enough for `service:address:port` ids with an FQDN and an IPv6 address. */
const MAX_PARAM_LENGTH = 512;

/** One resource, one plugin. A new resource: a file exporting a FastifyPluginAsyncZod<ApiRouteOptions>, added here. */
const RESOURCE_PLUGINS = [
  healthRoutes,
  discoveryRoutes,
  backendsRoutes,
  overridesRoutes,
  overwatchRoutes,
  clusterRoutes,
  serversRoutes,
  domainsRoutes,
  agentsRoutes,
  gossipRoutes,
  dnssecRoutes,
  eventsRoutes,
  uiRoutes,
  geoRoutes,
] as const;

export interface ApiServerOptions {
  control: OverwatchControl;
  config: ApiConfig;
  logger: Logger;
  /** Largest accepted request body; 64 KiB unless told. */
  bodyLimitBytes?: number;
  /** Caps requests in flight (the caller keeps it to read its counters); 256 unless given. */
  inFlight?: InFlightLimit;
}

export interface RunningApiServer {
  /** The bound port (the real one when config.listen.port is 0). */
  readonly port: number;
  readonly host: string;
  readonly app: FastifyInstance;
  /** Stops accepting, lets in-flight requests finish, closes idle connections. Idempotent. */
  close(): Promise<void>;
}

/** JSON.parse's own description of what is wrong with `text` (position included), if it fails. */
function syntaxErrorOf(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function installBodyParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  // Any content type is read as JSON (curl -d sends form-urlencoded by default, as the original
  // accepted); an empty body is "no body", so DELETE with Content-Type: application/json works.
  const parser = (req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(req, text, (err, parsed) => {
      if (!err) {
        done(null, parsed);
        return;
      }
      done(new ApiError(ApiErrorCode.BadRequest, `request body: expected JSON, ${syntaxErrorOf(text) ?? err.message}`, { cause: err }));
    });
  };
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parser);
  app.addContentTypeParser('*', { parseAs: 'string' }, parser);
}

/** True when a browser says the request comes from a page of another origin. */
function isCrossSite(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true; // "null" or garbage: an opaque origin (sandboxed page, file://)
  }
}

/** Builds the API (routes ready, not listening). Throws ApiError(ERR_API_CONFIG) for unusable settings. */
export async function createApiServer(opts: ApiServerOptions): Promise<FastifyInstance> {
  const { control, config } = opts;
  const bodyLimit = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const acl = new ClientAcl(config.allowedNetworks);
  const routes = new RouteIndex();

  const log: FastifyBaseLogger = opts.logger.child({ component: 'api' });
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    requestTimeout: REQUEST_TIMEOUT_MS,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    schemaErrorFormatter: formatValidationError,
    trustProxy: false, // X-Forwarded-For is the ACL's to read, and only with api.trust_proxy_headers
    // URLs the router cannot take apart never reach a route or a hook: answer them in our shape too.
    frameworkErrors: (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      const message = status === 414 ? `URI too long: a path part is longer than ${MAX_PARAM_LENGTH} characters` : 'invalid URL: bad percent-encoding';
      void reply.code(status).send(errorBody(status, message));
    },
  });

  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('clientIp', '');
  installBodyParsers(app);

  app.addHook('onRoute', (route) => routes.add(route));
  (opts.inFlight ?? new InFlightLimit(DEFAULT_MAX_IN_FLIGHT)).install(app);

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const ip = clientAddress(req.raw, config.trustProxyHeaders);
    req.clientIp = displayAddress(ip);
    if (req.routeOptions.config.aclExempt === true) return;
    if (!acl.allows(ip)) {
      return reply.code(403).send(errorBody(403, `forbidden: ${req.clientIp || 'unknown address'} is not in api.allowed_networks`));
    }
    // Writes accept any content type (so `curl -d` works), which would let a web page in an
    // operator's browser post a form here. Browsers mark such requests (Origin, Sec-Fetch-Site);
    // command-line clients do not: refuse writes a browser says come from another site.
    if (req.method !== 'GET' && req.method !== 'HEAD' && isCrossSite(req)) {
      return reply.code(403).send(errorBody(403, 'forbidden: cross-site write refused (Origin does not match this API)'));
    }
  });

  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    const isWrite = req.method !== 'GET' && req.method !== 'HEAD';
    const status = reply.statusCode;
    const entry = { method: req.method, url: req.url, status, ms: Math.round(reply.elapsedTime), client: req.clientIp };
    if (status >= 500) req.log.warn(entry, 'api request failed');
    else if (isWrite || status === 403) req.log.info(entry, 'api request');
    else req.log.debug(entry, 'api request');
  });

  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const mapped = httpErrorOf(err, bodyLimit);
    if (mapped.isUnexpected) req.log.error({ err }, 'api request failed unexpectedly');
    else if (mapped.status >= 500) req.log.warn({ err }, 'api request refused: %s', mapped.body.error);
    return reply.code(mapped.status).send(mapped.body);
  });

  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const methods = routes.methodsFor(req.url);
    if (methods.length > 0) {
      const allowed = methods.filter((m) => m !== 'HEAD');
      const err = new ApiError(ApiErrorCode.MethodNotAllowed, `${ApiMessage.MethodNotAllowed}: ${req.method} is not one of ${allowed.join(', ')}`);
      return reply.code(err.statusCode).header('allow', methods.join(', ')).send(errorBody(err.statusCode, err.message));
    }
    return reply.code(404).send(errorBody(404, ApiMessage.NotFound));
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'OpenGSLB Overwatch API',
        version: control.version,
        description:
          'Backends, health overrides, validation and servers of an OpenGSLB Overwatch. Every error is {"error","code"}; ' +
          'every route but /api/v1/live, /api/v1/ready and the discovery roots answers only clients in api.allowed_networks.',
      },
    },
    transform: jsonSchemaTransform,
  });

  const routeOptions: ApiRouteOptions = { control, routes };
  for (const plugin of RESOURCE_PLUGINS) await app.register(plugin, routeOptions);

  app.get('/api/v1/openapi.json', { schema: { hide: true, summary: 'This API as an OpenAPI 3 document' } }, () => app.swagger());

  await app.ready();
  return app;
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<void> {
  if (host !== '' && host !== '::') {
    await app.listen({ host, port });
    return;
  }
  // All addresses: dual-stack when the host has IPv6, else IPv4 only.
  try {
    await app.listen({ host: '::', port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT' && (err as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw err;
    await app.listen({ host: '0.0.0.0', port });
  }
}

/** Builds the API and listens on config.listen (port 0: any free port). Throws ApiError(ERR_API_LISTEN) naming the address. */
export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const app = await createApiServer(opts);
  const { host, port } = opts.config.listen;
  try {
    await listen(app, host, port);
  } catch (err) {
    await app.close();
    const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    throw new ApiError(ApiErrorCode.Listen, `api.address ${where}: cannot listen: ${(err as Error).message}`, { cause: err });
  }
  const bound = app.server.address() as AddressInfo;
  opts.logger.info({ api: `${bound.address}:${bound.port}`, allowed_networks: opts.config.allowedNetworks }, 'api listening');
  let closing: Promise<void> | undefined;
  return {
    port: bound.port,
    host: bound.address,
    app,
    close: () => (closing ??= app.close()),
  };
}
