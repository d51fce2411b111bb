/**
 * The grpc-js handler of dm_env_rpc.v1.Environment/Process: a bidirectional stream whose
 * requests are processed one at a time, in order, each answered by exactly one response
 * (an error as EnvironmentResponse.error; the stream goes on).
 *
 * The stream goes through gymhost's Gate like every call: request id, authentication
 * (`authorization: Bearer <token>` metadata), refusal while draining, the request-rate quota
 * (the stream counts one request, then each message one more), one log line and the RPC
 * metrics for the stream. On shutdown it stops reading, finishes the request in progress and
 * ends with UNAVAILABLE.
 */
import * as grpc from '@grpc/grpc-js';
import { DomainError } from '../../core/errors.js';
import type { Caller } from '../../core/sessions/caller.js';
import type { EnvironmentRequest, EnvironmentResponse } from '../../gen/dm_env_rpc/v1/dm_env_rpc.js';
import { asDomainError, REQUEST_ID_KEY, toGrpcError } from '../errors.js';
import type { Gate, OpenStream } from '../gate.js';
import type { EnvService } from '../services/env-service.js';
import { DmEnvRpcConnection } from './connection.js';
import { toStatus, Unimplemented } from './status.js';
import { Worlds } from './worlds.js';

/** The method name in logs and metrics. */
export const PROCESS_METHOD = 'Environment/Process';

export interface ProcessHandlerOptions {
  readonly envs: EnvService;
  readonly gate: Gate;
  /** Throws INVALID_ARGUMENT for a request whose bytes did not decode (see grpc/server.ts withSafeDecoding). */
  readonly checkDecoded: (req: unknown) => void;
  /** Requests read ahead of the one being processed before the stream stops reading (backpressure). */
  readonly window?: number;
}

function metadataValue(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

/** Resolves when a stream the client is not reading drains again, or the call ends. */
function writable(call: grpc.ServerDuplexStream<unknown, unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
  });
}

/** The Process handler; every stream's worlds live in one registry. */
export function processHandler(options: ProcessHandlerOptions): grpc.handleBidiStreamingCall<EnvironmentRequest, EnvironmentResponse> {
  const { envs, gate, checkDecoded } = options;
  const window = options.window ?? 64;
  const worlds = new Worlds();
  return (call) => {
    const scope = gate.begin(PROCESS_METHOD, 'grpc', metadataValue(call.metadata, REQUEST_ID_KEY));
    let caller: Caller;
    try {
      caller = gate.admit(scope, metadataValue(call.metadata, 'authorization'));
    } catch (err) {
      scope.end(err);
      call.emit('error', toGrpcError(err, scope.requestId));
      return;
    }
    const md = new grpc.Metadata();
    md.set(REQUEST_ID_KEY, scope.requestId);
    call.sendMetadata(md);

    const connection = new DmEnvRpcConnection({ envs, worlds, audit: (action, id) => gate.audit(scope, action, 'env_session', id) }, caller);
    const queue: EnvironmentRequest[] = [];
    let processing = false;
    let inputEnded = false;
    let finished = false;
    let shutdownMessage = '';

    const finish = (err?: unknown) => {
      if (finished) return;
      finished = true;
      gate.streams.delete(open);
      connection.leave();
      scope.end(err);
      if (err === undefined) call.end();
      else call.emit('error', toGrpcError(err, scope.requestId));
    };
    const inline = (err: unknown): EnvironmentResponse => {
      if (!(err instanceof Unimplemented) && asDomainError(err).code === 'INTERNAL') {
        gate.logger.error({ reqId: scope.requestId, method: PROCESS_METHOD, err }, 'dm_env_rpc request failed: internal error');
      }
      return { payload: { $case: 'error', value: toStatus(err, scope.requestId) } };
    };
    const answer = (req: EnvironmentRequest): EnvironmentResponse | Promise<EnvironmentResponse> => {
      try {
        checkDecoded(req);
        gate.admitMessage(caller);
        const res = connection.handle(req);
        return res instanceof Promise ? res.catch(inline) : res;
      } catch (err) {
        return inline(err);
      }
    };
    const pump = async () => {
      if (processing) return;
      processing = true;
      while (queue.length > 0 && !finished && !shutdownMessage) {
        const req = queue.shift()!;
        if (queue.length < window && call.isPaused() && !inputEnded) call.resume();
        const res = await answer(req);
        if (finished) break;
        if (!call.write(res)) await writable(call);
      }
      processing = false;
      if (shutdownMessage) finish(new DomainError('UNAVAILABLE', shutdownMessage, '', 'SHUTTING_DOWN'));
      else if (inputEnded && queue.length === 0) finish();
    };
    const open: OpenStream = {
      endForShutdown(message) {
        shutdownMessage = message;
        inputEnded = true;
        queue.length = 0;
        call.pause();
        if (!processing) finish(new DomainError('UNAVAILABLE', message, '', 'SHUTTING_DOWN'));
      },
    };
    gate.streams.add(open);

    call.on('data', (req: EnvironmentRequest) => {
      if (inputEnded) return;
      queue.push(req);
      if (queue.length >= window) call.pause();
      void pump();
    });
    call.on('end', () => {
      inputEnded = true;
      if (!processing && queue.length === 0) finish();
    });
    call.on('cancelled', () => {
      if (finished) return;
      finished = true;
      gate.streams.delete(open);
      connection.leave();
      scope.end(new DomainError('CANCELLED', 'the client cancelled the stream', '', 'CANCELLED'));
    });
    call.on('error', () => undefined);
  };
}
