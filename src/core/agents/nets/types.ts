/**
 * The Q network behind one interface with two engines: a fused Float32Array MLP
 * (nets/fused-mlp.ts) for small nets and tfjs (nets/tfjs-mlp.ts, wasm backend, or
 * tfjs-node when installed). Shapes are row-major: a batch of B inputs is a
 * Float32Array of B * inputSize, Q-values B * outputSize.
 */

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'linear';

/** A fully connected network inputSize -> hidden... -> outputSize (linear output layer). */
export interface MlpSpec {
  readonly inputSize: number;
  readonly hiddenSizes: readonly number[];
  readonly outputSize: number;
  readonly activation: Activation;
}

export type OptimizerKind = 'sgd' | 'rmsprop' | 'adam';

/**
 * Optimiser hyperparameters, with tfjs's meaning: sgd (lr); rmsprop (lr, decay rho,
 * epsilon, momentum 0, not centered); adam (lr, beta1, beta2, epsilon).
 */
export interface OptimizerSpec {
  readonly kind: OptimizerKind;
  readonly learningRate: number;
  readonly rho?: number;
  readonly momentum?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

/**
 * Regression loss on the taken action's Q-value, averaged over the batch:
 * 'squared' = (Q(s,a) - q)^2 (the seed's least squares), 'huber' = smooth L1 with delta 1
 * (as SB3 / PyTorch smooth_l1_loss).
 */
export type LossKind = 'squared' | 'huber';

export interface TrainOptions {
  readonly loss: LossKind;
  /** Clip the global gradient norm to this value before the optimiser step (0 = no clipping). */
  readonly clipNorm: number;
}

/** Weights in tfjs Dense layout: [kernel0 (in x out, row-major), bias0, kernel1, bias1, ...]. */
export type Weights = Float32Array[];

export interface QNetwork {
  readonly spec: MlpSpec;
  readonly engine: 'fused' | 'tfjs';

  /** Q-values of `batch` inputs ([batch * inputSize]) into out ([batch * outputSize]). */
  predict(inputs: Float32Array, batch: number, out: Float32Array): void;

  /**
   * One optimiser step on the loss over (inputs, actions, targets): only the taken action's
   * output regresses to its target (the masked loss, equal in gradient to the seed's phantom
   * outputs). inputs [batch * inputSize], actions [batch], targets [batch]. Returns the
   * loss before the step. With `fullTargets` ([batch * outputSize]) the loss is over every
   * output against those targets (the seed's phantom outputs), as in gradients().
   */
  trainStep(inputs: Float32Array, actions: Int32Array, targets: Float32Array, batch: number, options: TrainOptions, fullTargets?: Float32Array): number;

  /**
   * Gradients of the same loss without a step (same layout as getWeights), for tests and
   * the phantom-output check. With `fullTargets` ([batch * outputSize]) the loss is over all
   * outputs against those targets instead (the seed's phantom outputs: targets equal to the
   * current outputs except the taken action).
   */
  gradients(inputs: Float32Array, actions: Int32Array, targets: Float32Array, batch: number, loss: LossKind, fullTargets?: Float32Array): Weights;

  getWeights(): Weights;
  setWeights(weights: Weights): void;
  /** theta <- (1 - tau) * theta + tau * other.theta (tau = 1 copies). */
  updateFrom(other: QNetwork, tau: number): void;
  /** Frees engine resources (tfjs tensors). */
  dispose(): void;
}

/** Number of parameters of an MLP spec. */
export function parameterCount(spec: MlpSpec): number {
  const sizes = [spec.inputSize, ...spec.hiddenSizes, spec.outputSize];
  let n = 0;
  for (let i = 0; i + 1 < sizes.length; i++) n += sizes[i] * sizes[i + 1] + sizes[i + 1];
  return n;
}
