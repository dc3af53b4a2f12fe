/**
 * Request validation with the routes' zod schemas, and the 400 message that names the field:
 * `body.healthy: expected boolean, got "yes"`, `query.port: expected an integer 1-65535, got "abc"`,
 * `body.overrides[1].address: required (expected string)`.
 * The validator is fastify-type-provider-zod's, plus `reportInput` so the message can show what was
 * received (truncated; request bodies of this API carry no secrets).
 */
import type { FastifySchemaCompiler, FastifySchemaValidationError, FastifyServerOptions } from 'fastify';
import type * as z from 'zod';
import { ApiError, ApiErrorCode } from './api-errors.ts';

type SchemaErrorDataVar = Parameters<NonNullable<FastifyServerOptions['schemaErrorFormatter']>>[1];

const PART_NAME: Record<SchemaErrorDataVar, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

const MAX_SHOWN = 60;

function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'object') return 'an object';
  const text = JSON.stringify(input) ?? String(input);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}

interface IssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  input?: unknown;
  expected?: unknown;
}

function messageOf(issue: IssueLike): string {
  const hasInput = 'input' in issue;
  if (issue.code === 'invalid_type' && issue.path.length === 0 && (issue.input === null || issue.input === undefined)) {
    return `required (expected a JSON ${String(issue.expected)})`;
  }
  if (issue.code === 'invalid_type') {
    if (hasInput && issue.input === undefined) return `required (expected ${String(issue.expected)})`;
    return `expected ${String(issue.expected)}, got ${describeInput(issue.input)}`;
  }
  const text = issue.message.replace(/^Invalid input: /, '');
  return hasInput && issue.input !== undefined && typeof issue.input !== 'object' ? `${text}, got ${describeInput(issue.input)}` : text;
}

/** Fastify validator compiler for zod schemas; errors carry the formatted path and message. */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema }) => (data: unknown) => {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return { value: result.data };
  const errors: FastifySchemaValidationError[] = result.error.issues.map((issue) => ({
    keyword: issue.code,
    instancePath: pathText(issue.path),
    schemaPath: '',
    params: {},
    message: messageOf(issue as IssueLike),
  }));
  return { error: errors };
};

/** Fastify schemaErrorFormatter: one 400 ApiError whose message names every failing field (first three). */
export function formatValidationError(errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): Error {
  const part = PART_NAME[dataVar] ?? dataVar;
  const shown = errors.slice(0, 3).map((e) => `${part}${e.instancePath}: ${e.message ?? 'invalid'}`);
  if (errors.length > 3) shown.push(`and ${errors.length - 3} more`);
  return new ApiError(ApiErrorCode.BadRequest, shown.join('; '));
}
