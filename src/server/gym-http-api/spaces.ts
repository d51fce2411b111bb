/**
 * Spaces as gym-http-api describes them (gym_http_server.py's `_get_space_properties`):
 * `{"name": "Discrete", "n": 2}` and `{"name": "Box", "shape": [4], "low": [...], "high": [...]}`
 * with low and high flattened. JSON has no infinities: like the original, an infinite bound
 * is written as +-1e100. Also action sampling and membership (`action_space/sample`,
 * `action_space/contains/<x>`, `observation_space/contains`).
 */
import { randomInt } from 'node:crypto';
import { failedPrecondition, invalidArgument } from '../../core/errors.js';
import type { Space } from '../../core/spaces.js';

/** What the original writes for an infinite bound (JSON has no Infinity). */
export const JSON_INFINITY = 1e100;

/** A number as the dialect writes it: +-Infinity as +-1e100, NaN as null, others unchanged. */
export function jsonNumber(x: number): number | null {
  if (Number.isFinite(x)) return x;
  if (Number.isNaN(x)) return null;
  return x > 0 ? JSON_INFINITY : -JSON_INFINITY;
}

/** The space's `info` object, as the original server answers it. */
export function spaceInfo(space: Space): Record<string, unknown> {
  if (space.kind === 'discrete') {
    // Gymnasium's Discrete may start elsewhere than 0; gym's (the original's) could not, so `start` is only written when it is not 0.
    return space.start === 0 ? { name: 'Discrete', n: space.n } : { name: 'Discrete', n: space.n, start: space.start };
  }
  return { name: 'Box', shape: [...space.shape], low: space.low.map(jsonNumber), high: space.high.map(jsonNumber) };
}

/**
 * A uniformly drawn action, like an unseeded Gymnasium space's sample() (the dialect has no
 * way to seed the action space). gymhost's env types all have Discrete action spaces.
 */
export function sampleAction(space: Space): number {
  if (space.kind !== 'discrete') throw failedPrecondition('this session has a Box action space: only Discrete action spaces can be sampled here', 'WRONG_ACTION_TYPE');
  return space.start + randomInt(space.n);
}

/**
 * `action_space/contains/<x>`: the original calls the space's contains(int(x)), so `x` must
 * be a decimal integer (surrounding spaces allowed, as Python's int() allows them).
 */
export function actionContains(space: Space, x: string): boolean {
  if (!/^\s*[+-]?\d+\s*$/.test(x)) {
    throw invalidArgument('x', `x (the last path segment of action_space/contains/<x>) must be a decimal integer, got '${x}'`, 'NOT_AN_INTEGER');
  }
  if (space.kind !== 'discrete') throw failedPrecondition('this session has a Box action space: contains/<x> checks Discrete actions only', 'WRONG_ACTION_TYPE');
  const v = Number(x.trim());
  return Number.isSafeInteger(v) && v >= space.start && v < space.start + space.n;
}

/**
 * `observation_space/contains`: whether every property given equals the observation space's
 * (compared as JSON, as the original compares json.dumps of both). An empty object is true.
 */
export function observationSpaceMatches(space: Space, body: unknown): boolean {
  const info = spaceInfo(space);
  const keys = Object.keys(info);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidArgument('body', `the body must be a JSON object of observation-space properties to compare (keys: ${keys.join(', ')}), e.g. {"name": "${info.name}"}`, 'WRONG_JSON_TYPE');
  }
  let member = true;
  for (const [key, value] of Object.entries(body)) {
    if (!Object.hasOwn(info, key)) throw invalidArgument(key, `unknown observation-space property '${key}'; this space (${info.name}) has: ${keys.join(', ')}`, 'UNKNOWN_FIELD');
    if (JSON.stringify(info[key]) !== JSON.stringify(value)) member = false;
  }
  return member;
}
