/**
 * A Q network as a tfjs LayersModel: `tf.loadLayersModel` loads what this writes (model.json
 * + weights.bin, or the artifacts in memory with tf.io.fromMemory) and predicts what the
 * network predicts. Works for both engines and needs no tfjs at run time: the topology is
 * the JSON tfjs-layers 4.x writes for a tf.sequential of Dense layers (the same keys, layer
 * names dense_1, dense_2, ..., weights "dense_1/kernel", "dense_1/bias", ...), the weights
 * are little-endian float32 concatenated in getWeights() order.
 *
 *   import * as tf from '@tensorflow/tfjs';
 *   const model = await tf.loadLayersModel('http://host/model/model.json');
 *   model.predict(tf.tensor2d([obs], [1, obsSize]));
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MlpSpec, QNetwork } from './types.js';

export interface TfjsWeightSpec {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: 'float32';
}

/** The parts of tf.io.ModelArtifacts a LayersModel needs. */
export interface TfjsArtifacts {
  readonly modelTopology: Record<string, unknown>;
  readonly weightSpecs: TfjsWeightSpec[];
  /** Little-endian float32 weights in weightSpecs order. */
  readonly weightData: ArrayBuffer;
  readonly format: 'layers-model';
  readonly generatedBy: string;
  readonly convertedBy: null;
}

const TFJS_LAYERS_VERSION = 'tfjs-layers 4.22.0';

function denseConfig(name: string, units: number, activation: string, inputSize?: number): Record<string, unknown> {
  return {
    class_name: 'Dense',
    config: {
      units,
      activation,
      use_bias: true,
      // Metadata only (the weights are in the file): the engines' initialiser, glorotUniform.
      kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
      name,
      trainable: true,
      ...(inputSize !== undefined ? { batch_input_shape: [null, inputSize], dtype: 'float32' } : {}),
    },
  };
}

/** The Keras-style topology of a Sequential of Dense layers for `spec`. */
export function modelTopology(spec: MlpSpec, name = 'q_network'): Record<string, unknown> {
  const sizes = [spec.inputSize, ...spec.hiddenSizes, spec.outputSize];
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const last = l + 2 === sizes.length;
    layers.push(denseConfig(`dense_${l + 1}`, sizes[l + 1], last ? 'linear' : spec.activation, l === 0 ? spec.inputSize : undefined));
  }
  return { class_name: 'Sequential', config: { name, layers }, keras_version: TFJS_LAYERS_VERSION, backend: 'tensor_flow.js' };
}

export function weightSpecs(spec: MlpSpec): TfjsWeightSpec[] {
  const sizes = [spec.inputSize, ...spec.hiddenSizes, spec.outputSize];
  const specs: TfjsWeightSpec[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    specs.push({ name: `dense_${l + 1}/kernel`, shape: [sizes[l], sizes[l + 1]], dtype: 'float32' });
    specs.push({ name: `dense_${l + 1}/bias`, shape: [sizes[l + 1]], dtype: 'float32' });
  }
  return specs;
}

/** The network's weights as tfjs's weights.bin (little-endian float32, getWeights() order). */
export function weightsBin(net: QNetwork): Uint8Array {
  const weights = net.getWeights();
  const specs = weightSpecs(net.spec);
  if (weights.length !== specs.length) throw new RangeError(`network has ${weights.length} weight arrays, its spec ${specs.length}`);
  const total = weights.reduce((a, w) => a + w.length, 0);
  const out = new Uint8Array(total * 4);
  const view = new DataView(out.buffer);
  let off = 0;
  weights.forEach((w, i) => {
    const expected = specs[i].shape.reduce((a, b) => a * b, 1);
    if (w.length !== expected) throw new RangeError(`${specs[i].name}: ${w.length} values, expected ${expected}`);
    for (let k = 0; k < w.length; k++, off += 4) view.setFloat32(off, w[k], true);
  });
  return out;
}

/** Artifacts for tf.io.fromMemory / a custom IOHandler. */
export function toTfjsArtifacts(net: QNetwork): TfjsArtifacts {
  const bin = weightsBin(net);
  return {
    modelTopology: modelTopology(net.spec),
    weightSpecs: weightSpecs(net.spec),
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
    format: 'layers-model',
    generatedBy: 'gymhost',
    convertedBy: null,
  };
}

/** model.json text whose weights manifest points at `weightsPath` (relative to model.json). */
export function modelJson(net: QNetwork, weightsPath = 'weights.bin'): string {
  return JSON.stringify({
    format: 'layers-model',
    generatedBy: 'gymhost',
    convertedBy: null,
    modelTopology: modelTopology(net.spec),
    weightsManifest: [{ paths: [weightsPath], weights: weightSpecs(net.spec) }],
  });
}

/** Writes dir/model.json and dir/weights.bin; returns the model.json path. */
export async function saveTfjsModel(dir: string, net: QNetwork): Promise<string> {
  await mkdir(dir, { recursive: true });
  const jsonPath = path.join(dir, 'model.json');
  await writeFile(path.join(dir, 'weights.bin'), weightsBin(net));
  await writeFile(jsonPath, modelJson(net, 'weights.bin'));
  return jsonPath;
}
