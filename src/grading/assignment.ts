/**
 * An assignment for `gymhost grade`: ASSIGNMENT_DIR/assignment.yaml, checked here (every
 * problem is an AssignmentError naming the key). The format is described in
 * docs/assignment-format.md.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export class AssignmentError extends Error {}

export type Visibility = 'visible' | 'hidden' | 'after_due_date' | 'after_published';
const VISIBILITIES: readonly Visibility[] = ['visible', 'hidden', 'after_due_date', 'after_published'];

/** What one student process may use. */
export interface Limits {
  /** Wall time of one check's process, seconds. */
  readonly wallSeconds: number;
  /** CPU time (RLIMIT_CPU), seconds. */
  readonly cpuSeconds: number;
  /** Address space (RLIMIT_AS), MiB. */
  readonly memoryMb: number;
}

interface CheckBase {
  /** The test's name in results.json. */
  readonly name: string;
  readonly points: number;
  readonly visibility: Visibility;
  /** The part's name, the check's kind, then any extra tags. */
  readonly tags: readonly string[];
}

/** The module imports and defines what the interface names, within the limits. */
export interface RunsCheck extends CheckBase {
  readonly kind: 'runs';
}

/** Hidden transitions through the student's update_Q against the reference rule. */
export interface UpdateRuleCheck extends CheckBase {
  readonly kind: 'update_rule';
  /** Transitions drawn from the hidden seed. */
  readonly transitions: number;
  /** Share of them that end an episode (done = true). */
  readonly doneFraction: number;
  readonly gamma: number;
  readonly tolerance: number;
}

/** The student's train() on a server session, then greedy episodes from hidden seeds. */
export interface LearningCheck extends CheckBase {
  readonly kind: 'learning';
  /** Episodes train() is asked for. */
  readonly episodes: number;
  /** Greedy evaluation episodes (each from a hidden seed). */
  readonly evalEpisodes: number;
  /** Mean greedy return for full points. */
  readonly threshold: number;
  /** Mean greedy return at or below which it gets nothing (linear in between). */
  readonly baseline: number;
}

/** The returns train() reported against the server's episode log of its session. */
export interface HistoryCheck extends CheckBase {
  readonly kind: 'history';
  readonly tolerance: number;
}

export type Check = RunsCheck | UpdateRuleCheck | LearningCheck | HistoryCheck;

export interface Part {
  readonly name: string;
  /** The file a submission must contain, e.g. tabular.py. */
  readonly file: string;
  /** What the student's module looks like: the notes' tabular agent or a DQN agent. */
  readonly interface: 'tabular' | 'dqn';
  /**
   * Agent(**args): values, or "$num_states", "$num_actions", "$observation_size" for the
   * env's sizes.
   */
  readonly agentArgs: Readonly<Record<string, unknown>>;
  readonly env: { readonly envId: string; readonly config: Readonly<Record<string, unknown>>; readonly rewardFunction: string; readonly rewardParams: Readonly<Record<string, unknown>> };
  readonly limits: Limits;
  readonly checks: readonly Check[];
}

export interface Assignment {
  readonly dir: string;
  readonly name: string;
  readonly title: string;
  readonly parts: readonly Part[];
  /** Hidden data (seeds), never shown to students. */
  readonly hidden: Hidden;
}

/** The hidden data: seeds the student never sees. */
export interface Hidden {
  /** Seed of the update_rule transitions, per part. */
  readonly transitionSeed: Readonly<Record<string, number>>;
  /** Seeds of the greedy evaluation episodes, per part. */
  readonly evalSeeds: Readonly<Record<string, readonly number[]>>;
  /** Seed of the training session and the agent, per part. */
  readonly trainSeed: Readonly<Record<string, number>>;
}

const DEFAULT_LIMITS: Limits = { wallSeconds: 120, cpuSeconds: 120, memoryMb: 2048 };

type Obj = Record<string, unknown>;

function obj(v: unknown, where: string): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new AssignmentError(`${where} must be a mapping`);
  return v as Obj;
}

function str(v: unknown, where: string, fallback?: string): string {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || v === '') throw new AssignmentError(`${where} must be a non-empty string`);
  return v;
}

function num(v: unknown, where: string, fallback?: number, min = -Infinity, max = Infinity): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new AssignmentError(`${where} must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

function known(o: Obj, keys: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new AssignmentError(`${where}: unknown key '${k}'; allowed: ${keys.join(', ')}`);
}

function limitsOf(v: unknown, where: string, base: Limits): Limits {
  if (v === undefined) return base;
  const o = obj(v, where);
  known(o, ['wall_seconds', 'cpu_seconds', 'memory_mb'], where);
  return {
    wallSeconds: num(o.wall_seconds, `${where}.wall_seconds`, base.wallSeconds, 1, 86_400),
    cpuSeconds: num(o.cpu_seconds, `${where}.cpu_seconds`, base.cpuSeconds, 1, 86_400),
    memoryMb: num(o.memory_mb, `${where}.memory_mb`, base.memoryMb, 256, 1 << 20),
  };
}

const CHECK_KEYS = ['kind', 'name', 'points', 'visibility', 'tags'];

function checkOf(v: unknown, part: string, i: number): Check {
  const where = `parts.${part}.checks[${i}]`;
  const o = obj(v, where);
  const kind = str(o.kind, `${where}.kind`);
  const base = {
    name: str(o.name, `${where}.name`, `${part}: ${kind}`),
    points: num(o.points, `${where}.points`, undefined, 0, 1e6),
    visibility: (() => {
      const vis = o.visibility ?? 'visible';
      if (!VISIBILITIES.includes(vis as Visibility)) throw new AssignmentError(`${where}.visibility must be one of ${VISIBILITIES.join(', ')}`);
      return vis as Visibility;
    })(),
    tags: [part, kind, ...(Array.isArray(o.tags) ? o.tags.map((t, k) => str(t, `${where}.tags[${k}]`)) : [])],
  };
  switch (kind) {
    case 'runs':
      known(o, CHECK_KEYS, where);
      return { ...base, kind };
    case 'update_rule':
      known(o, [...CHECK_KEYS, 'transitions', 'done_fraction', 'gamma', 'tolerance'], where);
      return {
        ...base,
        kind,
        transitions: num(o.transitions, `${where}.transitions`, 20, 1, 10_000),
        doneFraction: num(o.done_fraction, `${where}.done_fraction`, 0.3, 0, 1),
        gamma: num(o.gamma, `${where}.gamma`, undefined, 0, 1),
        tolerance: num(o.tolerance, `${where}.tolerance`, 1e-6, 0, 1e6),
      };
    case 'learning':
      known(o, [...CHECK_KEYS, 'episodes', 'eval_episodes', 'threshold', 'baseline'], where);
      return {
        ...base,
        kind,
        episodes: num(o.episodes, `${where}.episodes`, undefined, 1, 1_000_000),
        evalEpisodes: num(o.eval_episodes, `${where}.eval_episodes`, 10, 1, 10_000),
        threshold: num(o.threshold, `${where}.threshold`),
        baseline: num(o.baseline, `${where}.baseline`),
      };
    case 'history':
      known(o, [...CHECK_KEYS, 'tolerance'], where);
      return { ...base, kind, tolerance: num(o.tolerance, `${where}.tolerance`, 1e-6, 0, 1e6) };
    default:
      throw new AssignmentError(`${where}.kind must be runs, update_rule, learning or history, got '${kind}'`);
  }
}

function partOf(v: unknown, i: number, limits: Limits): Part {
  const o = obj(v, `parts[${i}]`);
  const name = str(o.name, `parts[${i}].name`);
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(name)) throw new AssignmentError(`parts[${i}].name must be letters, digits, '_' or '-'`);
  const where = `parts.${name}`;
  known(o, ['name', 'file', 'interface', 'agent_args', 'env', 'limits', 'checks'], where);
  const iface = str(o.interface, `${where}.interface`);
  if (iface !== 'tabular' && iface !== 'dqn') throw new AssignmentError(`${where}.interface must be tabular or dqn`);
  const env = obj(o.env, `${where}.env`);
  known(env, ['env_id', 'config', 'reward_function', 'reward_params'], `${where}.env`);
  const file = str(o.file, `${where}.file`);
  if (path.isAbsolute(file) || file.includes('..')) throw new AssignmentError(`${where}.file must be a file name inside the submission`);
  if (!Array.isArray(o.checks) || o.checks.length === 0) throw new AssignmentError(`${where}.checks must be a non-empty list`);
  const checks = o.checks.map((c, k) => checkOf(c, name, k));
  const kinds = checks.map((c) => c.kind);
  if (kinds.includes('history') && !kinds.includes('learning')) throw new AssignmentError(`${where}: a history check needs a learning check (it checks that run)`);
  if (iface === 'dqn' && kinds.includes('update_rule')) throw new AssignmentError(`${where}: update_rule checks need the tabular interface`);
  return {
    name,
    file,
    interface: iface,
    agentArgs: o.agent_args === undefined ? {} : obj(o.agent_args, `${where}.agent_args`),
    env: {
      envId: str(env.env_id, `${where}.env.env_id`),
      config: env.config === undefined ? {} : obj(env.config, `${where}.env.config`),
      rewardFunction: env.reward_function === undefined ? '' : str(env.reward_function, `${where}.env.reward_function`),
      rewardParams: env.reward_params === undefined ? {} : obj(env.reward_params, `${where}.env.reward_params`),
    },
    limits: limitsOf(o.limits, `${where}.limits`, limits),
    checks,
  };
}

function hiddenOf(dir: string, rel: string, parts: readonly Part[]): Hidden {
  const file = path.resolve(dir, rel);
  if (!existsSync(file)) throw new AssignmentError(`hidden data file ${rel} does not exist in ${dir}`);
  let data: Obj;
  try {
    data = obj(parse(readFileSync(file, 'utf8')), rel);
  } catch (err) {
    throw err instanceof AssignmentError ? err : new AssignmentError(`${rel} is not YAML/JSON: ${(err as Error).message}`);
  }
  const out = { transitionSeed: {} as Record<string, number>, evalSeeds: {} as Record<string, number[]>, trainSeed: {} as Record<string, number> };
  for (const part of parts) {
    const p = obj(data[part.name] ?? {}, `${rel}: ${part.name}`);
    out.trainSeed[part.name] = num(p.train_seed, `${rel}: ${part.name}.train_seed`, 0, 0, 2 ** 31);
    const learning = part.checks.find((c): c is LearningCheck => c.kind === 'learning');
    if (learning) {
      const seeds = p.eval_seeds;
      if (!Array.isArray(seeds) || seeds.length < learning.evalEpisodes || !seeds.every((s) => Number.isSafeInteger(s) && s >= 0)) {
        throw new AssignmentError(`${rel}: ${part.name}.eval_seeds must list at least ${learning.evalEpisodes} integer seeds`);
      }
      out.evalSeeds[part.name] = seeds as number[];
    }
    if (part.checks.some((c) => c.kind === 'update_rule')) out.transitionSeed[part.name] = num(p.transition_seed, `${rel}: ${part.name}.transition_seed`, undefined, 0, 2 ** 31);
  }
  return out;
}

/** Reads and checks ASSIGNMENT_DIR/assignment.yaml. */
export function loadAssignment(dir: string): Assignment {
  const abs = path.resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new AssignmentError(`${dir} is not a directory`);
  const file = path.join(abs, 'assignment.yaml');
  if (!existsSync(file)) throw new AssignmentError(`${dir} has no assignment.yaml`);
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AssignmentError(`assignment.yaml is not valid YAML: ${(err as Error).message}`);
  }
  const o = obj(raw, 'assignment.yaml');
  known(o, ['name', 'title', 'limits', 'hidden', 'parts'], 'assignment.yaml');
  const limits = limitsOf(o.limits, 'limits', DEFAULT_LIMITS);
  if (!Array.isArray(o.parts) || o.parts.length === 0) throw new AssignmentError('parts must be a non-empty list');
  const parts = o.parts.map((p, i) => partOf(p, i, limits));
  const names = new Set<string>();
  for (const p of parts) {
    if (names.has(p.name)) throw new AssignmentError(`two parts are named '${p.name}'`);
    names.add(p.name);
  }
  return {
    dir: abs,
    name: str(o.name, 'name'),
    title: str(o.title, 'title', String(o.name)),
    parts,
    hidden: hiddenOf(abs, str(o.hidden, 'hidden', 'hidden/seeds.yaml'), parts),
  };
}
