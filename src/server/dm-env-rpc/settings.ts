/**
 * dm_env_rpc settings (string -> Tensor maps) as gymhost requests, validated, with errors
 * naming `settings.<key>` and what is allowed.
 *
 * - CreateWorld: `env_id` (string, required), `seed` (int), `reward_function` (string), and
 *   the env type's config options (EnvType.configOptions) by name.
 * - Reset and ResetWorld: `seed` (int) and the env type's reset options (EnvType.resetOptions).
 * - JoinWorld: none.
 */
import { invalidArgument } from '../../core/errors.js';
import { envTypeById } from '../../core/envs/registry.js';
import type { EnvType } from '../../core/envs/types.js';
import { resolveOptions, type OptionSpec } from '../../core/options.js';
import { MAX_SEED } from '../../core/sessions/env-session.js';
import type { Tensor } from '../../gen/dm_env_rpc/v1/dm_env_rpc.js';
import { AutoresetMode, RenderMode, type CreateEnvRequest } from '../../gen/gymhost/v1/env_service.js';
import { listValue, scalarValue } from './tensors.js';

type Settings = { readonly [key: string]: Tensor };

/** The keys CreateWorld takes besides the env type's config options. */
const WORLD_KEYS = ['env_id', 'seed', 'reward_function'] as const;

/** A string setting. */
function stringSetting(t: Tensor, field: string): string {
  const { kind, value } = scalarValue(t, field);
  if (kind !== 'string') throw invalidArgument(field, `${field} must be a string, got a ${kind} tensor`, 'WRONG_DTYPE');
  return value as string;
}

/** A seed setting: an integer in [0, MAX_SEED]. */
function seedSetting(t: Tensor, field: string): number {
  const { kind, value } = scalarValue(t, field);
  if (kind !== 'int' && kind !== 'float') throw invalidArgument(field, `${field} must be an integer in [0, ${MAX_SEED}], got a ${kind} tensor`, 'BAD_SEED');
  const n = value as number;
  if (!Number.isInteger(n) || n < 0 || n > MAX_SEED) throw invalidArgument(field, `${field} must be an integer in [0, ${MAX_SEED}], got ${n}`, 'BAD_SEED');
  return n;
}

/** An option's value from its tensor: a list for 'int_list' options, else a scalar. resolveOptions checks its type and bounds. */
function optionValue(spec: OptionSpec, t: Tensor, field: string): unknown {
  return spec.type === 'int_list' ? [...listValue(t, field).values] : scalarValue(t, field).value;
}

/** Option values from settings whose keys are all options of `specs`, resolved (defaults filled in) and checked. */
function optionSettings(specs: readonly OptionSpec[], settings: Settings, keys: readonly string[]): Record<string, unknown> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const given: Record<string, unknown> = {};
  for (const key of keys) given[key] = optionValue(byName.get(key)!, settings[key], `settings.${key}`);
  resolveOptions(specs, given, 'settings');
  return given;
}

/** Throws for keys that are neither fixed keys nor options of the env type. */
function checkKeys(settings: Settings, fixed: readonly string[], specs: readonly OptionSpec[], what: string): string[] {
  const names = new Set(specs.map((s) => s.name));
  const optionKeys: string[] = [];
  for (const key of Object.keys(settings)) {
    if (fixed.includes(key)) continue;
    if (!names.has(key)) {
      const allowed = [...fixed, ...names].join(', ');
      throw invalidArgument(`settings.${key}`, `unknown setting '${key}' for ${what}; allowed: ${allowed}`, 'UNKNOWN_SETTING');
    }
    optionKeys.push(key);
  }
  return optionKeys;
}

/** CreateWorld's settings as the CreateEnv request of a single env session. */
export function createEnvRequestOf(settings: Settings): CreateEnvRequest {
  const envIdTensor = settings.env_id;
  // envTypeById names the ids there are when env_id is missing or unknown.
  const type = envTypeById(envIdTensor === undefined ? '' : stringSetting(envIdTensor, 'settings.env_id'), 'settings.env_id');
  const optionKeys = checkKeys(settings, WORLD_KEYS, type.configOptions, `CreateWorld of ${type.id}`);
  return {
    envId: type.id,
    seed: settings.seed === undefined ? undefined : seedSetting(settings.seed, 'settings.seed'),
    config: optionSettings(type.configOptions, settings, optionKeys),
    rewardFunction: settings.reward_function === undefined ? '' : stringSetting(settings.reward_function, 'settings.reward_function'),
    rewardParams: {},
    numEnvs: 1,
    renderMode: RenderMode.RENDER_MODE_UNSPECIFIED,
    autoresetMode: AutoresetMode.AUTORESET_MODE_UNSPECIFIED,
  };
}

/** Reset's or ResetWorld's settings: the seed and reset options of the next episode. */
export function resetSettingsOf(settings: Settings, type: EnvType, what: string): { seed: number | undefined; options: Record<string, unknown> } {
  const optionKeys = checkKeys(settings, ['seed'], type.resetOptions, `${what} of ${type.id}`);
  return {
    seed: settings.seed === undefined ? undefined : seedSetting(settings.seed, 'settings.seed'),
    options: optionSettings(type.resetOptions, settings, optionKeys),
  };
}

/** JoinWorld takes no settings. */
export function checkJoinSettings(settings: Settings): void {
  const keys = Object.keys(settings);
  if (keys.length > 0) {
    throw invalidArgument(
      `settings.${keys[0]}`,
      `JoinWorld takes no settings, got '${keys.join("', '")}'; the env and its config are CreateWorld settings (${WORLD_KEYS.join(', ')} and the env's config options), the seed of an episode a Reset setting`,
      'UNKNOWN_SETTING',
    );
  }
}
