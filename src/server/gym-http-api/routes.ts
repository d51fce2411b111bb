/**
 * The routes of openai/gym-http-api's gym_http_server.py, with its paths, methods, JSON
 * field names and trailing slashes, over gymhost's env sessions: an `instance_id` is a
 * session id, the same session the gRPC and REST APIs see. Every route calls EnvService as
 * the REST routes do; what the original did on the server's own disk or process (monitor,
 * upload, shutdown) is refused with a message saying why.
 */
import { DomainError, failedPrecondition } from '../../core/errors.js';
import type { Caller } from '../../core/sessions/caller.js';
import { AutoresetMode, RenderMode } from '../../gen/gymhost/v1/env_service.js';
import type { CallScope, Gate } from '../gate.js';
import type { AnyEnvSession, EnvService } from '../services/env-service.js';
import { createBody, ignoredBody, resetBody, stepAction } from './requests.js';
import { actionContains, observationSpaceMatches, sampleAction, spaceInfo } from './spaces.js';
import { observationJson, stepJson } from './values.js';

/** What a route's handler gets. */
export interface RouteContext {
  readonly envs: EnvService;
  readonly gate: Gate;
  readonly scope: CallScope;
  readonly caller: Caller;
  /** Path parameters, %-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The parsed JSON body (undefined when there is none). */
  readonly body: unknown;
}

export interface DialectRoute {
  readonly method: 'GET' | 'POST';
  /** The original's path; `<name>` is a path parameter (one segment). */
  readonly path: string;
  /** Name in logs and metrics: `GymHttpApi/<name>`. */
  readonly name: string;
  /** The JSON answer, or undefined for the original's empty 204. */
  handle(ctx: RouteContext): unknown;
}

/** The session `instance_id` names, if the caller may read it (NOT_FOUND otherwise, as for a missing id). */
function session(ctx: RouteContext): AnyEnvSession {
  return ctx.envs.sessions.get(ctx.params.instance_id, ctx.caller, 'instance_id', 'read');
}

/** The session, refused if it is a vector session: this dialect steps one env. */
function singleSession(ctx: RouteContext): AnyEnvSession {
  const s = session(ctx);
  if (s.numEnvs !== 1) {
    throw failedPrecondition(
      `instance ${s.id} is a vector session of ${s.numEnvs} envs; the gym-http-api dialect resets and steps one env: use POST /v1/envs/{id}:reset and :stepBatch on the HTTP port`,
      'VECTOR_SESSION',
      'instance_id',
    );
  }
  return s;
}

/** Refusal of what the original did with the server's own files or process. */
function notSupported(message: string, reason: string): DomainError {
  return failedPrecondition(message, reason);
}

export const dialectRoutes: readonly DialectRoute[] = [
  {
    method: 'POST',
    path: '/v1/envs/',
    name: 'EnvCreate',
    async handle(ctx) {
      const { envId, seed, config } = createBody(ctx.body);
      const res = await ctx.envs.createEnvWhenReady(
        {
          envId,
          seed,
          config,
          rewardFunction: '',
          rewardParams: undefined,
          numEnvs: 1,
          renderMode: RenderMode.RENDER_MODE_UNSPECIFIED,
          autoresetMode: AutoresetMode.AUTORESET_MODE_UNSPECIFIED,
        },
        ctx.caller,
      );
      const id = res.env!.id;
      ctx.gate.audit(ctx.scope, 'create', 'env_session', id);
      return { instance_id: id };
    },
  },
  {
    method: 'GET',
    path: '/v1/envs/',
    name: 'EnvListAll',
    async handle(ctx) {
      const { envs } = await ctx.envs.listEnvs({ owner: '' }, ctx.caller);
      return { all_envs: Object.fromEntries(envs.map((e) => [e.id, e.envId])) };
    },
  },
  {
    method: 'POST',
    path: '/v1/envs/<instance_id>/reset/',
    name: 'EnvReset',
    async handle(ctx) {
      const s = singleSession(ctx);
      resetBody(ctx.body);
      const res = await ctx.envs.reset({ id: s.id, seed: undefined, options: undefined }, ctx.caller);
      return { observation: observationJson(res.observation) };
    },
  },
  {
    method: 'POST',
    path: '/v1/envs/<instance_id>/step/',
    name: 'EnvStep',
    async handle(ctx) {
      const s = singleSession(ctx);
      const action = stepAction(ctx.body, s.actionSpace);
      const res = await ctx.envs.step({ id: s.id, action: { kind: { $case: 'discrete', value: action } } }, ctx.caller);
      return stepJson(res);
    },
  },
  {
    method: 'GET',
    path: '/v1/envs/<instance_id>/action_space/',
    name: 'ActionSpaceInfo',
    handle: (ctx) => ({ info: spaceInfo(session(ctx).actionSpace) }),
  },
  {
    method: 'GET',
    path: '/v1/envs/<instance_id>/action_space/sample',
    name: 'ActionSpaceSample',
    handle: (ctx) => ({ action: sampleAction(session(ctx).actionSpace) }),
  },
  {
    method: 'GET',
    path: '/v1/envs/<instance_id>/action_space/contains/<x>',
    name: 'ActionSpaceContains',
    handle: (ctx) => ({ member: actionContains(session(ctx).actionSpace, ctx.params.x) }),
  },
  {
    method: 'GET',
    path: '/v1/envs/<instance_id>/observation_space/',
    name: 'ObservationSpaceInfo',
    handle: (ctx) => ({ info: spaceInfo(session(ctx).observationSpace) }),
  },
  {
    method: 'POST',
    path: '/v1/envs/<instance_id>/observation_space/contains',
    name: 'ObservationSpaceContains',
    handle: (ctx) => ({ member: observationSpaceMatches(session(ctx).observationSpace, ctx.body) }),
  },
  {
    method: 'POST',
    path: '/v1/envs/<instance_id>/close/',
    name: 'EnvClose',
    async handle(ctx) {
      ignoredBody(ctx.body, 'POST /v1/envs/<instance_id>/close/');
      const id = ctx.params.instance_id;
      await ctx.envs.deleteEnv({ id }, ctx.caller);
      ctx.gate.audit(ctx.scope, 'delete', 'env_session', id);
      return undefined;
    },
  },
  {
    method: 'POST',
    path: '/v1/envs/<instance_id>/monitor/start/',
    name: 'MonitorStart',
    handle(ctx) {
      session(ctx);
      throw notSupported(
        "gymhost does not run gym's Monitor: it would write videos and statistics into a directory the client names on the server's disk. " +
          'The session keeps its episode log (seed, return, length, how each ended): GET /v1/envs/{id}/episodes on the HTTP port; frames: GET /v1/envs/{id}:render',
        'MONITOR_NOT_SUPPORTED',
      );
    },
  },
  {
    method: 'POST',
    path: '/v1/envs/<instance_id>/monitor/close/',
    name: 'MonitorClose',
    handle(ctx) {
      session(ctx);
      throw notSupported(
        "gymhost does not run gym's Monitor (see monitor/start/), so there is none to close; the session's episode log is GET /v1/envs/{id}/episodes on the HTTP port",
        'MONITOR_NOT_SUPPORTED',
      );
    },
  },
  {
    method: 'POST',
    path: '/v1/upload/',
    name: 'Upload',
    handle() {
      throw notSupported(
        "the OpenAI Gym scoreboard that /v1/upload/ sent monitor results to no longer exists, and gymhost records no monitor results; each session's episode log is GET /v1/envs/{id}/episodes on the HTTP port",
        'UPLOAD_NOT_SUPPORTED',
      );
    },
  },
  {
    method: 'POST',
    path: '/v1/shutdown/',
    name: 'Shutdown',
    handle() {
      throw new DomainError(
        'PERMISSION_DENIED',
        "clients may not shut a gymhost server down: it serves other sessions and users. Its operator stops it with SIGTERM (it drains first); close your env with POST /v1/envs/<instance_id>/close/",
        '',
        'SHUTDOWN_NOT_ALLOWED',
      );
    },
  },
];
