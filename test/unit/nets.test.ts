/**
 * The two Q-network engines agree: the fused Float32Array MLP and tfjs (the wasm backend
 * here, or tfjs-node when installed) give the same outputs, gradients and optimiser steps on
 * random networks and batches; weights move between them; the seed's phantom outputs give
 * the masked loss's gradients; exported weights load with tf.loadLayersModel.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { FUSED_MAX_PARAMETERS, MAX_PARAMETERS, createNetwork, resolveEngine } from '../../src/core/agents/nets/create-network.js';
import { FusedMlp } from '../../src/core/agents/nets/fused-mlp.js';
import { initTfjs, TfjsMlp, tfjsNodeAvailable } from '../../src/core/agents/nets/tfjs-mlp.js';
import { modelJson, saveTfjsModel, toTfjsArtifacts, weightsBin } from '../../src/core/agents/nets/tfjs-export.js';
import type { LossKind, MlpSpec, OptimizerSpec, QNetwork, Weights } from '../../src/core/agents/nets/types.js';
import { parameterCount } from '../../src/core/agents/nets/types.js';
import { DomainError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';

const TOL = 1e-5;

const SPECS: MlpSpec[] = [
  { inputSize: 4, hiddenSizes: [16, 12], outputSize: 3, activation: 'relu' },
  { inputSize: 3, hiddenSizes: [10, 7], outputSize: 2, activation: 'tanh' },
  { inputSize: 5, hiddenSizes: [9, 6], outputSize: 4, activation: 'sigmoid' },
  { inputSize: 4, hiddenSizes: [12, 8], outputSize: 3, activation: 'elu' },
  { inputSize: 6, hiddenSizes: [11], outputSize: 2, activation: 'linear' },
  { inputSize: 4, hiddenSizes: [32], outputSize: 2, activation: 'relu' },
];

const ADAM: OptimizerSpec = { kind: 'adam', learningRate: 1e-2 };

interface Batch {
  inputs: Float32Array;
  actions: Int32Array;
  targets: Float32Array;
  batch: number;
}

function randomBatch(spec: MlpSpec, batch: number, seed: number, targetScale = 3): Batch {
  const rng = new Rng(seed);
  const inputs = Float32Array.from({ length: batch * spec.inputSize }, () => rng.uniform(-2, 2));
  const actions = Int32Array.from({ length: batch }, () => rng.nextInt(spec.outputSize));
  const targets = Float32Array.from({ length: batch }, () => rng.uniform(-targetScale, targetScale));
  return { inputs, actions, targets, batch };
}

function predict(net: QNetwork, b: Batch): Float32Array {
  const out = new Float32Array(b.batch * net.spec.outputSize);
  net.predict(b.inputs, b.batch, out);
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** |a - b| <= tol * max(1, |b|) element-wise, over every array. */
function assertClose(a: Weights | Float32Array, b: Weights | Float32Array, tol: number, what: string): void {
  const as = a instanceof Float32Array ? [a] : a;
  const bs = b instanceof Float32Array ? [b] : b;
  assert.equal(as.length, bs.length, `${what}: array counts differ`);
  for (let t = 0; t < as.length; t++) {
    assert.equal(as[t].length, bs[t].length, `${what}[${t}]: lengths differ`);
    for (let i = 0; i < as[t].length; i++) {
      const d = Math.abs(as[t][i] - bs[t][i]);
      if (!(d <= tol * Math.max(1, Math.abs(bs[t][i])))) {
        assert.fail(`${what}[${t}][${i}]: ${as[t][i]} vs ${bs[t][i]} (diff ${d} > ${tol})`);
      }
    }
  }
}

function flat(w: Weights): Float32Array {
  const out = new Float32Array(w.reduce((a, x) => a + x.length, 0));
  let off = 0;
  for (const x of w) {
    out.set(x, off);
    off += x.length;
  }
  return out;
}

function norm(w: Weights): number {
  let s = 0;
  for (const x of w) for (const v of x) s += v * v;
  return Math.sqrt(s);
}

function name(spec: MlpSpec): string {
  return `${[spec.inputSize, ...spec.hiddenSizes, spec.outputSize].join('-')} ${spec.activation}`;
}

/** Targets over all outputs: the network's own outputs, except the taken action's target. */
function phantomTargets(net: QNetwork, b: Batch): Float32Array {
  const full = predict(net, b);
  const O = net.spec.outputSize;
  for (let n = 0; n < b.batch; n++) full[n * O + b.actions[n]] = b.targets[n];
  return full;
}

let backend = '';
const live: QNetwork[] = [];
function track<T extends QNetwork>(net: T): T {
  live.push(net);
  return net;
}

before(async () => {
  backend = await initTfjs();
});
after(() => {
  for (const n of live) n.dispose();
});

describe('fused vs tfjs engines', () => {
  test('same seed gives the same initial weights and outputs (batch 13 and 64)', () => {
    assert.ok(['tensorflow', 'wasm', 'cpu'].includes(backend), `backend ${backend}`);
    for (const [i, spec] of SPECS.entries()) {
      const fused = track(new FusedMlp(spec, ADAM, 100 + i));
      const tfjs = track(new TfjsMlp(spec, ADAM, 100 + i));
      assert.equal(fused.engine, 'fused');
      assert.equal(tfjs.engine, 'tfjs');
      assertClose(fused.getWeights(), tfjs.getWeights(), 0, `${name(spec)} initial weights`);
      // glorotUniform: kernels within +-sqrt(6 / (fanIn + fanOut)), not all equal; biases zero.
      const w = fused.getWeights();
      const limit0 = Math.sqrt(6 / (spec.inputSize + (spec.hiddenSizes[0] ?? spec.outputSize)));
      assert.ok(w[0].every((v) => Math.abs(v) <= limit0) && maxDiff(w[0], new Float32Array(w[0].length)) > limit0 / 2);
      assert.ok(w[1].every((v) => v === 0));
      for (const batch of [13, 64]) {
        const b = randomBatch(spec, batch, 7 + i);
        const qf = predict(fused, b);
        const qt = predict(tfjs, b);
        assert.ok(maxDiff(qf, new Float32Array(qf.length)) > 1e-3, 'outputs are not trivially zero');
        assertClose(qf, qt, TOL, `${name(spec)} batch ${batch} outputs`);
      }
    }
  });

  for (const loss of ['squared', 'huber'] as LossKind[]) {
    test(`masked ${loss} gradients agree`, () => {
      for (const [i, spec] of SPECS.entries()) {
        const fused = track(new FusedMlp(spec, ADAM, 200 + i));
        const tfjs = track(new TfjsMlp(spec, ADAM, 200 + i));
        const b = randomBatch(spec, 37, 300 + i);
        if (loss === 'huber') {
          // Both branches of smooth L1 are exercised.
          const q = predict(fused, b);
          const errs = Array.from({ length: b.batch }, (_, n) => Math.abs(q[n * spec.outputSize + b.actions[n]] - b.targets[n]));
          assert.ok(errs.some((e) => e < 1) && errs.some((e) => e > 1), `${name(spec)}: errors on both sides of delta`);
        }
        const gf = fused.gradients(b.inputs, b.actions, b.targets, b.batch, loss);
        const gt = tfjs.gradients(b.inputs, b.actions, b.targets, b.batch, loss);
        assert.ok(norm(gt) > 1e-3, `${name(spec)}: gradient is not trivially zero`);
        assertClose(gf, gt, TOL, `${name(spec)} ${loss} gradients`);
      }
    });
  }

  test('a full-output loss (no phantom targets) agrees too: mean over batch of the sum over outputs', () => {
    const spec = SPECS[0];
    const fused = track(new FusedMlp(spec, ADAM, 1));
    const tfjs = track(new TfjsMlp(spec, ADAM, 1));
    const b = randomBatch(spec, 20, 2);
    const rng = new Rng(3);
    const full = Float32Array.from({ length: b.batch * spec.outputSize }, () => rng.uniform(-3, 3));
    for (const loss of ['squared', 'huber'] as LossKind[]) {
      assertClose(
        fused.gradients(b.inputs, b.actions, b.targets, b.batch, loss, full),
        tfjs.gradients(b.inputs, b.actions, b.targets, b.batch, loss, full),
        TOL,
        `full ${loss}`,
      );
    }
  });

  for (const kind of ['sgd', 'rmsprop', 'adam'] as const) {
    test(`one ${kind} step gives the same loss and weights`, () => {
      const opt: OptimizerSpec = { kind, learningRate: kind === 'sgd' ? 0.05 : 1e-3 };
      for (const [i, spec] of SPECS.entries()) {
        for (const loss of ['squared', 'huber'] as LossKind[]) {
          const fused = track(new FusedMlp(spec, opt, 400 + i));
          const tfjs = track(new TfjsMlp(spec, opt, 400 + i));
          const before = fused.getWeights();
          const b = randomBatch(spec, 32, 500 + i);
          const lf = fused.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss, clipNorm: 0 });
          const lt = tfjs.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss, clipNorm: 0 });
          assert.ok(Math.abs(lf - lt) <= TOL * Math.max(1, Math.abs(lt)), `${name(spec)} ${loss}: loss ${lf} vs ${lt}`);
          assert.ok(maxDiff(flat(fused.getWeights()), flat(before)) > 1e-4, 'the step moved the weights');
          assertClose(fused.getWeights(), tfjs.getWeights(), TOL, `${name(spec)} ${kind} ${loss} weights after one step`);
        }
      }
    });
  }

  test('five adam and rmsprop (with momentum) steps on different batches stay equal (moments, bias correction)', () => {
    for (const kind of ['adam', 'rmsprop'] as const) {
      const opt: OptimizerSpec = { kind, learningRate: 3e-3, ...(kind === 'adam' ? { beta1: 0.8, beta2: 0.99 } : { rho: 0.8, momentum: 0.5 }) };
      for (const [i, spec] of SPECS.slice(0, 4).entries()) {
        const fused = track(new FusedMlp(spec, opt, 600 + i));
        const tfjs = track(new TfjsMlp(spec, opt, 600 + i));
        for (let s = 0; s < 5; s++) {
          const b = randomBatch(spec, 24, 700 + 10 * i + s);
          const lf = fused.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'huber', clipNorm: 0 });
          const lt = tfjs.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'huber', clipNorm: 0 });
          assert.ok(Math.abs(lf - lt) <= TOL * Math.max(1, lt), `${kind} step ${s} loss ${lf} vs ${lt}`);
        }
        assertClose(fused.getWeights(), tfjs.getWeights(), TOL, `${name(spec)} ${kind} weights after 5 steps`);
      }
    }
  });

  test('global-norm clipping: active clip gives the same step on both engines, of norm lr * clipNorm under sgd', () => {
    for (const [i, spec] of SPECS.entries()) {
      for (const kind of ['sgd', 'adam'] as const) {
        const lr = 0.1;
        const clipNorm = 0.05;
        const opt: OptimizerSpec = { kind, learningRate: kind === 'sgd' ? lr : 1e-3 };
        const fused = track(new FusedMlp(spec, opt, 800 + i));
        const tfjs = track(new TfjsMlp(spec, opt, 800 + i));
        const b = randomBatch(spec, 16, 900 + i);
        const g = fused.gradients(b.inputs, b.actions, b.targets, b.batch, 'squared');
        assert.ok(norm(g) > 4 * clipNorm, `${name(spec)}: the gradient norm ${norm(g)} is over the clip`);
        const before = flat(fused.getWeights());
        fused.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'squared', clipNorm });
        tfjs.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'squared', clipNorm });
        assertClose(fused.getWeights(), tfjs.getWeights(), TOL, `${name(spec)} ${kind} clipped step`);
        if (kind === 'sgd') {
          const after = flat(fused.getWeights());
          const step = Math.sqrt(after.reduce((a, v, k) => a + (v - before[k]) ** 2, 0));
          assert.ok(Math.abs(step - lr * clipNorm) < 1e-5, `${name(spec)}: sgd step norm ${step} = lr * clipNorm`);
        }
      }
    }
  });

  test('a clip above the gradient norm changes nothing', () => {
    const spec = SPECS[0];
    const a = track(new FusedMlp(spec, { kind: 'sgd', learningRate: 0.1 }, 1));
    const c = track(new FusedMlp(spec, { kind: 'sgd', learningRate: 0.1 }, 1));
    const b = randomBatch(spec, 16, 2);
    const g = norm(a.gradients(b.inputs, b.actions, b.targets, b.batch, 'squared'));
    a.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'squared', clipNorm: 0 });
    c.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'squared', clipNorm: g * 2 });
    assertClose(a.getWeights(), c.getWeights(), 0, 'unclipped');
  });

  test('weights move fused -> tfjs and tfjs -> fused with equal predictions', () => {
    for (const [i, spec] of SPECS.entries()) {
      const opt: OptimizerSpec = { kind: 'adam', learningRate: 0.01 };
      // Train each a little so its weights are not the shared initial ones.
      const fused = track(new FusedMlp(spec, opt, 1000 + i));
      const tfjs = track(new TfjsMlp(spec, opt, 2000 + i));
      for (let s = 0; s < 3; s++) {
        const b = randomBatch(spec, 16, 3000 + s);
        fused.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'squared', clipNorm: 0 });
        tfjs.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'squared', clipNorm: 0 });
      }
      const b = randomBatch(spec, 21, 4000 + i);
      const toTfjs = track(new TfjsMlp(spec, opt, 1));
      toTfjs.setWeights(fused.getWeights());
      assertClose(predict(toTfjs, b), predict(fused, b), TOL, `${name(spec)} fused -> tfjs`);
      const toFused = track(new FusedMlp(spec, opt, 1));
      assert.ok(maxDiff(predict(toFused, b), predict(tfjs, b)) > 1e-3, 'differently seeded nets differ before the copy');
      toFused.setWeights(tfjs.getWeights());
      assertClose(predict(toFused, b), predict(tfjs, b), TOL, `${name(spec)} tfjs -> fused`);
    }
  });

  test('updateFrom: tau 1 copies, tau 0.1 blends, within and across engines', () => {
    const spec = SPECS[0];
    const online = track(new FusedMlp(spec, ADAM, 1));
    const onlineTfjs = track(new TfjsMlp(spec, ADAM, 1));
    const targets: QNetwork[] = [track(new FusedMlp(spec, ADAM, 2)), track(new TfjsMlp(spec, ADAM, 2))];
    for (const target of targets) {
      for (const source of [online, onlineTfjs]) {
        target.setWeights(new FusedMlp(spec, ADAM, 2).getWeights());
        const t0 = target.getWeights();
        const o = source.getWeights();
        target.updateFrom(source, 0.1);
        const expected = t0.map((w, k) => w.map((v, j) => 0.9 * v + 0.1 * o[k][j]));
        assertClose(target.getWeights(), expected, 1e-6, `${target.engine} <- ${source.engine} tau 0.1`);
        target.updateFrom(source, 1);
        assertClose(target.getWeights(), o, 0, `${target.engine} <- ${source.engine} tau 1`);
      }
    }
    assert.throws(() => online.updateFrom(new FusedMlp({ ...spec, hiddenSizes: [5] }, ADAM, 1), 1), RangeError);
  });
});

describe("the seed's phantom outputs", () => {
  test('targets equal to the current outputs except the taken action give the masked gradients (both engines, both losses)', () => {
    for (const [i, spec] of SPECS.entries()) {
      for (const make of [(s: number) => new FusedMlp(spec, ADAM, s), (s: number) => new TfjsMlp(spec, ADAM, s)]) {
        const net = track(make(1100 + i));
        const b = randomBatch(spec, 29, 1200 + i);
        const full = phantomTargets(net, b);
        for (const loss of ['squared', 'huber'] as LossKind[]) {
          const masked = net.gradients(b.inputs, b.actions, b.targets, b.batch, loss);
          const phantom = net.gradients(b.inputs, b.actions, b.targets, b.batch, loss, full);
          assert.ok(norm(masked) > 1e-3);
          assertClose(phantom, masked, 1e-6, `${net.engine} ${name(spec)} ${loss} phantom vs masked`);
        }
      }
    }
  });

  test('phantom targets that are not the current outputs do change the gradient (the check has teeth)', () => {
    const spec = SPECS[0];
    const net = track(new FusedMlp(spec, ADAM, 1));
    const b = randomBatch(spec, 16, 2);
    const full = phantomTargets(net, b);
    const other = (b.actions[0] + 1) % spec.outputSize;
    full[other] += 0.5;
    const masked = net.gradients(b.inputs, b.actions, b.targets, b.batch, 'squared');
    const phantom = net.gradients(b.inputs, b.actions, b.targets, b.batch, 'squared', full);
    assert.ok(maxDiff(flat(masked), flat(phantom)) > 1e-4);
  });
});

describe('fused engine', () => {
  test('the WebAssembly SIMD kernels and the plain JS kernels agree (outputs, gradients, adam and rmsprop steps)', () => {
    assert.equal(new FusedMlp(SPECS[0], ADAM, 1).simd, true, 'this runtime has WebAssembly SIMD: the fast path is the one tested against tfjs');
    for (const [i, spec] of SPECS.entries()) {
      for (const opt of [ADAM, { kind: 'rmsprop', learningRate: 1e-3 } as OptimizerSpec]) {
        const simd = new FusedMlp(spec, opt, 1300 + i);
        const js = new FusedMlp(spec, opt, 1300 + i, { simd: false });
        assert.equal(js.simd, false);
        const b = randomBatch(spec, 45, 1400 + i);
        assertClose(predict(simd, b), predict(js, b), 1e-6, `${name(spec)} outputs`);
        for (const loss of ['squared', 'huber'] as LossKind[]) {
          assertClose(
            simd.gradients(b.inputs, b.actions, b.targets, b.batch, loss),
            js.gradients(b.inputs, b.actions, b.targets, b.batch, loss),
            1e-6,
            `${name(spec)} ${loss} gradients`,
          );
        }
        for (let s = 0; s < 3; s++) {
          const bs = randomBatch(spec, 30, 1500 + s);
          simd.trainStep(bs.inputs, bs.actions, bs.targets, bs.batch, { loss: 'huber', clipNorm: 1 });
          js.trainStep(bs.inputs, bs.actions, bs.targets, bs.batch, { loss: 'huber', clipNorm: 1 });
        }
        assertClose(simd.getWeights(), js.getWeights(), 1e-6, `${name(spec)} ${opt.kind} weights after 3 steps`);
      }
    }
  });

  test('the blocked SIMD kernel gives the JS loops exact bits past its blocks (batch and widths over 128, 1-3 column tails); so do SGD and RMSProp steps', () => {
    // 150, 131 and 301 units: several 28-column panels, then 2, 3 and 5 + 1 leftover columns;
    // batch 300: three blocks of rows and of the summed index (128 each).
    const specs: MlpSpec[] = [
      { inputSize: 5, hiddenSizes: [150, 131], outputSize: 3, activation: 'relu' },
      { inputSize: 3, hiddenSizes: [301], outputSize: 6, activation: 'tanh' },
    ];
    const opts: OptimizerSpec[] = [
      { kind: 'sgd', learningRate: 1e-2 },
      { kind: 'rmsprop', learningRate: 1e-3, momentum: 0.9 },
    ];
    for (const [i, spec] of specs.entries()) {
      for (const opt of opts) {
        const simd = new FusedMlp(spec, opt, 1600 + i);
        const js = new FusedMlp(spec, opt, 1600 + i, { simd: false });
        assert.equal(simd.simd, true);
        const b = randomBatch(spec, 300, 1700 + i);
        assertClose(predict(simd, b), predict(js, b), 0, `${name(spec)} outputs`);
        for (const loss of ['squared', 'huber'] as LossKind[]) {
          assertClose(
            simd.gradients(b.inputs, b.actions, b.targets, b.batch, loss),
            js.gradients(b.inputs, b.actions, b.targets, b.batch, loss),
            0,
            `${name(spec)} ${loss} gradients`,
          );
        }
        for (let s = 0; s < 3; s++) {
          const bs = randomBatch(spec, 200 + 70 * s, 1800 + s);
          const options = { loss: 'huber', clipNorm: s === 1 ? 0.5 : 0 } as const;
          assert.equal(simd.trainStep(bs.inputs, bs.actions, bs.targets, bs.batch, options), js.trainStep(bs.inputs, bs.actions, bs.targets, bs.batch, options));
        }
        assertClose(simd.getWeights(), js.getWeights(), 0, `${name(spec)} ${opt.kind} weights after 3 steps`);
        assertClose(simd.getOptimizerState(), js.getOptimizerState(), 0, `${name(spec)} ${opt.kind} optimiser state`);
      }
    }
  });

  test('a batch far over the buffers grows the arena and keeps the weights and optimiser state', () => {
    const spec: MlpSpec = { inputSize: 4, hiddenSizes: [128, 64], outputSize: 2, activation: 'relu' };
    for (const simd of [true, false]) {
      const a = new FusedMlp(spec, ADAM, 8, { simd });
      const c = new FusedMlp(spec, ADAM, 8, { simd });
      const small = randomBatch(spec, 8, 1);
      a.trainStep(small.inputs, small.actions, small.targets, small.batch, { loss: 'squared', clipNorm: 0 });
      c.trainStep(small.inputs, small.actions, small.targets, small.batch, { loss: 'squared', clipNorm: 0 });
      const big = randomBatch(spec, 3000, 2); // ~3 MB of activations: past the first allocation
      const w = a.getWeights();
      const qBig = predict(a, big);
      assertClose(a.getWeights(), w, 0, 'weights survive the growth');
      const d = new FusedMlp(spec, ADAM, 99, { simd });
      d.setWeights(w);
      assertClose(qBig, predict(d, big), 0, 'big batch');
      // c never saw the big batch: a's optimiser state must match it after another step.
      a.trainStep(small.inputs, small.actions, small.targets, small.batch, { loss: 'squared', clipNorm: 0 });
      c.trainStep(small.inputs, small.actions, small.targets, small.batch, { loss: 'squared', clipNorm: 0 });
      assertClose(a.getWeights(), c.getWeights(), 0, 'adam moments survive the growth');
    }
  });

  test('buffers grow with the batch and results do not depend on what ran before', () => {
    const spec = SPECS[0];
    const a = new FusedMlp(spec, ADAM, 5);
    const small = randomBatch(spec, 3, 1);
    const big = randomBatch(spec, 70, 2);
    const first = predict(a, small);
    predict(a, big);
    assertClose(predict(a, small), first, 0, 'small batch after a big one');
    const fresh = new FusedMlp(spec, ADAM, 5);
    assertClose(predict(a, big), predict(fresh, big), 0, 'big batch');
    assertClose(
      a.gradients(small.inputs, small.actions, small.targets, small.batch, 'huber'),
      fresh.gradients(small.inputs, small.actions, small.targets, small.batch, 'huber'),
      0,
      'gradients after growth',
    );
  });

  test('predict of a batch equals predicting each row alone', () => {
    const spec = SPECS[1];
    const net = new FusedMlp(spec, ADAM, 9);
    const b = randomBatch(spec, 9, 3);
    const all = predict(net, b);
    for (let n = 0; n < b.batch; n++) {
      const one = new Float32Array(spec.outputSize);
      net.predict(b.inputs.subarray(n * spec.inputSize, (n + 1) * spec.inputSize), 1, one);
      assertClose(one, all.subarray(n * spec.outputSize, (n + 1) * spec.outputSize), 1e-6, `row ${n}`);
    }
  });

  test('an action out of range is refused', () => {
    const spec = SPECS[0];
    const net = new FusedMlp(spec, ADAM, 1);
    const b = randomBatch(spec, 4, 1);
    b.actions[2] = spec.outputSize;
    assert.throws(() => net.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'squared', clipNorm: 0 }), RangeError);
  });
});

describe('createNetwork', () => {
  test('auto picks fused for small nets, tfjs above the fused limit only with tfjs-node; same seed, same weights', async () => {
    const small: MlpSpec = { inputSize: 4, hiddenSizes: [64, 64], outputSize: 2, activation: 'relu' };
    const large: MlpSpec = { inputSize: 4, hiddenSizes: [512, 512], outputSize: 2, activation: 'relu' };
    assert.ok(parameterCount(large) > FUSED_MAX_PARAMETERS && parameterCount(small) <= FUSED_MAX_PARAMETERS);
    assert.equal(resolveEngine(small, 'auto', true), 'fused');
    assert.equal(resolveEngine(large, 'auto', true), 'tfjs');
    assert.equal(resolveEngine(large, 'auto', false), 'fused');
    assert.equal(resolveEngine(small, 'tfjs', false), 'tfjs');
    const largeNet = track(await createNetwork(large, ADAM, 3, 'auto'));
    assert.equal(largeNet.engine, resolveEngine(large, 'auto', await tfjsNodeAvailable()));
    const a = track(await createNetwork(small, ADAM, 3, 'auto'));
    const b = track(await createNetwork(small, ADAM, 3, 'tfjs'));
    assert.equal(a.engine, 'fused');
    assert.equal(b.engine, 'tfjs');
    assertClose(a.getWeights(), b.getWeights(), 0, 'same seed');
  });

  test('networks over the size limit are refused with INVALID_ARGUMENT on config.hidden_sizes', async () => {
    const huge: MlpSpec = { inputSize: 4, hiddenSizes: [2500, 2500], outputSize: 2, activation: 'relu' };
    assert.ok(parameterCount(huge) > MAX_PARAMETERS);
    for (const engine of ['auto', 'fused', 'tfjs'] as const) {
      await assert.rejects(createNetwork(huge, ADAM, 1, engine), (err: unknown) => {
        assert.ok(err instanceof DomainError);
        assert.equal(err.code, 'INVALID_ARGUMENT');
        assert.equal(err.field, 'config.hidden_sizes');
        assert.match(err.message, /limit/);
        return true;
      });
    }
    await assert.rejects(createNetwork({ ...huge, hiddenSizes: [0] }, ADAM, 1), (err: unknown) => err instanceof DomainError && err.field === 'config.hidden_sizes');
  });
});

describe('tfjs export', () => {
  function trainedNet(): FusedMlp {
    const spec: MlpSpec = { inputSize: 4, hiddenSizes: [24, 16], outputSize: 3, activation: 'elu' };
    const net = new FusedMlp(spec, ADAM, 42);
    for (let s = 0; s < 5; s++) {
      const b = randomBatch(spec, 32, 50 + s);
      net.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'huber', clipNorm: 10 });
    }
    return net;
  }

  test('tf.loadLayersModel(tf.io.fromMemory(artifacts)) predicts what the fused net predicts', async () => {
    const net = trainedNet();
    const b = randomBatch(net.spec, 10, 1);
    for (let rep = 0; rep < 2; rep++) {
      // Loading twice in one process works (no clash of layer or weight names).
      const model = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(net)));
      const q = tf.tidy(() => (model.predict(tf.tensor2d(b.inputs, [b.batch, net.spec.inputSize])) as tf.Tensor).dataSync().slice());
      assertClose(q as Float32Array, predict(net, b), TOL, 'loaded model predictions');
      assert.deepEqual(model.outputs[0].shape, [null, net.spec.outputSize]);
      model.dispose();
    }
  });

  test('model.json + weights.bin served over http load with tf.loadLayersModel', async () => {
    const net = trainedNet();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gymhost-export-'));
    const server = http.createServer(async (req, res) => {
      const file = req.url === '/model/model.json' ? 'model.json' : req.url === '/model/weights.bin' ? 'weights.bin' : '';
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': file.endsWith('json') ? 'application/json' : 'application/octet-stream' });
      res.end(await readFile(path.join(dir, file)));
    });
    try {
      const jsonPath = await saveTfjsModel(dir, net);
      assert.equal(await readFile(jsonPath, 'utf8'), modelJson(net));
      assert.deepEqual(new Uint8Array(await readFile(path.join(dir, 'weights.bin'))), weightsBin(net));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const model = await tf.loadLayersModel(`http://127.0.0.1:${port}/model/model.json`);
      const b = randomBatch(net.spec, 7, 2);
      const q = tf.tidy(() => (model.predict(tf.tensor2d(b.inputs, [b.batch, net.spec.inputSize])) as tf.Tensor).dataSync().slice());
      assertClose(q as Float32Array, predict(net, b), TOL, 'http-loaded model predictions');
      model.dispose();
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a tfjs-engine network exports the same way', async () => {
    const spec: MlpSpec = { inputSize: 3, hiddenSizes: [8], outputSize: 2, activation: 'tanh' };
    const net = track(new TfjsMlp(spec, ADAM, 4));
    const model = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(net)));
    const b = randomBatch(spec, 5, 3);
    const q = tf.tidy(() => (model.predict(tf.tensor2d(b.inputs, [b.batch, spec.inputSize])) as tf.Tensor).dataSync().slice());
    assertClose(q as Float32Array, predict(net, b), TOL, 'tfjs engine export');
    model.dispose();
  });
});

describe('phantom-output training steps', () => {
  // tfjs's predict and its training forward pass can differ in the last bit, so its phantom
  // residuals are ~1e-8 rather than 0; Adam normalises such gradients to full-size steps, so
  // tfjs is compared under SGD. The fused engine's residuals are exactly 0 under any optimiser.
  const cases = [
    { engine: 'fused', optimizer: ADAM },
    { engine: 'tfjs', optimizer: { kind: 'sgd', learningRate: 0.05 } },
  ] as const;
  test('a trainStep on phantom targets moves the weights exactly as the masked step, in both engines', async () => {
    const spec = SPECS[0];
    for (const { engine, optimizer } of cases) {
      const masked = track(await createNetwork(spec, optimizer, 11, engine));
      const phantom = track(await createNetwork(spec, optimizer, 11, engine));
      for (let step = 0; step < 3; step++) {
        const b = randomBatch(spec, 16, 100 + step);
        const full = phantomTargets(phantom, b);
        const l1 = masked.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'squared', clipNorm: 0 });
        const l2 = phantom.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'squared', clipNorm: 0 }, full);
        assert.ok(Math.abs(l1 - l2) < 1e-5, `${engine}: losses ${l1} vs ${l2}`);
      }
      assertClose(phantom.getWeights(), masked.getWeights(), 1e-5, `${engine} weights after phantom vs masked steps`);
      // A phantom target that is not the network's own output does change the step.
      const off = track(await createNetwork(spec, optimizer, 11, engine));
      const b = randomBatch(spec, 16, 100);
      const full = phantomTargets(off, b);
      full[(b.actions[0] + 1) % spec.outputSize] += 5;
      off.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'squared', clipNorm: 0 }, full);
      const ref = track(await createNetwork(spec, optimizer, 11, engine));
      ref.trainStep(b.inputs, b.actions, b.targets, b.batch, { loss: 'squared', clipNorm: 0 });
      assert.ok(maxDiff(flat(off.getWeights()), flat(ref.getWeights())) > 1e-4, `${engine}: full targets are used`);
    }
  });
});
