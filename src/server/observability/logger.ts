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
  const logger = pino({ level, base: { service: 'gymhost' }, timestamp: isoTime }, destination ?? bufferedStdout());
  PLAIN.add(logger);
  return logger;
}

/** Loggers made by createLogger: no serializers, formatters, hooks, mixins or redaction (RequestLog may write their lines itself). */
const PLAIN = new WeakSet<Logger>();

const { chindingsSym, lsCacheSym, streamSym, timeSym, needsMetadataGsym } = pino.symbols;
const INFO = 30;

/** JSON text of strings seen in request lines (user names, roles, reasons): a handful, made once. */
const jsonStrings = new Map<string, string>();
function jsonString(s: string): string {
  let j = jsonStrings.get(s);
  if (j === undefined) {
    j = JSON.stringify(s);
    if (jsonStrings.size < 10_000) jsonStrings.set(s, j);
  }
  return j;
}

/**
 * The `request` lines (info) of one method and transport: a child logger with `method` and
 * `transport`, and fields `reqId`, `user`, `role` (absent when undefined), `code`,
 * `durationMs`, `reason` (absent when undefined). For a logger of createLogger's the line is
 * put together here -- the same text pino writes, field for field, without pino's per-line
 * work (a fields object, a loop over its keys, escaping of strings seen before); other
 * loggers (tests may pass one with their own options) get pino's info().
 */
export class RequestLog {
  readonly logger: Logger;
  private readonly plain: boolean;

  constructor(root: Logger, method: string, transport: string) {
    this.logger = root.child({ method, transport });
    const stream = (this.logger as any)[streamSym];
    this.plain = PLAIN.has(root) && stream?.[needsMetadataGsym] !== true;
  }

  /** `reqId` is a request id (Gate: characters that need no escaping in JSON); `code` a status code name. */
  write(reqId: string, user: string | undefined, role: string | undefined, code: string, durationMs: number, reason: string | undefined): void {
    const l = this.logger as any;
    if (!this.plain) {
      const fields: Record<string, unknown> = { reqId, user, role, code, durationMs };
      if (reason !== undefined) fields.reason = reason;
      this.logger.info(fields, 'request');
      return;
    }
    if (l.levelVal > INFO) return;
    let line = l[lsCacheSym][INFO] + l[timeSym]() + l[chindingsSym] + ',"reqId":"' + reqId + '"';
    if (user !== undefined) line += ',"user":' + jsonString(user);
    if (role !== undefined) line += ',"role":' + jsonString(role);
    line += ',"code":"' + code + '","durationMs":' + (Number.isFinite(durationMs) ? durationMs : null);
    if (reason !== undefined) line += ',"reason":' + jsonString(reason);
    l[streamSym].write(line + ',"msg":"request"}\n');
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
