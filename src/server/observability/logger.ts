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
  return pino({ level, base: { service: 'gymhost' }, timestamp: isoTime }, destination ?? bufferedStdout());
}

/**
 * The `request` lines (info) of one method and transport: a child logger with `method` and
 * `transport`, made once, and fields `reqId`, `user`, `role`, `code`, `durationMs`, `reason`
 * (absent when undefined).
 */
export class RequestLog {
  readonly logger: Logger;

  constructor(root: Logger, method: string, transport: string) {
    this.logger = root.child({ method, transport });
  }

  write(reqId: string, user: string | undefined, role: string | undefined, code: string, durationMs: number, reason: string | undefined): void {
    if (!this.logger.isLevelEnabled('info')) return;
    this.logger.info({ reqId, user, role, code, durationMs, reason }, 'request');
  }
}

/** The second (epoch seconds) whose ISO text `isoSecond` holds, e.g. `2024-06-11T09:30:05.`. */
let isoSecondOf = -1;
let isoSecond = '';

/**
 * pino's `time` field as pino.stdTimeFunctions.isoTime writes it (`,"time":"...Z"`), with the
 * date and time up to the second formatted once per second rather than on every line.
 */
function isoTime(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== isoSecondOf) {
    isoSecondOf = second;
    isoSecond = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const ms = now - second * 1000;
  return `,"time":"${isoSecond}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}

/** The one buffered stdout of this process (every logger shares it). */
let stdoutDestination: ReturnType<typeof pino.destination> | undefined;

/** How long a log line may wait in the buffer, ms. */
const FLUSH_EVERY_MS = 200;

/**
 * Standard output written in batches (sonic-boom, asynchronous, 32 KiB at a time, and at
 * least every FLUSH_EVERY_MS), so that a busy server does not pay a write (and wake its log
 * reader) per request: about one write per 150 request lines. Flushed synchronously when the
 * process exits.
 */
function bufferedStdout(): DestinationStream {
  if (stdoutDestination) return stdoutDestination;
  const dest = pino.destination({ dest: 1, sync: false, minLength: 32768, maxWrite: 65536 });
  stdoutDestination = dest;
  const timer = setInterval(() => dest.flush(), FLUSH_EVERY_MS);
  timer.unref();
  process.once('exit', () => {
    clearInterval(timer);
    try {
      dest.flushSync();
    } catch {
      // Nothing left to flush to (stdout closed).
    }
  });
  return dest;
}
