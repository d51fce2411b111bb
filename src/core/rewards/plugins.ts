/**
 * Operator reward plugins: `gymhost serve --reward-plugins DIR` imports every .js, .mjs,
 * .cjs, .ts and .mts module in DIR (not sub-directories; files starting with '.' or '_' and
 * .d.ts files are skipped), in name order. A module registers reward functions in one of
 * three ways:
 *
 *   export default function register(api) { api.register({ name, envTypes, description, params, compute }) }
 *   export default { name, envTypes, ... }        // or an array of them
 *   export const rewards = [{ name, envTypes, ... }]
 *
 * A definition has `name` (letters, digits, '_', '-', '.'), `envTypes` (env ids, e.g.
 * ["GridWorld-v0"]), an optional `description`, `params` (OptionSpec-like: name, type
 * "number" | "int" | "bool" | "string", description, default, optional minimum, maximum,
 * choices) and `compute(s, a, sNext, info, params) => number`, called in-process on every
 * step with the same arguments as the built-in functions (the env type's transition schema:
 * EnvType.transition, e.g. rewards/gridworld.ts gridTransition and GridFacts; facts objects
 * are reused, not to be kept).
 *
 * Plugins are trusted operator code (they run in the server's process). Still, each is
 * checked at start-up: a module that fails to import, registers nothing, has an invalid
 * definition, clashes with another name, or whose compute does not return a finite number on
 * a sample transition of each of its env types stops start-up with an error naming the file
 * and the problem. At run time a compute that throws or returns a non-finite number fails
 * the step cleanly (the session is left as it was).
 */

import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { envTypes } from '../envs/registry.js';
import type { OptionSpec, OptionValues } from '../options.js';
import { resolveOptions } from '../options.js';
import { rewardError } from './external.js';
import { checkParamSpecs, checkRewardName, type PluginReward } from './registry.js';
import type { RewardFunction } from './types.js';

/** A reward function as a plugin defines it. */
export interface PluginRewardDefinition {
  readonly name: string;
  readonly envTypes: readonly string[] | string;
  readonly description?: string;
  readonly params?: readonly OptionSpec[];
  compute(s: unknown, a: number, sNext: unknown, info: unknown, params: OptionValues): number;
}

/** What a plugin's default-exported function receives. */
export interface RewardPluginApi {
  register(definition: PluginRewardDefinition): void;
  /** Env type ids this server hosts. */
  readonly envTypes: readonly string[];
}

const EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts']);

/** An error that stops start-up: names the plugin file and the problem. */
export class PluginLoadError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`reward plugin ${file}: ${problem}`);
    this.name = 'PluginLoadError';
  }
}

/** The plugin modules in `dir`, sorted. */
export async function pluginFiles(dir: string): Promise<string[]> {
  let info;
  try {
    info = await stat(dir);
  } catch (err) {
    throw new Error(`--reward-plugins ${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message}`);
  }
  if (!info.isDirectory()) throw new Error(`--reward-plugins ${dir}: not a directory`);
  const names = (await readdir(dir)).filter((n) => EXTENSIONS.has(path.extname(n)) && !n.endsWith('.d.ts') && !n.startsWith('.') && !n.startsWith('_'));
  return names.sort().map((n) => path.resolve(dir, n));
}

/**
 * Loads every plugin module of `dir` and returns its reward functions, checked. Throws
 * PluginLoadError (naming the file) on the first broken plugin.
 */
export async function loadRewardPlugins(dir: string, envTypeIds: readonly string[]): Promise<PluginReward[]> {
  const out: PluginReward[] = [];
  const seen = new Map<string, string>();
  for (const file of await pluginFiles(dir)) {
    for (const reward of await loadPluginFile(file, envTypeIds)) {
      for (const t of reward.envTypes) {
        const k = `${t}\u0000${reward.name}`;
        const other = seen.get(k);
        if (other) throw new PluginLoadError(file, `reward function '${reward.name}' for ${t} is also registered by ${other}`);
        seen.set(k, file);
      }
      out.push(reward);
    }
  }
  return out;
}

/**
 * Imports a plugin module. TypeScript ones (.ts, .mts) go through tsx's tsImport; tsx is
 * imported only for them, and a production install (npm install --omit=dev, the npm package,
 * the Docker image) may not have it: then the error says how to get it.
 */
async function importPlugin(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  if (!TYPESCRIPT_EXTENSIONS.has(path.extname(file))) return import(url);
  let tsx: typeof import('tsx/esm/api');
  try {
    tsx = await import('tsx/esm/api');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new Error('a TypeScript plugin is loaded through tsx, which is not installed: run `npm install tsx` where gymhost is installed, or compile the plugin to .js or .mjs');
  }
  return tsx.tsImport(url, import.meta.url);
}

const TYPESCRIPT_EXTENSIONS = new Set(['.ts', '.mts']);

/** Imports one plugin module and checks what it registers. */
export async function loadPluginFile(file: string, envTypeIds: readonly string[]): Promise<PluginReward[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await importPlugin(file)) as Record<string, unknown>;
  } catch (err) {
    throw new PluginLoadError(file, `cannot be loaded: ${describeError(err)}`);
  }
  const definitions: unknown[] = [];
  const api: RewardPluginApi = {
    register(definition) {
      definitions.push(definition);
    },
    envTypes: [...envTypeIds],
  };
  const main = mod.default;
  try {
    if (typeof main === 'function') await (main as (api: RewardPluginApi) => unknown)(api);
    else if (Array.isArray(main)) definitions.push(...main);
    else if (main !== undefined && main !== null) definitions.push(main);
    if (Array.isArray(mod.rewards)) definitions.push(...mod.rewards);
  } catch (err) {
    throw new PluginLoadError(file, `its register function threw: ${describeError(err)}`);
  }
  if (definitions.length === 0) {
    throw new PluginLoadError(file, 'registers no reward functions (export default a function (api) => api.register({...}), a definition, or an array of them)');
  }
  const names = new Set<string>();
  return definitions.map((d, i) => {
    const reward = checkDefinition(d, i, file, envTypeIds);
    if (names.has(reward.name)) throw new PluginLoadError(file, `registers '${reward.name}' twice`);
    names.add(reward.name);
    for (const t of reward.envTypes) smokeTest(reward, t, file);
    return reward;
  });
}

function checkDefinition(raw: unknown, i: number, file: string, envTypeIds: readonly string[]): PluginReward {
  const bad = (problem: string) => new PluginLoadError(file, `reward function #${i + 1}${typeof (raw as { name?: unknown })?.name === 'string' ? ` '${(raw as { name: string }).name}'` : ''}: ${problem}`);
  if (raw === null || typeof raw !== 'object') throw bad('is not an object');
  const d = raw as Partial<PluginRewardDefinition>;
  try {
    checkRewardName(d.name as string, 'name');
  } catch (err) {
    throw bad(describeError(err));
  }
  const envTypes = typeof d.envTypes === 'string' ? [d.envTypes] : d.envTypes;
  if (!Array.isArray(envTypes) || envTypes.length === 0 || !envTypes.every((t) => typeof t === 'string')) {
    throw bad(`envTypes must be a non-empty array of env ids (${envTypeIds.join(', ')})`);
  }
  for (const t of envTypes) if (!envTypeIds.includes(t)) throw bad(`unknown env type '${t}'; env types: ${envTypeIds.join(', ')}`);
  if (d.description !== undefined && typeof d.description !== 'string') throw bad('description must be a string');
  if (typeof d.compute !== 'function') throw bad('compute must be a function (s, a, sNext, info, params) => number');
  const params = (d.params ?? []) as OptionSpec[];
  if (!Array.isArray(params)) throw bad('params must be an array of parameter specs');
  const specs = params.map((p) => ({ ...p, description: typeof p?.description === 'string' ? p.description : '' }));
  try {
    checkParamSpecs(specs, 'params');
  } catch (err) {
    throw bad(describeError(err));
  }
  const name = d.name as string;
  return {
    name,
    description: d.description ?? `Plugin reward function from ${path.basename(file)}.`,
    params: specs,
    envTypes: [...new Set(envTypes)],
    file,
    fn: checkedCompute(name, d.compute.bind(d), path.basename(file)),
  };
}

/** The plugin's compute, checked: a throw or a result that is not a finite number is a reward error. */
function checkedCompute(name: string, compute: PluginRewardDefinition['compute'], fileName: string): RewardFunction<unknown, unknown> {
  return {
    name,
    description: '',
    params: [],
    compute(s, a, sNext, facts, params) {
      let r: unknown;
      try {
        r = compute(s, a, sNext, facts, params);
      } catch (err) {
        throw rewardError(name, 'REWARD_THREW', `it threw ${describeError(err)} (plugin ${fileName})`, undefined, 1);
      }
      if (typeof r !== 'number') throw rewardError(name, 'REWARD_NOT_A_NUMBER', `it returned ${r === null ? 'null' : typeof r}, not a number (plugin ${fileName})`, undefined, 1);
      if (!Number.isFinite(r)) throw rewardError(name, 'REWARD_NOT_FINITE', `it returned ${r}; rewards must be finite numbers (plugin ${fileName})`, undefined, 1);
      return r;
    },
  };
}

/** One call on the sample transition of env type `t` (its transition schema's) with the default params. */
function smokeTest(reward: PluginReward, t: string, file: string): void {
  const type = envTypes.get(t);
  if (!type) return;
  const params = resolveOptions(reward.params, undefined, 'params');
  const sample = type.transition.sample();
  try {
    reward.fn.compute(sample.s, sample.a, sample.sNext, sample.facts, params);
  } catch (err) {
    throw new PluginLoadError(file, `reward function '${reward.name}' fails on a sample ${t} transition: ${describeError(err).replace(/ The step was not taken.*$/, '')}`);
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== 'Error' && err.name !== 'DomainError' ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}
