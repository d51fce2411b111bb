import type { OptionSpec, OptionValues } from '../options.js';

/**
 * A named reward function f(s, a, s') with parameters, for one env type. `F` is the env
 * type's per-step facts (e.g. which gridworld cell was entered, whether the pole fell),
 * passed as a reused object so a call allocates nothing.
 */
export interface RewardFunction<S, F> {
  readonly name: string;
  readonly description: string;
  readonly params: readonly OptionSpec[];
  /** Reward for moving from `s` with action `a` to `sNext`; must return a finite number. */
  compute(s: S, a: number, sNext: S, facts: F, params: OptionValues): number;
}
