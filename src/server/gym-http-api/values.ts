/**
 * gymhost's answers as gym-http-api's JSON: observations as the space's `to_jsonable` gives
 * them (a Discrete observation is an integer, a Box one nested lists of numbers in its
 * shape; a float32 element is written as the double it is, as Python writes float(np.float32)),
 * and a step's five results folded into gym's four (`done = terminated or truncated`, with
 * `info["TimeLimit.truncated"]` as gym's step-API conversion sets it).
 */
import { DomainError } from '../../core/errors.js';
import { Dtype, type SpaceValue, type Tensor } from '../../gen/gymhost/v1/spaces.js';
import type { StepResponse } from '../../gen/gymhost/v1/env_service.js';
import { jsonNumber } from './spaces.js';

type Nested = (number | null) | Nested[];

/** One observation of a single env as JSON: an integer (Discrete) or nested lists (Box). */
export function observationJson(value: SpaceValue | undefined): Nested {
  const kind = value?.kind;
  if (kind?.$case === 'discrete') return kind.value;
  if (kind?.$case === 'tensor') return tensorJson(kind.value);
  throw new DomainError('INTERNAL', 'the session answered without an observation', '', 'INTERNAL');
}

/** A tensor's elements (little-endian) as nested lists of its shape. */
function tensorJson(t: Tensor): Nested {
  const width = t.dtype === Dtype.DTYPE_FLOAT64 || t.dtype === Dtype.DTYPE_INT64 ? 8 : t.dtype === Dtype.DTYPE_UINT8 ? 1 : 4;
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const count = t.data.byteLength / width;
  const flat: (number | null)[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * width;
    const x =
      t.dtype === Dtype.DTYPE_FLOAT32 ? view.getFloat32(at, true)
      : t.dtype === Dtype.DTYPE_FLOAT64 ? view.getFloat64(at, true)
      : t.dtype === Dtype.DTYPE_INT32 ? view.getInt32(at, true)
      : t.dtype === Dtype.DTYPE_INT64 ? Number(view.getBigInt64(at, true))
      : view.getUint8(at);
    flat[i] = jsonNumber(x);
  }
  return reshape(flat, t.shape.length ? t.shape : [count]);
}

function reshape(flat: (number | null)[], shape: readonly number[]): Nested {
  if (shape.length <= 1) return flat;
  const [outer, ...inner] = shape;
  const size = flat.length / outer;
  return Array.from({ length: outer }, (_, i) => reshape(flat.slice(i * size, (i + 1) * size), inner));
}

/** gym-http-api's step answer: {observation, reward, done, info}. */
export function stepJson(res: StepResponse): { observation: Nested; reward: number | null; done: boolean; info: Record<string, unknown> } {
  const done = res.terminated || res.truncated;
  const info: Record<string, unknown> = { ...(res.info ?? {}) };
  // As gym's convert_to_done_step_api (and gymnasium's): set when the episode ended, true only for a time-limit end.
  if (done) info['TimeLimit.truncated'] = res.truncated && !res.terminated;
  return { observation: observationJson(res.observation), reward: jsonNumber(res.reward), done, info };
}
