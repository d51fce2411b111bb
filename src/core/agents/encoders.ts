/**
 * Observation -> network input, and the checks every state an agent is given goes through.
 *
 * States reach an agent as raw observations (agents/types.ts): a Discrete observation is a
 * one-element array [index], a Box observation its elements. An encoder checks one (shape,
 * dtype, range) and writes its network input:
 *
 * | encoding   | observation space          | input                                          |
 * |------------|----------------------------|------------------------------------------------|
 * | identity   | Box                        | the elements as they are                       |
 * | identity   | Discrete(n, start)         | [index] as a number                            |
 * | onehot     | Discrete(n, start)         | n numbers, 1 at index - start                  |
 * | rowcol     | Discrete(w * h) of a grid  | [row / (h - 1), col / (w - 1)], state = row * w + col |
 * | rowcol     | Box(2) with finite bounds  | each element scaled to [0, 1] by its bounds     |
 *
 * "auto" picks onehot for Discrete and identity for Box.
 */

import { invalidArgument } from '../errors.js';
import { spaceSize, type BoxSpace, type Space } from '../spaces.js';
import type { EncodingChoice } from './agent-config.js';

export type EncodingName = 'identity' | 'onehot' | 'rowcol';

/** Gridworld size for the rowcol encoding of a Discrete state index. */
export interface GridDims {
  readonly gridWidth?: number;
  readonly gridHeight?: number;
}

/** Widest network input an encoder may produce (a one-hot of this many states). */
export const MAX_INPUT_SIZE = 100_000;

export interface StateEncoder {
  readonly encoding: EncodingName;
  /** Numbers per raw observation (1 for Discrete). */
  readonly obsSize: number;
  /** Numbers per network input. */
  readonly inputSize: number;
  /**
   * Throws INVALID_ARGUMENT naming `field` unless `state` is an observation of the space:
   * an array-like of obsSize finite numbers; integers for Discrete (in range) and for
   * integer Box dtypes.
   */
  check(state: ArrayLike<number>, field: string): void;
  /** Writes a checked state's input at out[offset, offset + inputSize). */
  encode(state: ArrayLike<number>, out: Float32Array, offset: number): void;
}

const INT_DTYPES = new Set(['int32', 'int64', 'uint8']);

/** Throws unless `state` is an array-like of `size` finite numbers (integers if `integer`). */
export function checkNumbers(state: unknown, size: number, field: string, integer: boolean, what: string): void {
  const s = state as ArrayLike<unknown> | null | undefined;
  if (s === null || s === undefined || typeof s !== 'object' || typeof s.length !== 'number') {
    throw invalidArgument(field, `${field} must be an array of ${size} number(s) (${what}), got ${s === null ? 'null' : typeof s}`, 'WRONG_SHAPE');
  }
  if (s.length !== size) throw invalidArgument(field, `${field} must hold ${size} number(s) (${what}), got ${s.length}`, 'WRONG_SHAPE');
  for (let i = 0; i < size; i++) {
    const x = s[i];
    if (typeof x !== 'number') throw invalidArgument(field, `${field}[${i}] must be a number (${what}), got ${typeof x}`, 'WRONG_DTYPE');
    if (!Number.isFinite(x)) throw invalidArgument(field, `${field}[${i}] must be finite (${what}), got ${x}`, 'NOT_FINITE');
    if (integer && !Number.isInteger(x)) throw invalidArgument(field, `${field}[${i}] must be an integer (${what}), got ${x}`, 'WRONG_DTYPE');
  }
}

/** The state index (0-based: value - start) of a Discrete observation, checked. */
export function discreteIndex(space: { n: number; start: number }, state: ArrayLike<number>, field: string): number {
  const what = `a Discrete(${space.n}) state [index]`;
  checkNumbers(state, 1, field, true, what);
  const x = state[0];
  if (x < space.start || x >= space.start + space.n) {
    throw invalidArgument(field, `${field} must be an integer in [${space.start}, ${space.start + space.n - 1}] (${what}), got ${x}`, 'BAD_STATE');
  }
  return x - space.start;
}

function describeSpace(space: Space): string {
  return space.kind === 'discrete' ? `Discrete(${space.n})` : `Box(shape [${space.shape.join(', ')}], ${space.dtype})`;
}

/**
 * The encoding a choice means for a space ("auto" resolved), or INVALID_ARGUMENT on `field`
 * when the space cannot be encoded that way.
 */
export function resolveEncoding(space: Space, choice: EncodingChoice, grid: GridDims, field = 'config.encoding'): EncodingName {
  const enc: EncodingName = choice === 'auto' ? (space.kind === 'discrete' ? 'onehot' : 'identity') : choice;
  if (enc === 'onehot') {
    if (space.kind !== 'discrete') {
      throw invalidArgument(field, `${field} "onehot" needs a Discrete observation space, got ${describeSpace(space)}; use "identity"`, 'UNSUPPORTED_ENCODING');
    }
    if (space.n > MAX_INPUT_SIZE) {
      throw invalidArgument(field, `${field} "onehot" of Discrete(${space.n}) would give ${space.n} inputs; at most ${MAX_INPUT_SIZE}`, 'NETWORK_TOO_LARGE');
    }
  }
  if (enc === 'rowcol') {
    if (space.kind === 'discrete') {
      const { gridWidth: w, gridHeight: h } = grid;
      if (w === undefined || h === undefined) {
        throw invalidArgument(field, `${field} "rowcol" of a Discrete state needs the grid's width and height (an agent created for a GridWorld-v0 env)`, 'UNSUPPORTED_ENCODING');
      }
      if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || w * h !== space.n) {
        throw invalidArgument(field, `${field} "rowcol": grid ${w} x ${h} does not match Discrete(${space.n}) (need width * height = n)`, 'UNSUPPORTED_ENCODING');
      }
    } else if (space.shape.length !== 1 || space.shape[0] !== 2 || !space.low.every(Number.isFinite) || !space.high.every(Number.isFinite)) {
      throw invalidArgument(
        field,
        `${field} "rowcol" needs a Discrete gridworld state or a Box(2) [row, col] with finite bounds, got ${describeSpace(space)}`,
        'UNSUPPORTED_ENCODING',
      );
    }
  }
  if (space.kind === 'box' && spaceSize(space) > MAX_INPUT_SIZE) {
    throw invalidArgument(field, `observations of ${spaceSize(space)} numbers are too large for a Q network (at most ${MAX_INPUT_SIZE})`, 'NETWORK_TOO_LARGE');
  }
  return enc;
}

/** An encoder for a space and an already resolved encoding (see resolveEncoding). */
export function createEncoder(space: Space, encoding: EncodingName, grid: GridDims = {}): StateEncoder {
  if (space.kind === 'discrete') {
    const check = (state: ArrayLike<number>, field: string) => void discreteIndex(space, state, field);
    switch (encoding) {
      case 'identity':
        return { encoding, obsSize: 1, inputSize: 1, check, encode: (s, out, o) => void (out[o] = s[0]) };
      case 'onehot': {
        const n = space.n;
        const start = space.start;
        return {
          encoding,
          obsSize: 1,
          inputSize: n,
          check,
          encode(s, out, o) {
            out.fill(0, o, o + n);
            out[o + s[0] - start] = 1;
          },
        };
      }
      case 'rowcol': {
        const w = grid.gridWidth as number;
        const h = grid.gridHeight as number;
        const start = space.start;
        const rowScale = h > 1 ? 1 / (h - 1) : 0;
        const colScale = w > 1 ? 1 / (w - 1) : 0;
        return {
          encoding,
          obsSize: 1,
          inputSize: 2,
          check,
          encode(s, out, o) {
            const idx = s[0] - start;
            const row = Math.floor(idx / w);
            out[o] = row * rowScale;
            out[o + 1] = (idx - row * w) * colScale;
          },
        };
      }
    }
  }
  return boxEncoder(space, encoding);
}

function boxEncoder(space: BoxSpace, encoding: EncodingName): StateEncoder {
  const size = spaceSize(space);
  const integer = INT_DTYPES.has(space.dtype);
  const what = describeSpace(space);
  const check = (state: ArrayLike<number>, field: string) => checkNumbers(state, size, field, integer, what);
  if (encoding === 'rowcol') {
    const low = Float64Array.from(space.low);
    const scale = Float64Array.from(space.high, (hi, i) => (hi > low[i] ? 1 / (hi - low[i]) : 0));
    return {
      encoding,
      obsSize: 2,
      inputSize: 2,
      check,
      encode(s, out, o) {
        out[o] = (s[0] - low[0]) * scale[0];
        out[o + 1] = (s[1] - low[1]) * scale[1];
      },
    };
  }
  if (encoding === 'onehot') throw new Error('unreachable: onehot of a Box is rejected by resolveEncoding');
  return {
    encoding: 'identity',
    obsSize: size,
    inputSize: size,
    check,
    encode(s, out, o) {
      for (let i = 0; i < size; i++) out[o + i] = s[i];
    },
  };
}

/** Throws INVALID_ARGUMENT on `field` unless `action` is an integer in [0, numActions). */
export function checkAction(action: unknown, numActions: number, field = 'action'): void {
  if (typeof action !== 'number' || !Number.isInteger(action) || action < 0 || action >= numActions) {
    throw invalidArgument(field, `${field} must be an integer in [0, ${numActions - 1}], got ${typeof action === 'number' ? action : typeof action}`, 'ACTION_OUT_OF_RANGE');
  }
}

/** Throws INVALID_ARGUMENT on `field` unless `reward` is a finite number. */
export function checkReward(reward: unknown, field = 'reward'): void {
  if (typeof reward !== 'number' || !Number.isFinite(reward)) {
    throw invalidArgument(field, `${field} must be a finite number, got ${typeof reward === 'number' ? reward : typeof reward}`, 'NOT_FINITE');
  }
}

/** Throws INVALID_ARGUMENT on `field` unless `done` is a boolean. */
export function checkDone(done: unknown, field = 'done'): void {
  if (typeof done !== 'boolean') throw invalidArgument(field, `${field} must be true or false, got ${typeof done}`, 'WRONG_DTYPE');
}

/** Checks endEpisode's arguments: a finite return and an integer length >= 0. */
export function checkEpisodeEnd(episodeReturn: unknown, length: unknown): void {
  if (typeof episodeReturn !== 'number' || !Number.isFinite(episodeReturn)) {
    throw invalidArgument('episode_return', `episode_return must be a finite number, got ${String(episodeReturn)}`, 'NOT_FINITE');
  }
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw invalidArgument('length', `length must be an integer >= 0, got ${String(length)}`, 'OUT_OF_RANGE');
  }
}

/** Checks qValues' arguments: count >= 0 states of obsSize numbers in a Float32Array. */
export function checkStateBatch(states: unknown, count: unknown, obsSize: number): void {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw invalidArgument('count', `count must be an integer >= 0, got ${String(count)}`, 'OUT_OF_RANGE');
  }
  const s = states as ArrayLike<number> | null;
  if (!s || typeof s.length !== 'number' || s.length !== count * obsSize) {
    throw invalidArgument('states', `states must hold count * ${obsSize} = ${count * obsSize} numbers, got ${s && typeof s.length === 'number' ? s.length : typeof s}`, 'WRONG_SHAPE');
  }
}

/** Throws INVALID_ARGUMENT on 'q_out' unless it is a Float32Array of at least numActions values. */
export function checkQOut(qOut: unknown, numActions: number): void {
  if (!(qOut instanceof Float32Array) || qOut.length < numActions) {
    throw invalidArgument('q_out', `qOut must be a Float32Array of at least ${numActions} values`, 'WRONG_SHAPE');
  }
}

/** State i of a batch of states of `size` numbers each (a view for typed arrays). */
export function stateAt(states: ArrayLike<number>, i: number, size: number): ArrayLike<number> {
  return ArrayBuffer.isView(states)
    ? (states as Float32Array).subarray(i * size, (i + 1) * size)
    : Array.prototype.slice.call(states, i * size, (i + 1) * size);
}
