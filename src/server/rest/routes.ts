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
  DeleteEnvResponse,
  RenderRequest,
  RenderResponse,
  ResetRequest,
  ResetResponse,
  StepBatchRequest,
  StepBatchResponse,
  StepRequest,
  StepResponse,
} from '../../gen/gymhost/v1/env_service.js';
import type { EnvService } from '../services/env-service.js';

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
  call(svc: EnvService, req: Req, caller: Caller): Res;
}

function route<Req, Res>(r: Route<Req, Res>): Route {
  return r as unknown as Route;
}

/** Create/Get answer with the Env resource itself (Google API style), not the wrapper. */
const envCodec: Codec<{ env?: Env | undefined }> = {
  fromJSON: (o) => ({ env: Env.fromJSON(o) }),
  toJSON: (r) => (r.env ? Env.toJSON(r.env) : {}),
};

const m = (name: string) => `gymhost.v1.${name}`;

/** Every REST route, one per RPC of EnvService (StepStream has no REST form; use StepBatch). */
export const envRoutes: readonly Route[] = [
  route({
    rpc: 'ListEnvTypes', method: 'get', path: '/v1/env-types', openapiPath: '/v1/env-types',
    summary: 'Env types with spaces, config options, reward functions, server and API version',
    request: { name: m('ListEnvTypesRequest'), codec: ListEnvTypesRequest },
    response: { name: m('ListEnvTypesResponse'), codec: ListEnvTypesResponse },
    call: (svc) => svc.listEnvTypes(),
  }),
  route({
    rpc: 'CreateEnv', method: 'post', path: '/v1/envs', openapiPath: '/v1/envs',
    summary: 'Create a session; returns it with its id',
    request: { name: m('CreateEnvRequest'), codec: CreateEnvRequest },
    response: { name: m('CreateEnvResponse'), codec: envCodec },
    unwrap: { field: 'env', name: m('Env') },
    call: (svc, req, caller) => svc.createEnv(req, caller),
  }),
  route({
    rpc: 'ListEnvs', method: 'get', path: '/v1/envs', openapiPath: '/v1/envs',
    summary: "The caller's sessions",
    request: { name: m('ListEnvsRequest'), codec: ListEnvsRequest },
    response: { name: m('ListEnvsResponse'), codec: ListEnvsResponse },
    call: (svc, _req, caller) => svc.listEnvs(caller),
  }),
  route({
    rpc: 'GetEnv', method: 'get', path: '/v1/envs/:id', openapiPath: '/v1/envs/{id}',
    summary: 'One session',
    request: { name: m('GetEnvRequest'), codec: GetEnvRequest },
    response: { name: m('GetEnvResponse'), codec: envCodec },
    unwrap: { field: 'env', name: m('Env') },
    call: (svc, req, caller) => svc.getEnv(req, caller),
  }),
  route({
    rpc: 'DeleteEnv', method: 'delete', path: '/v1/envs/:id', openapiPath: '/v1/envs/{id}',
    summary: 'Delete a session',
    request: { name: m('DeleteEnvRequest'), codec: DeleteEnvRequest },
    response: { name: m('DeleteEnvResponse'), codec: DeleteEnvResponse },
    call: (svc, req, caller) => svc.deleteEnv(req, caller),
  }),
  route({
    rpc: 'Reset', method: 'post', path: '/v1/envs/:id\\:reset', openapiPath: '/v1/envs/{id}:reset',
    summary: 'Start an episode: {"seed": 7, "options": {...}} -> {"observation", "info"}',
    request: { name: m('ResetRequest'), codec: ResetRequest },
    response: { name: m('ResetResponse'), codec: ResetResponse },
    call: (svc, req, caller) => svc.reset(req, caller),
  }),
  route({
    rpc: 'Step', method: 'post', path: '/v1/envs/:id\\:step', openapiPath: '/v1/envs/{id}:step',
    summary: 'One step: {"action": 1} -> {"observation", "reward", "terminated", "truncated", "info"}',
    request: { name: m('StepRequest'), codec: StepRequest },
    response: { name: m('StepResponse'), codec: StepResponse },
    call: (svc, req, caller) => svc.step(req, caller),
  }),
  route({
    rpc: 'StepBatch', method: 'post', path: '/v1/envs/:id\\:stepBatch', openapiPath: '/v1/envs/{id}:stepBatch',
    summary: 'One step of every copy of a vector session, with autoreset: {"actions": [...]}',
    request: { name: m('StepBatchRequest'), codec: StepBatchRequest },
    response: { name: m('StepBatchResponse'), codec: StepBatchResponse },
    call: (svc, req, caller) => svc.stepBatch(req, caller),
  }),
  route({
    rpc: 'Render', method: 'get', path: '/v1/envs/:id\\:render', openapiPath: '/v1/envs/{id}:render',
    summary: 'Current frame: ?mode=RENDER_MODE_RGB_ARRAY|RENDER_MODE_ANSI&index=0; Accept: image/png gives a PNG',
    request: { name: m('RenderRequest'), codec: RenderRequest },
    response: { name: m('RenderResponse'), codec: RenderResponse },
    call: (svc, req, caller) => svc.render(req, caller),
  }),
];
