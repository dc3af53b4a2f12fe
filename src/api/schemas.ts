/**
 * Schemas shared by several route plugins (path and query pieces, the error body, the override as
 * JSON) and the helpers that turn control-plane values into the original's JSON: snake_case keys,
 * RFC 3339 UTC timestamps, `generated_at` on lists.
 */
import { isIP } from 'node:net';
import * as z from 'zod';
import type { Override } from '../model/index.ts';

export const ErrorBodySchema = z
  .object({ error: z.string().describe('What went wrong, naming the field or item'), code: z.number().int().describe('The HTTP status') })
  .describe('Every error response');

/** Response schemas for the error statuses a route can answer, for the OpenAPI document. */
export function errorResponses<const S extends number>(...statuses: S[]): Record<S, typeof ErrorBodySchema> {
  const out = {} as Record<S, typeof ErrorBodySchema>;
  for (const s of statuses) out[s] = ErrorBodySchema;
  return out;
}

/** The statuses every ACL-protected route can answer besides its own. */
export const COMMON_ERRORS = [403, 500] as const;

export const TimestampSchema = z.string().describe('RFC 3339 time, UTC');

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoTimeOrNull(ms: number | undefined): string | null {
  return ms === undefined ? null : isoTime(ms);
}

const SERVICE_NAME = /^[A-Za-z0-9_*-]+(\.[A-Za-z0-9_-]+)*\.?$/;

/** Lowercase, no trailing dot: how the registry keeps service names. */
export function normaliseService(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

export function isServiceName(name: string): boolean {
  return name.length > 0 && name.length <= 254 && SERVICE_NAME.test(name);
}

/** IPv6 in its compressed lowercase form, so `2001:DB8:0::1` and `2001:db8::1` name one backend. */
export function canonicalAddress(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

export const ServiceNameSchema = z
  .string()
  .refine(isServiceName, 'expected a service name such as myapp or app.gslb.example.com')
  .transform(normaliseService)
  .describe('Service: the short name an agent registered (myapp) or the served FQDN');

export const AddressSchema = z
  .string()
  .refine((s) => isIP(s) !== 0, 'expected an IPv4 or IPv6 address')
  .transform(canonicalAddress)
  .describe('Backend IP address');

export const PortNumberSchema = z.number().int('expected an integer 1-65535').min(1, 'expected an integer 1-65535').max(65535, 'expected an integer 1-65535');

/** A port written in a path or query string. */
export const PortTextSchema = z
  .string()
  .regex(/^[0-9]{1,5}$/, 'expected an integer 1-65535')
  .transform(Number)
  .refine((p) => p >= 1 && p <= 65535, 'expected an integer 1-65535')
  .describe('Port 1-65535');

export const BooleanTextSchema = z.enum(['true', 'false']).transform((v) => v === 'true');

export const OverrideJsonSchema = z.object({
  service: z.string(),
  address: z.string(),
  port: z.number().int().nullable().describe('null: every port of the address in the service'),
  healthy: z.boolean(),
  reason: z.string(),
  source: z.string().describe('api (manual) or the external tool that set it, e.g. cloudwatch'),
  created_at: TimestampSchema,
  authority: z.string().describe('Who set it: the X-User header, else the client address'),
});
export type OverrideJson = z.output<typeof OverrideJsonSchema>;

export function overrideJson(o: Override): OverrideJson {
  return {
    service: o.service,
    address: o.address,
    port: o.port,
    healthy: o.healthy,
    reason: o.reason,
    source: o.source,
    created_at: isoTime(o.createdAtMs),
    authority: o.authority,
  };
}

/** Override fields a client writes: `source` absent means a manual (API) override. */
export const OverrideFieldsSchema = z.object({
  healthy: z.boolean().describe('true: serve the backend; false: never serve it'),
  reason: z.string().max(1024).default('').describe('Why; shown in listings and logs'),
  source: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a tool name such as cloudwatch (letters, digits, . _ -; at most 64)')
    .optional()
    .describe('api (default, manual) or an external tool name; manual beats external'),
});

const X_USER_MAX = 128;

/** Who sets an override: the X-User header when usable, else the client address. */
export function authorityOf(xUser: string | string[] | undefined, clientIp: string): string {
  const text = (Array.isArray(xUser) ? xUser[0] : xUser)?.trim();
  // eslint-disable-next-line no-control-regex
  if (text && text.length <= X_USER_MAX && !/[\x00-\x1f\x7f]/.test(text)) return text;
  return clientIp;
}
