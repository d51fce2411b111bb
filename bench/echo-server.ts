/**
 * The peer of bench/per-call.ts: a raw grpc-js server of the same EnvService definition (the
 * same generated codecs) that answers every call with a constant, pre-built message of the
 * size gymhost answers with for CartPole-v1 -- no sessions, no gate, no env work. What serving
 * those messages costs grpc-js alone.
 *
 *   node --import tsx bench/echo-server.ts [--port 0]
 *
 * Prints `echo serving gRPC on HOST:PORT` once bound. Its V8 heap is set as `gymhost serve`
 * sets its own (src/server/heap-growth.ts; GYMHOST_HEAP_GROWING_PERCENT applies to both).
 */
import * as grpc from '@grpc/grpc-js';
import { applyHeapGrowingPercent } from '../src/server/heap-growth.js';
import {
  EnvServiceService,
  type ResetResponse,
  type StepBatchRequest,
  type StepBatchResponse,
  type StepResponse,
  type StepStreamRequest,
  type StepStreamResponse,
} from '../src/gen/gymhost/v1/env_service.js';
import { Dtype, type Tensor } from '../src/gen/gymhost/v1/spaces.js';

const tensor = (dtype: Dtype, shape: number[], bytes: number): Tensor => ({ dtype, shape, data: Buffer.alloc(bytes, 1) });
/** A CartPole observation: float32 [4]. */
const OBS = { kind: { $case: 'tensor' as const, value: tensor(Dtype.DTYPE_FLOAT32, [4], 16) } };
const STEP: StepResponse = { observation: OBS, reward: 1, terminated: false, truncated: false, info: {} };
const RESET: ResetResponse = { observation: OBS, info: {} };

/** StepBatch answers of CartPole's sizes by num_envs, built once. */
const batches = new Map<number, StepBatchResponse>();
function stepBatch(req: StepBatchRequest): StepBatchResponse {
  const n = req.actions?.shape[0] ?? 1;
  let res = batches.get(n);
  if (!res) {
    res = {
      observations: tensor(Dtype.DTYPE_FLOAT32, [n, 4], 16 * n),
      rewards: tensor(Dtype.DTYPE_FLOAT64, [n], 8 * n),
      terminated: tensor(Dtype.DTYPE_UINT8, [n], n),
      truncated: tensor(Dtype.DTYPE_UINT8, [n], n),
      resetMask: tensor(Dtype.DTYPE_UINT8, [n], n),
      finalObservations: undefined,
    };
    batches.set(n, res);
  }
  return res;
}

function streamAnswer(req: StepStreamRequest): StepStreamResponse {
  const r = req.request;
  if (r?.$case === 'reset') return { response: { $case: 'reset', value: RESET } };
  if (r?.$case === 'stepBatch') return { response: { $case: 'stepBatch', value: stepBatch(r.value) } };
  return { response: { $case: 'step', value: STEP } };
}

const handlers: grpc.UntypedServiceImplementation = {
  step: ((_call, cb) => cb(null, STEP)) as grpc.handleUnaryCall<unknown, StepResponse>,
  reset: ((_call, cb) => cb(null, RESET)) as grpc.handleUnaryCall<unknown, ResetResponse>,
  stepBatch: ((call, cb) => cb(null, stepBatch(call.request))) as grpc.handleUnaryCall<StepBatchRequest, StepBatchResponse>,
  stepStream: ((call) => {
    call.on('data', (req: StepStreamRequest) => call.write(streamAnswer(req)));
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  }) as grpc.handleBidiStreamingCall<StepStreamRequest, StepStreamResponse>,
};

applyHeapGrowingPercent(process.env);

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;
const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 });
server.addService(EnvServiceService, handlers);
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
  if (err) {
    console.error(err.message);
    process.exit(1);
  }
  console.log(`echo serving gRPC on 127.0.0.1:${bound}`);
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => server.tryShutdown(() => process.exit(0)));
