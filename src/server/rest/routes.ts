import type { Caller } from '../../core/sessions/session-store.js';
import {
  CreateEnvRequest,
  DeleteEnvRequest,
  Env,
  GetEnvRequest,
  ListEnvTypesRequest,
  ListEnvTypesResponse,
  ListEnvsRequest,
  ListEnvsResponse,
  ListEpisodesRequest,
  ListEpisodesResponse,
  DeleteEnvResponse,
  DeleteRewardRequest,
  DeleteRewardResponse,
  ListRewardsRequest,
  ListRewardsResponse,
  RegisteredReward,
  RegisterRewardRequest,
  RenderRequest,
  RenderResponse,
  ResetRequest,
  ResetResponse,
  SetRewardRequest,
  StepBatchRequest,
  StepBatchResponse,
  StepRequest,
  StepResponse,
} from '../../gen/gymhost/v1/env_service.js';
import type { EnvService } from '../services/env-service.js';
import type { AgentService } from '../services/agent-service.js';
import type { UsageService } from '../services/usage-service.js';
import { MAX_STATES_PER_CALL, MAX_TRANSITIONS_PER_CALL } from '../services/agent-calls.js';
import { invalidArgument } from '../../core/errors.js';
import { GetUsageRequest, GetUsageResponse } from '../../gen/gymhost/v1/usage_service.js';
import * as agentMsgs from '../../gen/gymhost/v1/agent_service.js';

/** The service layer the routes call. */
export interface Services {
  readonly envs: EnvService;
  readonly agents: AgentService;
  readonly usage: UsageService;
}

/** ts-proto's JSON codec of one message type. */
interface Codec<T> {
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
}

/**
 * One REST route mirroring one RPC. The request message is built from the path
 * parameters plus the JSON body (POST) or the query string (GET/DELETE); the response is
 * the RPC's response message, or one field of it (`unwrap`) where Google's API style
 * returns the resource itself.
 */
export interface Route<Req = unknown, Res = unknown> {
  readonly rpc: string;
  readonly method: 'get' | 'post' | 'delete';
  /** Express path; custom methods use an escaped colon (`/v1/envs/:id\\:step`). */
  readonly path: string;
  /** OpenAPI path, e.g. `/v1/envs/{id}:step`. */
  readonly openapiPath: string;
  readonly summary: string;
  readonly request: { name: string; codec: Codec<Req> };
  readonly response: { name: string; codec: Codec<Res> };
  /** Field of the response message returned as the body; the whole message when absent. */
  readonly unwrap?: { field: keyof Res & string; name: string };
  /** Rewrites a REST body before it is checked against the request message (shorthands). */
  readonly restBody?: (body: Record<string, unknown>) => Record<string, unknown>;
  /**
   * Bounds of one request that do not need the target resource (counts of repeated
   * fields), checked on the parsed JSON body before it is turned into the message (so a
   * huge body is refused before the costly part), where the body is parsed.
   */
  readonly check?: (body: Record<string, unknown>) => void;
  call(svc: Services, req: Req, caller: Caller, signal: AbortSignal): Res | Promise<Res>;
  /**
   * Streaming RPCs (Train, WatchRun): newline-delimited JSON, one stream message per line;
   * `run` emits them and resolves with the last one (if any). Train streams when the request
   * asks to (`stream`), WatchRun always (`always`).
   */
  readonly stream?: {
    readonly name: string;
    readonly codec: Codec<unknown>;
    readonly always?: boolean;
    run(svc: Services, req: Req, caller: Caller, emit: (msg: unknown) => void | Promise<void>, signal: AbortSignal): Promise<unknown>;
  };
  /** The answer's message type and JSON when it depends on the request (Train: the summary, or the run when async). */
  readonly present?: (out: Res) => { readonly name: string; readonly json: unknown };
}

/** INVALID_ARGUMENT TOO_MANY when a JSON array holds more than `max` items. */
function checkCount(value: unknown, max: number, field: string, what: string): void {
  if (Array.isArray(value) && value.length > max) {
    throw invalidArgument(field, `at most ${max} ${what}, got ${value.length}; send them in several calls`, 'TOO_MANY');
  }
}

function route<Req, Res>(r: Route<Req, Res>): Route {
  return r as unknown as Route;
}

/** Create/Get answer with the Env resource itself (Google API style), not the wrapper. */
const envCodec: Codec<{ env?: Env | undefined }> = {
  fromJSON: (o) => ({ env: Env.fromJSON(o) }),
  toJSON: (r) => (r.env ? Env.toJSON(r.env) : {}),
};

/** RegisterReward answers with the RegisteredReward itself. */
const rewardCodec: Codec<{ reward?: RegisteredReward | undefined }> = {
  fromJSON: (o) => ({ reward: RegisteredReward.fromJSON(o) }),
  toJSON: (r) => (r.reward ? RegisteredReward.toJSON(r.reward) : {}),
};

const m = (name: string) => `gymhost.v1.${name}`;

/** Train answers the summary, or (async) the run. */
const trainCodec: Codec<{ summary?: agentMsgs.TrainSummary; run?: agentMsgs.TrainingRun }> = {
  fromJSON: (o) => ({ summary: agentMsgs.TrainSummary.fromJSON(o) }),
  toJSON: (r) => (r.run ? agentMsgs.TrainingRun.toJSON(r.run) : agentMsgs.TrainSummary.toJSON(r.summary!)),
};

/** GetRun and CancelRun answer with the TrainingRun itself. */
const runCodec: Codec<{ run?: agentMsgs.TrainingRun }> = {
  fromJSON: (o) => ({ run: agentMsgs.TrainingRun.fromJSON(o) }),
  toJSON: (r) => (r.run ? agentMsgs.TrainingRun.toJSON(r.run) : {}),
};

/** Every REST route, one per RPC of EnvService (StepStream has no REST form; use StepBatch). */
export const envRoutes: readonly Route[] = [
  route({
    rpc: 'ListEnvTypes', method: 'get', path: '/v1/env-types', openapiPath: '/v1/env-types',
    summary: 'Env types with spaces, config options, reward functions, server and API version',
    request: { name: m('ListEnvTypesRequest'), codec: ListEnvTypesRequest },
    response: { name: m('ListEnvTypesResponse'), codec: ListEnvTypesResponse },
    call: (svc) => svc.envs.listEnvTypes(),
  }),
  route({
    rpc: 'CreateEnv', method: 'post', path: '/v1/envs', openapiPath: '/v1/envs',
    summary: 'Create a session; returns it with its id',
    request: { name: m('CreateEnvRequest'), codec: CreateEnvRequest },
    response: { name: m('CreateEnvResponse'), codec: envCodec },
    unwrap: { field: 'env', name: m('Env') },
    call: (svc, req, caller) => svc.envs.createEnvWhenReady(req, caller),
  }),
  route({
    rpc: 'ListEnvs', method: 'get', path: '/v1/envs', openapiPath: '/v1/envs',
    summary: "The sessions the caller may read (a student's own; everyone's for instructors and admins; ?owner= filters)",
    request: { name: m('ListEnvsRequest'), codec: ListEnvsRequest },
    response: { name: m('ListEnvsResponse'), codec: ListEnvsResponse },
    call: (svc, req, caller) => svc.envs.listEnvs(req, caller),
  }),
  route({
    rpc: 'GetEnv', method: 'get', path: '/v1/envs/:id', openapiPath: '/v1/envs/{id}',
    summary: 'One session',
    request: { name: m('GetEnvRequest'), codec: GetEnvRequest },
    response: { name: m('GetEnvResponse'), codec: envCodec },
    unwrap: { field: 'env', name: m('Env') },
    call: (svc, req, caller) => svc.envs.getEnv(req, caller),
  }),
  route({
    rpc: 'DeleteEnv', method: 'delete', path: '/v1/envs/:id', openapiPath: '/v1/envs/{id}',
    summary: 'Delete a session',
    request: { name: m('DeleteEnvRequest'), codec: DeleteEnvRequest },
    response: { name: m('DeleteEnvResponse'), codec: DeleteEnvResponse },
    call: (svc, req, caller) => svc.envs.deleteEnv(req, caller),
  }),
  route({
    rpc: 'Reset', method: 'post', path: '/v1/envs/:id\\:reset', openapiPath: '/v1/envs/{id}:reset',
    summary: 'Start an episode: {"seed": 7, "options": {...}} -> {"observation", "info"}',
    request: { name: m('ResetRequest'), codec: ResetRequest },
    response: { name: m('ResetResponse'), codec: ResetResponse },
    call: (svc, req, caller) => svc.envs.reset(req, caller),
  }),
  route({
    rpc: 'Step', method: 'post', path: '/v1/envs/:id\\:step', openapiPath: '/v1/envs/{id}:step',
    summary: 'One step: {"action": 1} -> {"observation", "reward", "terminated", "truncated", "info"}',
    request: { name: m('StepRequest'), codec: StepRequest },
    response: { name: m('StepResponse'), codec: StepResponse },
    call: (svc, req, caller) => svc.envs.step(req, caller),
  }),
  route({
    rpc: 'StepBatch', method: 'post', path: '/v1/envs/:id\\:stepBatch', openapiPath: '/v1/envs/{id}:stepBatch',
    summary: 'One step of every copy of a vector session, with autoreset: {"actions": [...]}',
    request: { name: m('StepBatchRequest'), codec: StepBatchRequest },
    response: { name: m('StepBatchResponse'), codec: StepBatchResponse },
    call: (svc, req, caller) => svc.envs.stepBatch(req, caller),
  }),
  route({
    rpc: 'Render', method: 'get', path: '/v1/envs/:id\\:render', openapiPath: '/v1/envs/{id}:render',
    summary: 'Current frame: ?mode=RENDER_MODE_RGB_ARRAY|RENDER_MODE_ANSI&index=0; Accept: image/png gives a PNG',
    request: { name: m('RenderRequest'), codec: RenderRequest },
    response: { name: m('RenderResponse'), codec: RenderResponse },
    call: (svc, req, caller) => svc.envs.render(req, caller),
  }),
  route({
    rpc: 'ListEpisodes', method: 'get', path: '/v1/envs/:id/episodes', openapiPath: '/v1/envs/{id}/episodes',
    summary: "The session's episode log as the server measured it: seed, return, length, how each ended (?offset=&limit=)",
    request: { name: m('ListEpisodesRequest'), codec: ListEpisodesRequest },
    response: { name: m('ListEpisodesResponse'), codec: ListEpisodesResponse },
    call: (svc, req, caller) => svc.envs.listEpisodes(req, caller),
  }),
  route({
    rpc: 'SetReward', method: 'post', path: '/v1/envs/:id\\:setReward', openapiPath: '/v1/envs/{id}:setReward',
    summary: 'Choose the reward function from the next step on: {"rewardFunction": "distance_shaping", "rewardParams": {...}} -> the session',
    request: { name: m('SetRewardRequest'), codec: SetRewardRequest },
    response: { name: m('SetRewardResponse'), codec: envCodec },
    unwrap: { field: 'env', name: m('Env') },
    call: (svc, req, caller) => svc.envs.setRewardWhenReady(req, caller),
  }),
  route({
    rpc: 'RegisterReward', method: 'post', path: '/v1/rewards', openapiPath: '/v1/rewards',
    summary:
      'Register a sandboxed JavaScript reward function: {"name", "envId" (or "env": a session id to own it), "source": "(s, a, sNext, info, params) => ...", "params": [...]}',
    request: { name: m('RegisterRewardRequest'), codec: RegisterRewardRequest },
    response: { name: m('RegisterRewardResponse'), codec: rewardCodec },
    unwrap: { field: 'reward', name: m('RegisteredReward') },
    call: (svc, req, caller) => svc.envs.registerReward(req, caller),
  }),
  route({
    rpc: 'ListRewards', method: 'get', path: '/v1/rewards', openapiPath: '/v1/rewards',
    summary: "The caller's registered reward functions (?envId=&env=)",
    request: { name: m('ListRewardsRequest'), codec: ListRewardsRequest },
    response: { name: m('ListRewardsResponse'), codec: ListRewardsResponse },
    call: (svc, req, caller) => svc.envs.listRewards(req, caller),
  }),
  route({
    rpc: 'DeleteReward', method: 'delete', path: '/v1/rewards', openapiPath: '/v1/rewards',
    summary: 'Delete a registered reward function: ?name=<name> (&env=<session id> for one owned by a session)',
    request: { name: m('DeleteRewardRequest'), codec: DeleteRewardRequest },
    response: { name: m('DeleteRewardResponse'), codec: DeleteRewardResponse },
    call: (svc, req, caller) => svc.envs.deleteReward(req, caller),
  }),
];

const a = agentMsgs;

/** Create/Get/Import answer with the Agent resource itself. */
const agentCodec: Codec<{ agent?: agentMsgs.Agent | undefined }> = {
  fromJSON: (o) => ({ agent: a.Agent.fromJSON(o) }),
  toJSON: (r) => (r.agent ? a.Agent.toJSON(r.agent) : {}),
};

/** `{"state", "action", "reward", "nextState", "done"}` at the top level means one transition. */
function flatTransition(body: Record<string, unknown>): Record<string, unknown> {
  const keys = ['state', 'action', 'reward', 'nextState', 'next_state', 'done'];
  if (!keys.some((k) => k in body)) return body;
  const transition: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) (keys.includes(k) ? transition : rest)[k] = v;
  return { ...rest, transition };
}

/** Every REST route of AgentService. */
export const agentRoutes: readonly Route[] = [
  route({
    rpc: 'ListAgentKinds', method: 'get', path: '/v1/agent-kinds', openapiPath: '/v1/agent-kinds',
    summary: 'Agent kinds with their hyperparameters, and the named presets',
    request: { name: m('ListAgentKindsRequest'), codec: a.ListAgentKindsRequest },
    response: { name: m('ListAgentKindsResponse'), codec: a.ListAgentKindsResponse },
    call: (svc) => svc.agents.listAgentKinds(),
  }),
  route({
    rpc: 'CreateAgent', method: 'post', path: '/v1/agents', openapiPath: '/v1/agents',
    summary: 'Create an agent: {"kind": "dqn", "env": "<session id>", "config": {...}} or {"preset": "<name>", "env": ...}',
    request: { name: m('CreateAgentRequest'), codec: a.CreateAgentRequest },
    response: { name: m('CreateAgentResponse'), codec: agentCodec },
    unwrap: { field: 'agent', name: m('Agent') },
    call: (svc, req, caller) => svc.agents.createAgent(req, caller),
  }),
  route({
    rpc: 'ListAgents', method: 'get', path: '/v1/agents', openapiPath: '/v1/agents',
    summary: "The agents the caller may read (a student's own; everyone's for instructors and admins; ?owner= filters)",
    request: { name: m('ListAgentsRequest'), codec: a.ListAgentsRequest },
    response: { name: m('ListAgentsResponse'), codec: a.ListAgentsResponse },
    call: (svc, req, caller) => svc.agents.listAgents(req, caller),
  }),
  route({
    rpc: 'ImportAgent', method: 'post', path: '/v1/agents\\:import', openapiPath: '/v1/agents:import',
    summary: 'A new agent from an export: {"data": "<base64 of ExportAgent data>", "env": "<session id>"}',
    request: { name: m('ImportAgentRequest'), codec: a.ImportAgentRequest },
    response: { name: m('ImportAgentResponse'), codec: agentCodec },
    unwrap: { field: 'agent', name: m('Agent') },
    call: (svc, req, caller) => svc.agents.importAgent(req, caller),
  }),
  route({
    rpc: 'GetAgent', method: 'get', path: '/v1/agents/:id', openapiPath: '/v1/agents/{id}',
    summary: 'One agent',
    request: { name: m('GetAgentRequest'), codec: a.GetAgentRequest },
    response: { name: m('GetAgentResponse'), codec: agentCodec },
    unwrap: { field: 'agent', name: m('Agent') },
    call: (svc, req, caller) => svc.agents.getAgent(req, caller),
  }),
  route({
    rpc: 'DeleteAgent', method: 'delete', path: '/v1/agents/:id', openapiPath: '/v1/agents/{id}',
    summary: 'Delete an agent (cancels its training)',
    request: { name: m('DeleteAgentRequest'), codec: a.DeleteAgentRequest },
    response: { name: m('DeleteAgentResponse'), codec: a.DeleteAgentResponse },
    call: (svc, req, caller) => svc.agents.deleteAgent(req, caller),
  }),
  route({
    rpc: 'ChooseAction', method: 'post', path: '/v1/agents/:id\\:chooseAction', openapiPath: '/v1/agents/{id}:chooseAction',
    summary: 'The seed\'s choose_action: {"state": ..., "greedy": false} -> {"action", "qValues", "explored", "epsilon"}',
    request: { name: m('ChooseActionRequest'), codec: a.ChooseActionRequest },
    response: { name: m('ChooseActionResponse'), codec: a.ChooseActionResponse },
    call: (svc, req, caller) => svc.agents.chooseAction(req, caller),
  }),
  route({
    rpc: 'UpdateQ', method: 'post', path: '/v1/agents/:id\\:updateQ', openapiPath: '/v1/agents/{id}:updateQ',
    summary: 'The seed\'s update_Q: {"state", "action", "reward", "nextState", "done"} (or {"transitions": [...]}) -> loss, TD errors, new Q',
    request: { name: m('UpdateQRequest'), codec: a.UpdateQRequest },
    response: { name: m('UpdateQResponse'), codec: a.UpdateQResponse },
    restBody: flatTransition,
    check: (body) => checkCount(body.transitions, MAX_TRANSITIONS_PER_CALL, 'transitions', 'transitions per UpdateQ'),
    call: (svc, req, caller) => svc.agents.updateQ(req, caller),
  }),
  route({
    rpc: 'EndEpisode', method: 'post', path: '/v1/agents/:id\\:endEpisode', openapiPath: '/v1/agents/{id}:endEpisode',
    summary: 'End an episode: {"episodeReturn", "length"} -> fitted-Q update, target sync, epsilon schedule',
    request: { name: m('EndEpisodeRequest'), codec: a.EndEpisodeRequest },
    response: { name: m('EndEpisodeResponse'), codec: a.EndEpisodeResponse },
    call: (svc, req, caller) => svc.agents.endEpisode(req, caller),
  }),
  route({
    rpc: 'GetHistory', method: 'get', path: '/v1/agents/:id/history', openapiPath: '/v1/agents/{id}/history',
    summary: 'Per-episode return, length, loss, epsilon, wall time (?offset=&limit=)',
    request: { name: m('GetHistoryRequest'), codec: a.GetHistoryRequest },
    response: { name: m('GetHistoryResponse'), codec: a.GetHistoryResponse },
    call: (svc, req, caller) => svc.agents.getHistory(req, caller),
  }),
  route({
    rpc: 'GetQ', method: 'post', path: '/v1/agents/:id\\:getQ', openapiPath: '/v1/agents/{id}:getQ',
    summary: 'Q-values: {"states": [...]} -> {"q": [[...]]}; no states = the whole table (tabular)',
    request: { name: m('GetQRequest'), codec: a.GetQRequest },
    response: { name: m('GetQResponse'), codec: a.GetQResponse },
    check: (body) => checkCount(body.states, MAX_STATES_PER_CALL, 'states', 'states per GetQ'),
    call: (svc, req, caller) => svc.agents.getQ(req, caller),
  }),
  route({
    rpc: 'ExportAgent', method: 'get', path: '/v1/agents/:id\\:export', openapiPath: '/v1/agents/{id}:export',
    summary: 'The agent as bytes (base64 in JSON) and, for DQN, a tfjs LayersModel',
    request: { name: m('ExportAgentRequest'), codec: a.ExportAgentRequest },
    response: { name: m('ExportAgentResponse'), codec: a.ExportAgentResponse },
    call: (svc, req, caller) => svc.agents.exportAgent(req, caller),
  }),
  route({
    rpc: 'Train', method: 'post', path: '/v1/agents/:id\\:train', openapiPath: '/v1/agents/{id}:train',
    summary:
      'Train server-side as a training run: {"env": "<session id>", "episodes": N} or {"steps": N}, options evalEverySteps, evalEpisodes, evalSeed, keepBest, stopAtMeanReward; "stream": true answers NDJSON (episodes, evaluations, then the summary); "async": true answers the run at once',
    request: { name: m('TrainRequest'), codec: a.TrainRequest },
    response: { name: m('TrainSummary'), codec: trainCodec },
    present: (out) => (out.run ? { name: m('TrainingRun'), json: a.TrainingRun.toJSON(out.run) } : { name: m('TrainSummary'), json: a.TrainSummary.toJSON(out.summary!) }),
    call: (svc, req, caller, signal) => svc.agents.train(req, caller, undefined, signal),
    stream: {
      name: m('TrainResponse'),
      codec: a.TrainResponse as Codec<unknown>,
      run: async (svc, req, caller, emit, signal) => {
        const out = await svc.agents.train(req as agentMsgs.TrainRequest, caller, (event) => emit({ event }), signal);
        return { event: out.run ? { $case: 'run', value: out.run } : { $case: 'summary', value: out.summary } };
      },
    },
  }),
  route({
    rpc: 'GetRun', method: 'get', path: '/v1/runs/:id', openapiPath: '/v1/runs/{id}',
    summary: 'One training run: state, progress, evaluations, best evaluation, last checkpoint',
    request: { name: m('GetRunRequest'), codec: a.GetRunRequest },
    response: { name: m('GetRunResponse'), codec: runCodec },
    unwrap: { field: 'run', name: m('TrainingRun') },
    call: (svc, req, caller) => svc.agents.getRun(req, caller),
  }),
  route({
    rpc: 'ListRuns', method: 'get', path: '/v1/runs', openapiPath: '/v1/runs',
    summary: 'Training runs the caller may read, newest first (?agent=, ?owner=, ?state=RUN_STATE_RUNNING)',
    request: { name: m('ListRunsRequest'), codec: a.ListRunsRequest },
    response: { name: m('ListRunsResponse'), codec: a.ListRunsResponse },
    call: (svc, req, caller) => svc.agents.listRuns(req, caller),
  }),
  route({
    rpc: 'CancelRun', method: 'post', path: '/v1/runs/:id\\:cancel', openapiPath: '/v1/runs/{id}:cancel',
    summary: 'Stop a running run; answers the run as it ended',
    request: { name: m('CancelRunRequest'), codec: a.CancelRunRequest },
    response: { name: m('CancelRunResponse'), codec: runCodec },
    unwrap: { field: 'run', name: m('TrainingRun') },
    call: (svc, req, caller) => svc.agents.cancelRun(req, caller),
  }),
  route({
    rpc: 'WatchRun', method: 'get', path: '/v1/runs/:id\\:watch', openapiPath: '/v1/runs/{id}:watch',
    summary: 'NDJSON: {"run": ...} now, then {"episode": ...} and {"evaluation": ...} as they happen, then {"run": ...} as it ended',
    request: { name: m('WatchRunRequest'), codec: a.WatchRunRequest },
    response: { name: m('WatchRunResponse'), codec: a.WatchRunResponse },
    call: () => {
      throw invalidArgument('', 'WatchRun answers a stream');
    },
    stream: {
      name: m('WatchRunResponse'),
      codec: a.WatchRunResponse as Codec<unknown>,
      always: true,
      run: async (svc, req, caller, emit, signal) => {
        await svc.agents.watchRun(req as agentMsgs.WatchRunRequest, caller, (event) => emit({ event }), signal);
        return undefined;
      },
    },
  }),
  route({
    rpc: 'ExportRunCheckpoint', method: 'get', path: '/v1/runs/:id\\:exportCheckpoint', openapiPath: '/v1/runs/{id}:exportCheckpoint',
    summary: "The agent saved at the run's best evaluation (?checkpoint=RUN_CHECKPOINT_LAST: its last checkpoint), in ExportAgent's format",
    request: { name: m('ExportRunCheckpointRequest'), codec: a.ExportRunCheckpointRequest },
    response: { name: m('ExportRunCheckpointResponse'), codec: a.ExportRunCheckpointResponse },
    call: (svc, req, caller) => svc.agents.exportRunCheckpoint(req, caller),
  }),
  route({
    rpc: 'Evaluate', method: 'post', path: '/v1/agents/:id\\:evaluate', openapiPath: '/v1/agents/{id}:evaluate',
    summary: 'Greedy episodes from fixed seeds: {"env", "episodes": 100, "seed": 0} -> {"meanReward", "stdReward", ...}',
    request: { name: m('EvaluateRequest'), codec: a.EvaluateRequest },
    response: { name: m('EvaluateResponse'), codec: a.EvaluateResponse },
    call: (svc, req, caller, signal) => svc.agents.evaluate(req, caller, signal),
  }),
];

/** The route of UsageService. */
export const usageRoutes: readonly Route[] = [
  route({
    rpc: 'GetUsage', method: 'get', path: '/v1/usage', openapiPath: '/v1/usage',
    summary: "The caller's identity, use and quotas (?user= for instructors and admins), and the server's memory budget",
    request: { name: m('GetUsageRequest'), codec: GetUsageRequest },
    response: { name: m('GetUsageResponse'), codec: GetUsageResponse },
    call: (svc, req, caller) => svc.usage.getUsage(req, caller),
  }),
];
