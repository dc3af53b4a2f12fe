/**
 * Go-style durations (`time.ParseDuration`): a sequence of decimal numbers, each with a unit, such as
 * `500ms`, `30s`, `1h30m`, `1.5h`. Units: ns, us (µs), ms, s, m, h, plus `d` (24h) as our extension.
 * Results are milliseconds (fractions kept for sub-millisecond units). Pure.
 */
import { OpenGslbError } from '../errors.ts';

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const TERM = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/;

export class DurationError extends OpenGslbError {
  constructor(text: string) {
    super(
      'ERR_INVALID_DURATION',
      `invalid duration ${JSON.stringify(text)}: expected a number with a unit (ms, s, m, h) such as "30s", "500ms" or "1h30m"`,
    );
  }
}

/** Milliseconds for a Go-style duration string, or undefined when it is not one. */
export function tryParseDuration(text: string): number | undefined {
  let rest = text.trim();
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  // Go accepts a bare "0" (and only zero) without a unit.
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let totalMs = 0;
  while (rest !== '') {
    const match = TERM.exec(rest);
    if (match === null) return undefined;
    totalMs += Number(match[1]) * UNIT_MS[match[2]]!;
    rest = rest.slice(match[0].length);
  }
  return sign * totalMs;
}

/** Milliseconds for a Go-style duration string; throws DurationError when it is not one. */
export function parseDuration(text: string): number {
  const ms = tryParseDuration(text);
  if (ms === undefined) throw new DurationError(text);
  return ms;
}

/** Renders milliseconds the way an operator would write them: 1h30m, 30s, 500ms. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000 || !Number.isInteger(ms / 1000)) return `${ms}ms`;
  let seconds = ms / 1000;
  let out = '';
  const hours = Math.floor(seconds / 3600);
  if (hours > 0) out += `${hours}h`;
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  if (minutes > 0) out += `${minutes}m`;
  seconds -= minutes * 60;
  if (seconds > 0) out += `${seconds}s`;
  return out;
}
