/**
 * The fused engine: an MLP with its own forward, backward, losses, global-norm clipping and
 * optimisers (SGD, RMSProp, Adam with tfjs's exact update rules), for networks small enough
 * that tfjs's per-call overhead dominates (REFERENCE.md §5). bench/nets.ts measures it.
 *
 * Layout and semantics follow tfjs so weights move freely between the engines and export as
 * a tfjs LayersModel: kernels are [in x out] row-major, biases [out]; kernels start
 * glorotUniform (Keras's Dense default; tfjs-layers' own default is glorotNormal) and biases
 * zero, drawn from the seeded Rng; activations behave like tfjs's (relu's gradient at 0 is
 * 0; elu with alpha 1, gradient 1 at 0). Losses: the masked loss on the taken action,
 * mean over the batch ('squared' (Q - q)^2, 'huber' smooth L1 with delta 1, as
 * tf.losses.huberLoss with MEAN reduction); with full targets, the per-element loss summed
 * over outputs and averaged over the batch, so the seed's phantom targets (the current
 * outputs for the actions not taken) give exactly the masked gradient.
 *
 * Memory: every array (parameters, gradients, optimiser moments, transposed kernels, and
 * the batch-sized activations and deltas) lives in one arena, a WebAssembly.Memory. The
 * parameters are one contiguous run in getWeights() order, so clipping, the optimiser step
 * and soft updates are single loops. Batch-sized regions are sized for the largest batch
 * seen so far and only grow: a steady-state predict() or trainStep() allocates nothing.
 *
 * Compute: the matrix products are one WebAssembly SIMD (f32x4) kernel assembled below
 * (gemm), blocked for the caches (M packed into panels that stay in L1, rows of C in
 * registers), which skips zero activations without branching (ReLU zeros, and the masked
 * loss's single non-zero delta per row); Adam, RMSProp and ReLU run in SIMD too. Where
 * WebAssembly SIMD is missing (or GYMHOST_FUSED_SIMD=0) the same arena runs on plain JS
 * loops, which sum in the same order: outputs and gradients are bit for bit the same either
 * way, as are SGD and RMSProp steps (Adam runs in f32 like tfjs in SIMD, in f64 in JS). All
 * values are stored as float32 like tfjs's; the engines agree to 1e-5 (test/unit/nets.test.ts).
 */
import { invalidArgument } from '../../errors.js';
import { Rng } from '../../rng.js';
import type { Activation, LossKind, MlpSpec, OptimizerSpec, QNetwork, TrainOptions, Weights } from './types.js';
import { parameterCount } from './types.js';
import {
  compileModule,
  doWhile,
  ELSE,
  END,
  F32,
  F64,
  get,
  I32,
  i32c,
  IF,
  moduleBytes,
  set,
  simd,
  tee,
  until,
  uleb,
  V128,
  wasmApi,
  WASM_PAGE,
  type WasmApi,
  type WasmMemory,
  type WasmModule,
} from '../../wasm-assembler.js';

/** tfjs's defaults (tf.train.rmsprop / tf.train.adam; epsilon = the float32 backend epsilon). */
export const TFJS_DEFAULTS = { rho: 0.9, momentum: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

/** Validates an MLP spec; throws INVALID_ARGUMENT on config.hidden_sizes / config.* fields. */
export function validateSpec(spec: MlpSpec): void {
  const posInt = (x: number) => Number.isInteger(x) && x > 0;
  if (!posInt(spec.inputSize)) throw invalidArgument('config.input_size', `input size must be a positive integer, got ${spec.inputSize}`);
  if (!posInt(spec.outputSize)) throw invalidArgument('config.num_actions', `output size must be a positive integer, got ${spec.outputSize}`);
  for (const h of spec.hiddenSizes) {
    if (!posInt(h)) throw invalidArgument('config.hidden_sizes', `hidden layer sizes must be positive integers, got [${spec.hiddenSizes.join(', ')}]`);
  }
  if (!['relu', 'tanh', 'sigmoid', 'elu', 'linear'].includes(spec.activation)) {
    throw invalidArgument('config.activation', `activation must be one of relu, tanh, sigmoid, elu, linear; got ${String(spec.activation)}`);
  }
}

/** Validates optimiser hyperparameters (field names as in the agent config). */
export function validateOptimizer(o: OptimizerSpec): void {
  if (!['sgd', 'rmsprop', 'adam'].includes(o.kind)) throw invalidArgument('config.optimizer', `optimizer must be sgd, rmsprop or adam; got ${String(o.kind)}`);
  if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate)) throw invalidArgument('config.learning_rate', `learning rate must be a positive number, got ${o.learningRate}`);
}

/**
 * tfjs Dense defaults drawn from the seeded Rng: each kernel glorotUniform (uniform in
 * +-sqrt(6 / (fanIn + fanOut)), layer by layer, row-major), biases zero.
 */
function glorotInit(sizes: readonly number[], seed: number, kernels: Float32Array[]): void {
  const rng = new Rng(seed);
  for (let l = 0; l + 1 < sizes.length; l++) {
    const limit = Math.sqrt(6 / (sizes[l] + sizes[l + 1]));
    const w = kernels[l];
    for (let k = 0; k < w.length; k++) w[k] = rng.uniform(-limit, limit);
  }
}

/** The initial weights of a network of `spec` and `seed` (the same for both engines). */
export function glorotWeights(spec: MlpSpec, seed: number): Weights {
  const sizes = [spec.inputSize, ...spec.hiddenSizes, spec.outputSize];
  const out: Weights = [];
  const kernels: Float32Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const k = new Float32Array(sizes[l] * sizes[l + 1]);
    kernels.push(k);
    out.push(k, new Float32Array(sizes[l + 1]));
  }
  glorotInit(sizes, seed, kernels);
  return out;
}

const enum Act {
  Relu,
  Tanh,
  Sigmoid,
  Elu,
  Linear,
}

function actCode(a: Activation): Act {
  switch (a) {
    case 'relu':
      return Act.Relu;
    case 'tanh':
      return Act.Tanh;
    case 'sigmoid':
      return Act.Sigmoid;
    case 'elu':
      return Act.Elu;
    default:
      return Act.Linear;
  }
}

const enum Opt {
  Sgd,
  RmsProp,
  Adam,
}

/** Options of the fused engine (for tests and benchmarks; the defaults are what to use). */
export interface FusedOptions {
  /**
   * Run the matrix products in the WebAssembly SIMD kernel (default: when the runtime
   * supports WebAssembly SIMD and GYMHOST_FUSED_SIMD is not "0"); false = plain JS loops.
   */
  readonly simd?: boolean;
}

/** adam(P, G, M1, M2, nb, b1, c1, b2, c2, lr1, bc2, eps): see kernelModuleBytes(). */
type AdamKernel = (P: number, G: number, M1: number, M2: number, nb: number, b1: number, c1: number, b2: number, c2: number, lr1: number, bc2: number, eps: number) => void;
/** rmsprop(P, G, MS, MOM, nb, rho, c, eps, mu, lr): see kernelModuleBytes(). */
type RmsPropKernel = (P: number, G: number, MS: number, MOM: number, nb: number, rho: number, c: number, eps: number, mu: number, lr: number) => void;

const PAGE = WASM_PAGE;
/** Byte offset 0..63 stays unused so that init = 0 can mean "start from zero". */
const BASE = 64;

export class FusedMlp implements QNetwork {
  readonly engine = 'fused' as const;
  readonly spec: MlpSpec;
  /** Optimiser steps taken (Adam's t). */
  steps = 0;
  /** Whether the matrix products run in WebAssembly SIMD. */
  readonly simd: boolean;

  private readonly sizes: number[];
  private readonly nLayers: number;
  private readonly act: Act;
  private readonly nParams: number;

  // The arena: one buffer (a WebAssembly.Memory's when simd) holding every array below.
  private readonly memory: WasmMemory | undefined;
  private buffer: ArrayBuffer;
  private f32: Float32Array;
  private gemm: Gemm;
  private readonly adamKernel: AdamKernel | undefined;
  private readonly rmspropKernel: RmsPropKernel | undefined;
  private readonly reluKernel: ((y: number, nb: number) => void) | undefined;
  private readonly reluGradKernel: ((a: number, d: number, nb: number) => void) | undefined;
  /** Float offsets of the fixed regions. */
  private readonly pOff: number;
  private readonly gOff: number;
  private readonly m1Off: number;
  private readonly m2Off: number;
  /** Per layer: float offsets of kernel and bias (in params; grads at the same offset - pOff + gOff). */
  private readonly wOff: number[] = [];
  private readonly bOff: number[] = [];
  private readonly fixedEnd: number;
  /** Batch-sized regions (float offsets), laid out after fixedEnd for `capacity` rows. */
  private capacity = 0;
  private onesOff = 0;
  private inOff = 0;
  /** actOff[l] / deltaOff[l]: layer l's output and dLoss/d(pre-activation), l = 1..nLayers. */
  private actOff: number[] = [];
  private deltaOff: number[] = [];

  // Views into the arena (rebuilt when it grows).
  private paramsView!: Float32Array;
  private gradsView!: Float32Array;
  private m1!: Float32Array;
  private m2!: Float32Array;

  private readonly opt: Opt;
  private readonly lr: number;
  private readonly rho: number;
  private readonly momentum: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(spec: MlpSpec, optimizer: OptimizerSpec, seed: number, options: FusedOptions = {}) {
    validateSpec(spec);
    validateOptimizer(optimizer);
    this.spec = { inputSize: spec.inputSize, hiddenSizes: [...spec.hiddenSizes], outputSize: spec.outputSize, activation: spec.activation };
    this.sizes = [spec.inputSize, ...spec.hiddenSizes, spec.outputSize];
    this.nLayers = this.sizes.length - 1;
    this.act = actCode(spec.activation);
    const n = parameterCount(spec);
    this.nParams = n;

    this.opt = optimizer.kind === 'sgd' ? Opt.Sgd : optimizer.kind === 'rmsprop' ? Opt.RmsProp : Opt.Adam;
    this.lr = optimizer.learningRate;
    this.rho = optimizer.rho ?? TFJS_DEFAULTS.rho;
    this.momentum = optimizer.momentum ?? TFJS_DEFAULTS.momentum;
    this.beta1 = optimizer.beta1 ?? TFJS_DEFAULTS.beta1;
    this.beta2 = optimizer.beta2 ?? TFJS_DEFAULTS.beta2;
    this.epsilon = optimizer.epsilon ?? TFJS_DEFAULTS.epsilon;

    const module = options.simd === false ? undefined : simdModule();
    this.simd = module !== undefined;
    // Fixed layout: params | grads | moment 1 | moment 2 | (simd) gemm scratch, 16-byte aligned.
    const moments = this.opt === Opt.Sgd ? 0 : n;
    let off = BASE / 4;
    const take = (len: number) => {
      const at = off;
      off += (len + 3) & ~3;
      return at;
    };
    this.pOff = take(n);
    this.gOff = take(n);
    this.m1Off = take(moments);
    this.m2Off = take(moments);
    let k = this.pOff;
    for (let l = 0; l < this.nLayers; l++) {
      this.wOff.push(k);
      k += this.sizes[l] * this.sizes[l + 1];
      this.bOff.push(k);
      k += this.sizes[l + 1];
    }
    // The widest product is as wide as the widest layer (forward and kernel gradients: nOut; input deltas: nIn).
    const [packBytes, pairsBytes, endsBytes] = module ? gemmScratchBytes(Math.max(...this.sizes)) : [0, 0, 0];
    const packOff = take(packBytes / 4);
    const pairsOff = take(pairsBytes / 4);
    const endsOff = take(endsBytes / 4);
    this.fixedEnd = off;

    const bytes = this.fixedEnd * 4;
    if (module) {
      const api = wasmApi as WasmApi;
      this.memory = new api.Memory({ initial: Math.ceil(bytes / PAGE) });
      const instance = new api.Instance(module, { env: { mem: this.memory } });
      const gemm = instance.exports.gemm as WasmGemm;
      const [pack, pairs, ends] = [packOff * 4, pairsOff * 4, endsOff * 4];
      this.gemm = (C, ldc, R, Nb, A, ars, ass, S, M, msr, msc, init) => gemm(C, ldc, R, Nb, A, ars, ass, S, M, msr, msc, init, pack, pairs, ends);
      this.adamKernel = instance.exports.adam as AdamKernel;
      this.rmspropKernel = instance.exports.rmsprop as RmsPropKernel;
      this.reluKernel = instance.exports.relu as (y: number, nb: number) => void;
      this.reluGradKernel = instance.exports.reluGrad as (a: number, d: number, nb: number) => void;
      this.buffer = this.memory.buffer;
    } else {
      this.buffer = new ArrayBuffer(bytes);
      this.gemm = gemmJs(new Float32Array(this.buffer));
    }
    this.f32 = new Float32Array(this.buffer);
    this.refreshViews();
    const kernels = this.wOff.map((o, l) => this.f32.subarray(o, o + this.sizes[l] * this.sizes[l + 1]));
    glorotInit(this.sizes, seed, kernels);
  }

  /** Every parameter, in getWeights() order (kernel0, bias0, kernel1, ...): a live view, valid until the next call. */
  get params(): Float32Array {
    return this.paramsView;
  }

  /** Gradients of the last gradients()/trainStep() (same layout as params): a live view. */
  get grads(): Float32Array {
    return this.gradsView;
  }

  get parameterCount(): number {
    return this.nParams;
  }

  private refreshViews(): void {
    const f = this.f32;
    const n = this.nParams;
    this.paramsView = f.subarray(this.pOff, this.pOff + n);
    this.gradsView = f.subarray(this.gOff, this.gOff + n);
    const moments = this.opt === Opt.Sgd ? 0 : n;
    this.m1 = f.subarray(this.m1Off, this.m1Off + moments);
    this.m2 = f.subarray(this.m2Off, this.m2Off + moments);
  }

  /** Grows the batch-sized regions to hold `batch` rows (never shrinks; no allocation otherwise). */
  private ensureCapacity(batch: number): void {
    if (batch <= this.capacity) return;
    const cap = Math.max(batch, this.capacity * 2, 16);
    let off = this.fixedEnd;
    const take = (len: number) => {
      const at = off;
      off += (len + 3) & ~3;
      return at;
    };
    const onesOff = take(cap);
    const inOff = take(cap * this.sizes[0]);
    const actOff = [0];
    const deltaOff = [0];
    for (let l = 1; l <= this.nLayers; l++) {
      actOff.push(take(cap * this.sizes[l]));
      deltaOff.push(take(cap * this.sizes[l]));
    }
    const bytes = off * 4;
    if (bytes > this.buffer.byteLength) {
      if (this.memory) {
        this.memory.grow(Math.ceil((bytes - this.buffer.byteLength) / PAGE));
        this.buffer = this.memory.buffer;
      } else {
        const grown = new ArrayBuffer(bytes);
        new Uint8Array(grown).set(new Uint8Array(this.buffer, 0, this.fixedEnd * 4));
        this.buffer = grown;
      }
      this.f32 = new Float32Array(this.buffer);
      if (!this.memory) this.gemm = gemmJs(this.f32);
      this.refreshViews();
    }
    this.f32.fill(1, onesOff, onesOff + cap);
    this.onesOff = onesOff;
    this.inOff = inOff;
    this.actOff = actOff;
    this.deltaOff = deltaOff;
    this.capacity = cap;
  }

  private checkBatch(inputs: Float32Array, batch: number): void {
    if (!Number.isInteger(batch) || batch < 0) throw new RangeError(`batch must be a non-negative integer, got ${batch}`);
    if (inputs.length < batch * this.spec.inputSize) {
      throw new RangeError(`inputs has ${inputs.length} values, need batch * inputSize = ${batch * this.spec.inputSize}`);
    }
  }

  /** Forward pass of `batch` rows; returns the float offset of the Q-values ([batch * outputSize]). */
  private forward(inputs: Float32Array, batch: number): number {
    this.ensureCapacity(batch);
    const f = this.f32;
    const nx = batch * this.sizes[0];
    if (nx === inputs.length) f.set(inputs, this.inOff);
    else for (let k = 0, o = this.inOff; k < nx; k++) f[o + k] = inputs[k];
    let x = this.inOff;
    for (let l = 0; l < this.nLayers; l++) {
      const nIn = this.sizes[l];
      const nOut = this.sizes[l + 1];
      const y = this.actOff[l + 1];
      // y[n, :] = b + sum_i x[n, i] W[i, :]
      this.gemm(y * 4, nOut * 4, batch, nOut * 4, x * 4, nIn * 4, 4, nIn, this.wOff[l] * 4, nOut * 4, 4, this.bOff[l] * 4);
      if (l + 1 < this.nLayers) {
        // The regions are padded to 16 bytes, so whole f32x4 lanes stay inside them.
        if (this.act === Act.Relu && this.reluKernel) this.reluKernel(y * 4, ((batch * nOut + 3) & ~3) * 4);
        else activate(this.act, f, y, y + batch * nOut);
      }
      x = y;
    }
    return x;
  }

  predict(inputs: Float32Array, batch: number, out: Float32Array): void {
    this.checkBatch(inputs, batch);
    const O = this.spec.outputSize;
    if (out.length < batch * O) throw new RangeError(`out has ${out.length} values, need batch * outputSize = ${batch * O}`);
    if (batch === 0) return;
    const q = this.forward(inputs, batch);
    const f = this.f32;
    for (let k = 0, m = batch * O; k < m; k++) out[k] = f[q + k];
  }

  /**
   * Forward + loss + backward into the gradient region; returns the loss. Masked loss (only
   * the taken action's output) unless fullTargets is given (loss over every output, summed
   * over outputs and averaged over the batch, so phantom targets give the masked gradient).
   */
  private computeGradients(
    inputs: Float32Array,
    actions: Int32Array,
    targets: Float32Array,
    batch: number,
    loss: LossKind,
    fullTargets?: Float32Array,
  ): number {
    this.checkBatch(inputs, batch);
    if (batch === 0) {
      this.gradsView.fill(0);
      return 0;
    }
    const O = this.spec.outputSize;
    const L = this.nLayers;
    if (fullTargets) {
      if (fullTargets.length < batch * O) throw new RangeError(`fullTargets has ${fullTargets.length} values, need ${batch * O}`);
    } else {
      if (actions.length < batch || targets.length < batch) throw new RangeError(`actions and targets need ${batch} values`);
      for (let n = 0; n < batch; n++) {
        const a = actions[n];
        if (!(a >= 0 && a < O)) throw new RangeError(`action ${a} out of range [0, ${O})`);
      }
    }
    const q = this.forward(inputs, batch);
    const f = this.f32;
    const d = this.deltaOff[L];
    const inv = 1 / batch;
    const huber = loss === 'huber';
    let total = 0;
    if (fullTargets) {
      const m = batch * O;
      for (let k = 0; k < m; k++) {
        const e = f[q + k] - fullTargets[k];
        if (huber) {
          const ae = e < 0 ? -e : e;
          if (ae <= 1) {
            total += 0.5 * e * e;
            f[d + k] = e * inv;
          } else {
            total += ae - 0.5;
            f[d + k] = (e > 0 ? 1 : -1) * inv;
          }
        } else {
          total += e * e;
          f[d + k] = 2 * e * inv;
        }
      }
    } else {
      f.fill(0, d, d + batch * O);
      for (let n = 0; n < batch; n++) {
        const k = n * O + actions[n];
        const e = f[q + k] - targets[n];
        if (huber) {
          const ae = e < 0 ? -e : e;
          if (ae <= 1) {
            total += 0.5 * e * e;
            f[d + k] = e * inv;
          } else {
            total += ae - 0.5;
            f[d + k] = (e > 0 ? 1 : -1) * inv;
          }
        } else {
          total += e * e;
          f[d + k] = 2 * e * inv;
        }
      }
    }
    // Backward: delta of layer l+1 -> grads of layer l and (l > 0) delta of layer l.
    const gShift = this.gOff - this.pOff;
    for (let l = L - 1; l >= 0; l--) {
      const nIn = this.sizes[l];
      const nOut = this.sizes[l + 1];
      const x = l === 0 ? this.inOff : this.actOff[l];
      const dOut = this.deltaOff[l + 1];
      // gW[i, :] = sum_n x[n, i] dOut[n, :]
      this.gemm((this.wOff[l] + gShift) * 4, nOut * 4, nIn, nOut * 4, x * 4, 4, nIn * 4, batch, dOut * 4, nOut * 4, 4, 0);
      // gb[:] = sum_n dOut[n, :]
      this.gemm((this.bOff[l] + gShift) * 4, 0, 1, nOut * 4, this.onesOff * 4, 0, 4, batch, dOut * 4, nOut * 4, 4, 0);
      if (l > 0) {
        // dIn[n, :] = sum_j dOut[n, j] W^T[j, :] (W^T read through strides), then times f'(z).
        const dIn = this.deltaOff[l];
        this.gemm(dIn * 4, nIn * 4, batch, nIn * 4, dOut * 4, nOut * 4, 4, nOut, this.wOff[l] * 4, 4, nOut * 4, 0);
        if (this.act === Act.Relu && this.reluGradKernel) this.reluGradKernel(x * 4, dIn * 4, ((batch * nIn + 3) & ~3) * 4);
        else activationBackward(this.act, f, x, dIn, batch * nIn);
      }
    }
    return total * inv;
  }

  gradients(inputs: Float32Array, actions: Int32Array, targets: Float32Array, batch: number, loss: LossKind, fullTargets?: Float32Array): Weights {
    this.computeGradients(inputs, actions, targets, batch, loss, fullTargets);
    return this.splitCopy(this.gradsView);
  }

  trainStep(inputs: Float32Array, actions: Int32Array, targets: Float32Array, batch: number, options: TrainOptions, fullTargets?: Float32Array): number {
    const loss = this.computeGradients(inputs, actions, targets, batch, options.loss, fullTargets);
    if (options.clipNorm > 0) clipGlobalNorm(this.gradsView, options.clipNorm);
    this.applyGradients();
    return loss;
  }

  /** The optimiser step on the gradients (tfjs's update rules, see tfjs-core/src/optimizers). */
  private applyGradients(): void {
    const p = this.paramsView;
    const g = this.gradsView;
    const n = p.length;
    const lr = this.lr;
    this.steps++;
    if (this.opt === Opt.Sgd) {
      for (let k = 0; k < n; k++) p[k] -= lr * g[k];
    } else if (this.opt === Opt.RmsProp) {
      // ms = rho ms + (1 - rho) g^2; mom = momentum mom + lr g / sqrt(ms + eps); p -= mom.
      const ms = this.m1;
      const mom = this.m2;
      const rho = this.rho;
      const c = 1 - rho;
      const eps = this.epsilon;
      const mu = this.momentum;
      if (this.rmspropKernel) {
        const nb = ((n + 1) & ~1) * 4; // pairs of floats; the regions are padded to 16 bytes
        this.rmspropKernel(this.pOff * 4, this.gOff * 4, this.m1Off * 4, this.m2Off * 4, nb, rho, c, eps, mu, lr);
        return;
      }
      for (let k = 0; k < n; k++) {
        const gk = g[k];
        const s = rho * ms[k] + c * gk * gk;
        ms[k] = s;
        const u = mu * mom[k] + (lr * gk) / Math.sqrt(s + eps);
        mom[k] = u;
        p[k] -= u;
      }
    } else {
      // m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
      // p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)   (epsilon outside the sqrt).
      const m = this.m1;
      const v = this.m2;
      const b1 = this.beta1;
      const b2 = this.beta2;
      const c1 = 1 - b1;
      const c2 = 1 - b2;
      const lr1 = lr / (1 - Math.pow(b1, this.steps));
      const bc2 = 1 / (1 - Math.pow(b2, this.steps));
      const eps = this.epsilon;
      if (this.adamKernel) {
        const nb = ((n + 3) & ~3) * 4; // the regions are padded to 16 bytes; padding stays 0
        this.adamKernel(this.pOff * 4, this.gOff * 4, this.m1Off * 4, this.m2Off * 4, nb, b1, c1, b2, c2, lr1, bc2, eps);
        return;
      }
      for (let k = 0; k < n; k++) {
        const gk = g[k];
        const mk = b1 * m[k] + c1 * gk;
        const vk = b2 * v[k] + c2 * gk * gk;
        m[k] = mk;
        v[k] = vk;
        p[k] -= (lr1 * mk) / (Math.sqrt(vk * bc2) + eps);
      }
    }
  }

  private splitCopy(flat: Float32Array): Weights {
    const out: Weights = [];
    let off = 0;
    for (let l = 0; l < this.nLayers; l++) {
      const kw = this.sizes[l] * this.sizes[l + 1];
      out.push(flat.slice(off, off + kw));
      off += kw;
      out.push(flat.slice(off, off + this.sizes[l + 1]));
      off += this.sizes[l + 1];
    }
    return out;
  }

  getWeights(): Weights {
    return this.splitCopy(this.paramsView);
  }

  /**
   * The optimiser's state, for exact snapshots: [steps as two float32 (high and low 24 bits)]
   * then, for RMSprop and Adam, copies of the first and second moment ([parameters] each).
   */
  getOptimizerState(): Float32Array[] {
    const steps = Float32Array.of(Math.floor(this.steps / 16777216), this.steps % 16777216);
    return this.opt === Opt.Sgd ? [steps] : [steps, this.m1.slice(), this.m2.slice()];
  }

  /** Puts back getOptimizerState's arrays (of a network of the same spec and optimiser). */
  setOptimizerState(state: Float32Array[]): void {
    const moments = this.opt === Opt.Sgd ? 0 : 2;
    if (state.length !== 1 + moments || state[0].length !== 2) throw new RangeError(`expected ${1 + moments} optimiser arrays, got ${state.length}`);
    if (moments && (state[1].length !== this.m1.length || state[2].length !== this.m2.length)) throw new RangeError(`optimiser moments must hold ${this.m1.length} values`);
    this.steps = state[0][0] * 16777216 + state[0][1];
    if (moments) {
      this.m1.set(state[1]);
      this.m2.set(state[2]);
    }
  }

  setWeights(weights: Weights): void {
    if (weights.length !== 2 * this.nLayers) throw new RangeError(`expected ${2 * this.nLayers} weight arrays, got ${weights.length}`);
    for (let l = 0; l < this.nLayers; l++) {
      const kw = this.sizes[l] * this.sizes[l + 1];
      const w = weights[2 * l];
      const bb = weights[2 * l + 1];
      if (w.length !== kw || bb.length !== this.sizes[l + 1]) {
        throw new RangeError(`layer ${l}: expected kernel ${kw} and bias ${this.sizes[l + 1]} values, got ${w.length} and ${bb.length}`);
      }
    }
    for (let l = 0; l < this.nLayers; l++) {
      this.f32.set(weights[2 * l], this.wOff[l]);
      this.f32.set(weights[2 * l + 1], this.bOff[l]);
    }
  }

  updateFrom(other: QNetwork, tau: number): void {
    if (!(tau >= 0 && tau <= 1)) throw new RangeError(`tau must be in [0, 1], got ${tau}`);
    let src: Float32Array;
    if (other instanceof FusedMlp) {
      if (other.nParams !== this.nParams || other.sizes.join() !== this.sizes.join()) throw new RangeError('updateFrom: networks differ in shape');
      src = other.paramsView;
    } else {
      const w = other.getWeights();
      if (w.length !== 2 * this.nLayers) throw new RangeError('updateFrom: networks differ in shape');
      src = new Float32Array(this.nParams);
      let off = 0;
      for (const a of w) {
        if (off + a.length > src.length) throw new RangeError('updateFrom: networks differ in shape');
        src.set(a, off);
        off += a.length;
      }
      if (off !== src.length) throw new RangeError('updateFrom: networks differ in shape');
    }
    const p = this.paramsView;
    if (tau === 1) {
      p.set(src);
      return;
    }
    const keep = 1 - tau;
    for (let k = 0; k < p.length; k++) p[k] = keep * p[k] + tau * src[k];
  }

  dispose(): void {
    // Everything lives in one buffer that the garbage collector frees with the network.
  }
}

// ---------------------------------------------------------------------------------------
// The one matrix kernel. gemm computes, for r in [0, R):
//   C[r, 0:N] = (init ? init[0:N] : 0) + sum_{s < S, a != 0} a * M[s, 0:N],  a = A[r, s]
// with row r of C at C + r*ldc, A[r, s] at A + r*ars + s*ass, M[s, j] at M + s*msr + j*msc
// (all byte offsets into the arena; Nb = 4N). Each C element is summed in increasing s,
// one f32 multiply and one f32 add per term, in every blocking and in both versions, so the
// blocked WebAssembly kernel and the plain JS loops (gemmJs) give the same bits.
// Strides make it every product of the MLP:
//   forward   y = x W + b      R = batch, S = nIn,   A = x (ars = nIn, ass = 1), M = W
//   kernel    gW = x^T d      R = nIn,   S = batch, A = x (ars = 1, ass = nIn), M = d
//   bias      gb = 1^T d      R = 1,     S = batch, A = ones,                    M = d
//   input     dIn = d W^T     R = batch, S = nOut,  A = d,   M = W^T (msr = 1, msc = nOut)
// Zero a's are skipped: ReLU zeros and the masked loss's one non-zero per row cost nothing.
// (Skipping 0 * m also skips 0 * inf = NaN; weights and activations are finite in practice.)

/** gemm(C, ldc, R, Nb, A, ars, ass, S, M, msr, msc, init): see above; all byte offsets. */
type Gemm = (C: number, ldc: number, R: number, Nb: number, A: number, ars: number, ass: number, S: number, M: number, msr: number, msc: number, init: number) => void;
/** The WebAssembly gemm: Gemm's arguments, then its scratch (pack, pairs, ends; see kernelModuleBytes()). */
type WasmGemm = (C: number, ldc: number, R: number, Nb: number, A: number, ars: number, ass: number, S: number, M: number, msr: number, msc: number, init: number, pack: number, pairs: number, ends: number) => void;

/** Rows of M per block (KB) and rows of C per block (RB) of the WebAssembly gemm. */
const GEMM_KB = 128;
const GEMM_RB = 128;
/**
 * f32x4 accumulators per row of C, so 4 * GEMM_V columns per panel: 7 accumulators, the 7
 * panel vectors they multiply and the broadcast a fill the 15 SIMD registers V8 allocates on
 * x64 (one more spills accumulators to the stack inside the inner loop).
 */
const GEMM_V = 7;
const GEMM_PANEL = 4 * GEMM_V;

/** Scratch bytes of the WebAssembly gemm for products at most `maxN` columns wide: [pack, pairs, ends]. */
function gemmScratchBytes(maxN: number): [number, number, number] {
  return [GEMM_KB * GEMM_PANEL * 4 * Math.ceil(maxN / GEMM_PANEL), GEMM_RB * GEMM_KB * 8, GEMM_RB * 4];
}

function gemmJs(f: Float32Array): Gemm {
  return (C, ldc, R, Nb, A, ars, ass, S, M, msr, msc, init) => {
    const N = Nb >> 2;
    const sr = msr >> 2;
    const sc = msc >> 2;
    for (let r = 0; r < R; r++) {
      const c = (C + r * ldc) >> 2;
      if (init) {
        const b = init >> 2;
        for (let j = 0; j < N; j++) f[c + j] = f[b + j];
      } else {
        f.fill(0, c, c + N);
      }
      for (let s = 0, a0 = (A + r * ars) >> 2, m0 = M >> 2; s < S; s++, a0 += ass >> 2, m0 += sr) {
        const a = f[a0];
        if (a === 0) continue;
        // fround: the product rounded to f32 as the WebAssembly kernel's f32x4.mul does (the
        // f64 sum of two f32 values, stored as f32, is already the f32 sum).
        if (sc === 1) for (let j = 0; j < N; j++) f[c + j] += Math.fround(a * f[m0 + j]);
        else for (let j = 0, m = m0; j < N; j++, m += sc) f[c + j] += Math.fround(a * f[m]);
      }
    }
  };
}

let simdModuleCache: WasmModule | null | undefined;

/** The compiled SIMD kernel module, or undefined when WebAssembly SIMD is unavailable or disabled. */
function simdModule(): WasmModule | undefined {
  if (simdModuleCache === undefined) {
    simdModuleCache = process.env.GYMHOST_FUSED_SIMD !== '0' ? compileModule(kernelModuleBytes) ?? null : null;
  }
  return simdModuleCache ?? undefined;
}

/**
 * The kernels as a WebAssembly module (SIMD f32x4 and f64x2), assembled here so the
 * repository holds their source, not a binary. Imports its memory as env.mem.
 *
 * gemm is blocked for the caches, as BLAS libraries block: M is taken GEMM_KB rows at a time
 * and copied ("packed") into panels of GEMM_PANEL columns, each panel's rows contiguous
 * (112 bytes a row, 14 KiB a block: it stays in the L1 cache while every row of C uses it,
 * whatever M's size, stride or transposition, so there is no cliff when the weights outgrow
 * a cache). For each block of GEMM_RB rows of C, the non-zero a = A[r, s] of the block's s
 * are first compacted, without branches, into (a, row offset in the panel) pairs; then each
 * panel runs over the pairs of every row with the row's GEMM_PANEL columns of C in GEMM_V
 * f32x4 accumulators. The columns past the last whole panel go in one more pass over the
 * same pairs (whole f32x4 columns, then the last 1-3 columns in the low lanes of one vector).
 * A later block of s starts from the C the earlier ones stored, so each element is still
 * summed in increasing s. Scratch: pack = KB * GEMM_PANEL * 4 bytes per panel, pairs =
 * RB * KB * 8 bytes, ends = RB * 4 bytes (gemmScratchBytes()).
 */
function kernelModuleBytes(): Uint8Array {
  const ADD = [0x6a];
  const SUB = [0x6b];
  const MUL = [0x6c];
  const AND = [0x71];
  const SHL = [0x74];
  const LT_S = [0x48];
  const GT_S = [0x4a];
  const LE_S = [0x4c];
  const GE_S = [0x4e];
  const EQ = [0x46];
  const EQZ = [0x45];
  const SELECT = [0x1b];
  const F32NE = [0x5c];
  const F32ZERO = [0x43, 0, 0, 0, 0];
  const f32load = (off: number) => [0x2a, 2, ...uleb(off)];
  const f32store = (off: number) => [0x38, 2, ...uleb(off)];
  const i32load = (off: number) => [0x28, 2, ...uleb(off)];
  const i32store = (off: number) => [0x36, 2, ...uleb(off)];
  const vload = (off: number) => [...simd(0x00), 4, ...uleb(off)];
  const vstore = (off: number) => [...simd(0x0b), 4, ...uleb(off)];
  const VZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];
  const SPLAT = simd(0x13); // f32x4.splat
  const VADD = simd(0xe4); // f32x4.add
  const VSUB = simd(0xe5);
  const VMUL = simd(0xe6);
  const VDIV = simd(0xe7);
  const VSQRT = simd(0xe3);
  const VMAX = simd(0xe9);
  const VGT = simd(0x44); // f32x4.gt
  const VAND = simd(0x4e); // v128.and
  /** min(x, y) of two i32 expressions (x and y are evaluated twice). */
  const minI = (x: number[], y: number[]) => [...x, ...y, ...x, ...y, ...LT_S, ...SELECT];

  // gemm: parameters, then locals.
  const [C, LDC, R, NB, A, ARS, ASS, S, M, MSR, MSC, INIT, PACK, PAIRS, ENDS] = Array.from({ length: 15 }, (_, k) => k);
  const [s0, kl, r0, rl, r, c, t, aPtr, pEnd, p, pe, mp, src, dst, panel, cRow, cc] = Array.from({ length: 17 }, (_, k) => 15 + k);
  const a = 32; // f32
  const av = 33; // v128
  const acc0 = 34; // GEMM_V v128 accumulators: 34..
  const PANEL_BYTES = GEMM_PANEL * 4;
  const BLOCK_BYTES = GEMM_KB * PANEL_BYTES;

  // Pack rows s0..s0+kl of M: panel q (columns q * GEMM_PANEL..) at PACK + q * BLOCK_BYTES,
  // its row t at + t * PANEL_BYTES. Whole panels of a row-major M are copied with f32x4 loads;
  // the rest (the last, narrower panel, or a transposed M) one float at a time.
  const pack = [
    ...i32c(0), ...set(c), ...get(PACK), ...set(panel),
    ...until([...get(c), ...get(NB), ...GE_S], [
      ...i32c(0), ...set(t),
      ...until([...get(t), ...get(kl), ...GE_S], [
        ...get(M), ...get(s0), ...get(t), ...ADD, ...get(MSR), ...MUL, ...ADD, ...get(c), ...i32c(2), ...[0x75] /* shr_s */, ...get(MSC), ...MUL, ...ADD, ...set(src),
        ...get(panel), ...get(t), ...i32c(PANEL_BYTES), ...MUL, ...ADD, ...set(dst),
        ...get(MSC), ...i32c(4), ...EQ, ...get(c), ...i32c(PANEL_BYTES), ...ADD, ...get(NB), ...LE_S, ...AND,
        ...IF,
        ...Array.from({ length: GEMM_V }, (_, j) => [...get(dst), ...get(src), ...vload(16 * j), ...vstore(16 * j)]).flat(),
        ...ELSE,
        // cc = bytes of this panel's row still to copy
        ...minI([...i32c(PANEL_BYTES)], [...get(NB), ...get(c), ...SUB]), ...set(cc),
        ...until([...get(cc), ...EQZ], [
          ...get(dst), ...get(src), ...f32load(0), ...f32store(0),
          ...get(src), ...get(MSC), ...ADD, ...set(src),
          ...get(dst), ...i32c(4), ...ADD, ...set(dst),
          ...get(cc), ...i32c(4), ...SUB, ...set(cc),
        ]),
        ...END,
        ...get(t), ...i32c(1), ...ADD, ...set(t),
      ]),
      ...get(c), ...i32c(PANEL_BYTES), ...ADD, ...set(c),
      ...get(panel), ...i32c(BLOCK_BYTES), ...ADD, ...set(panel),
    ]),
  ];
  // Compact rows r0..r0+rl over s0..s0+kl into (a, t * 128) pairs at PAIRS; row r's pairs end at ENDS[r - r0].
  const compact = [
    ...get(PAIRS), ...set(pEnd), ...i32c(0), ...set(r),
    ...until([...get(r), ...get(rl), ...GE_S], [
      ...get(A), ...get(r0), ...get(r), ...ADD, ...get(ARS), ...MUL, ...ADD, ...get(s0), ...get(ASS), ...MUL, ...ADD, ...set(aPtr),
      // t = the panel row's byte offset, up to dst = kl rows
      ...i32c(0), ...set(t), ...get(kl), ...i32c(PANEL_BYTES), ...MUL, ...set(dst),
      ...until([...get(t), ...get(dst), ...GE_S], [
        ...get(pEnd), ...get(aPtr), ...f32load(0), ...tee(a), ...f32store(0),
        ...get(pEnd), ...get(t), ...i32store(4),
        ...get(pEnd), ...get(a), ...F32ZERO, ...F32NE, ...i32c(3), ...SHL, ...ADD, ...set(pEnd),
        ...get(aPtr), ...get(ASS), ...ADD, ...set(aPtr),
        ...get(t), ...i32c(PANEL_BYTES), ...ADD, ...set(t),
      ]),
      ...get(ENDS), ...get(r), ...i32c(2), ...SHL, ...ADD, ...get(pEnd), ...i32store(0),
      ...get(r), ...i32c(1), ...ADD, ...set(r),
    ]),
  ];
  /**
   * For every row of the block: V accumulators (V f32x4, or one f32 when V = 0) start from
   * C (later blocks of s), init or zero, run over the row's pairs reading the panel at byte
   * column `col` (column cc of C), and are stored back.
   */
  const rowsOverPairs = (V: number, tail = 0): number[] => {
    const accs = Array.from({ length: V }, (_, j) => acc0 + j);
    // Whole f32x4 columns, or (tail = 4, 8 or 12 bytes) the last 1-3 columns in one vector's low lanes.
    const load = (base: number[], j: number): number[] => {
      if (!tail) return [...base, ...vload(16 * j)];
      if (tail === 4) return [...base, ...simd(0x5c), 2, 0]; // v128.load32_zero
      if (tail === 8) return [...base, ...simd(0x5d), 3, 0]; // v128.load64_zero
      return [...base, ...base, ...simd(0x5d), 3, 0, ...simd(0x56), 2, 8, 2]; // load64_zero, load32_lane 2 at +8
    };
    const store = (base: number[], acc: number, j: number): number[] => {
      if (!tail) return [...base, ...get(acc), ...vstore(16 * j)];
      if (tail === 4) return [...base, ...get(acc), ...simd(0x5a), 2, 0, 0]; // v128.store32_lane 0
      const low = [...base, ...get(acc), ...simd(0x5b), 3, 0, 0]; // v128.store64_lane 0
      return tail === 8 ? low : [...low, ...base, ...get(acc), ...simd(0x5a), 2, 8, 2]; // store32_lane 2 at +8
    };
    const start = (base: number[]) => accs.flatMap((acc, j) => [...load(base, j), ...set(acc)]);
    return [
      ...get(PAIRS), ...set(p), ...i32c(0), ...set(r),
      ...until([...get(r), ...get(rl), ...GE_S], [
        ...get(C), ...get(r0), ...get(r), ...ADD, ...get(LDC), ...MUL, ...ADD, ...get(cc), ...ADD, ...set(cRow),
        ...get(ENDS), ...get(r), ...i32c(2), ...SHL, ...ADD, ...i32load(0), ...set(pe),
        ...get(s0), ...IF,
        ...start(get(cRow)),
        ...ELSE,
        ...get(INIT), ...IF,
        ...start([...get(INIT), ...get(cc), ...ADD]),
        ...ELSE,
        ...accs.flatMap((acc) => [...VZERO, ...set(acc)]),
        ...END,
        ...END,
        ...get(p), ...get(pe), ...LT_S, ...IF,
        ...doWhile(
          [
            ...get(panel), ...get(p), ...i32load(4), ...ADD, ...set(mp),
            ...get(p), ...simd(0x09), 2, 0, ...set(av), // v128.load32_splat of a
            // Lanes past a tail's columns read the panel's next floats and are never stored.
            ...accs.flatMap((acc, j) => [...get(acc), ...get(av), ...get(mp), ...vload(16 * j), ...VMUL, ...VADD, ...set(acc)]),
            ...get(p), ...i32c(8), ...ADD, ...tee(p),
          ],
          [...get(pe), ...LT_S],
        ),
        ...END,
        ...accs.flatMap((acc, j) => store(get(cRow), acc, j)),
        ...get(r), ...i32c(1), ...ADD, ...set(r),
      ]),
    ];
  };
  // One block of rows: whole panels (GEMM_V accumulators), then the last panel's whole
  // f32x4 columns in one pass, then its last 1-3 columns in one pass. `panel` + the
  // column's byte offset within its panel is the pairs' base.
  const rowBlock = [
    ...compact,
    ...i32c(0), ...set(cc), ...get(PACK), ...set(panel),
    ...until([...get(cc), ...i32c(PANEL_BYTES), ...ADD, ...get(NB), ...GT_S], [
      ...rowsOverPairs(GEMM_V),
      ...get(cc), ...i32c(PANEL_BYTES), ...ADD, ...set(cc),
      ...get(panel), ...i32c(BLOCK_BYTES), ...ADD, ...set(panel),
    ]),
    ...Array.from({ length: GEMM_V - 1 }, (_, k) => GEMM_V - 1 - k).flatMap((v) => [
      ...get(NB), ...get(cc), ...SUB, ...i32c(4), ...[0x75], ...i32c(v), ...EQ, ...IF,
      ...rowsOverPairs(v),
      ...get(cc), ...i32c(16 * v), ...ADD, ...set(cc),
      ...get(panel), ...i32c(16 * v), ...ADD, ...set(panel),
      ...END,
    ]),
    ...[4, 8, 12].flatMap((tb) => [...get(NB), ...get(cc), ...SUB, ...i32c(tb), ...EQ, ...IF, ...rowsOverPairs(1, tb), ...END]),
  ];
  const gemmBody = [
    ...i32c(0), ...set(s0),
    ...doWhile(
      [
        ...minI([...i32c(GEMM_KB)], [...get(S), ...get(s0), ...SUB]), ...set(kl),
        ...pack,
        ...i32c(0), ...set(r0),
        ...doWhile(
          [
            ...minI([...i32c(GEMM_RB)], [...get(R), ...get(r0), ...SUB]), ...set(rl),
            ...rowBlock,
            ...get(r0), ...i32c(GEMM_RB), ...ADD, ...tee(r0),
          ],
          [...get(R), ...LT_S],
        ),
        ...get(s0), ...i32c(GEMM_KB), ...ADD, ...tee(s0),
      ],
      [...get(S), ...LT_S],
    ),
  ];

  // adam(P, G, M1, M2, nb, b1, c1, b2, c2, lr1, bc2, eps): tfjs's Adam over nb bytes (a
  // multiple of 16) of params, in f32 like tfjs: m = b1 m + c1 g; v = b2 v + c2 g^2;
  // p -= lr1 m / (sqrt(v bc2) + eps), with lr1 = lr / (1 - b1^t) and bc2 = 1 / (1 - b2^t).
  const [P, G, M1, M2, NBYTES] = [0, 1, 2, 3, 4];
  const scalars = [5, 6, 7, 8, 9, 10, 11]; // b1 c1 b2 c2 lr1 bc2 eps (f32)
  const i = 12;
  const [gv, mv, vv] = [13, 14, 15];
  const splats = [16, 17, 18, 19, 20, 21, 22];
  const [B1, C1, B2, C2, LR1, BC2, EPS] = splats;
  const at = (base: number) => [...get(base), ...get(i), ...ADD];
  const adamBody = [
    ...scalars.flatMap((sc, k) => [...get(sc), ...SPLAT, ...set(splats[k])]),
    ...i32c(0), ...set(i),
    ...until([...get(i), ...get(NBYTES), ...GE_S], [
      ...at(G), ...vload(0), ...set(gv),
      ...at(M1), ...get(B1), ...at(M1), ...vload(0), ...VMUL, ...get(C1), ...get(gv), ...VMUL, ...VADD, ...tee(mv), ...vstore(0),
      ...at(M2), ...get(B2), ...at(M2), ...vload(0), ...VMUL, ...get(C2), ...get(gv), ...get(gv), ...VMUL, ...VMUL, ...VADD, ...tee(vv), ...vstore(0),
      ...at(P), ...at(P), ...vload(0),
      ...get(LR1), ...get(mv), ...VMUL,
      ...get(vv), ...get(BC2), ...VMUL, ...VSQRT, ...get(EPS), ...VADD,
      ...VDIV, ...VSUB, ...vstore(0),
      ...get(i), ...i32c(16), ...ADD, ...set(i),
    ]),
  ];

  // rmsprop(P, G, MS, MOM, nb, rho, c, eps, mu, lr): tfjs's RMSProp over nb bytes (a multiple
  // of 8), two floats at a time in f64 with the plain JS loop's operations in its order, so
  // the bits are the JS loop's: s = rho ms + (c g) g; ms = f32(s); u = mu mom + (lr g) /
  // sqrt(s + eps); mom = f32(u); p = f32(p - u).
  const [RP, RG, RMS, RMOM, RNB] = [0, 1, 2, 3, 4];
  const rScalars = [5, 6, 7, 8, 9]; // rho c eps mu lr (f64)
  const ri = 10;
  const [rg, rs, ru] = [11, 12, 13];
  const rSplats = [14, 15, 16, 17, 18];
  const [RHO, RC, REPS, RMU, RLR] = rSplats;
  const F64SPLAT = simd(0x14);
  const DADD = simd(0xf0);
  const DSUB = simd(0xf1);
  const DMUL = simd(0xf2);
  const DDIV = simd(0xf3);
  const DSQRT = simd(0xef);
  const load2 = (base: number) => [...get(base), ...get(ri), ...ADD, ...simd(0x5d), 3, 0, ...simd(0x5f)]; // v128.load64_zero, f64x2.promote_low_f32x4
  const store2 = (base: number, value: number[]) => [...get(base), ...get(ri), ...ADD, ...value, ...simd(0x5e), ...simd(0x5b), 3, 0, 0]; // f32x4.demote_f64x2_zero, v128.store64_lane 0
  const rmspropBody = [
    ...rScalars.flatMap((sc, k) => [...get(sc), ...F64SPLAT, ...set(rSplats[k])]),
    ...i32c(0), ...set(ri),
    ...until([...get(ri), ...get(RNB), ...GE_S], [
      ...load2(RG), ...set(rg),
      ...get(RHO), ...load2(RMS), ...DMUL, ...get(RC), ...get(rg), ...DMUL, ...get(rg), ...DMUL, ...DADD, ...set(rs),
      ...store2(RMS, get(rs)),
      ...get(RMU), ...load2(RMOM), ...DMUL, ...get(RLR), ...get(rg), ...DMUL, ...get(rs), ...get(REPS), ...DADD, ...DSQRT, ...DDIV, ...DADD, ...set(ru),
      ...store2(RMOM, get(ru)),
      ...store2(RP, [...load2(RP), ...get(ru), ...DSUB]),
      ...get(ri), ...i32c(8), ...ADD, ...set(ri),
    ]),
  ];

  // relu(Y, nb): y = max(y, 0) over nb bytes (a multiple of 16). reluGrad(Act, D, nb):
  // d = a > 0 ? d : 0 (tfjs: the gradient at 0 is 0). Branch-free, 4 lanes at a time.
  const [Y, YN] = [0, 1];
  const yi = 2;
  const reluBody = [
    ...i32c(0), ...set(yi),
    ...until([...get(yi), ...get(YN), ...GE_S], [
      ...get(Y), ...get(yi), ...ADD,
      ...get(Y), ...get(yi), ...ADD, ...vload(0), ...VZERO, ...VMAX,
      ...vstore(0),
      ...get(yi), ...i32c(16), ...ADD, ...set(yi),
    ]),
  ];
  const [GA, GD, GN] = [0, 1, 2];
  const gi = 3;
  const reluGradBody = [
    ...i32c(0), ...set(gi),
    ...until([...get(gi), ...get(GN), ...GE_S], [
      ...get(GD), ...get(gi), ...ADD,
      ...get(GD), ...get(gi), ...ADD, ...vload(0),
      ...get(GA), ...get(gi), ...ADD, ...vload(0), ...VZERO, ...VGT,
      ...VAND, ...vstore(0),
      ...get(gi), ...i32c(16), ...ADD, ...set(gi),
    ]),
  ];

  const i32s = (n: number) => new Array<number>(n).fill(I32);
  return moduleBytes([
    { name: 'gemm', params: i32s(15), results: [], locals: [[17, I32], [1, F32], [1 + GEMM_V, V128]], body: gemmBody },
    { name: 'adam', params: [...i32s(5), ...new Array<number>(7).fill(F32)], results: [], locals: [[1, I32], [3 + 7, V128]], body: adamBody },
    { name: 'rmsprop', params: [...i32s(5), ...new Array<number>(5).fill(F64)], results: [], locals: [[1, I32], [3 + 5, V128]], body: rmspropBody },
    { name: 'relu', params: i32s(2), results: [], locals: [[1, I32]], body: reluBody },
    { name: 'reluGrad', params: i32s(3), results: [], locals: [[1, I32]], body: reluGradBody },
  ]);
}
// ---------------------------------------------------------------------------------------
// Activations, in place on arena ranges.

/** f[from:to] = activation(f[from:to]) with tfjs's definitions (elu alpha 1). */
function activate(act: Act, f: Float32Array, from: number, to: number): void {
  switch (act) {
    case Act.Relu:
      for (let k = from; k < to; k++) if (f[k] < 0) f[k] = 0;
      break;
    case Act.Tanh:
      for (let k = from; k < to; k++) f[k] = Math.tanh(f[k]);
      break;
    case Act.Sigmoid:
      for (let k = from; k < to; k++) f[k] = 1 / (1 + Math.exp(-f[k]));
      break;
    case Act.Elu:
      for (let k = from; k < to; k++) {
        const v = f[k];
        if (v < 0) f[k] = Math.expm1(v);
      }
      break;
    default:
      break;
  }
}

/**
 * delta *= f'(z) for m values, computed from the activation's output a = f(z) as tfjs's
 * gradients do (relu: 0 at z = 0; elu: 1 at z = 0, a + 1 below).
 */
function activationBackward(act: Act, f: Float32Array, aOff: number, dOff: number, m: number): void {
  switch (act) {
    case Act.Relu:
      for (let k = 0; k < m; k++) if (!(f[aOff + k] > 0)) f[dOff + k] = 0;
      break;
    case Act.Tanh:
      for (let k = 0; k < m; k++) {
        const v = f[aOff + k];
        f[dOff + k] *= 1 - v * v;
      }
      break;
    case Act.Sigmoid:
      for (let k = 0; k < m; k++) {
        const v = f[aOff + k];
        f[dOff + k] *= v * (1 - v);
      }
      break;
    case Act.Elu:
      for (let k = 0; k < m; k++) {
        const v = f[aOff + k];
        if (v < 0) f[dOff + k] *= v + 1;
      }
      break;
    default:
      break;
  }
}

/** Scales g so its L2 norm is at most maxNorm (TF clip_by_global_norm); returns the norm before. */
export function clipGlobalNorm(g: Float32Array, maxNorm: number): number {
  let s = 0;
  for (let k = 0; k < g.length; k++) s += g[k] * g[k];
  const norm = Math.sqrt(s);
  if (norm > maxNorm) {
    const c = maxNorm / norm;
    for (let k = 0; k < g.length; k++) g[k] *= c;
  }
  return norm;
}
