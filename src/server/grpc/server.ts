import * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { DomainError, invalidArgument } from '../../core/errors.js';
import type { Caller } from '../../core/sessions/caller.js';
import { EnvServiceService, type StepStreamRequest, type StepStreamResponse } from '../../gen/gymhost/v1/env_service.js';
import { AgentServiceService, type TrainRequest, type TrainResponse, type WatchRunRequest, type WatchRunResponse } from '../../gen/gymhost/v1/agent_service.js';
import { UsageServiceService } from '../../gen/gymhost/v1/usage_service.js';
import { EnvironmentService as DmEnvRpcEnvironmentService } from '../../gen/dm_env_rpc/v1/dm_env_rpc.js';
import { processHandler as dmEnvRpcProcess } from '../dm-env-rpc/process.js';
import { DESCRIPTOR_SET, HEALTH_DESCRIPTOR_SET, descriptorFiles } from '../descriptors.js';
import { REQUEST_ID_KEY, toErrorDetail, toGrpcError } from '../errors.js';
import type { CallScope, Gate, OpenStream } from '../gate.js';
import type { EnvService } from '../services/env-service.js';
import { decodeStepBatchRequest, serializeStepBatch, serializeStepStream } from '../services/wire.js';
import type { AgentService } from '../services/agent-service.js';
import type { UsageService } from '../services/usage-service.js';

/** Marks a request whose bytes were not a valid protobuf message. */
const UNDECODABLE = Symbol('undecodable');

/**
 * grpc-js answers a request that fails to decode with INTERNAL; this wraps each decoder so
 * the handler can answer INVALID_ARGUMENT with the reason instead.
 */
function withSafeDecoding<T extends grpc.ServiceDefinition>(def: T): T {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(def)) {
    out[name] = {
      ...method,
      requestDeserialize: (buf: Buffer) => {
        try {
          return method.requestDeserialize(buf);
        } catch (err) {
          return { [UNDECODABLE]: (err as Error).message };
        }
      },
    };
  }
  return out as unknown as T;
}

/**
 * Wraps the handlers of a service whose code is not ours (grpc.health.v1) so a request that
 * failed to decode is answered INVALID_ARGUMENT before the handler sees it.
 */
function refuseUndecodable(def: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(impl)) {
    // Handlers may be keyed by the method name ("Check") or its originalName ("check").
    const method = def[name] ?? Object.values(def).find((m) => m.originalName === name);
    if (!method || method.requestStream) {
      out[name] = handler;
      continue;
    }
    if (method.responseStream) {
      out[name] = ((call: grpc.ServerWritableStream<unknown, unknown>) => {
        try {
          checkDecoded(call.request);
        } catch (err) {
          call.emit('error', toGrpcError(err));
          return;
        }
        (handler as grpc.handleServerStreamingCall<unknown, unknown>)(call);
      }) as grpc.UntypedHandleCall;
    } else {
      out[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        try {
          checkDecoded(call.request);
        } catch (err) {
          callback(toGrpcError(err));
          return;
        }
        (handler as grpc.handleUnaryCall<unknown, unknown>)(call, callback);
      }) as grpc.UntypedHandleCall;
    }
  }
  return out;
}

function checkDecoded(req: unknown): void {
  const problem = (req as Record<symbol, string> | null)?.[UNDECODABLE];
  if (problem === undefined) return;
  if (/call stack/i.test(problem)) throw invalidArgument('', 'request is nested too deeply to decode (messages, lists or structs inside one another)', 'TOO_DEEP');
  throw invalidArgument('', `request is not a valid protobuf message: ${problem}`, 'MALFORMED_REQUEST');
}

/** What the gRPC adapter serves and where calls are admitted. */
export interface GrpcServices {
  readonly envs: EnvService;
  readonly agents: AgentService;
  readonly usage: UsageService;
  readonly gate: Gate;
}

/** One admitted call as the service methods see it. */
interface Ctx {
  readonly caller: Caller;
  /** Aborted when the client cancels or the call's deadline passes. */
  readonly signal: AbortSignal;
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

function metadataValue(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Response metadata whose request id goes out as an HPACK literal that is never indexed:
 * every id is new, and indexing each one (the default) would push the headers every answer
 * repeats (content-type, grpc-status, ...) out of both ends' 4 KiB HPACK tables, so that
 * they were encoded and decoded in full again every few dozen calls.
 */
class ResponseMetadata extends grpc.Metadata {
  override toHttp2Headers(): http2.OutgoingHttpHeaders {
    const headers = super.toHttp2Headers() as http2.OutgoingHttpHeaders & { [http2.sensitiveHeaders]?: string[] };
    headers[http2.sensitiveHeaders] = NEVER_INDEXED;
    return headers;
  }
}
const NEVER_INDEXED = [REQUEST_ID_KEY];

/** Initial metadata of a response: the request id. */
function responseMetadata(requestId: string): grpc.Metadata {
  const md = new ResponseMetadata();
  md.set(REQUEST_ID_KEY, requestId);
  return md;
}

/**
 * The Ctx of a unary call. Its signal (aborted when the client cancels or the deadline
 * passes) is made on first use: grpc-js reports a cancel at the end of every unary call, and
 * an AbortController aborted there (each abort builds a DOMException) cost every call, while
 * only a few methods (Evaluate) listen.
 */
class UnaryCtx implements Ctx {
  private controller: AbortController | undefined;

  constructor(
    readonly caller: Caller,
    private readonly call: { readonly cancelled: boolean; once(event: 'cancelled', listener: () => void): unknown },
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.call.cancelled) controller.abort();
      else this.call.once('cancelled', () => controller.abort());
    }
    return this.controller.signal;
  }
}

/**
 * Adapts a service method (sync or async) to a grpc-js unary handler, through the gate:
 * request id, authentication, rate quota, logs, metrics and audit lines.
 */
function unary<Req, Res>(gate: Gate, method: string, fn: (req: Req, ctx: Ctx) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const scope = gate.begin(method, 'grpc', metadataValue(call.metadata, REQUEST_ID_KEY));
    try {
      checkDecoded(call.request);
      const caller = gate.admit(scope, metadataValue(call.metadata, 'authorization'));
      const arriving = gate.locate?.(method, call.request);
      const out = arriving ? arriving.then(() => fn(call.request, new UnaryCtx(caller, call))) : fn(call.request, new UnaryCtx(caller, call));
      if (out instanceof Promise) {
        out.then(
          (res) => unarySucceeded(gate, scope, call, callback, res),
          (err) => unaryFailed(scope, callback, err),
        );
      } else unarySucceeded(gate, scope, call, callback, out);
    } catch (err) {
      unaryFailed(scope, callback, err);
    }
  };
}

/**
 * Answers a unary call (module functions, not closures made per call). The answer is handed
 * to grpc-js (which encodes it at once) before the audit and request lines are written and
 * the metrics recorded, all in the same tick, so their work is not ahead of the answer.
 */
function unarySucceeded<Res>(gate: Gate, scope: CallScope, call: grpc.ServerUnaryCall<unknown, Res>, callback: grpc.sendUnaryData<Res>, res: Res): void {
  call.sendMetadata(responseMetadata(scope.requestId));
  callback(null, res);
  gate.succeeded(scope, call.request, res);
  scope.end();
}

function unaryFailed<Res>(scope: CallScope, callback: grpc.sendUnaryData<Res>, err: unknown): void {
  scope.end(err);
  callback(toGrpcError(err, scope.requestId));
}

/**
 * A server-streaming RPC: `run` writes messages (waiting while the client is not reading
 * them: backpressure), and its result, if any, is the last message. `signal` aborts when the
 * client cancels or the server shuts down; `stopped()` then says why for the latter.
 */
function serverStream<Req, Res>(
  gate: Gate,
  name: string,
  run: (req: Req, caller: Caller, write: (msg: Res) => void | Promise<void>, signal: AbortSignal, stopped: () => string) => Promise<Res | undefined>,
) {
  return (call: grpc.ServerWritableStream<Req, Res>) => {
    const scope = gate.begin(name, 'grpc', metadataValue(call.metadata, REQUEST_ID_KEY));
    const controller = new AbortController();
    call.on('cancelled', () => controller.abort());
    let shutdownMessage = '';
    const open: OpenStream = {
      endForShutdown(message) {
        shutdownMessage = message;
        controller.abort();
      },
    };
    const write = (msg: Res): void | Promise<void> => {
      if (call.write(msg) || controller.signal.aborted) return;
      return new Promise<void>((resolve) => {
        const done = () => {
          call.off('drain', done);
          controller.signal.removeEventListener('abort', done);
          resolve();
        };
        call.once('drain', done);
        controller.signal.addEventListener('abort', done);
      });
    };
    const go = async () => {
      checkDecoded(call.request);
      const caller = gate.admit(scope, metadataValue(call.metadata, 'authorization'));
      await gate.locate?.(name, call.request);
      call.sendMetadata(responseMetadata(scope.requestId));
      gate.streams.add(open);
      const last = await run(call.request, caller, write, controller.signal, () => shutdownMessage);
      if (last !== undefined) call.write(last);
      call.end();
    };
    go().then(
      () => {
        gate.streams.delete(open);
        scope.end();
      },
      (err) => {
        gate.streams.delete(open);
        scope.end(err);
        call.emit('error', toGrpcError(err, scope.requestId));
      },
    );
  };
}

export interface GrpcServerOptions {
  /** Largest request or response message in bytes. */
  readonly maxMessageBytes: number;
  /** Answers one stream holds before it stops reading requests (backpressure). */
  readonly streamWindow?: number;
}

/**
 * A grpc-js server with EnvService, AgentService, UsageService, dm_env_rpc.v1.Environment,
 * grpc.health.v1 and server reflection. Open StepStream, Train and Process calls are in
 * gate.streams (for shutdown).
 */
export function createGrpcServer(services: GrpcServices, options: GrpcServerOptions): { server: grpc.Server; health: HealthImplementation } {
  const { envs, agents, usage, gate } = services;
  const streams = gate.streams;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
    // No channelz service is served, so its per-call bookkeeping (call and message counters,
    // timestamps, a tracker object with four closures per call) would be work for nobody.
    'grpc.enable_channelz': 0,
  });
  const window = options.streamWindow ?? 64;
  const E = (name: string) => `EnvService/${name}`;
  const A = (name: string) => `AgentService/${name}`;
  // StepBatch requests are read by services/wire.ts (the action tensor's bytes not copied).
  const envDef = withSafeDecoding({ ...EnvServiceService, stepBatch: { ...EnvServiceService.stepBatch, requestDeserialize: decodeStepBatchRequest } });
  // StepBatch answers carry their encoded bytes (services/wire.ts): sent without encoding again.
  const envDefinition = {
    ...envDef,
    stepBatch: { ...envDef.stepBatch, responseSerialize: serializeStepBatch },
    stepStream: { ...envDef.stepStream, responseSerialize: serializeStepStream },
  };
  server.addService(envDefinition, {
    listEnvTypes: unary(gate, E('ListEnvTypes'), () => envs.listEnvTypes()),
    createEnv: unary(gate, E('CreateEnv'), (req, c) => envs.createEnvWhenReady(req, c.caller)),
    getEnv: unary(gate, E('GetEnv'), (req, c) => envs.getEnv(req, c.caller)),
    listEnvs: unary(gate, E('ListEnvs'), (req, c) => envs.listEnvs(req, c.caller)),
    deleteEnv: unary(gate, E('DeleteEnv'), (req, c) => envs.deleteEnv(req, c.caller)),
    reset: unary(gate, E('Reset'), (req, c) => envs.reset(req, c.caller)),
    step: unary(gate, E('Step'), (req, c) => envs.step(req, c.caller)),
    stepBatch: unary(gate, E('StepBatch'), (req, c) => envs.stepBatch(req, c.caller)),
    render: unary(gate, E('Render'), (req, c) => envs.render(req, c.caller)),
    listEpisodes: unary(gate, E('ListEpisodes'), (req, c) => envs.listEpisodes(req, c.caller)),
    setReward: unary(gate, E('SetReward'), (req, c) => envs.setRewardWhenReady(req, c.caller)),
    registerReward: unary(gate, E('RegisterReward'), (req, c) => envs.registerReward(req, c.caller)),
    listRewards: unary(gate, E('ListRewards'), (req, c) => envs.listRewards(req, c.caller)),
    deleteReward: unary(gate, E('DeleteReward'), (req, c) => envs.deleteReward(req, c.caller)),
    stepStream: (call: grpc.ServerDuplexStream<StepStreamRequest, StepStreamResponse>) => {
      const scope = gate.begin(E('StepStream'), 'grpc', metadataValue(call.metadata, REQUEST_ID_KEY));
      let caller: Caller;
      try {
        caller = gate.admit(scope, metadataValue(call.metadata, 'authorization'));
      } catch (err) {
        scope.end(err);
        call.emit('error', toGrpcError(err, scope.requestId));
        return;
      }
      call.sendMetadata(responseMetadata(scope.requestId));
      // Requests are answered in order. Answers that are ready at once are written at once;
      // one that is not (a session on a worker) holds the ones behind it. The stream stops
      // reading while `window` answers are pending or the client is not reading them.
      const pending: (StepStreamResponse | Promise<StepStreamResponse>)[] = [];
      let flushing = false;
      let inputEnded = false;
      let finished = false;
      const finish = (err?: unknown) => {
        if (finished) return;
        finished = true;
        streams.delete(open);
        scope.end(err);
        if (err === undefined) call.end();
        else call.emit('error', toGrpcError(err, scope.requestId));
      };
      const inline = (err: unknown): StepStreamResponse => ({ response: { $case: 'error', value: toErrorDetail(err, scope.requestId) } });
      const answer = (req: StepStreamRequest): StepStreamResponse | Promise<StepStreamResponse> => {
        try {
          checkDecoded(req);
          gate.admitMessage(caller);
          const arriving = gate.locate?.(E('StepStream'), req);
          if (arriving) return arriving.then(() => envs.streamMessage(req, caller)).catch(inline);
          const res = envs.streamMessage(req, caller);
          return res instanceof Promise ? res.catch(inline) : res;
        } catch (err) {
          return inline(err);
        }
      };
      // Answers held: pending, and written but still in grpc-js's buffer (the client has not
      // read them yet). At most `window` are held: the stream stops reading requests there.
      const held = () => pending.length + call.writableLength;
      // Writes the answers that are ready, in order, synchronously; it goes on later when the
      // head is a worker's answer not yet in, or when `window` answers are held (grpc-js's
      // write() turns false long before, at 16 buffered: waiting for 'drain' there would stall
      // a client that pipelines more than 16 requests on every 16th answer).
      const flush = (): void => {
        if (flushing) return;
        while (pending.length > 0 && !finished) {
          const head = pending[0];
          if (head instanceof Promise) {
            flushing = true;
            void head.then((res) => {
              pending[0] = res;
              resumeFlush();
            });
            return;
          }
          pending.shift();
          if (!call.write(head) && held() >= window) {
            flushing = true;
            void writable(call).then(resumeFlush);
            return;
          }
          if (held() < window && call.isPaused()) call.resume();
        }
        if (!inputEnded && held() < window && call.isPaused()) call.resume();
        if (inputEnded && pending.length === 0) finish();
      };
      const resumeFlush = () => {
        flushing = false;
        flush();
      };
      const open: OpenStream = {
        endForShutdown(message) {
          inputEnded = true;
          call.pause();
          const stop = () => finish(new DomainError('UNAVAILABLE', message, '', 'SHUTTING_DOWN'));
          if (pending.length === 0 && !flushing) stop();
          else void Promise.allSettled(pending).then(stop);
        },
      };
      streams.add(open);
      call.on('data', (req: StepStreamRequest) => {
        if (inputEnded) return;
        pending.push(answer(req));
        if (held() >= window) call.pause();
        flush();
      });
      call.on('end', () => {
        inputEnded = true;
        if (pending.length === 0 && !flushing) finish();
      });
      call.on('cancelled', () => {
        finished = true;
        streams.delete(open);
        scope.end(new DomainError('CANCELLED', 'the client cancelled the stream', '', 'CANCELLED'));
      });
      call.on('error', () => undefined);
    },
  });

  server.addService(withSafeDecoding(AgentServiceService), {
    listAgentKinds: unary(gate, A('ListAgentKinds'), () => agents.listAgentKinds()),
    createAgent: unary(gate, A('CreateAgent'), (req, c) => agents.createAgent(req, c.caller)),
    getAgent: unary(gate, A('GetAgent'), (req, c) => agents.getAgent(req, c.caller)),
    listAgents: unary(gate, A('ListAgents'), (req, c) => agents.listAgents(req, c.caller)),
    deleteAgent: unary(gate, A('DeleteAgent'), (req, c) => agents.deleteAgent(req, c.caller)),
    chooseAction: unary(gate, A('ChooseAction'), (req, c) => agents.chooseAction(req, c.caller)),
    updateQ: unary(gate, A('UpdateQ'), (req, c) => agents.updateQ(req, c.caller)),
    endEpisode: unary(gate, A('EndEpisode'), (req, c) => agents.endEpisode(req, c.caller)),
    getHistory: unary(gate, A('GetHistory'), (req, c) => agents.getHistory(req, c.caller)),
    getQ: unary(gate, A('GetQ'), (req, c) => agents.getQ(req, c.caller)),
    exportAgent: unary(gate, A('ExportAgent'), (req, c) => agents.exportAgent(req, c.caller)),
    importAgent: unary(gate, A('ImportAgent'), (req, c) => agents.importAgent(req, c.caller)),
    evaluate: unary(gate, A('Evaluate'), (req, c) => agents.evaluate(req, c.caller, c.signal)),
    getRun: unary(gate, A('GetRun'), (req, c) => agents.getRun(req, c.caller)),
    listRuns: unary(gate, A('ListRuns'), (req, c) => agents.listRuns(req, c.caller)),
    cancelRun: unary(gate, A('CancelRun'), (req, c) => agents.cancelRun(req, c.caller)),
    exportRunCheckpoint: unary(gate, A('ExportRunCheckpoint'), (req, c) => agents.exportRunCheckpoint(req, c.caller)),
    train: serverStream<TrainRequest, TrainResponse>(gate, A('Train'), async (req, caller, write, signal, stopped) => {
      const out = await agents.train(req, caller, (event) => write({ event }), signal);
      if (out.run) return { event: { $case: 'run', value: out.run } };
      const summary = out.summary!;
      const why = stopped();
      if (why) {
        const resumes = agents.runsResumeAfterRestart ? ` and resumes from its last checkpoint when the server starts again (GetRun ${summary.run})` : '';
        throw new DomainError('UNAVAILABLE', `${why}; the run was stopped after ${summary.episodes} episodes (${summary.steps} steps)${resumes}`, '', 'SHUTTING_DOWN');
      }
      return { event: { $case: 'summary', value: summary } };
    }),
    watchRun: serverStream<WatchRunRequest, WatchRunResponse>(gate, A('WatchRun'), async (req, caller, write, signal, stopped) => {
      await agents.watchRun(req, caller, (event) => write({ event }), signal);
      const why = stopped();
      if (why) throw new DomainError('UNAVAILABLE', `${why}; the run was stopped${agents.runsResumeAfterRestart ? ' and resumes from its last checkpoint when the server starts again' : ''}`, '', 'SHUTTING_DOWN');
      return undefined;
    }),
  });

  server.addService(withSafeDecoding(UsageServiceService), {
    getUsage: unary(gate, 'UsageService/GetUsage', (req, c) => usage.getUsage(req, c.caller)),
  });

  // DeepMind's dm_env_rpc protocol over the same envs (src/server/dm-env-rpc/, docs/dm-env-rpc.md).
  server.addService(withSafeDecoding(DmEnvRpcEnvironmentService), {
    process: dmEnvRpcProcess({ envs, gate, checkDecoded, window }),
  });

  const health = new HealthImplementation({ '': 'SERVING', 'gymhost.v1.EnvService': 'SERVING', 'gymhost.v1.AgentService': 'SERVING', 'gymhost.v1.UsageService': 'SERVING', 'dm_env_rpc.v1.Environment': 'SERVING' });
  // The health service decodes safely too: undecodable bytes are INVALID_ARGUMENT, not INTERNAL.
  health.addToServer({
    addService: (def: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation) => server.addService(withSafeDecoding(def), refuseUndecodable(def, impl)),
  } as unknown as grpc.Server);

  // Reflection serves the buf-built descriptor sets (they carry the well-known types the API
  // imports, which proto-loader's package definitions leave out) so grpcurl needs no .proto files.
  const packageDefinition = {
    'gymhost.descriptors': { fileDescriptorProtos: [...descriptorFiles(DESCRIPTOR_SET), ...descriptorFiles(HEALTH_DESCRIPTOR_SET)] },
  } as unknown as protoLoader.PackageDefinition;
  new ReflectionService(packageDefinition).addToServer(server);
  return { server, health };
}
