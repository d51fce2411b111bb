/**
 * Authentication on the gym-http-api port. The official Python client sends no header of
 * its own, but python-requests turns the user info of a base URL (`http://alice:TOKEN@host:port`)
 * into `Authorization: Basic base64(alice:TOKEN)`. This port therefore accepts that form as
 * well as `Bearer <token>`: the Basic password is turned into `Bearer <password>` and checked
 * by the Gate with the server's one Authenticator (the same token comparison as every other
 * call), and the Basic user name must then be the token's user.
 */
import { DomainError } from '../../core/errors.js';
import { ANONYMOUS, type Caller } from '../../core/sessions/caller.js';
import type { CallScope, Gate } from '../gate.js';
import type { Metrics } from '../observability/metrics.js';

/** How a client of this port puts its token in the base URL (for error messages). */
const HOW = 'put the token in the base URL as the password: Client("http://USER:TOKEN@host:port"), or send "authorization: Bearer <token>"';

/** A Basic authorization header's user and password; `undefined` if the header is not Basic, 'malformed' if it is but cannot be read. */
export function parseBasic(header: string | undefined): { user: string; password: string } | 'malformed' | undefined {
  if (header === undefined) return undefined;
  const m = /^Basic(?:\s+(\S*))?\s*$/i.exec(header);
  if (!m) return undefined;
  const encoded = m[1] ?? '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return 'malformed';
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    return 'malformed';
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Admits a call of this port through the Gate (draining, authentication, request rate, as
 * every other call): a Basic header is checked as the Bearer token it carries, then its user
 * name against the token's user. Refusals specific to this port are counted and logged as
 * the Gate does its own.
 */
export function admit(gate: Gate, metrics: Metrics, scope: CallScope, header: string | undefined): Caller {
  const basic = parseBasic(header);
  if (basic === 'malformed') {
    refuse(gate, metrics, scope, 'BAD_AUTHORIZATION', `the Basic authorization header must be "Basic " and base64 of "USER:TOKEN"; ${HOW}`);
  }
  if (basic && (basic.password === '' || /\s/.test(basic.password))) {
    refuse(gate, metrics, scope, 'BAD_AUTHORIZATION', `the Basic authorization password must be your token (no spaces), got ${basic.password === '' ? 'none' : 'one with spaces'}; ${HOW}`);
  }
  let caller: Caller;
  try {
    caller = gate.admit(scope, basic ? `Bearer ${basic.password}` : header);
  } catch (err) {
    // The Gate counted and logged it; on this port the message also says how the client sends a token.
    if (err instanceof DomainError && err.code === 'UNAUTHENTICATED') throw new DomainError(err.code, `${err.message}; ${HOW}`, err.field, err.reason);
    throw err;
  }
  if (basic && caller !== ANONYMOUS && basic.user !== caller.user) {
    refuse(gate, metrics, scope, 'USER_MISMATCH', `the Basic authorization user '${basic.user}' is not the user of the token; use the token's own user name (or any Bearer header)`);
  }
  return caller;
}

/** Counts, logs (as the Gate's authentication failures) and throws UNAUTHENTICATED. */
function refuse(gate: Gate, metrics: Metrics, scope: CallScope, reason: string, message: string): never {
  metrics.authFailures.inc({ reason });
  gate.logger.warn({ audit: 'auth_failure', reqId: scope.requestId, method: scope.method, transport: scope.transport, reason }, 'authentication failed');
  throw new DomainError('UNAUTHENTICATED', message, 'authorization', reason);
}
