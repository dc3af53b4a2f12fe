/**
 * What every command gets: where to write, whether to print JSON, the palette, and the API client
 * built from the global flags (`--api`, env OPENGSLB_API, default http://localhost:8080; `--timeout`).
 */
import type { Command } from 'commander';
import { ApiClient, type ApiResponse } from './api-client.ts';
import { UsageError } from './cli-error.ts';
import { palette, shouldColour, type Palette } from './table.ts';

export const DEFAULT_API = 'http://localhost:8080';
export const DEFAULT_TIMEOUT_SECONDS = 10;

export interface TextSink {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: NodeJS.ProcessEnv;
  /** stdout is a terminal: colour and screen redraws are allowed. */
  isTty: boolean;
  /** Aborted to stop long-running commands (`watch`) cleanly, e.g. on SIGINT. */
  signal?: AbortSignal;
  /** Wall clock for ages; injectable for tests. */
  nowMs?: () => number;
}

export interface GlobalOptions {
  api?: string;
  timeout: number;
  json: boolean;
}

export class CliContext {
  readonly io: CliIo;
  readonly json: boolean;
  readonly colour: Palette;
  readonly apiBase: string;
  readonly timeoutMs: number;
  #client?: ApiClient;

  constructor(io: CliIo, opts: GlobalOptions) {
    this.io = io;
    this.json = opts.json;
    this.colour = palette(!opts.json && shouldColour(io.isTty, io.env));
    this.apiBase = opts.api ?? (io.env.OPENGSLB_API !== undefined && io.env.OPENGSLB_API !== '' ? io.env.OPENGSLB_API : DEFAULT_API);
    this.timeoutMs = opts.timeout * 1000;
  }

  /** The API client (URL checked on first use, so local commands never fail on a bad --api). */
  get client(): ApiClient {
    this.#client ??= new ApiClient(this.apiBase, this.timeoutMs);
    return this.#client;
  }

  nowMs(): number {
    return this.io.nowMs?.() ?? Date.now();
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  /** `--json`: the body exactly as the API sent it (nothing for an empty 204). */
  printRaw(res: ApiResponse): void {
    if (res.text === '') return;
    this.out(res.text.endsWith('\n') ? res.text : `${res.text}\n`);
  }
}

/** `--timeout`: seconds (`10`, `2.5`) or a Go-style duration (`500ms`, `30s`, `1m`). */
export function parseTimeout(raw: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m)?\s*$/.exec(raw);
  if (!m) throw new UsageError(`--timeout: expected seconds (10) or a duration (500ms, 30s), got ${JSON.stringify(raw)}`);
  const n = Number(m[1]);
  const seconds = m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
  if (seconds <= 0 || seconds > 3600) throw new UsageError(`--timeout: expected more than 0 and at most 1h, got ${JSON.stringify(raw)}`);
  return seconds;
}

/** An integer flag within bounds, or a UsageError naming the flag. */
export function parseIntFlag(flag: string, min: number, max: number): (raw: string) => number {
  return (raw: string) => {
    if (!/^[0-9]+$/.test(raw.trim())) throw new UsageError(`${flag}: expected an integer ${min}-${max}, got ${JSON.stringify(raw)}`);
    const n = Number(raw.trim());
    if (n < min || n > max) throw new UsageError(`${flag}: expected an integer ${min}-${max}, got ${JSON.stringify(raw)}`);
    return n;
  };
}

/** `--healthy`, `--healthy=true|false|yes|no|1|0`. */
export function parseBoolFlag(flag: string): (raw: string) => boolean {
  return (raw: string) => {
    const v = raw.trim().toLowerCase();
    if (['true', 'yes', '1', 'on'].includes(v)) return true;
    if (['false', 'no', '0', 'off'].includes(v)) return false;
    throw new UsageError(`${flag}: expected true or false, got ${JSON.stringify(raw)}`);
  };
}

type ContextFactory = (cmd: Command) => CliContext;

/** Builds the context from the command's own and inherited (global) options. */
export function contextFactory(io: CliIo): ContextFactory {
  return (cmd: Command) => new CliContext(io, cmd.optsWithGlobals<GlobalOptions>());
}
