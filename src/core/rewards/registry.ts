/**
 * The reward registry of one server: for each env type its built-in reward functions, the
 * operator's plugin functions (loaded at start-up, see plugins.ts) and the functions clients
 * registered (run in the sandbox, see sandbox.ts).
 *
 * A registered function is owned either by the client that registered it (usable by all of
 * that client's sessions of its env type) or by one session (usable only by it, deleted
 * with it). Names resolve in that order: the session's own, the client's, plugins,
 * built-ins. A registered function cannot take a built-in's or plugin's name, and cannot
 * be deleted while a session uses it, so a session's reward_function always names the code
 * it runs.
 */

import { DomainError, invalidArgument, notFound, resourceExhausted } from '../errors.js';
import type { EnvType } from '../envs/types.js';
import { resolveOptions, type OptionSpec } from '../options.js';
import { DEFAULT_SANDBOX_LIMITS, SandboxProgram } from './sandbox.js';
import type { RewardChoice, RewardFunction, RewardListing, RewardOrigin, SandboxLimits } from './types.js';

/** A reward function from an operator plugin, for one or more env types. */
export interface PluginReward {
  readonly name: string;
  readonly description: string;
  readonly params: readonly OptionSpec[];
  readonly envTypes: readonly string[];
  /** The plugin module it came from. */
  readonly file: string;
  /** The plugin's function, wrapped to check results and report throws as reward errors. */
  readonly fn: RewardFunction<unknown, unknown>;
}

/** A reward function a client registered. */
export interface ClientReward {
  readonly name: string;
  readonly envTypeId: string;
  readonly owner: string;
  /** The owning session's id, or '' when owned by the client. */
  readonly sessionId: string;
  readonly description: string;
  readonly params: readonly OptionSpec[];
  readonly source: string;
  readonly createdAt: number;
  /** Ids of the sessions using it now. */
  readonly usedBy: Set<string>;
}

/** A reward function chosen for a session: what the batch needs, where it comes from. */
export interface ResolvedReward extends RewardChoice {
  readonly origin: RewardOrigin;
  /** The registered function, for client rewards. */
  readonly entry?: ClientReward;
}

export interface RegisterRewardInput {
  readonly name: string;
  readonly envTypeId: string;
  /** '' = owned by the caller. */
  readonly sessionId: string;
  readonly source: string;
  readonly description: string;
  readonly params: readonly OptionSpec[];
}

export interface RewardRegistryOptions {
  readonly sandbox?: Partial<SandboxLimits>;
  /** Registered functions one owner may have at once (default 100). */
  readonly maxPerOwner?: number | ((owner: string) => number);
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_PARAMS = 32;
const MAX_DESCRIPTION = 2000;

/** Checks a reward function's name (field names the request field). */
export function checkRewardName(name: string, field: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalidArgument(field, `${field} must be 1-64 letters, digits, '_', '-' or '.', starting with a letter or '_', got ${JSON.stringify(name)}`, 'BAD_REWARD_NAME');
  }
}

/**
 * Checks a parameter schema: unique names, a supported type, bounds in order, and a
 * default that satisfies the schema itself.
 */
export function checkParamSpecs(specs: readonly OptionSpec[], field: string, allowLists = false): void {
  if (specs.length > MAX_PARAMS) throw invalidArgument(field, `${field} may have at most ${MAX_PARAMS} parameters, got ${specs.length}`, 'TOO_MANY_PARAMS');
  const seen = new Set<string>();
  specs.forEach((spec, i) => {
    const at = `${field}[${i}]`;
    if (typeof spec?.name !== 'string' || !PARAM_NAME.test(spec.name)) {
      throw invalidArgument(`${at}.name`, `${at}.name must be an identifier (letters, digits, '_'), got ${JSON.stringify(spec?.name)}`, 'BAD_PARAM_SPEC');
    }
    if (seen.has(spec.name)) throw invalidArgument(`${at}.name`, `${at}.name '${spec.name}' is given twice`, 'BAD_PARAM_SPEC');
    seen.add(spec.name);
    const types = allowLists ? ['bool', 'int', 'number', 'string', 'int_list'] : ['bool', 'int', 'number', 'string'];
    if (!types.includes(spec.type)) throw invalidArgument(`${at}.type`, `${at}.type must be one of ${types.join(', ')}, got ${JSON.stringify(spec.type)}`, 'BAD_PARAM_SPEC');
    if (spec.minimum !== undefined && spec.maximum !== undefined && spec.minimum > spec.maximum) {
      throw invalidArgument(`${at}.minimum`, `${at}.minimum (${spec.minimum}) is greater than its maximum (${spec.maximum})`, 'BAD_PARAM_SPEC');
    }
    if (spec.default === undefined || spec.default === null) throw invalidArgument(`${at}.default_value`, `${at} needs a default value`, 'BAD_PARAM_SPEC');
    resolveOptions([spec], { [spec.name]: spec.default }, `${at}.default_value`);
  });
}

/** A runner layout used only to check that a source compiles (no transition is decoded). */
const CHECK_CODEC = { recordWidth: 1, callBody: 'return fn(d[o], 0, d[o], {}, P);' };

export class RewardRegistry {
  readonly limits: SandboxLimits;
  private readonly maxPerOwner: (owner: string) => number;
  /** env type id -> plugin name -> plugin reward. */
  private readonly plugins = new Map<string, Map<string, PluginReward>>();
  /** key(owner, sessionId, name) -> registered reward. */
  private readonly registered = new Map<string, ClientReward>();
  /** session id -> keys of the rewards it owns. */
  private readonly bySession = new Map<string, Set<string>>();

  constructor(
    private readonly envTypes: ReadonlyMap<string, EnvType>,
    plugins: readonly PluginReward[] = [],
    options: RewardRegistryOptions = {},
  ) {
    this.limits = { ...DEFAULT_SANDBOX_LIMITS, ...options.sandbox };
    const max = options.maxPerOwner ?? 100;
    this.maxPerOwner = typeof max === 'function' ? max : () => max;
    for (const p of plugins) {
      for (const typeId of p.envTypes) {
        const type = envTypes.get(typeId);
        if (!type) throw new Error(`reward plugin ${p.file}: '${p.name}' is for unknown env type '${typeId}'; env types: ${[...envTypes.keys()].join(', ')}`);
        if (type.rewardFunctions.some((r) => r.name === p.name)) throw new Error(`reward plugin ${p.file}: '${p.name}' is the name of a built-in reward function of ${typeId}`);
        let byName = this.plugins.get(typeId);
        if (!byName) this.plugins.set(typeId, (byName = new Map()));
        const other = byName.get(p.name);
        if (other) throw new Error(`reward plugin ${p.file}: '${p.name}' for ${typeId} is also registered by ${other.file}`);
        byName.set(p.name, p);
      }
    }
  }

  /** Built-in and plugin reward functions of an env type (what ListEnvTypes shows). */
  listing(type: EnvType): RewardListing[] {
    const builtins: RewardListing[] = type.rewardFunctions.map((r) => ({ name: r.name, description: r.description, params: r.params, origin: 'builtin' }));
    const plugins: RewardListing[] = [...(this.plugins.get(type.id)?.values() ?? [])].map((p) => ({ name: p.name, description: p.description, params: p.params, origin: 'plugin' }));
    return [...builtins, ...plugins];
  }

  /**
   * The reward function `name` (empty: the env type's default) for a session of `type`
   * owned by `owner` (with id `sessionId`, '' before it exists), its params checked and
   * defaulted. Unknown names are INVALID_ARGUMENT on `reward_function`, bad params on
   * `reward_params.<name>`.
   */
  resolve(type: EnvType, name: string, params: Record<string, unknown> | undefined, owner: string, sessionId: string): ResolvedReward {
    const chosen = name || type.defaultRewardFunction;
    const entry = (sessionId ? this.registered.get(key(owner, sessionId, chosen)) : undefined) ?? this.registered.get(key(owner, '', chosen));
    if (entry) {
      if (entry.envTypeId !== type.id) {
        throw invalidArgument('reward_function', `reward function '${chosen}' was registered for ${entry.envTypeId}, not ${type.id}`, 'WRONG_ENV_TYPE');
      }
      return {
        name: chosen,
        params: resolveOptions(entry.params, params, 'reward_params'),
        origin: 'client',
        entry,
        impl: { kind: 'sandbox', source: entry.source, limits: this.limits, origin: 'client' },
      };
    }
    const plugin = this.plugins.get(type.id)?.get(chosen);
    if (plugin) {
      return { name: chosen, params: Object.freeze(resolveOptions(plugin.params, params, 'reward_params')), origin: 'plugin', impl: { kind: 'inline', fn: plugin.fn, origin: 'plugin' } };
    }
    const builtin = type.rewardFunctions.find((r) => r.name === chosen);
    if (builtin) return { name: chosen, params: resolveOptions(builtin.params, params, 'reward_params'), origin: 'builtin' };
    const available = [
      ...this.listing(type).map((r) => r.name),
      ...[...this.registered.values()].filter((r) => r.owner === owner && r.envTypeId === type.id && (r.sessionId === '' || r.sessionId === sessionId)).map((r) => r.name),
    ];
    throw invalidArgument('reward_function', `unknown reward function '${chosen}' for ${type.id}; available: ${available.join(', ')}`, 'UNKNOWN_REWARD_FUNCTION');
  }

  /**
   * Checks that `owner` may register `input` (env type, name, not taken, under the count
   * limit, description, parameter specs), without compiling its source.
   */
  checkRegistration(input: RegisterRewardInput, owner: string): void {
    const type = this.envTypes.get(input.envTypeId);
    if (!type) {
      throw invalidArgument('env_id', input.envTypeId ? `unknown env id '${input.envTypeId}'; available: ${[...this.envTypes.keys()].join(', ')}` : 'env_id (or env) is required', 'UNKNOWN_ENV_ID');
    }
    checkRewardName(input.name, 'name');
    if (this.listing(type).some((r) => r.name === input.name)) {
      throw new DomainError('ALREADY_EXISTS', `'${input.name}' is a built-in or plugin reward function of ${type.id}; choose another name`, 'name', 'REWARD_NAME_TAKEN');
    }
    if (this.registered.has(key(owner, input.sessionId, input.name))) {
      const whose = input.sessionId ? `session ${input.sessionId}` : 'you';
      throw new DomainError('ALREADY_EXISTS', `a reward function '${input.name}' registered by ${whose} exists; delete it first (DeleteReward) or choose another name`, 'name', 'REWARD_EXISTS');
    }
    let count = 0;
    for (const r of this.registered.values()) if (r.owner === owner) count++;
    const most = this.maxPerOwner(owner);
    if (count >= most) {
      throw resourceExhausted(`quota rewards exceeded: you have ${count} registered reward functions and may have at most ${most}; delete some first`, 'QUOTA_EXCEEDED', 'rewards');
    }
    if (typeof input.description !== 'string' || input.description.length > MAX_DESCRIPTION) {
      throw invalidArgument('description', `description must be a string of at most ${MAX_DESCRIPTION} characters`, 'BAD_DESCRIPTION');
    }
    checkParamSpecs(input.params, 'params');
  }

  /**
   * Checks that `source` compiles in a sandbox (syntax, a function, a top level within
   * limits) with `params`' defaults. Needs the sandbox loaded (loadSandbox()).
   */
  checkSource(source: string, params: readonly OptionSpec[]): void {
    SandboxProgram.compile(source, CHECK_CODEC, resolveOptions(params, undefined, 'params'), this.limits).dispose();
  }

  /**
   * Registers client code. The source is compiled once in a sandbox to check it unless
   * `compile` is false (the caller had it checked elsewhere: checkSource on a worker);
   * every session using it compiles its own copy.
   */
  register(input: RegisterRewardInput, owner: string, now = Date.now(), compile = true): ClientReward {
    this.checkRegistration(input, owner);
    if (compile) this.checkSource(input.source, input.params);
    const k = key(owner, input.sessionId, input.name);
    const entry: ClientReward = {
      name: input.name,
      envTypeId: input.envTypeId,
      owner,
      sessionId: input.sessionId,
      description: input.description,
      params: input.params.map((p) => ({ ...p })),
      source: input.source,
      createdAt: now,
      usedBy: new Set(),
    };
    this.registered.set(k, entry);
    if (input.sessionId) {
      let keys = this.bySession.get(input.sessionId);
      if (!keys) this.bySession.set(input.sessionId, (keys = new Set()));
      keys.add(k);
    }
    return entry;
  }

  /**
   * Registered functions, oldest first: the owner's (every owner's when `owner` is
   * undefined), optionally of one env type or owned by one session.
   */
  list(owner: string | undefined, filter: { envTypeId?: string; sessionId?: string } = {}): ClientReward[] {
    return [...this.registered.values()].filter(
      (r) => (owner === undefined || r.owner === owner) && (!filter.envTypeId || r.envTypeId === filter.envTypeId) && (!filter.sessionId || r.sessionId === filter.sessionId),
    );
  }

  /** Deletes a registered function; NOT_FOUND if there is none, FAILED_PRECONDITION while sessions use it. */
  delete(owner: string, name: string, sessionId: string): void {
    if (!name) throw invalidArgument('name', 'name is required', 'MISSING_FIELD');
    const k = key(owner, sessionId, name);
    const entry = this.registered.get(k);
    if (!entry) {
      const whose = sessionId ? `session ${sessionId}` : 'you';
      throw notFound('name', `no reward function '${name}' registered by ${whose}`, 'REWARD_NOT_FOUND');
    }
    if (entry.usedBy.size > 0) {
      const ids = [...entry.usedBy];
      throw new DomainError(
        'FAILED_PRECONDITION',
        `reward function '${name}' is used by session${ids.length > 1 ? 's' : ''} ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''}; switch them to another reward function (SetReward) or delete them first`,
        'name',
        'REWARD_IN_USE',
      );
    }
    this.registered.delete(k);
    this.bySession.get(sessionId)?.delete(k);
  }

  /** Session `sessionId` switches from `previous` to `next`. */
  use(sessionId: string, next: ResolvedReward | undefined, previous: ResolvedReward | undefined): void {
    previous?.entry?.usedBy.delete(sessionId);
    next?.entry?.usedBy.add(sessionId);
  }

  /** Session `sessionId` is gone: it stops using `current`, and the functions it owned are deleted. */
  sessionClosed(sessionId: string, current: ResolvedReward | undefined): void {
    current?.entry?.usedBy.delete(sessionId);
    const keys = this.bySession.get(sessionId);
    if (!keys) return;
    for (const k of keys) this.registered.delete(k);
    this.bySession.delete(sessionId);
  }
}

function key(owner: string, sessionId: string, name: string): string {
  return `${owner}\u0000${sessionId}\u0000${name}`;
}
