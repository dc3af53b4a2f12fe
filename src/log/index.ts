/**
 * log/: the process logger (pino). JSON by default, human text with `logging.format: text`.
 * Secrets are redacted by key wherever they appear in a logged object; callers must still never
 * pass raw tokens or keys as messages. A disabled level costs one no-op call (pino's design).
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import type { LoggingConfig } from '../config/types.ts';

export type { Logger };

const REDACT = [
  'encryption_key',
  'encryptionKey',
  'encryptionKeys',
  'service_token',
  'serviceToken',
  'token',
  'agent_tokens',
  'agentTokens',
  'private_key',
  'privateKey',
  '*.encryption_key',
  '*.encryptionKey',
  '*.service_token',
  '*.serviceToken',
  '*.token',
  '*.privateKey',
  '*.private_key',
  'req.headers.authorization',
];

export function createLogger(config: LoggingConfig, destination?: DestinationStream): Logger {
  const options = {
    level: config.level,
    base: { pid: process.pid },
    redact: { paths: REDACT, censor: '(redacted)' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (config.format === 'text') {
    return pino(options, pretty({ sync: true, colorize: false, translateTime: 'SYS:standard', destination: destination ?? 1 }));
  }
  return destination ? pino(options, destination) : pino(options);
}
