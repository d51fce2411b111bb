/**
 * The request bodies of the gym-http-api routes, checked. The original treats a parameter
 * that is null, "" or [] as not given; so does this. Unknown keys are refused, naming the
 * ones each route takes.
 */
import { invalidArgument } from '../../core/errors.js';
import { envTypes } from '../../core/envs/registry.js';
import type { Space } from '../../core/spaces.js';

type Body = Record<string, unknown>;

/** Whether the original would count the value as not given. */
function absent(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

/** The body as an object with only `allowed` keys; an absent or null body is {} when `optional`. */
function object(raw: unknown, route: string, allowed: readonly string[], example: string, optional: boolean): Body {
  if ((raw === undefined || raw === null) && optional) return {};
  if (raw === undefined || raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalidArgument('body', `the body of ${route} must be a JSON object like ${example}, got ${raw === undefined ? 'none' : JSON.stringify(raw).slice(0, 40)}`, 'WRONG_JSON_TYPE');
  }
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      throw invalidArgument(key, `unknown parameter '${key}' for ${route}; it takes ${allowed.length ? allowed.map((k) => `'${k}'`).join(', ') : 'none'}`, 'UNKNOWN_FIELD');
    }
  }
  return raw as Body;
}

const ENV_IDS = () => [...envTypes.keys()].join(', ');

/** POST /v1/envs/: {"env_id", "seed"?} and gymhost's own "config"? (an env type's config options). */
export function createBody(raw: unknown): { envId: string; seed: number | undefined; config: Record<string, unknown> | undefined } {
  const b = object(raw, 'POST /v1/envs/', ['env_id', 'seed', 'config'], '{"env_id": "CartPole-v1", "seed": 7}', false);
  if (absent(b.env_id)) throw invalidArgument('env_id', `a required request parameter 'env_id' was not provided; available: ${ENV_IDS()}`, 'MISSING_FIELD');
  if (typeof b.env_id !== 'string') throw invalidArgument('env_id', `env_id must be a string, one of ${ENV_IDS()}; got ${JSON.stringify(b.env_id)}`, 'WRONG_JSON_TYPE');
  let seed: number | undefined;
  if (!absent(b.seed)) {
    // Its range is checked where sessions are made ([0, 2^53 - 1]).
    if (typeof b.seed !== 'number' || !Number.isInteger(b.seed)) throw invalidArgument('seed', `seed must be an integer in [0, ${Number.MAX_SAFE_INTEGER}] (or null for none), got ${JSON.stringify(b.seed)}`, 'BAD_SEED');
    seed = b.seed;
  }
  let config: Record<string, unknown> | undefined;
  if (!absent(b.config)) {
    if (typeof b.config !== 'object' || Array.isArray(b.config)) {
      throw invalidArgument('config', `config must be a JSON object of the env type's config options (GET /v1/env-types on the HTTP port lists them), got ${JSON.stringify(b.config)}`, 'WRONG_JSON_TYPE');
    }
    config = b.config as Record<string, unknown>;
  }
  return { envId: b.env_id, seed, config };
}

/** POST .../reset/: no parameters (the official client sends the JSON `null`). */
export function resetBody(raw: unknown): void {
  object(raw, 'POST /v1/envs/<instance_id>/reset/', [], 'null or {} (the seed is given when the env is made: POST /v1/envs/ {"env_id", "seed"})', true);
}

/** A body the route does not read: absent, null or an object (POST .../close/, monitor/close/). */
export function ignoredBody(raw: unknown, route: string): void {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw invalidArgument('body', `the body of ${route} must be empty, null or a JSON object, got ${JSON.stringify(raw).slice(0, 40)}`, 'WRONG_JSON_TYPE');
  }
}

/**
 * POST .../step/: {"action", "render"?} -> the action, checked against the action space's
 * type (its range is checked by the session). `render` must be a boolean; it changes nothing:
 * the original drew the frame in a window on the server's display, which a gymhost server
 * does not have (frames: GET /v1/envs/{id}:render on the HTTP port, the same session id).
 */
export function stepAction(raw: unknown, actionSpace: Space): number {
  const b = object(raw, 'POST /v1/envs/<instance_id>/step/', ['action', 'render'], '{"action": 1, "render": false}', false);
  const allowed = actionSpace.kind === 'discrete' ? `an integer in [${actionSpace.start}, ${actionSpace.start + actionSpace.n - 1}] (Discrete(${actionSpace.n}))` : 'a list of numbers';
  if (absent(b.action)) throw invalidArgument('action', `a required request parameter 'action' was not provided: ${allowed}`, 'MISSING_FIELD');
  if (typeof b.action !== 'number' || !Number.isInteger(b.action)) throw invalidArgument('action', `action must be ${allowed}, got ${JSON.stringify(b.action)}`, 'WRONG_ACTION_TYPE');
  if (!absent(b.render) && typeof b.render !== 'boolean') throw invalidArgument('render', `render must be true or false, got ${JSON.stringify(b.render)}`, 'WRONG_JSON_TYPE');
  return b.action;
}
