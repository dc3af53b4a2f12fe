/** Small formatters for human output: ages, times, values of unknown shape. */

/** `4s`, `3m12s`, `2h5m`, `3d4h`; `-` when unknown. */
export function formatAge(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 > 0 ? `${s % 60}s` : ''}`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}

/** Seconds from an RFC 3339 time to `nowMs`; null when absent or unparsable. */
export function ageSeconds(iso: string | null | undefined, nowMs: number): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : (nowMs - t) / 1000;
}

/** A scalar as a table cell; objects as compact JSON; null/undefined as `-`. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * Any JSON as human text, for endpoints whose shape this CLI does not know in advance (DNSSEC
 * status, key sync): scalars as `key  value`, arrays of objects as tables, nested objects indented.
 */
export function renderAny(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}(none)\n`;
    if (value.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v))) {
      const rows = value as Record<string, unknown>[];
      const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]).length)));
      const line = (cells: string[]) => indent + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
      return [line(keys.map((k) => k.toUpperCase())), ...rows.map((r) => line(keys.map((k) => cell(r[k]))))].join('\n') + '\n';
    }
    return value.map((v) => `${indent}- ${cell(v)}`).join('\n') + '\n';
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const width = Math.max(0, ...entries.filter(([, v]) => v === null || typeof v !== 'object').map(([k]) => k.length));
    let out = '';
    for (const [k, v] of entries) {
      if (v !== null && typeof v === 'object') out += `${indent}${k}:\n${renderAny(v, `${indent}  `)}`;
      else out += `${indent}${k.padEnd(width)}  ${cell(v)}`.trimEnd() + '\n';
    }
    return out === '' ? `${indent}(empty)\n` : out;
  }
  return `${indent}${cell(value)}\n`;
}
