/** Observation and action spaces, Gymnasium's Discrete and Box. */

export type Dtype = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8';

/** Gymnasium Discrete(n, start): integers start .. start+n-1. */
export interface DiscreteSpace {
  readonly kind: 'discrete';
  readonly n: number;
  readonly start: number;
}

/** Gymnasium Box: elements of `shape` (row-major), element i in [low[i], high[i]]. */
export interface BoxSpace {
  readonly kind: 'box';
  readonly low: readonly number[];
  readonly high: readonly number[];
  readonly shape: readonly number[];
  readonly dtype: Dtype;
}

export type Space = DiscreteSpace | BoxSpace;

export function discrete(n: number, start = 0): DiscreteSpace {
  return { kind: 'discrete', n, start };
}

export function box(low: readonly number[], high: readonly number[], shape: readonly number[], dtype: Dtype): BoxSpace {
  return { kind: 'box', low, high, shape, dtype };
}

/** Numbers in one value of the space (1 for Discrete). */
export function spaceSize(space: Space): number {
  return space.kind === 'discrete' ? 1 : space.shape.reduce((a, b) => a * b, 1);
}
