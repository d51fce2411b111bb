/**
 * A typed, promise-based gymhost client over the generated grpc-js code (src/gen).
 *
 *   const client = new GymhostClient({ address: '127.0.0.1:50051' });
 *   const env = await client.envs.create({ envId: 'CartPole-v1', seed: 1 });
 *   const { observation } = await client.envs.reset(env.id, { seed: 7 });
 *   const step = await client.envs.step(env.id, 1);     // observation: Float32Array | number
 *   await client.envs.delete(env.id);
 *   client.close();
 *
 * Failures reject with a GymhostError {code, message, field, reason} read from the server's
 * ErrorDetail (the `gymhost-error-bin` trailer, or the inline error of a StepStream answer).
 * Idempotent calls (reads, seeded resets, deletes, evaluate) are retried after UNAVAILABLE.
 */
import * as grpc from '@grpc/grpc-js';
import {
  AgentServiceClient,
  RunCheckpoint,
  RunState,
  TrainRequest,
  type Agent,
  type AgentKind,
  type AgentPreset,
  type ChooseActionResponse,
  type CreateAgentRequest,
  type EndEpisodeResponse,
  type EpisodeRecord,
  type EvaluateResponse,
  type ExportAgentResponse,
  type ExportRunCheckpointResponse,
  type GetHistoryResponse,
  type RunEvaluation,
  type TrainingRun,
  type Transition,
  type TrainResponse,
  type TrainSummary,
  type UpdateQResponse,
  type WatchRunResponse,
} from '../../src/gen/gymhost/v1/agent_service.js';
import {
  AutoresetMode,
  EnvServiceClient,
  RenderMode,
  type CreateEnvRequest,
  type Env,
  type ListEnvTypesResponse,
  type ResetRequest,
  type StepBatchResponse,
  type StepStreamRequest,
  type StepStreamResponse,
} from '../../src/gen/gymhost/v1/env_service.js';
import { ErrorDetail } from '../../src/gen/gymhost/v1/errors.js';
import { Dtype, type Space, type SpaceValue, type Tensor } from '../../src/gen/gymhost/v1/spaces.js';
import { Role, UsageServiceClient, type GetUsageResponse } from '../../src/gen/gymhost/v1/usage_service.js';

export { AutoresetMode, Dtype, RenderMode, Role, RunCheckpoint, RunState };
export type {
  Agent,
  AgentKind,
  AgentPreset,
  Env,
  EpisodeRecord,
  GetUsageResponse,
  ExportAgentResponse,
  ExportRunCheckpointResponse,
  ListEnvTypesResponse,
  RunEvaluation,
  Space,
  SpaceValue,
  StepStreamRequest,
  StepStreamResponse,
  Tensor,
  TrainingRun,
  TrainSummary,
};

export const DEFAULT_ADDRESS = '127.0.0.1:50051';
/** Metadata key a proxy in front of replicas routes gRPC calls by (gymhost nginx-config). */
export const ROUTE_KEY = 'gymhost-route';

/** A run id carries its agent's id (run-<agent id>-<12 characters>): calls on it route like the agent's. */
const RUN_ID = /^run-([A-Za-z0-9_-]{12})-[A-Za-z0-9_-]{12}$/;

/** The session, agent or run a request names (its `id`, else its `env`; a run's agent), or undefined for creates and lists. */
function routeOf(request: unknown): string | undefined {
  const r = request as { id?: unknown; env?: unknown } | undefined;
  if (typeof r?.id === 'string' && r.id) return RUN_ID.exec(r.id)?.[1] ?? r.id;
  if (typeof r?.env === 'string' && r.env) return r.env;
  return undefined;
}

/** Metadata key of the binary ErrorDetail on a failed call. */
export const ERROR_DETAIL_KEY = 'gymhost-error-bin';

// ---- errors -------------------------------------------------------------------------------------

/** A failed gymhost call: the server's ErrorDetail plus the gRPC status (absent for inline stream errors). */
export class GymhostError extends Error {
  readonly code: string;
  readonly field: string;
  readonly reason: string;
  readonly status: grpc.status | undefined;

  constructor(detail: { code: string; message: string; field?: string; reason?: string }, status?: grpc.status) {
    super(detail.message);
    this.name = 'GymhostError';
    this.code = detail.code;
    this.field = detail.field ?? '';
    this.reason = detail.reason ?? '';
    this.status = status;
  }

  /** A grpc-js error as a GymhostError, using the gymhost-error-bin trailer when present. */
  static fromServiceError(err: grpc.ServiceError): GymhostError {
    const raw = err.metadata?.get(ERROR_DETAIL_KEY)?.[0];
    const statusName = grpc.status[err.code] ?? 'UNKNOWN';
    if (raw instanceof Buffer) {
      try {
        const d = ErrorDetail.decode(raw);
        return new GymhostError({ code: d.code || statusName, message: d.message || err.details, field: d.field, reason: d.reason }, err.code);
      } catch {
        // a garbled trailer: fall back to the status
      }
    }
    return new GymhostError({ code: statusName, message: err.details || err.message }, err.code);
  }

  static fromDetail(d: ErrorDetail): GymhostError {
    return new GymhostError({ code: d.code || 'UNKNOWN', message: d.message, field: d.field, reason: d.reason });
  }
}

// ---- tensors ------------------------------------------------------------------------------------

export type TypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** A Tensor's elements as a typed array of its dtype (a copy, native byte order). */
export function tensorData(t: Tensor): TypedArray {
  const bytes = new Uint8Array(t.data.byteLength);
  bytes.set(t.data);
  const b = bytes.buffer;
  switch (t.dtype) {
    case Dtype.DTYPE_FLOAT32:
      return new Float32Array(b);
    case Dtype.DTYPE_FLOAT64:
      return new Float64Array(b);
    case Dtype.DTYPE_INT32:
      return new Int32Array(b);
    case Dtype.DTYPE_INT64:
      return new BigInt64Array(b);
    case Dtype.DTYPE_UINT8:
      return bytes;
    default:
      throw new GymhostError({ code: 'INVALID_ARGUMENT', message: `unknown tensor dtype ${t.dtype}` });
  }
}

/** A typed array (or numbers, as float32) as a Tensor of the given shape (default: flat). */
export function toTensor(values: TypedArray | ArrayLike<number>, shape?: number[], dtype?: Dtype): Tensor {
  let arr: TypedArray;
  if (dtype === Dtype.DTYPE_INT32 && !(values instanceof Int32Array)) arr = Int32Array.from(values as ArrayLike<number>);
  else if (dtype === Dtype.DTYPE_FLOAT64 && !(values instanceof Float64Array)) arr = Float64Array.from(values as ArrayLike<number>);
  else if (ArrayBuffer.isView(values)) arr = values as TypedArray;
  else arr = Float32Array.from(values);
  const d =
    arr instanceof Float32Array ? Dtype.DTYPE_FLOAT32
    : arr instanceof Float64Array ? Dtype.DTYPE_FLOAT64
    : arr instanceof Int32Array ? Dtype.DTYPE_INT32
    : arr instanceof BigInt64Array ? Dtype.DTYPE_INT64
    : Dtype.DTYPE_UINT8;
  return { dtype: d, shape: shape ?? [arr.length], data: Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength) };
}

/** A single observation: the integer of a Discrete space, or the Box tensor's elements. */
export type Observation = number | TypedArray;

export function observationOf(v: SpaceValue | undefined): Observation {
  const kind = v?.kind;
  if (kind?.$case === 'discrete') return kind.value;
  if (kind?.$case === 'tensor') return tensorData(kind.value);
  throw new GymhostError({ code: 'INTERNAL', message: 'the server sent an empty observation' });
}

/** A state or action as a SpaceValue: integers as Discrete, arrays as float32 tensors. */
export function spaceValue(x: number | ArrayLike<number> | TypedArray): SpaceValue {
  if (typeof x === 'number') return { kind: { $case: 'discrete', value: x } };
  return { kind: { $case: 'tensor', value: toTensor(x as ArrayLike<number>) } };
}

// ---- results ------------------------------------------------------------------------------------

export interface ResetResult {
  /** Single env: the observation. Vector session: all copies' observations, flat ([numEnvs, ...] row-major). */
  observation: Observation;
  info: Record<string, unknown>;
}

export interface StepResult {
  observation: Observation;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Record<string, unknown>;
}

export interface StepBatchResult {
  /** [numEnvs, ...] row-major: float32 for Box observations, int32 for Discrete ones. */
  observations: Float32Array | Int32Array;
  shape: number[];
  rewards: Float64Array;
  /** 0 or 1 per copy. */
  terminated: Uint8Array;
  truncated: Uint8Array;
  resetMask: Uint8Array;
  /** SAME_STEP sessions: last observations of episodes that ended on this call. */
  finalObservations?: Float32Array | Int32Array;
}

export interface RenderResult {
  /** rgb_array: HxWx3 bytes, row-major. */
  frame?: { width: number; height: number; data: Uint8Array };
  /** ansi: the text. */
  text?: string;
}

function stepBatchResult(r: StepBatchResponse): StepBatchResult {
  const obs = r.observations!;
  return {
    observations: tensorData(obs) as Float32Array | Int32Array,
    shape: [...obs.shape],
    rewards: tensorData(r.rewards!) as Float64Array,
    terminated: tensorData(r.terminated!) as Uint8Array,
    truncated: tensorData(r.truncated!) as Uint8Array,
    resetMask: tensorData(r.resetMask!) as Uint8Array,
    finalObservations: r.finalObservations ? (tensorData(r.finalObservations) as Float32Array | Int32Array) : undefined,
  };
}

// ---- the client ---------------------------------------------------------------------------------

export interface GymhostClientOptions {
  /** host:port; `grpcs://host:port` means TLS. Default $GYMHOST_ADDRESS or 127.0.0.1:50051. */
  address?: string;
  /** TLS: true (system roots) or PEM buffers. Default: from the address scheme. */
  tls?: boolean | { rootCerts?: Buffer; privateKey?: Buffer; certChain?: Buffer };
  /** Ready-made channel credentials (override `tls`). */
  credentials?: grpc.ChannelCredentials;
  /** Sent as `authorization: Bearer <token>` on every call (default $GYMHOST_TOKEN). */
  token?: string;
  /** More metadata for every call. */
  metadata?: Record<string, string>;
  /** Deadline of each unary call in ms (null = none). Default 30 s. Streams have none. */
  timeoutMs?: number | null;
  /** Tries after UNAVAILABLE for idempotent calls (default 3), with jittered exponential backoff. */
  retries?: number;
  backoffMs?: number;
  /** Extra grpc-js channel options. */
  channelOptions?: grpc.ChannelOptions;
}

type Callback<Res> = (err: grpc.ServiceError | null, res: Res) => void;
type UnaryMethod<Req, Res> = (req: Req, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: Callback<Res>) => grpc.ClientUnaryCall;

const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export class GymhostClient {
  readonly address: string;
  /** The generated clients, for anything this wrapper has no method for. */
  readonly envService: EnvServiceClient;
  readonly agentService: AgentServiceClient;
  readonly usageService: UsageServiceClient;
  readonly envs: Envs;
  readonly agents: Agents;
  readonly timeoutMs: number | null;
  readonly retries: number;
  readonly backoffMs: number;
  private readonly baseMetadata: grpc.Metadata;

  constructor(options: GymhostClientOptions = {}) {
    let address = options.address ?? process.env.GYMHOST_ADDRESS ?? DEFAULT_ADDRESS;
    let schemeTls = false;
    for (const [scheme, tls] of [['grpcs://', true], ['grpc://', false]] as const) {
      if (address.startsWith(scheme)) {
        address = address.slice(scheme.length);
        schemeTls = tls;
      }
    }
    this.address = address;
    const tls = options.tls ?? schemeTls;
    const credentials =
      options.credentials ??
      (tls
        ? grpc.credentials.createSsl(
            typeof tls === 'object' ? (tls.rootCerts ?? null) : null,
            typeof tls === 'object' ? (tls.privateKey ?? null) : null,
            typeof tls === 'object' ? (tls.certChain ?? null) : null,
          )
        : grpc.credentials.createInsecure());
    const channelOptions: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      ...options.channelOptions,
    };
    this.envService = new EnvServiceClient(address, credentials, channelOptions);
    // The agent client shares the env client's channel.
    this.agentService = new AgentServiceClient(address, credentials, { ...channelOptions, channelOverride: this.envService.getChannel() });
    this.usageService = new UsageServiceClient(address, credentials, { ...channelOptions, channelOverride: this.envService.getChannel() });
    this.timeoutMs = options.timeoutMs === undefined ? 30_000 : options.timeoutMs;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 50;
    this.baseMetadata = new grpc.Metadata();
    const token = options.token ?? process.env.GYMHOST_TOKEN;
    if (token) this.baseMetadata.set('authorization', `Bearer ${token}`);
    for (const [k, v] of Object.entries(options.metadata ?? {})) this.baseMetadata.set(k.toLowerCase(), v);
    this.envs = new Envs(this);
    this.agents = new Agents(this);
  }

  /**
   * Metadata for a call (a copy: grpc-js may modify it). `route` is the session, agent or run
   * the call names, sent as `gymhost-route` so that a proxy in front of replicas sends the call
   * to the replica serving it (docs/deploy.md).
   */
  metadata(route?: string): grpc.Metadata {
    const md = this.baseMetadata.clone();
    if (route) md.set(ROUTE_KEY, route);
    return md;
  }

  /** Call options with this client's deadline. */
  callOptions(timeoutMs: number | null = this.timeoutMs): Partial<grpc.CallOptions> {
    return timeoutMs === null ? {} : { deadline: Date.now() + timeoutMs };
  }

  /** Calls a unary method of a generated client; retries idempotent calls after UNAVAILABLE. */
  async unary<Req, Res>(
    service: grpc.Client,
    method: UnaryMethod<Req, Res>,
    request: Req,
    opts: { idempotent?: boolean; timeoutMs?: number | null } = {},
  ): Promise<Res> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await new Promise<Res>((resolve, reject) => {
          method.call(service, request, this.metadata(routeOf(request)), this.callOptions(opts.timeoutMs === undefined ? this.timeoutMs : opts.timeoutMs), (err, res) =>
            err ? reject(err) : resolve(res),
          );
        });
      } catch (err) {
        const e = err as grpc.ServiceError;
        if (opts.idempotent && attempt < this.retries && e.code === grpc.status.UNAVAILABLE) {
          await sleep(Math.min(2000, this.backoffMs * 2 ** attempt) * (0.5 + Math.random() / 2));
          continue;
        }
        throw typeof e?.code === 'number' ? GymhostError.fromServiceError(e) : err;
      }
    }
  }

  /**
   * Calls a server-streaming method of a generated client and yields its messages; aborting
   * `signal` (or leaving the loop early) cancels the call. Failures throw GymhostError.
   * Streams have no deadline unless `timeoutMs` is given.
   */
  async *serverStream<Req, Res>(
    service: grpc.Client,
    method: (req: Req, md: grpc.Metadata, opts: Partial<grpc.CallOptions>) => grpc.ClientReadableStream<Res>,
    request: Req,
    opts: { signal?: AbortSignal; timeoutMs?: number | null } = {},
  ): AsyncGenerator<Res> {
    const call = method.call(service, request, this.metadata(routeOf(request)), this.callOptions(opts.timeoutMs ?? null));
    const abort = () => call.cancel();
    opts.signal?.addEventListener('abort', abort);
    if (opts.signal?.aborted) call.cancel();
    try {
      for await (const message of call as AsyncIterable<Res>) yield message;
    } catch (err) {
      const e = err as grpc.ServiceError;
      throw typeof e?.code === 'number' ? GymhostError.fromServiceError(e) : err;
    } finally {
      opts.signal?.removeEventListener('abort', abort);
      call.cancel();
    }
  }

  /** Who the token is, what it holds and its quotas (instructors and admins: any `user`'s). */
  usage(user = ''): Promise<GetUsageResponse> {
    return this.unary(this.usageService, this.usageService.getUsage, { user }, { idempotent: true });
  }

  /** Resolves once the channel is connected; rejects with UNAVAILABLE after `timeoutMs`. */
  waitForReady(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      this.envService.waitForReady(Date.now() + timeoutMs, (err) =>
        err ? reject(new GymhostError({ code: 'UNAVAILABLE', message: `no gymhost server at ${this.address} within ${timeoutMs} ms` }, grpc.status.UNAVAILABLE)) : resolve(),
      );
    });
  }

  /** Closes the channel. */
  close(): void {
    this.envService.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- envs ---------------------------------------------------------------------------------------

export type CreateEnvOptions = Partial<CreateEnvRequest> & { envId: string };

export class Envs {
  constructor(private readonly c: GymhostClient) {}

  private get s(): EnvServiceClient {
    return this.c.envService;
  }

  listTypes(): Promise<ListEnvTypesResponse> {
    return this.c.unary(this.s, this.s.listEnvTypes, {}, { idempotent: true });
  }

  async create(req: CreateEnvOptions): Promise<Env> {
    const full: CreateEnvRequest = {
      rewardFunction: '',
      numEnvs: 0,
      renderMode: RenderMode.RENDER_MODE_UNSPECIFIED,
      autoresetMode: AutoresetMode.AUTORESET_MODE_UNSPECIFIED,
      ...req,
    };
    return (await this.c.unary(this.s, this.s.createEnv, full)).env!;
  }

  async get(id: string): Promise<Env> {
    return (await this.c.unary(this.s, this.s.getEnv, { id }, { idempotent: true })).env!;
  }

  /** Sessions the caller may read (instructors and admins: everyone's; `owner` filters). */
  async list(owner = ''): Promise<Env[]> {
    return (await this.c.unary(this.s, this.s.listEnvs, { owner }, { idempotent: true })).envs;
  }

  async delete(id: string): Promise<void> {
    await this.c.unary(this.s, this.s.deleteEnv, { id }, { idempotent: true });
  }

  async reset(id: string, opts: { seed?: number; options?: Record<string, unknown> } = {}): Promise<ResetResult> {
    const r = await this.c.unary(this.s, this.s.reset, { id, seed: opts.seed, options: opts.options }, { idempotent: opts.seed !== undefined });
    return { observation: observationOf(r.observation), info: r.info ?? {} };
  }

  async step(id: string, action: number | ArrayLike<number>): Promise<StepResult> {
    const r = await this.c.unary(this.s, this.s.step, { id, action: spaceValue(action) });
    return { observation: observationOf(r.observation), reward: r.reward, terminated: r.terminated, truncated: r.truncated, info: r.info ?? {} };
  }

  /**
   * One step of every copy of a vector session: `actions` has numEnvs integers (sent as int32).
   * A unary call (with this client's deadline and a gRPC status on errors); a loop of steps
   * runs faster over `stream()` (its `stepBatch` and `step` need no new HTTP/2 stream per call).
   */
  async stepBatch(id: string, actions: ArrayLike<number> | Int32Array): Promise<StepBatchResult> {
    const r = await this.c.unary(this.s, this.s.stepBatch, { id, actions: toTensor(actions, [actions.length], Dtype.DTYPE_INT32) });
    return stepBatchResult(r);
  }

  async render(id: string, opts: { mode?: 'rgb_array' | 'ansi'; index?: number } = {}): Promise<RenderResult> {
    const mode = opts.mode === 'ansi' ? RenderMode.RENDER_MODE_ANSI : opts.mode === 'rgb_array' ? RenderMode.RENDER_MODE_RGB_ARRAY : RenderMode.RENDER_MODE_UNSPECIFIED;
    const r = await this.c.unary(this.s, this.s.render, { id, mode, index: opts.index ?? 0 }, { idempotent: true });
    if (r.frame) return { frame: { height: r.frame.shape[0], width: r.frame.shape[1], data: tensorData(r.frame) as Uint8Array } };
    return { text: r.text };
  }

  /**
   * Opens a StepStream: requests for any sessions, answered in order (pipelining allowed). Give
   * `session` when the stream steps that one session: behind a proxy in front of replicas, the
   * stream then goes to the replica serving it.
   */
  stream(session?: string): EnvStream {
    return new EnvStream(this.c, session);
  }
}

type StreamPayload<K> = Extract<NonNullable<StepStreamResponse['response']>, { $case: K }>['value'];

/**
 * One StepStream call. Each method sends one request and resolves with its answer; send many
 * without awaiting to pipeline (answers come back in request order). An inline error rejects
 * that request's promise with a GymhostError and the stream goes on.
 */
export class EnvStream {
  private readonly call: grpc.ClientDuplexStream<StepStreamRequest, StepStreamResponse>;
  private readonly pending: { resolve: (r: StepStreamResponse) => void; reject: (e: Error) => void }[] = [];
  private failure: GymhostError | undefined;
  private readonly ended: Promise<void>;

  /** `session`: the one session this stream steps, if so (behind a proxy, the stream goes to its replica). */
  constructor(client: GymhostClient, session?: string) {
    this.call = client.envService.stepStream(client.metadata(session));
    this.call.on('data', (res: StepStreamResponse) => this.pending.shift()?.resolve(res));
    this.ended = new Promise((resolve) => {
      this.call.on('error', (err: grpc.ServiceError) => {
        this.failure = GymhostError.fromServiceError(err);
        for (const p of this.pending.splice(0)) p.reject(this.failure);
        resolve();
      });
      this.call.on('end', () => {
        this.failure ??= new GymhostError({ code: 'UNAVAILABLE', message: 'the StepStream ended' });
        for (const p of this.pending.splice(0)) p.reject(this.failure);
        resolve();
      });
    });
  }

  /** Requests sent whose answers have not arrived. */
  get inFlight(): number {
    return this.pending.length;
  }

  /** Sends a raw request; resolves with the raw answer (an inline error is an `error` answer). */
  send(request: StepStreamRequest): Promise<StepStreamResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.call.write(request);
    });
  }

  private async payload<K extends 'step' | 'reset' | 'stepBatch'>(request: StepStreamRequest, kind: K): Promise<StreamPayload<K>> {
    const res = (await this.send(request)).response;
    if (res?.$case === 'error') throw GymhostError.fromDetail(res.value);
    if (res?.$case !== kind) throw new GymhostError({ code: 'INTERNAL', message: `expected a ${kind} answer, got ${res?.$case}` });
    return res.value as unknown as StreamPayload<K>;
  }

  async step(id: string, action: number | ArrayLike<number>): Promise<StepResult> {
    const r = await this.payload({ request: { $case: 'step', value: { id, action: spaceValue(action) } } }, 'step');
    return { observation: observationOf(r.observation), reward: r.reward, terminated: r.terminated, truncated: r.truncated, info: r.info ?? {} };
  }

  async reset(id: string, opts: { seed?: number; options?: Record<string, unknown> } = {}): Promise<ResetResult> {
    const req: ResetRequest = { id, seed: opts.seed, options: opts.options };
    const r = await this.payload({ request: { $case: 'reset', value: req } }, 'reset');
    return { observation: observationOf(r.observation), info: r.info ?? {} };
  }

  async stepBatch(id: string, actions: ArrayLike<number> | Int32Array): Promise<StepBatchResult> {
    const r = await this.payload({ request: { $case: 'stepBatch', value: { id, actions: toTensor(actions, [actions.length], Dtype.DTYPE_INT32) } } }, 'stepBatch');
    return stepBatchResult(r);
  }

  /** Half-closes the stream; resolves once the server ended it (answers in flight arrive first). */
  async close(): Promise<void> {
    if (!this.failure) this.call.end();
    await this.ended;
  }
}

// ---- agents -------------------------------------------------------------------------------------

export type State = number | ArrayLike<number>;

export interface TransitionInput {
  state: State;
  action: number;
  reward: number;
  nextState: State;
  done: boolean;
}

export type CreateAgentOptions = Partial<CreateAgentRequest>;

/** Train's budget (exactly one of episodes or steps) and run options. */
export interface TrainOptions {
  episodes?: number;
  steps?: number;
  /** A single-env session to train on (default: the agent's env). */
  env?: string;
  /** Evaluate greedily every this many environment steps (and once at the end); 0 = never. */
  evalEverySteps?: number;
  /** Greedy episodes per evaluation (server default 10). */
  evalEpisodes?: number;
  /** Evaluation episode i is reset with evalSeed + i. */
  evalSeed?: number;
  /** End the run holding the weights of its best evaluation (needs evalEverySteps). */
  keepBest?: boolean;
  /** Stop once an evaluation's mean reward reaches this (needs evalEverySteps). */
  stopAtMeanReward?: number;
  /** Resolve at once with the run instead of waiting for it to end. */
  async?: boolean;
  onEpisode?: (r: EpisodeRecord) => void;
  onEvaluation?: (e: RunEvaluation) => void;
  /** Cancels the (blocking) call and with it the run. */
  signal?: AbortSignal;
  /** A deadline for the whole call (default none). */
  timeoutMs?: number | null;
}

/** One WatchRun event: the run (first and last), an episode's record or an evaluation. */
export type WatchRunEvent = NonNullable<WatchRunResponse['event']>;

export class Agents {
  constructor(private readonly c: GymhostClient) {}

  private get s(): AgentServiceClient {
    return this.c.agentService;
  }

  listKinds(): Promise<{ kinds: AgentKind[]; presets: AgentPreset[] }> {
    return this.c.unary(this.s, this.s.listAgentKinds, {}, { idempotent: true });
  }

  async create(req: CreateAgentOptions): Promise<Agent> {
    const full: CreateAgentRequest = { kind: '', env: '', preset: '', ...req };
    return (await this.c.unary(this.s, this.s.createAgent, full)).agent!;
  }

  async get(id: string): Promise<Agent> {
    return (await this.c.unary(this.s, this.s.getAgent, { id }, { idempotent: true })).agent!;
  }

  /** Agents the caller may read (instructors and admins: everyone's; `owner` filters). */
  async list(owner = ''): Promise<Agent[]> {
    return (await this.c.unary(this.s, this.s.listAgents, { owner }, { idempotent: true })).agents;
  }

  async delete(id: string): Promise<void> {
    await this.c.unary(this.s, this.s.deleteAgent, { id }, { idempotent: true });
  }

  /** The seed's choose_action: epsilon-greedy (or greedy) action and all Q-values. */
  chooseAction(id: string, state: State, greedy = false): Promise<ChooseActionResponse> {
    return this.c.unary(this.s, this.s.chooseAction, { id, state: spaceValue(state), greedy });
  }

  /** The seed's update_Q for one transition or several (applied in order). */
  updateQ(id: string, transitions: TransitionInput | TransitionInput[]): Promise<UpdateQResponse> {
    const toMsg = (t: TransitionInput): Transition => ({ state: spaceValue(t.state), action: t.action, reward: t.reward, nextState: spaceValue(t.nextState), done: t.done });
    const req = Array.isArray(transitions) ? { id, transition: undefined, transitions: transitions.map(toMsg) } : { id, transition: toMsg(transitions), transitions: [] };
    return this.c.unary(this.s, this.s.updateQ, req);
  }

  endEpisode(id: string, episodeReturn: number, length: number): Promise<EndEpisodeResponse> {
    return this.c.unary(this.s, this.s.endEpisode, { id, episodeReturn, length });
  }

  history(id: string, opts: { offset?: number; limit?: number } = {}): Promise<GetHistoryResponse> {
    return this.c.unary(this.s, this.s.getHistory, { id, offset: opts.offset ?? 0, limit: opts.limit ?? 0 }, { idempotent: true });
  }

  /** Q-values [states, actions] (row-major); no states = a tabular agent's whole table. */
  async getQ(id: string, states: State[] = []): Promise<{ q: Float32Array; shape: number[] }> {
    const r = await this.c.unary(this.s, this.s.getQ, { id, states: states.map(spaceValue) }, { idempotent: true });
    return { q: tensorData(r.q!) as Float32Array, shape: [...r.q!.shape] };
  }

  export(id: string): Promise<ExportAgentResponse> {
    return this.c.unary(this.s, this.s.exportAgent, { id }, { idempotent: true });
  }

  async import(data: Buffer, env = ''): Promise<Agent> {
    return (await this.c.unary(this.s, this.s.importAgent, { data, env })).agent!;
  }

  evaluate(id: string, opts: { episodes?: number; seed?: number; env?: string; recordTrajectories?: boolean; timeoutMs?: number | null } = {}): Promise<EvaluateResponse> {
    return this.c.unary(
      this.s,
      this.s.evaluate,
      { id, env: opts.env ?? '', episodes: opts.episodes ?? 0, seed: opts.seed ?? 0, recordTrajectories: opts.recordTrajectories ?? false },
      { idempotent: true, timeoutMs: opts.timeoutMs ?? null },
    );
  }

  /**
   * Trains on the server for `episodes` or `steps` (a training run); `onEpisode` gets every
   * episode's record and `onEvaluation` every evaluation (with `evalEverySteps`). Aborting
   * `signal` cancels the call (and the run): the promise then resolves with a summary marked
   * cancelled. With `async: true` it resolves at once with the run, which goes on without the
   * call (follow it with getRun/watchRun, stop it with cancelRun).
   */
  train(id: string, opts: TrainOptions & { async: true }): Promise<TrainingRun>;
  train(id: string, opts: TrainOptions & { async?: false }): Promise<TrainSummary>;
  train(id: string, opts: TrainOptions): Promise<TrainSummary | TrainingRun>;
  async train(id: string, opts: TrainOptions): Promise<TrainSummary | TrainingRun> {
    let last: TrainSummary | undefined;
    const seen: EpisodeRecord[] = [];
    const evaluations: RunEvaluation[] = [];
    // An async Train answers at once: it gets the unary deadline.
    const callOpts = opts.async && opts.timeoutMs === undefined ? { ...opts, timeoutMs: this.c.timeoutMs } : opts;
    try {
      for await (const event of this.trainEvents(id, callOpts)) {
        switch (event.$case) {
          case 'run':
            return event.value;
          case 'summary':
            last = event.value;
            break;
          case 'evaluation':
            evaluations.push(event.value);
            opts.onEvaluation?.(event.value);
            break;
          case 'episode':
            seen.push(event.value);
            opts.onEpisode?.(event.value);
            break;
        }
      }
    } catch (err) {
      if (!(err instanceof GymhostError && err.code === 'CANCELLED' && opts.signal?.aborted)) throw err;
    }
    if (last) return last;
    if (opts.async) throw new GymhostError({ code: 'INTERNAL', message: 'the server answered an async Train without the run' });
    // Cancelled: the summary from what was seen (the run is the agent's newest, cancelled by now).
    const returns = seen.slice(-100).map((r) => r.episodeReturn);
    const best = evaluations.reduce<RunEvaluation | undefined>((b, e) => (b === undefined || e.meanReward > b.meanReward ? e : b), undefined);
    return {
      episodes: seen.length,
      steps: seen.reduce((a, r) => a + r.length, 0),
      wallTimeMs: seen.reduce((a, r) => a + r.wallTimeMs, 0),
      meanReturn100: returns.length ? returns.reduce((a, b) => a + b, 0) / returns.length : Number.NaN,
      lastReturn: seen.length ? seen[seen.length - 1].episodeReturn : Number.NaN,
      cancelled: true,
      run: await this.latestRunId(id),
      bestEvaluation: best,
      reachedThreshold: false,
    };
  }

  /** Id of the agent's newest run ('' if it cannot be read). */
  private async latestRunId(agent: string): Promise<string> {
    try {
      return (await this.listRuns({ agent }))[0]?.id ?? '';
    } catch {
      return '';
    }
  }

  /**
   * Train as an async iterable of events: an `episode` per episode and an `evaluation` after
   * the episode it followed, then the `summary` (or, with `async: true`, only the `run`).
   */
  async *trainEvents(id: string, opts: Omit<TrainOptions, 'onEpisode' | 'onEvaluation'>): AsyncGenerator<NonNullable<TrainResponse['event']>> {
    const request = TrainRequest.fromPartial({
      id,
      env: opts.env ?? '',
      episodes: opts.episodes ?? 0,
      steps: opts.steps ?? 0,
      async: opts.async ?? false,
      evalEverySteps: opts.evalEverySteps ?? 0,
      evalEpisodes: opts.evalEpisodes ?? 0,
      evalSeed: opts.evalSeed ?? 0,
      keepBest: opts.keepBest ?? false,
      stopAtMeanReward: opts.stopAtMeanReward,
    });
    for await (const message of this.c.serverStream(this.s, this.s.train, request, opts)) {
      if (message.event) yield message.event;
    }
  }

  // ---- training runs ----------------------------------------------------------------------------

  /** A training run: its state, progress, evaluations and best evaluation. */
  async getRun(id: string): Promise<TrainingRun> {
    return (await this.c.unary(this.s, this.s.getRun, { id }, { idempotent: true })).run!;
  }

  /** Training runs the caller may read, newest first (filtered by agent, owner and state). */
  async listRuns(opts: { agent?: string; owner?: string; state?: RunState } = {}): Promise<TrainingRun[]> {
    const req = { agent: opts.agent ?? '', owner: opts.owner ?? '', state: opts.state ?? RunState.RUN_STATE_UNSPECIFIED };
    return (await this.c.unary(this.s, this.s.listRuns, req, { idempotent: true })).runs;
  }

  /** Stops a run at its next step; resolves with the run as it ended (an ended run as it is). */
  async cancelRun(id: string, opts: { timeoutMs?: number | null } = {}): Promise<TrainingRun> {
    return (await this.c.unary(this.s, this.s.cancelRun, { id }, { idempotent: true, timeoutMs: opts.timeoutMs })).run!;
  }

  /**
   * A run's events as an async iterable: the `run` as it is, (with `replay`) its past
   * `episode`s, then its `episode`s and `evaluation`s as they happen, then the `run` as it
   * ended (the last event). Aborting `signal` or leaving the loop early stops watching (not
   * the run).
   */
  async *watchRun(id: string, opts: { replay?: boolean; signal?: AbortSignal; timeoutMs?: number | null } = {}): AsyncGenerator<WatchRunEvent> {
    for await (const message of this.c.serverStream(this.s, this.s.watchRun, { id, replay: opts.replay ?? false }, opts)) {
      if (message.event) yield message.event;
    }
  }

  /**
   * The agent as saved at a run's best evaluation (`'best'`, the default) or its last
   * checkpoint (`'last'`), in ExportAgent's format: `import(data)` makes an agent of it.
   */
  exportRunCheckpoint(id: string, checkpoint: 'best' | 'last' | RunCheckpoint = 'best'): Promise<ExportRunCheckpointResponse> {
    const which = checkpoint === 'best' ? RunCheckpoint.RUN_CHECKPOINT_BEST : checkpoint === 'last' ? RunCheckpoint.RUN_CHECKPOINT_LAST : checkpoint;
    return this.c.unary(this.s, this.s.exportRunCheckpoint, { id, checkpoint: which }, { idempotent: true });
  }
}
