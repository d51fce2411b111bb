import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { DomainError, type ErrorCode } from '../core/errors.js';
import { ErrorDetail } from '../gen/gymhost/v1/errors.js';

/**
 * The one map from domain error codes to gRPC status codes and HTTP statuses
 * (Google's mapping: https://github.com/googleapis/googleapis/blob/master/google/rpc/code.proto).
 */
const MAP: Record<ErrorCode, { grpc: GrpcStatus; http: number }> = {
  INVALID_ARGUMENT: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400 },
  FAILED_PRECONDITION: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 400 },
  NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404 },
  ALREADY_EXISTS: { grpc: GrpcStatus.ALREADY_EXISTS, http: 409 },
  RESOURCE_EXHAUSTED: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 429 },
  PERMISSION_DENIED: { grpc: GrpcStatus.PERMISSION_DENIED, http: 403 },
  UNAUTHENTICATED: { grpc: GrpcStatus.UNAUTHENTICATED, http: 401 },
  DEADLINE_EXCEEDED: { grpc: GrpcStatus.DEADLINE_EXCEEDED, http: 504 },
  CANCELLED: { grpc: GrpcStatus.CANCELLED, http: 499 },
  UNAVAILABLE: { grpc: GrpcStatus.UNAVAILABLE, http: 503 },
  INTERNAL: { grpc: GrpcStatus.INTERNAL, http: 500 },
};

/** Metadata key carrying the binary ErrorDetail of a failed gRPC call. */
export const ERROR_DETAIL_KEY = 'gymhost-error-bin';

/** Metadata key and HTTP header of the request id. */
export const REQUEST_ID_KEY = 'x-request-id';

/**
 * Any thrown value as a DomainError. Input nested so deeply that a recursive walk overflows
 * the stack is bad input; anything else that is not a DomainError is a bug (INTERNAL).
 */
export function asDomainError(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return new DomainError('INVALID_ARGUMENT', 'the request is nested too deeply (lists or objects inside one another)', '', 'TOO_DEEP');
  }
  return new DomainError('INTERNAL', 'internal error (a bug in gymhost; it has been logged with the request id)', '', 'INTERNAL');
}

/** Any thrown value as an ErrorDetail carrying the request id. */
export function toErrorDetail(err: unknown, requestId = ''): ErrorDetail {
  const e = asDomainError(err);
  return { code: e.code, message: e.message, field: e.field, reason: e.reason, requestId, retryAfterSeconds: e.retryAfterSeconds };
}

/** A thrown value as a grpc-js error with the ErrorDetail (and the request id) in trailing metadata. */
export function toGrpcError(err: unknown, requestId = ''): Partial<ServiceError> {
  const detail = toErrorDetail(err, requestId);
  const metadata = new Metadata();
  metadata.set(ERROR_DETAIL_KEY, Buffer.from(ErrorDetail.encode(detail).finish()));
  if (requestId) metadata.set(REQUEST_ID_KEY, requestId);
  if (detail.retryAfterSeconds > 0) metadata.set('retry-after', String(Math.ceil(detail.retryAfterSeconds)));
  const prefix = detail.field ? `${detail.field}: ` : '';
  const message = detail.message.startsWith(detail.field) ? detail.message : prefix + detail.message;
  return { code: MAP[detail.code as ErrorCode]?.grpc ?? GrpcStatus.INTERNAL, details: message, metadata };
}

/** A thrown value as an HTTP status and the JSON body {code, message, details}. */
export function toHttpError(err: unknown, requestId = ''): { status: number; body: { code: string; message: string; details: ErrorDetail[] }; retryAfterSeconds: number } {
  const detail = toErrorDetail(err, requestId);
  return {
    status: MAP[detail.code as ErrorCode]?.http ?? 500,
    body: { code: detail.code, message: detail.message, details: [detail] },
    retryAfterSeconds: detail.retryAfterSeconds,
  };
}
