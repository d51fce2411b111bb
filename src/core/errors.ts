/**
 * The one error type domain code throws. Transports translate `code` to a gRPC status and an
 * HTTP status in exactly one place each (src/server/errors.ts).
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'FAILED_PRECONDITION'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_EXHAUSTED'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export class DomainError extends Error {
  /** RESOURCE_EXHAUSTED only: seconds after which the same request may succeed (0 = waiting does not help). */
  retryAfterSeconds = 0;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Request field at fault as a dotted path ("action", "config.world"), or "". */
    readonly field = '',
    /** Machine-readable reason in UPPER_SNAKE_CASE, e.g. "ACTION_OUT_OF_RANGE". */
    readonly reason = '',
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Bad input: `field` names what was wrong, the message says what is allowed. */
export function invalidArgument(field: string, message: string, reason = 'INVALID_ARGUMENT'): DomainError {
  return new DomainError('INVALID_ARGUMENT', message, field, reason);
}

export function notFound(field: string, message: string, reason = 'NOT_FOUND'): DomainError {
  return new DomainError('NOT_FOUND', message, field, reason);
}

export function failedPrecondition(message: string, reason: string, field = ''): DomainError {
  return new DomainError('FAILED_PRECONDITION', message, field, reason);
}

export function resourceExhausted(message: string, reason: string, field = ''): DomainError {
  return new DomainError('RESOURCE_EXHAUSTED', message, field, reason);
}
