/**
 * API target: the real API (createApiServer over the fixture Overwatch's control, so writes reach
 * the Registry and the store) driven through inject() with fuzzed requests: every route that takes
 * a body with valid, type-confused, mutated, oversized, deeply nested and non-JSON bodies, odd
 * content types, hostile path parameters, and clients outside allowed_networks. Checked for every
 * request: no 5xx, a JSON error body `{error, code}` for every 4xx, and the next valid request (a
 * listing) still answered 200 with JSON.
 */
import type { FastifyInstance } from 'fastify';
import { FuzzFinding, type FuzzTarget } from '../harness.ts';
import { havocText } from '../mutate.ts';
import type { Rng } from '../rng.ts';

interface Route {
  method: string;
  path: (rng: Rng) => string;
  body: (rng: Rng) => unknown;
}

function hostile(rng: Rng): string {
  return rng.pick([
    'app.gslb.fuzz.test',
    'www.gslb.fuzz.test',
    '127.0.10.1',
    '2001:db8::10',
    '%00',
    '..%2F..%2Fetc',
    '%E0%A4%A',
    'a'.repeat(rng.pick([10, 600, 5000])),
    '%20',
    '-1',
    '65536',
    '\u00e9',
    encodeURIComponent('<script>'),
    '',
  ]);
}

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 6 : 8)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 80, 65535, 65536, 1e308, 1_000_001, Number.MAX_SAFE_INTEGER]);
    case 3:
      return rng.pick(['', 'x', '127.0.10.1', '::1', 'app.gslb.fuzz.test', 'us', '${X}', '\u0000', 'y'.repeat(rng.pick([10, 1025, depth === 0 ? 70_000 : 100]))]);
    case 4:
      return `${rng.u32()}`;
    case 5:
      return rng.int(1000);
    case 6:
      return Array.from({ length: rng.pick([0, 1, 3, depth === 0 ? 1001 : 5]) }, () => randomValue(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(5); i > 0; i--) {
        o[rng.pick(['healthy', 'reason', 'source', 'service', 'address', 'port', 'weight', 'region', 'name', 'metadata', 'overrides', '__proto__', 'constructor', 'x'])] = randomValue(rng, depth + 1);
      }
      return o;
    }
  }
}

const ROUTES: Route[] = [
  {
    method: 'PUT',
    path: (rng) => `/api/v1/overrides/${rng.chance(0.8) ? 'www.gslb.fuzz.test' : hostile(rng)}/${rng.chance(0.8) ? `127.0.10.${rng.range(1, 3)}` : hostile(rng)}${rng.chance(0.2) ? `?port=${rng.pick(['80', '0', 'x', '99999'])}` : ''}`,
    body: (rng) => ({ healthy: rng.chance(0.5), reason: 'fuzz', ...(rng.chance(0.3) ? { source: rng.pick(['api', 'cloudwatch', '']) } : {}) }),
  },
  {
    method: 'PUT',
    path: () => '/api/v1/overrides',
    body: (rng) => ({ overrides: Array.from({ length: rng.range(1, 4) }, () => ({ service: 'www.gslb.fuzz.test', address: `127.0.10.${rng.range(1, 3)}`, port: rng.chance(0.5) ? 80 : null, healthy: rng.chance(0.5), reason: 'bulk' })) }),
  },
  {
    method: 'DELETE',
    path: (rng) => `/api/v1/overrides/${rng.chance(0.8) ? 'www.gslb.fuzz.test' : hostile(rng)}/${rng.chance(0.8) ? `127.0.10.${rng.range(1, 3)}` : hostile(rng)}`,
    body: () => undefined,
  },
  {
    method: 'POST',
    path: () => '/api/v1/servers',
    body: (rng) => ({ name: 'www.gslb.fuzz.test', address: `127.0.20.${rng.range(1, 250)}`, port: rng.range(1, 65535), weight: rng.int(200), region: 'us' }),
  },
  {
    method: 'PATCH',
    path: (rng) => `/api/v1/servers/${rng.chance(0.7) ? encodeURIComponent(`www.gslb.fuzz.test:127.0.20.${rng.range(1, 250)}:80`) : hostile(rng)}`,
    body: (rng) => ({ weight: rng.int(200), ...(rng.chance(0.5) ? { region: 'us' } : {}) }),
  },
  {
    method: 'DELETE',
    path: (rng) => `/api/v1/servers/${rng.chance(0.7) ? encodeURIComponent(`www.gslb.fuzz.test:127.0.20.${rng.range(1, 250)}:80`) : hostile(rng)}`,
    body: () => undefined,
  },
  {
    method: 'POST',
    path: (rng) => `/api/v1/overwatch/backends/${rng.chance(0.8) ? 'fo.gslb.fuzz.test' : hostile(rng)}/${rng.chance(0.8) ? '127.0.11.1' : hostile(rng)}/${rng.chance(0.8) ? '80' : hostile(rng)}/override`,
    body: (rng) => ({ healthy: rng.chance(0.5), reason: 'fuzz' }),
  },
  {
    method: 'POST',
    path: (rng) => `/api/v1/overwatch/validate${rng.chance(0.5) ? `?service=${hostile(rng)}&address=${hostile(rng)}&port=${rng.pick(['80', 'x', '0'])}` : ''}`,
    body: () => undefined,
  },
  {
    method: 'POST',
    path: () => '/api/v1/dnssec/sync',
    body: () => undefined,
  },
];


/** Replaces one field of a JSON tree with a random value (type confusion). */
function confuse(rng: Rng, v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== 'object' || depth > 4 || rng.chance(0.15)) return randomValue(rng);
  if (Array.isArray(v)) {
    if (v.length === 0) return [randomValue(rng)];
    const c = [...v];
    const i = rng.int(c.length);
    c[i] = confuse(rng, c[i], depth + 1);
    return c;
  }
  const o = { ...(v as Record<string, unknown>) };
  const keys = Object.keys(o);
  if (keys.length === 0 || rng.chance(0.2)) o[rng.pick(['extra', 'healthy', 'port', 'weight', 'overrides'])] = randomValue(rng);
  else {
    const k = rng.pick(keys);
    if (rng.chance(0.2)) delete o[k];
    else o[k] = confuse(rng, o[k], depth + 1);
  }
  return o;
}

export function apiTarget(app: FastifyInstance): FuzzTarget {
  const t = {
    name: 'api',
    description: 'createApiServer + inject(): fuzzed bodies, content types and path parameters on every writing route',
    lastInput: '' as Buffer | string,
    async one(rng: Rng): Promise<string> {
      const route = rng.pick(ROUTES);
      const method = route.method === 'PATCH' ? rng.pick(['PUT', 'PATCH']) : route.method;
      const url = route.path(rng);
      const valid = route.body(rng);
      let payload: string | Buffer | undefined;
      const mode = rng.int(10);
      if (valid === undefined && mode < 7) payload = undefined;
      else if (mode < 2) payload = JSON.stringify(valid ?? {});
      else if (mode < 5) payload = JSON.stringify(confuse(rng, valid ?? {}));
      else if (mode < 7) payload = havocText(rng, JSON.stringify(valid ?? {}), 4);
      else if (mode < 8) payload = `{"a":${'['.repeat(rng.pick([100, 5000, 30_000]))}${']'.repeat(rng.pick([100, 5000, 30_000]))}}`;
      else if (mode < 9) payload = Buffer.from(rng.bytes(rng.length(rng.chance(0.1) ? 70_000 : 600)));
      else payload = `{"reason":"${'z'.repeat(rng.pick([1000, 65_000, 70_000]))}","healthy":true}`;
      // Confused values can nest big arrays of big strings: past the 64 KiB limit only the size matters.
      if (payload !== undefined && payload.length > 200_000) payload = payload.slice(0, 200_000);
      const contentType = rng.chance(0.8)
        ? 'application/json'
        : rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', '', 'application/json, text/plain']);
      const headers: Record<string, string> = {};
      if (payload !== undefined && contentType !== '') headers['content-type'] = contentType;
      if (rng.chance(0.1)) headers['x-user'] = rng.pick(['alice', '\u00e9', 'x'.repeat(3000)]);
      if (rng.chance(0.05)) headers['x-forwarded-for'] = rng.pick(['10.0.0.1', 'garbage', '127.0.0.1, 10.0.0.1']);
      const remoteAddress = rng.chance(0.9) ? '127.0.0.1' : rng.pick(['10.0.0.1', '::1', '::ffff:127.0.0.1', '192.0.2.1']);
      t.lastInput = `${method} ${url}\n${JSON.stringify(headers)}\n${typeof payload === 'string' ? payload.slice(0, 2000) : payload?.toString('base64').slice(0, 2000) ?? ''}`;
      const res = await app.inject({ method: method as 'GET', url, payload, headers, remoteAddress });
      if (res.statusCode >= 500 && res.statusCode !== 503) throw new FuzzFinding(`${method} ${url.slice(0, 80)} answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
      if (res.statusCode >= 400) {
        let body: { error?: unknown; code?: unknown };
        try {
          body = JSON.parse(res.body) as { error?: unknown; code?: unknown };
        } catch {
          throw new FuzzFinding(`${res.statusCode} with a body that is not JSON: ${res.body.slice(0, 200)}`);
        }
        if (typeof body.error !== 'string' || body.code !== res.statusCode) throw new FuzzFinding(`${res.statusCode} without {error, code}: ${res.body.slice(0, 200)}`);
      }
      const next = await app.inject({ method: 'GET', url: '/api/v1/overrides', remoteAddress: '127.0.0.1' });
      if (next.statusCode !== 200) throw new FuzzFinding(`the next valid request answered ${next.statusCode}`);
      JSON.parse(next.body);
      return String(res.statusCode);
    },
  };
  return t;
}
