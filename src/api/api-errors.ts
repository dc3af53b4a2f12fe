/**
 * The API's error catalogue and the one place where an error becomes an HTTP status.
 * Every error body is `{"error": "<message>", "code": <status>}` (the original's shape).
 * Route code throws ApiError (or lets ControlError / StoreError through); the server's error
 * handler calls httpErrorOf() once. Messages name what was expected and what was received.
 */
import { OpenGslbError } from '../errors.ts';
import { ControlError, ControlErrorCode } from '../overwatch/index.ts';
import { StoreError, StoreErrorCode } from '../store/index.ts';

export const ApiErrorCode = {
  BadRequest: 'ERR_API_BAD_REQUEST',
  Forbidden: 'ERR_API_FORBIDDEN',
  NotFound: 'ERR_API_NOT_FOUND',
  MethodNotAllowed: 'ERR_API_METHOD_NOT_ALLOWED',
  Conflict: 'ERR_API_CONFLICT',
  BodyTooLarge: 'ERR_API_BODY_TOO_LARGE',
  UnsupportedMediaType: 'ERR_API_UNSUPPORTED_MEDIA_TYPE',
  Internal: 'ERR_API_INTERNAL',
  Unavailable: 'ERR_API_UNAVAILABLE',
  InsufficientStorage: 'ERR_API_INSUFFICIENT_STORAGE',
  /** Startup: the API settings cannot be used (e.g. an allowed_networks entry that is no CIDR). */
  Config: 'ERR_API_CONFIG',
  /** Startup: the listener could not bind. */
  Listen: 'ERR_API_LISTEN',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

const STATUS_OF: Record<ApiErrorCode, number> = {
  ERR_API_BAD_REQUEST: 400,
  ERR_API_FORBIDDEN: 403,
  ERR_API_NOT_FOUND: 404,
  ERR_API_METHOD_NOT_ALLOWED: 405,
  ERR_API_CONFLICT: 409,
  ERR_API_BODY_TOO_LARGE: 413,
  ERR_API_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_API_INTERNAL: 500,
  ERR_API_UNAVAILABLE: 503,
  ERR_API_INSUFFICIENT_STORAGE: 507,
  ERR_API_CONFIG: 500,
  ERR_API_LISTEN: 500,
};

/** An error a route reports to the client as is: its code fixes the status. */
export class ApiError extends OpenGslbError {
  declare readonly code: ApiErrorCode;
  readonly statusCode: number;
  constructor(code: ApiErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.statusCode = STATUS_OF[code];
  }
}

/** The messages the original used, kept verbatim where clients may match on them. */
export const ApiMessage = {
  NotFound: 'not found',
  OverrideNotFound: 'override not found',
  ValidatorUnavailable: 'validator not available',
  MethodNotAllowed: 'method not allowed',
  Internal: 'internal error',
} as const;

export interface ErrorBody {
  error: string;
  code: number;
}

export interface HttpError {
  status: number;
  body: ErrorBody;
  /** 5xx from unknown causes are logged with the error; expected 4xx/5xx only at debug. */
  isUnexpected: boolean;
}

export function errorBody(status: number, message: string): ErrorBody {
  return { error: message, code: status };
}

const CONFIG_FILE_HINT = /config(uration)? file/i;

const STORE_STATUS: Record<StoreErrorCode, number> = {
  ERR_STORE_FULL: 507,
  ERR_STORE_READ_ONLY: 503,
  ERR_STORE_IO: 503,
  ERR_STORE_LOCKED: 503,
  ERR_STORE_UNAVAILABLE: 503,
  ERR_STORE_CLOSED: 503,
  ERR_STORE_CORRUPT: 503,
  ERR_STORE_SCHEMA: 503,
  ERR_STORE_INVALID: 400,
  ERR_STORE_CONFLICT: 409,
};

function controlStatus(err: ControlError): { status: number; message: string } {
  switch (err.code) {
    case ControlErrorCode.NotFound:
      return { status: 404, message: err.message };
    case ControlErrorCode.Conflict:
      return { status: 409, message: err.message };
    case ControlErrorCode.Invalid:
      return { status: 400, message: err.message };
    case ControlErrorCode.ValidatorDisabled:
      return { status: 503, message: ApiMessage.ValidatorUnavailable };
    case ControlErrorCode.ReadOnlyItem:
      // The original answered 500 "cannot update config-based ...; use config file": it is the
      // client's request that conflicts with where the item lives, so 409, with the same advice.
      return {
        status: 409,
        message: CONFIG_FILE_HINT.test(err.message) ? err.message : `${err.message}; it is defined in the configuration file, change it there`,
      };
    default:
      return { status: 500, message: ApiMessage.Internal };
  }
}

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message: string;
  validation?: unknown;
}

/** Fastify's own errors (body parsing, limits, validation) with their 4xx status. */
function fastifyStatus(err: FastifyLikeError, bodyLimitBytes: number): { status: number; message: string } | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: `request body too large: the limit is ${bodyLimitBytes} bytes` };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, message: 'request body length does not match Content-Length' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: `unsupported content type: send application/json (${err.message})` };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: 'request body: expected a JSON object, got an empty body' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, message: `request body: expected JSON, ${err.message}` };
  }
  const status = typeof err.statusCode === 'number' ? err.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500) return { status, message: err.message };
  return undefined;
}

/** Maps any thrown value to the status and body the client gets. */
export function httpErrorOf(err: unknown, bodyLimitBytes: number): HttpError {
  const known = (status: number, message: string): HttpError => ({ status, body: errorBody(status, message), isUnexpected: false });
  if (err instanceof ApiError) return known(err.statusCode, err.message);
  if (err instanceof ControlError) {
    const { status, message } = controlStatus(err);
    return { status, body: errorBody(status, message), isUnexpected: status === 500 };
  }
  if (err instanceof StoreError) {
    const status = STORE_STATUS[err.code] ?? 503;
    const prefix = status === 507 ? 'state store is full' : status === 503 ? 'state store unavailable' : 'state store refused the change';
    return known(status, `${prefix}: ${err.message}`);
  }
  if (err instanceof SyntaxError && (err as FastifyLikeError).statusCode === 400) {
    return known(400, `request body: expected JSON, ${err.message}`);
  }
  if (err instanceof Error) {
    const mapped = fastifyStatus(err as FastifyLikeError, bodyLimitBytes);
    if (mapped) return known(mapped.status, mapped.message);
  }
  return { status: 500, body: errorBody(500, ApiMessage.Internal), isUnexpected: true };
}
