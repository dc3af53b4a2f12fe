/**
 * Human output: aligned tables (like Go's tabwriter, two spaces between columns) and a palette that
 * colours status words only when told to (the caller decides: a TTY without NO_COLOR). Column
 * widths count visible characters, so coloured cells stay aligned.
 */

const ANSI = /\x1b\[[0-9;]*m/g;

export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

/** Rows of cells under upper-case headers; the last column is not padded (no trailing blanks). */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n') + '\n';
}

/** `key  value` lines with the keys aligned. */
export function renderPairs(pairs: [string, string][]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join('\n') + '\n';
}

export interface Palette {
  readonly enabled: boolean;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  grey(text: string): string;
  bold(text: string): string;
  /** A status word in its colour: healthy/serving green, unhealthy red, stale/draining yellow. */
  status(text: string): string;
}

export function palette(enabled: boolean): Palette {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  const green = wrap(32, 39);
  const red = wrap(31, 39);
  const yellow = wrap(33, 39);
  const grey = wrap(90, 39);
  return {
    enabled,
    green,
    red,
    yellow,
    grey,
    bold: wrap(1, 22),
    status(text: string): string {
      switch (text) {
        case 'healthy':
        case 'yes':
        case 'ready':
        case 'true':
          return green(text);
        case 'unhealthy':
        case 'no':
        case 'false':
        case 'not ready':
        case 'revoked':
          return red(text);
        case 'stale':
        case 'draining':
          return yellow(text);
        default:
          return grey(text);
      }
    },
  };
}

/** Whether to colour: a terminal, and neither NO_COLOR nor TERM=dumb. */
export function shouldColour(isTty: boolean, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return isTty && env.TERM !== 'dumb';
}
