import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import protobuf from 'protobufjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { invalidArgument } from '../../core/errors.js';
import { ANONYMOUS, type Caller } from '../../core/sessions/session-store.js';
import { EnvServiceService, type StepStreamRequest, type StepStreamResponse } from '../../gen/gymhost/v1/env_service.js';
import { toErrorDetail, toGrpcError } from '../errors.js';
import type { EnvService } from '../services/env-service.js';
import type { AgentService } from '../services/agent-service.js';
import { AgentServiceService, type TrainRequest, type TrainResponse } from '../../gen/gymhost/v1/agent_service.js';

export const PROTO_DIR = fileURLToPath(new URL('../../../proto', import.meta.url));
export const PROTO_FILES = ['gymhost/v1/env_service.proto', 'gymhost/v1/agent_service.proto'];
/** FileDescriptorSet of the API and its imports, made by `npm run gen` (buf build). */
const DESCRIPTOR_SET = fileURLToPath(new URL('../../gen/gymhost.binpb', import.meta.url));
const HEALTH_DESCRIPTOR_SET = fileURLToPath(new URL('../../gen/health.binpb', import.meta.url));

/** The serialized FileDescriptorProtos in a FileDescriptorSet file (field 1, repeated). */
function descriptorFiles(file: string): Buffer[] {
  const bytes = readFileSync(file);
  const reader = protobuf.Reader.create(bytes);
  const files: Buffer[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) files.push(Buffer.from(reader.bytes()));
    else reader.skipType(tag & 7);
  }
  return files;
}

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

/** The caller of a gRPC call (auth will read it from metadata). */
function callerOf(_call: { metadata: grpc.Metadata }): Caller {
  return ANONYMOUS;
}

/** Adapts a service method (sync or async) to a grpc-js unary handler; cancelling the call aborts `signal`. */
function unary<Req, Res>(fn: (req: Req, caller: Caller, signal: AbortSignal) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const controller = new AbortController();
    call.on('cancelled', () => controller.abort());
    try {
      checkDecoded(call.request);
      const out = fn(call.request, callerOf(call), controller.signal);
      if (out instanceof Promise) out.then((res) => callback(null, res), (err) => callback(toGrpcError(err)));
      else callback(null, out);
    } catch (err) {
      callback(toGrpcError(err));
    }
  };
}

export interface GrpcServerOptions {
  /** Largest request or response message in bytes. */
  readonly maxMessageBytes: number;
}

/** A grpc-js server with EnvService, grpc.health.v1 and server reflection. */
export function createGrpcServer(envs: EnvService, agents: AgentService, options: GrpcServerOptions): { server: grpc.Server; health: HealthImplementation } {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
  });
  server.addService(withSafeDecoding(EnvServiceService), {
    listEnvTypes: unary(() => envs.listEnvTypes()),
    createEnv: unary((req, caller) => envs.createEnvWhenReady(req, caller)),
    getEnv: unary((req, caller) => envs.getEnv(req, caller)),
    listEnvs: unary((_req, caller) => envs.listEnvs(caller)),
    deleteEnv: unary((req, caller) => envs.deleteEnv(req, caller)),
    reset: unary((req, caller) => envs.reset(req, caller)),
    step: unary((req, caller) => envs.step(req, caller)),
    stepBatch: unary((req, caller) => envs.stepBatch(req, caller)),
    render: unary((req, caller) => envs.render(req, caller)),
    setReward: unary((req, caller) => envs.setRewardWhenReady(req, caller)),
    registerReward: unary((req, caller) => envs.registerReward(req, caller)),
    listRewards: unary((req, caller) => envs.listRewards(req, caller)),
    deleteReward: unary((req, caller) => envs.deleteReward(req, caller)),
    stepStream: (call: grpc.ServerDuplexStream<StepStreamRequest, StepStreamResponse>) => {
      const caller = callerOf(call);
      call.on('data', (req: StepStreamRequest) => {
        let res: StepStreamResponse;
        try {
          checkDecoded(req);
          res = envs.streamMessage(req, caller);
        } catch (err) {
          res = { response: { $case: 'error', value: toErrorDetail(err) } };
        }
        // Backpressure: stop reading while the client is not reading our answers.
        if (!call.write(res)) {
          call.pause();
          call.once('drain', () => call.resume());
        }
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });

  server.addService(withSafeDecoding(AgentServiceService), {
    listAgentKinds: unary(() => agents.listAgentKinds()),
    createAgent: unary((req, caller) => agents.createAgent(req, caller)),
    getAgent: unary((req, caller) => agents.getAgent(req, caller)),
    listAgents: unary((_req, caller) => agents.listAgents(caller)),
    deleteAgent: unary((req, caller) => agents.deleteAgent(req, caller)),
    chooseAction: unary((req, caller) => agents.chooseAction(req, caller)),
    updateQ: unary((req, caller) => agents.updateQ(req, caller)),
    endEpisode: unary((req, caller) => agents.endEpisode(req, caller)),
    getHistory: unary((req, caller) => agents.getHistory(req, caller)),
    getQ: unary((req, caller) => agents.getQ(req, caller)),
    exportAgent: unary((req, caller) => agents.exportAgent(req, caller)),
    importAgent: unary((req, caller) => agents.importAgent(req, caller)),
    evaluate: unary((req, caller, signal) => agents.evaluate(req, caller, signal)),
    train: (call: grpc.ServerWritableStream<TrainRequest, TrainResponse>) => {
      const controller = new AbortController();
      call.on('cancelled', () => controller.abort());
      const run = async () => {
        checkDecoded(call.request);
        const summary = await agents.train(call.request, callerOf(call), (record) => call.write({ event: { $case: 'episode', value: record } }), controller.signal);
        call.write({ event: { $case: 'summary', value: summary } });
        call.end();
      };
      run().catch((err) => call.emit('error', toGrpcError(err)));
    },
  });

  const health = new HealthImplementation({ '': 'SERVING', 'gymhost.v1.EnvService': 'SERVING', 'gymhost.v1.AgentService': 'SERVING' });
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
