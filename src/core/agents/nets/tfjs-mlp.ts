/**
 * The tfjs engine: the same MLP as a tf.Sequential of Dense layers, trained with tfjs's own
 * gradients and optimisers, for networks too large for the fused engine.
 *
 * Backend: `initTfjs()` picks @tensorflow/tfjs-node ('tensorflow') when
 * `import('@tensorflow/tfjs-node')` succeeds (it is never a required dependency), else the
 * wasm backend (@tensorflow/tfjs-backend-wasm), else tfjs's pure-JS 'cpu' backend.
 * GYMHOST_TFJS_BACKEND=tensorflow|wasm|cpu asks for one backend (falling back as above if
 * it cannot start). Networks are built with `await TfjsMlp.create(...)`, which initialises
 * the backend first.
 *
 * Semantics are the fused engine's (nets/fused-mlp.ts): same initial weights for the same
 * seed (glorotUniform drawn from the seeded Rng, zero biases), masked loss on the taken
 * action (squared, or tf.losses.huberLoss with delta 1 and MEAN reduction), full-output
 * loss = sum over outputs averaged over the batch, global-norm clipping, and tfjs's
 * SGD / RMSProp / Adam.
 */
import * as tf from '@tensorflow/tfjs';
import { glorotWeights, validateOptimizer, validateSpec } from './fused-mlp.js';
import type { LossKind, MlpSpec, OptimizerSpec, QNetwork, TrainOptions, Weights } from './types.js';

export type TfjsBackend = 'tensorflow' | 'wasm' | 'cpu';

const loaded = new Map<TfjsBackend, Promise<boolean>>();
let current: Promise<TfjsBackend> | undefined;

/** Imports a backend's package once; false when it cannot be imported. */
function load(backend: TfjsBackend): Promise<boolean> {
  let p = loaded.get(backend);
  if (!p) {
    p = (async () => {
      try {
        if (backend === 'tensorflow') {
          // A variable specifier keeps TypeScript from requiring the optional package.
          const name = '@tensorflow/tfjs-node';
          await import(name);
        } else if (backend === 'wasm') {
          await import('@tensorflow/tfjs-backend-wasm');
        }
        return true;
      } catch {
        return false;
      }
    })();
    loaded.set(backend, p);
  }
  return p;
}

/** Loads and switches to `backend`; false when it cannot be loaded or started. */
async function switchTo(backend: TfjsBackend): Promise<boolean> {
  if (!(await load(backend))) return false;
  try {
    if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) return false;
    await tf.ready();
    return tf.getBackend() === backend;
  } catch {
    return false;
  }
}

function isBackend(x: string | undefined): x is TfjsBackend {
  return x === 'tensorflow' || x === 'wasm' || x === 'cpu';
}

/**
 * Initialises tfjs and returns the backend in use. Without `prefer`: the first call picks
 * GYMHOST_TFJS_BACKEND when set and it starts, else tfjs-node when importable, else wasm,
 * else cpu; later calls return that choice (idempotent). With `prefer`: switches to that
 * backend when it starts (falling back in the same order otherwise) and keeps it.
 */
export function initTfjs(prefer?: TfjsBackend): Promise<TfjsBackend> {
  if (prefer === undefined && current) return current;
  const env = process.env.GYMHOST_TFJS_BACKEND;
  const first = prefer ?? (isBackend(env) ? env : undefined);
  const order = [...new Set<TfjsBackend>([...(first ? [first] : []), 'tensorflow', 'wasm', 'cpu'])];
  current = (async () => {
    for (const b of order) if (await switchTo(b)) return b;
    throw new Error('no tfjs backend could be initialised');
  })();
  return current;
}

/** Whether @tensorflow/tfjs-node can be imported here (imports it when it can). */
export function tfjsNodeAvailable(): Promise<boolean> {
  return load('tensorflow');
}

function makeOptimizer(o: OptimizerSpec): tf.Optimizer {
  switch (o.kind) {
    case 'sgd':
      return tf.train.sgd(o.learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(o.learningRate, o.rho ?? 0.9, o.momentum ?? 0, o.epsilon, false);
    default:
      return tf.train.adam(o.learningRate, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.epsilon);
  }
}

export class TfjsMlp implements QNetwork {
  readonly engine = 'tfjs' as const;
  readonly spec: MlpSpec;
  readonly model: tf.Sequential;
  private readonly optimizer: tf.Optimizer;
  private readonly variables: tf.Variable[];
  private disposed = false;

  /** Builds the network on the current tfjs backend; prefer `await TfjsMlp.create(...)`. */
  constructor(spec: MlpSpec, optimizer: OptimizerSpec, seed: number) {
    validateSpec(spec);
    validateOptimizer(optimizer);
    this.spec = { inputSize: spec.inputSize, hiddenSizes: [...spec.hiddenSizes], outputSize: spec.outputSize, activation: spec.activation };
    const sizes = [spec.inputSize, ...spec.hiddenSizes, spec.outputSize];
    this.model = tf.sequential();
    for (let l = 0; l + 1 < sizes.length; l++) {
      this.model.add(
        tf.layers.dense({
          units: sizes[l + 1],
          activation: l + 2 < sizes.length ? spec.activation : 'linear',
          useBias: true,
          kernelInitializer: 'zeros',
          biasInitializer: 'zeros',
          ...(l === 0 ? { inputShape: [spec.inputSize] } : {}),
        }),
      );
    }
    this.variables = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.optimizer = makeOptimizer(optimizer);
    this.setWeights(glorotWeights(spec, seed));
  }

  /** Initialises tfjs (see initTfjs) and builds the network. */
  static async create(spec: MlpSpec, optimizer: OptimizerSpec, seed: number): Promise<TfjsMlp> {
    await initTfjs();
    return new TfjsMlp(spec, optimizer, seed);
  }

  private inputTensor(inputs: Float32Array, batch: number): tf.Tensor2D {
    const n = batch * this.spec.inputSize;
    if (inputs.length < n) throw new RangeError(`inputs has ${inputs.length} values, need batch * inputSize = ${n}`);
    return tf.tensor2d(inputs.length === n ? inputs : inputs.subarray(0, n), [batch, this.spec.inputSize], 'float32');
  }

  predict(inputs: Float32Array, batch: number, out: Float32Array): void {
    const O = this.spec.outputSize;
    if (out.length < batch * O) throw new RangeError(`out has ${out.length} values, need batch * outputSize = ${batch * O}`);
    if (batch === 0) return;
    const q = tf.tidy(() => this.model.apply(this.inputTensor(inputs, batch)) as tf.Tensor);
    try {
      out.set(q.dataSync() as Float32Array);
    } finally {
      q.dispose();
    }
  }

  /** The scalar loss as a function of the variables (called inside variableGrads). */
  private lossFn(
    inputs: Float32Array,
    actions: Int32Array,
    targets: Float32Array,
    batch: number,
    loss: LossKind,
    fullTargets?: Float32Array,
  ): () => tf.Scalar {
    const O = this.spec.outputSize;
    return () => {
      const q = this.model.apply(this.inputTensor(inputs, batch), { training: true }) as tf.Tensor2D;
      if (fullTargets) {
        if (fullTargets.length < batch * O) throw new RangeError(`fullTargets has ${fullTargets.length} values, need ${batch * O}`);
        const y = tf.tensor2d(fullTargets.subarray(0, batch * O), [batch, O]);
        const perElement =
          loss === 'huber' ? tf.losses.huberLoss(y, q, undefined, 1, tf.Reduction.NONE) : tf.square(tf.sub(q, y));
        return tf.div(tf.sum(perElement), batch) as tf.Scalar;
      }
      if (actions.length < batch || targets.length < batch) throw new RangeError(`actions and targets need ${batch} values`);
      for (let n = 0; n < batch; n++) {
        const a = actions[n];
        if (!(a >= 0 && a < O)) throw new RangeError(`action ${a} out of range [0, ${O})`);
      }
      const mask = tf.oneHot(tf.tensor1d(actions.subarray(0, batch), 'int32'), O);
      const qa = tf.sum(tf.mul(q, mask), 1);
      const t = tf.tensor1d(targets.subarray(0, batch));
      return (
        loss === 'huber' ? tf.losses.huberLoss(t, qa, undefined, 1, tf.Reduction.MEAN) : tf.mean(tf.square(tf.sub(qa, t)))
      ) as tf.Scalar;
    };
  }

  gradients(inputs: Float32Array, actions: Int32Array, targets: Float32Array, batch: number, loss: LossKind, fullTargets?: Float32Array): Weights {
    if (batch === 0) return this.getWeights().map((w) => new Float32Array(w.length));
    return tf.tidy(() => {
      const { grads } = tf.variableGrads(this.lossFn(inputs, actions, targets, batch, loss, fullTargets), this.variables);
      return this.variables.map((v) => Float32Array.from(grads[v.name].dataSync() as Float32Array));
    });
  }

  trainStep(inputs: Float32Array, actions: Int32Array, targets: Float32Array, batch: number, options: TrainOptions, fullTargets?: Float32Array): number {
    if (batch === 0) return 0;
    let lossValue = 0;
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(this.lossFn(inputs, actions, targets, batch, options.loss, fullTargets), this.variables);
      let named: tf.NamedTensorMap = grads;
      if (options.clipNorm > 0) {
        // Global norm over all parameters; scale by clipNorm / max(norm, clipNorm).
        const names = this.variables.map((v) => v.name);
        const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
        const scale = tf.div(options.clipNorm, tf.maximum(norm, options.clipNorm));
        named = {};
        for (const n of names) named[n] = tf.mul(grads[n], scale);
      }
      this.optimizer.applyGradients(named);
      lossValue = value.dataSync()[0];
    });
    return lossValue;
  }

  getWeights(): Weights {
    return this.variables.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  }

  setWeights(weights: Weights): void {
    if (weights.length !== this.variables.length) throw new RangeError(`expected ${this.variables.length} weight arrays, got ${weights.length}`);
    this.variables.forEach((v, i) => {
      if (weights[i].length !== v.size) throw new RangeError(`weight ${i}: expected ${v.size} values, got ${weights[i].length}`);
    });
    tf.tidy(() => {
      this.variables.forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape, 'float32')));
    });
  }

  updateFrom(other: QNetwork, tau: number): void {
    if (!(tau >= 0 && tau <= 1)) throw new RangeError(`tau must be in [0, 1], got ${tau}`);
    if (other instanceof TfjsMlp) {
      if (other.variables.length !== this.variables.length) throw new RangeError('updateFrom: networks differ in shape');
      tf.tidy(() => {
        this.variables.forEach((v, i) => {
          const src = other.variables[i];
          if (src.size !== v.size) throw new RangeError('updateFrom: networks differ in shape');
          v.assign(tau === 1 ? tf.clone(src) : tf.add(tf.mul(v, 1 - tau), tf.mul(src, tau)));
        });
      });
      return;
    }
    const src = other.getWeights();
    if (tau === 1) {
      this.setWeights(src);
      return;
    }
    const own = this.getWeights();
    if (src.length !== own.length) throw new RangeError('updateFrom: networks differ in shape');
    const keep = 1 - tau;
    for (let i = 0; i < own.length; i++) {
      if (src[i].length !== own[i].length) throw new RangeError('updateFrom: networks differ in shape');
      for (let k = 0; k < own[i].length; k++) own[i][k] = keep * own[i][k] + tau * src[i][k];
    }
    this.setWeights(own);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer.dispose();
    this.model.dispose();
  }
}
