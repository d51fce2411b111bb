/**
 * Errors of dm_env_rpc requests as the protocol answers them: a google.rpc.Status in
 * EnvironmentResponse.error, the stream staying open. The code is gymhost's one mapping of
 * domain errors to gRPC codes (src/server/errors.ts); `details` carries gymhost's
 * ErrorDetail (field, reason, request id) packed as a google.protobuf.Any.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Status } from '../../gen/google/rpc/status.js';
import { ErrorDetail } from '../../gen/gymhost/v1/errors.js';
import { toErrorDetail, toGrpcError } from '../errors.js';

/** Type URL of the ErrorDetail in Status.details. */
export const ERROR_DETAIL_TYPE_URL = 'type.googleapis.com/gymhost.v1.ErrorDetail';

/** A request kind this server does not serve (answered UNIMPLEMENTED). */
export class Unimplemented extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Unimplemented';
  }
}

/** A thrown value as the Status of an EnvironmentResponse.error. */
export function toStatus(err: unknown, requestId: string): Status {
  if (err instanceof Unimplemented) {
    const detail: ErrorDetail = { code: 'UNIMPLEMENTED', message: err.message, field: 'payload', reason: 'UNIMPLEMENTED', requestId, retryAfterSeconds: 0 };
    return { code: GrpcStatus.UNIMPLEMENTED, message: err.message, details: [packDetail(detail)] };
  }
  const grpcError = toGrpcError(err, requestId);
  return { code: grpcError.code ?? GrpcStatus.INTERNAL, message: grpcError.details ?? '', details: [packDetail(toErrorDetail(err, requestId))] };
}

function packDetail(detail: ErrorDetail): Status['details'][number] {
  return { typeUrl: ERROR_DETAIL_TYPE_URL, value: Buffer.from(ErrorDetail.encode(detail).finish()) };
}
