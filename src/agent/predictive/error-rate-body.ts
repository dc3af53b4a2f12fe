/**
 * The body format of the application's error-rate endpoint (`predictive.error_rate.endpoint`).
 *
 * The endpoint answers `GET` with a 2xx status and one of:
 * 1. a JSON object with a numeric `error_rate` member: `{"error_rate": 3.2}` (other members ignored);
 * 2. a bare number, as JSON or plain text: `3.2`;
 * 3. Prometheus text exposition containing a sample named `error_rate`, with or without labels and a
 *    timestamp: `error_rate{app="shop"} 3.2`. `# HELP`/`# TYPE` comments and other metrics are ignored;
 *    the first `error_rate` sample is used.
 * The value must be a finite number ≥ 0. It is compared as is to `predictive.error_rate.threshold`, so
 * it must be in the threshold's unit (e.g. errors per window, or a percentage if the threshold is set
 * as one); the monitor uses the higher of it and the agent's own failed-check count.
 *
 * Pure; never throws on untrusted input: returns the value or a short reason it was refused.
 */

export type ErrorRateParse = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string };

const PROM_SAMPLE = /^error_rate(?:\{[^}]*\})?[ \t]+(\S+)(?:[ \t]+-?\d+)?[ \t]*$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function checked(value: number, where: string): ErrorRateParse {
  if (!Number.isFinite(value)) return { ok: false, error: `${where} is not a finite number` };
  if (value < 0) return { ok: false, error: `${where} is negative (${value})` };
  return { ok: true, value };
}

/** Reads an error rate out of an endpoint's body in any of the three documented formats. */
export function parseErrorRateBody(body: string): ErrorRateParse {
  const text = body.trim();
  if (text === '') return { ok: false, error: 'empty body' };
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { ok: false, error: 'body starts with "{" but is not valid JSON' };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, error: 'JSON body is not an object' };
    const v = (parsed as Record<string, unknown>).error_rate;
    if (typeof v !== 'number') return { ok: false, error: 'JSON body has no numeric "error_rate" member' };
    return checked(v, '"error_rate"');
  }
  if (NUMBER.test(text)) return checked(Number(text), 'body');
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = PROM_SAMPLE.exec(line);
    if (m === null) continue;
    const v = m[1]!;
    if (!NUMBER.test(v)) return { ok: false, error: 'error_rate sample value is not a finite number' };
    return checked(Number(v), 'error_rate sample');
  }
  return { ok: false, error: 'body is neither {"error_rate": N}, a number, nor a Prometheus error_rate sample' };
}
