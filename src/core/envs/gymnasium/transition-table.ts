/**
 * A toy-text env's transition model as Gymnasium stores it (`env.P[s][a]`, a list of
 * (probability, next state, reward, terminated) outcomes, and `initial_state_distrib`),
 * flattened into typed arrays, with categorical_sample's draw.
 *
 * Gymnasium's categorical_sample(p, np_random) is `argmax(cumsum(p) > np_random.random())`:
 * exactly one random() per call (also for a single outcome), the cumulative sums added
 * left to right in float64, and index 0 when the draw is >= every sum (cumsum can end a
 * little below 1). The same sums are computed here in the same order, so equal draws pick
 * equal outcomes.
 */
export class TransitionTable {
  /** Outcomes stored per (state, action): the longest outcome list. */
  readonly maxOutcomes: number;
  /** [numStates * numActions] outcomes of each (s, a). */
  readonly counts: Uint8Array;
  /** [numStates * numActions * maxOutcomes] each outcome's probability (Gymnasium's info "prob"). */
  readonly probs: Float64Array;
  /** Same layout: the cumulative sums of probs, as np.cumsum computes them. */
  readonly cumProbs: Float64Array;
  /** Same layout: next state index. */
  readonly next: Int32Array;
  /** Same layout: reward. */
  readonly reward: Float64Array;
  /** Same layout: 1 if the outcome terminates the episode. */
  readonly terminal: Uint8Array;
  /** [numStates] cumulative sums of the start-state distribution. */
  readonly initialCum: Float64Array;

  /**
   * @param numStates size of the Discrete observation space.
   * @param numActions size of the Discrete action space.
   * @param maxOutcomes the most outcomes any (s, a) has.
   * @param initialWeights [numStates] start weights, normalised as Gymnasium does (each divided by their sum).
   * @param outcomes called once per (s, a) in order; calls `add` per outcome in Gymnasium's list order.
   */
  constructor(
    readonly numStates: number,
    readonly numActions: number,
    maxOutcomes: number,
    initialWeights: ArrayLike<number>,
    outcomes: (s: number, a: number, add: (p: number, next: number, reward: number, terminated: boolean) => void) => void,
  ) {
    this.maxOutcomes = maxOutcomes;
    const sa = numStates * numActions;
    this.counts = new Uint8Array(sa);
    this.probs = new Float64Array(sa * maxOutcomes);
    this.cumProbs = new Float64Array(sa * maxOutcomes);
    this.next = new Int32Array(sa * maxOutcomes);
    this.reward = new Float64Array(sa * maxOutcomes);
    this.terminal = new Uint8Array(sa * maxOutcomes);
    for (let s = 0; s < numStates; s++) {
      for (let a = 0; a < numActions; a++) {
        const row = s * numActions + a;
        const base = row * maxOutcomes;
        let acc = 0;
        outcomes(s, a, (p, next, reward, terminated) => {
          const k = this.counts[row];
          if (k >= maxOutcomes) throw new Error(`TransitionTable: more than ${maxOutcomes} outcomes for state ${s}, action ${a}`);
          acc += p;
          this.probs[base + k] = p;
          this.cumProbs[base + k] = acc;
          this.next[base + k] = next;
          this.reward[base + k] = reward;
          this.terminal[base + k] = terminated ? 1 : 0;
          this.counts[row] = k + 1;
        });
        if (this.counts[row] === 0) throw new Error(`TransitionTable: no outcome for state ${s}, action ${a}`);
      }
    }
    let total = 0;
    for (let s = 0; s < numStates; s++) total += initialWeights[s];
    if (!(total > 0)) throw new Error('TransitionTable: the start-state weights sum to 0');
    this.initialCum = new Float64Array(numStates);
    let acc = 0;
    for (let s = 0; s < numStates; s++) {
      acc += initialWeights[s] / total;
      this.initialCum[s] = acc;
    }
  }

  /** categorical_sample over the start distribution for a draw u in [0, 1). */
  sampleStart(u: number): number {
    return argmaxAbove(this.initialCum, 0, this.numStates, u);
  }

  /** Index into the outcome arrays of the outcome of (s, a) that draw u picks. */
  sampleOutcome(s: number, a: number, u: number): number {
    const row = s * this.numActions + a;
    const base = row * this.maxOutcomes;
    return base + argmaxAbove(this.cumProbs, base, this.counts[row], u);
  }
}

/** np.argmax(cum[offset, offset + n) > u): the first index whose sum exceeds u, 0 if none does. */
function argmaxAbove(cum: Float64Array, offset: number, n: number, u: number): number {
  for (let k = 0; k < n; k++) if (cum[offset + k] > u) return k;
  return 0;
}
