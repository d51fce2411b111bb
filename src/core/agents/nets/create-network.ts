/**
 * Picks and builds the engine of a Q network.
 *
 * 'auto' takes the fused engine (nets/fused-mlp.ts) up to FUSED_MAX_PARAMETERS parameters.
 * Above that it takes tfjs only when @tensorflow/tfjs-node is installed (TensorFlow's
 * multi-threaded C++ kernels): on the wasm backend tfjs is slower than the fused engine at
 * every size measured (bench/nets.ts: 4-256-256-2, batch 64, about 12x slower), so without
 * tfjs-node 'auto' stays fused. 'fused' and 'tfjs' force an engine. Networks over
 * MAX_PARAMETERS are refused with INVALID_ARGUMENT on config.hidden_sizes. tfjs is imported
 * only when a tfjs network is built (or 'auto' checks for tfjs-node on a large network), and
 * is optional: without it the tfjs engine is FAILED_PRECONDITION naming TFJS_INSTALL.
 */
import { createRequire } from 'node:module';
import { failedPrecondition, invalidArgument } from '../../errors.js';
import { FusedMlp, validateOptimizer, validateSpec } from './fused-mlp.js';
import type { MlpSpec, OptimizerSpec, QNetwork } from './types.js';
import { parameterCount } from './types.js';

export type EngineChoice = 'fused' | 'tfjs' | 'auto';

/** Largest network any engine accepts (parameters). */
export const MAX_PARAMETERS = 5_000_000;
/** Up to this many parameters 'auto' always takes the fused engine. */
export const FUSED_MAX_PARAMETERS = 200_000;

let tfjsNodeInstalledCache: boolean | undefined;

/** Whether @tensorflow/tfjs-node is installed (resolvable; not loaded). */
export function tfjsNodeInstalled(): boolean {
  if (tfjsNodeInstalledCache === undefined) {
    try {
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
      tfjsNodeInstalledCache = true;
    } catch {
      tfjsNodeInstalledCache = false;
    }
  }
  return tfjsNodeInstalledCache;
}

/**
 * The engine `engine` resolves to for `spec`. `tfjsNode` tells whether tfjs would run on
 * @tensorflow/tfjs-node (default: whether it is installed).
 */
export function resolveEngine(spec: MlpSpec, engine: EngineChoice, tfjsNode = tfjsNodeInstalled()): 'fused' | 'tfjs' {
  if (engine === 'fused' || engine === 'tfjs') return engine;
  return parameterCount(spec) > FUSED_MAX_PARAMETERS && tfjsNode ? 'tfjs' : 'fused';
}

/** Throws INVALID_ARGUMENT (config.hidden_sizes) for a bad or oversized spec. */
export function checkNetworkSize(spec: MlpSpec): void {
  validateSpec(spec);
  const n = parameterCount(spec);
  if (n > MAX_PARAMETERS) {
    throw invalidArgument(
      'config.hidden_sizes',
      `network ${[spec.inputSize, ...spec.hiddenSizes, spec.outputSize].join('-')} has ${n} parameters; the limit is ${MAX_PARAMETERS}`,
      'NETWORK_TOO_LARGE',
    );
  }
}

/**
 * Builds a Q network. Same seed, same initial weights on either engine. Async because the
 * tfjs engine initialises its backend (tfjs-node, wasm or cpu) first.
 */
export async function createNetwork(spec: MlpSpec, optimizer: OptimizerSpec, seed: number, engine: EngineChoice = 'auto'): Promise<QNetwork> {
  checkNetworkSize(spec);
  validateOptimizer(optimizer);
  if (engine !== 'fused' && engine !== 'tfjs' && engine !== 'auto') {
    throw invalidArgument('config.engine', `engine must be fused, tfjs or auto; got ${String(engine)}`);
  }
  if (resolveEngine(spec, engine, tfjsNodeInstalled()) === 'fused') return new FusedMlp(spec, optimizer, seed);
  // Loaded on demand: a process with only fused networks never loads tfjs.
  const { TfjsMlp, tfjsNodeAvailable } = await importTfjsEngine();
  // 'auto' on a large net: tfjs only if tfjs-node really loads (installed is not enough).
  if (resolveEngine(spec, engine, await tfjsNodeAvailable()) === 'fused') return new FusedMlp(spec, optimizer, seed);
  return TfjsMlp.create(spec, optimizer, seed);
}

/** What installs the tfjs engine: optional peer dependencies of gymhost (package.json). */
export const TFJS_INSTALL = 'npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm';

/**
 * nets/tfjs-mlp.ts, which imports @tensorflow/tfjs. tfjs is not installed with gymhost by
 * default (the fused engine needs nothing): without it, FAILED_PRECONDITION on config.engine
 * naming the install command.
 */
async function importTfjsEngine(): Promise<typeof import('./tfjs-mlp.js')> {
  try {
    return await import('./tfjs-mlp.js');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if ((e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && /@tensorflow\/tfjs\b/.test(e.message)) {
      throw failedPrecondition(
        `the tfjs engine needs @tensorflow/tfjs, which is not installed: run \`${TFJS_INSTALL}\` where gymhost is installed, or use engine fused (the default)`,
        'TFJS_NOT_INSTALLED',
        'config.engine',
      );
    }
    throw err;
  }
}

/** createNetwork for the fused engine only: synchronous, no tfjs. */
export function createFusedNetwork(spec: MlpSpec, optimizer: OptimizerSpec, seed: number): FusedMlp {
  checkNetworkSize(spec);
  return new FusedMlp(spec, optimizer, seed);
}
