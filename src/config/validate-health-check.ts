/**
 * One `health_check:` block (a region's or an agent backend's) with the original's defaults: http,
 * `/health`, every 30s, 5s timeout, 3 failures to go down, 2 successes to come back. Interval at least
 * 1s, timeout at least 100ms and shorter than the interval. Pure.
 */
import type { ProblemList } from './config-error.ts';
import { formatDuration } from './duration.ts';
import { field, readDuration, readInt, readOptionalString, readString, report } from './source-reader.ts';
import type { HealthCheckConfig, HealthCheckType } from './types.ts';
import type { SourceMap } from './yaml-source.ts';

const TYPES: readonly HealthCheckType[] = ['http', 'https', 'tcp'];

export function readHealthCheck(map: SourceMap, problems: ProblemList): HealthCheckConfig {
  let type: HealthCheckType = 'http';
  const typeNode = field(map, 'type');
  const typeText = readOptionalString(map, 'type', problems);
  if (typeText !== undefined) {
    const lower = typeText.toLowerCase();
    if ((TYPES as readonly string[]).includes(lower)) type = lower as HealthCheckType;
    else report(problems, typeNode!, `expected http, https or tcp, got ${JSON.stringify(typeText)}`);
  }
  const path = readString(map, 'path', problems, '/health');
  if (!path.startsWith('/')) report(problems, field(map, 'path')!, `expected a URL path starting with "/", got ${JSON.stringify(path)}`);

  const intervalMs = readDuration(map, 'interval', problems, 30_000, { minMs: 1000 });
  const timeoutMs = readDuration(map, 'timeout', problems, 5000, { minMs: 100 });
  if (timeoutMs >= intervalMs) {
    const at = field(map, 'timeout') ?? field(map, 'interval') ?? map;
    report(
      problems,
      { file: at.file, line: at.line, path: `${map.path}.timeout` },
      `expected a timeout shorter than the interval (${formatDuration(intervalMs)}), got ${formatDuration(timeoutMs)}`,
    );
  }
  const host = readOptionalString(map, 'host', problems);
  return {
    type,
    path,
    ...(host === undefined ? {} : { host }),
    intervalMs,
    timeoutMs,
    failureThreshold: readInt(map, 'failure_threshold', problems, 3, { min: 1, max: 100 }),
    successThreshold: readInt(map, 'success_threshold', problems, 2, { min: 1, max: 100 }),
  };
}
