/**
 * Errors on the gym-http-api port: the status comes from the server's one domain-to-HTTP map
 * (src/server/errors.ts: 400 bad input, 401/403 authentication and permission, 404 unknown
 * instance, 429 quotas, 503 draining, ...); the body is the original's `{"message": ...}`
 * (the official client raises ServerError(message, status_code) from it) plus gymhost's
 * `code` and `reason`. Headers as on the HTTP port: x-request-id, Retry-After, WWW-Authenticate.
 */
import type { Response } from 'express';
import { REQUEST_ID_KEY, toHttpError } from '../errors.js';

/** The error body of this port. */
export interface DialectError {
  readonly message: string;
  readonly code: string;
  readonly reason: string;
}

/** The status and body of a thrown value. */
export function dialectError(err: unknown, requestId: string): { status: number; body: DialectError; retryAfterSeconds: number } {
  const out = toHttpError(err, requestId);
  const detail = out.body.details[0];
  return { status: out.status, body: { message: out.body.message, code: out.body.code, reason: detail?.reason ?? '' }, retryAfterSeconds: out.retryAfterSeconds };
}

/** Answers a thrown value; `status` overrides the mapped one (405 for a known path with another method). */
export function sendDialectError(res: Response, err: unknown, requestId: string, status?: number): void {
  const out = dialectError(err, requestId);
  res.set(REQUEST_ID_KEY, requestId);
  if (out.retryAfterSeconds > 0) res.set('retry-after', String(Math.ceil(out.retryAfterSeconds)));
  if (out.status === 401) res.set('www-authenticate', 'Basic realm="gymhost", charset="UTF-8", Bearer realm="gymhost"');
  res.status(status ?? out.status).json(out.body);
}
