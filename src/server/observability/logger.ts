import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * The server's structured logger: one JSON object per line (pino) with `level`, `time`,
 * `msg` and fields. Requests log at info (`reqId`, `user`, `role`, `method`, `transport`,
 * `code`, `durationMs`); creates, deletes and authentication failures add an audit line
 * (`audit`: "create" | "delete" | "auth_failure"). Tests pass a destination to read lines.
 */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'gymhost' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
