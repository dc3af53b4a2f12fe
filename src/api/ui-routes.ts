/**
 * The web dashboard at `/ui`: static files from `src/ui/` (plain HTML, CSS and ES modules, no build
 * step), served from the API listener behind the same `api.allowed_networks` as every other route.
 * The page reads `/api/v1/events` (live state) and writes through the ordinary override routes.
 *
 * Contract: files are read once when the API starts (a missing `src/ui/` is a start-up error, not
 * a 404 at run time); every answer carries a strict Content-Security-Policy (same-origin scripts,
 * styles and connections only, no framing), `nosniff` and an ETag (304 on a match); only the files
 * listed in UI_FILES are served, so nothing else under src/ can be reached through here.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ApiError, ApiErrorCode, ApiMessage } from './api-errors.ts';
import type { ApiRouteOptions } from './route-options.ts';

export const UI_DIR = path.join(import.meta.dirname, '..', 'ui');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Every file the dashboard consists of; `index.html` is also `/ui` itself. */
export const UI_FILES = ['index.html', 'app.css', 'app.js', 'view-model.js', 'favicon.svg'] as const;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

interface UiFile {
  body: Buffer;
  type: string;
  etag: string;
}

function loadUiFiles(dir: string): Map<string, UiFile> {
  const files = new Map<string, UiFile>();
  for (const name of UI_FILES) {
    const body = readFileSync(path.join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(name, { body, type: TYPES[path.extname(name)] ?? 'application/octet-stream', etag });
  }
  return files;
}

function send(req: FastifyRequest, reply: FastifyReply, file: UiFile): FastifyReply {
  void reply.headers(SECURITY_HEADERS).header('etag', file.etag);
  if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.code(200).type(file.type).send(file.body);
}

export const uiRoutes: FastifyPluginAsyncZod<ApiRouteOptions> = async (app) => {
  const files = loadUiFiles(UI_DIR);
  const index = files.get('index.html')!;

  app.get('/ui', { schema: { hide: true, summary: 'The live dashboard' } }, (req, reply) => send(req, reply, index));

  app.get<{ Params: { file: string } }>('/ui/:file', { schema: { hide: true, summary: 'Dashboard assets' } }, (req, reply) => {
    const file = files.get(req.params.file);
    if (!file) throw new ApiError(ApiErrorCode.NotFound, ApiMessage.NotFound);
    return send(req, reply, file);
  });
};
