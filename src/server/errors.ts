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

/** Any thrown value as an ErrorDetail; non-domain errors are bugs, reported as INTERNAL. */
export function toErrorDetail(err: unknown): ErrorDetail {
  if (err instanceof DomainError) return { code: err.code, message: err.message, field: err.field, reason: err.reason };
  logBug(err);
  return { code: 'INTERNAL', message: 'internal error (a bug in gymhost; it has been logged)', field: '', reason: 'INTERNAL' };
}

/** A thrown value as a grpc-js error with the ErrorDetail in trailing metadata. */
export function toGrpcError(err: unknown): Partial<ServiceError> {
  const detail = toErrorDetail(err);
  const metadata = new Metadata();
  metadata.set(ERROR_DETAIL_KEY, Buffer.from(ErrorDetail.encode(detail).finish()));
  const prefix = detail.field ? `${detail.field}: ` : '';
  const message = detail.message.startsWith(detail.field) ? detail.message : prefix + detail.message;
  return { code: MAP[detail.code as ErrorCode]?.grpc ?? GrpcStatus.INTERNAL, details: message, metadata };
}

/** A thrown value as an HTTP status and the JSON body {code, message, details}. */
export function toHttpError(err: unknown): { status: number; body: { code: string; message: string; details: ErrorDetail[] } } {
  const detail = toErrorDetail(err);
  return {
    status: MAP[detail.code as ErrorCode]?.http ?? 500,
    body: { code: detail.code, message: detail.message, details: [detail] },
  };
}

function logBug(err: unknown): void {
  console.error('gymhost: unexpected error (bug):', err);
}
