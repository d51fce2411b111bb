import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DomainError } from '../core/errors.js';
import { presets } from '../core/agents/presets.js';
import { decodeSnapshot, encodeSnapshot } from '../core/agents/snapshot-codec.js';
import type { AgentSnapshot } from '../core/agents/types.js';
import { ANONYMOUS } from '../core/sessions/session-store.js';
import { RunState, TrainRequest, type EpisodeRecord, type RunEvaluation, type TrainSummary } from '../gen/gymhost/v1/agent_service.js';
import { AgentService } from '../server/services/agent-service.js';
import { DEFAULT_LIMITS, EnvService } from '../server/services/env-service.js';
import { progressBar, textChart } from './chart.js';
import { safePathComponent } from '../server/observability/tensorboard.js';
import { RunTensorBoard, type RunTensorBoardOptions } from '../server/services/run-tensorboard.js';

export const TRAIN_USAGE = `gymhost train: train an agent in-process (the same code the server runs)

  gymhost train [--preset NAME | --kind tabular|dqn] [--env ENV_ID] [--env-config JSON]
                [--reward NAME] [--reward-params JSON] [--config JSON] [--seed N]
                [--episodes N | --steps N] [--eval-every-steps N] [--eval-episodes N]
                [--eval-seed N] [--keep-best] [--stop-at-mean-reward X] [--save FILE]
                [--csv FILE] [--json FILE] [--tensorboard DIR] [--quiet]

A preset brings its env, env config, reward and budget; flags override them. --steps N stops
at exactly N environment steps (the episode in progress is ended there).

Evaluations (greedy, on a private copy of the env, as Train's eval_* fields):
  --eval-every-steps N     evaluate every N training steps (after the episode in which the
                           count is reached) and once at the end; each one is a line on stderr
  --eval-episodes N        greedy episodes per evaluation (default 10); without
                           --eval-every-steps: one evaluation of N episodes after training
  --eval-seed N            evaluation episode i is reset with N + i (default ${1_000_000})
  --keep-best              end with the weights of the best evaluation (highest mean, the
                           earliest on ties); needs --eval-every-steps
  --stop-at-mean-reward X  stop once an evaluation's mean reaches X (needs --eval-every-steps;
                           a negative X is fine: --stop-at-mean-reward -60)

--save writes the agent (ExportAgent's bytes, which ImportAgent loads) with the env id, env
config and reward it was trained with, for gymhost eval. --csv / --json write the per-episode
history (--json also the evaluations). --tensorboard DIR writes TensorBoard event files to
DIR/<env>__<preset or kind>__<seed>__<unix time>/ (CleanRL's run names and tags:
charts/episodic_return, charts/episodic_length, charts/epsilon, losses/td_loss,
eval/mean_return and eval/std_return, at the global env step); tensorboard --logdir DIR shows
them. Ctrl-C stops training and still writes the outputs.

  gymhost eval --agent FILE [--env ENV_ID] [--env-config JSON] [--reward NAME]
               [--reward-params JSON] [--episodes 100] [--seed 0] [--json FILE]

eval runs on the env id, env config and reward saved with the agent; each flag replaces its
part (--env with another env id drops the saved config and reward). Files saved before the
setting was recorded need --env.
`;

const caller = ANONYMOUS;
/** Default seed of the CLI's evaluations: away from the training seeds. */
const DEFAULT_EVAL_SEED = 1_000_000;

function json(flag: string, raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v;
  } catch (err) {
    throw new Error(`--${flag} must be a JSON object, e.g. '{"world": "small_maze"}' (${(err as Error).message})`);
  }
}

function int(flag: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}, got '${raw}'`);
  return n;
}

function finite(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`--${flag} must be a finite number, e.g. 475 or -60, got '${raw}'`);
  return n;
}

/**
 * parseArgs reads `--flag -60` as a missing value: for the flags that take negative numbers,
 * `--flag -60` becomes `--flag=-60`.
 */
function joinNegativeValues(argv: readonly string[], flags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (flags.includes(argv[i]) && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

function historyCsv(records: readonly EpisodeRecord[]): string {
  const lines = ['episode,return,length,loss,epsilon,wall_time_ms'];
  for (const r of records) lines.push([r.episode, r.episodeReturn, r.length, Number.isNaN(r.loss) ? '' : r.loss, r.epsilon, r.wallTimeMs.toFixed(3)].join(','));
  return lines.join('\n') + '\n';
}

const fixed = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : String(x));

/**
 * The env an agent was trained on, as `gymhost train --save` records it in the agent file
 * (an extra `trainingEnv` field of the export's JSON header, which ImportAgent ignores).
 */
export interface TrainingEnv {
  readonly envId: string;
  /** The env config as the session resolved it (every option, defaults included). */
  readonly config: Record<string, unknown>;
  readonly rewardFunction: string;
  readonly rewardParams: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The agent export `data` with `env` recorded in it. */
export function withTrainingEnv(data: Uint8Array, env: TrainingEnv): Buffer {
  const snapshot: AgentSnapshot & { trainingEnv: TrainingEnv } = { ...decodeSnapshot(data), trainingEnv: env };
  return encodeSnapshot(snapshot);
}

/** The training env recorded in an agent file, or undefined for a file written without one. */
export function readTrainingEnv(data: Uint8Array, file: string): TrainingEnv | undefined {
  const recorded = (decodeSnapshot(data, 'agent') as AgentSnapshot & { trainingEnv?: unknown }).trainingEnv;
  if (recorded === undefined) return undefined;
  const e = recorded as Partial<Record<keyof TrainingEnv, unknown>>;
  if (!isObject(e) || typeof e.envId !== 'string' || !e.envId || !isObject(e.config) || typeof e.rewardFunction !== 'string' || !isObject(e.rewardParams)) {
    throw new Error(`${file}: its trainingEnv record is malformed; give --env (and --env-config, --reward) to evaluate it`);
  }
  return { envId: e.envId, config: e.config, rewardFunction: e.rewardFunction, rewardParams: e.rewardParams };
}

/** Where progress goes (process.stderr, or a test's fake). */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * What `gymhost train` shows while it trains: a progress bar on a terminal (redrawn at most
 * every `intervalMs`, and once more at the end with the run's final count, so that it ends
 * on the truth: 5000/5000 steps (100%) for a budget run out, 1800/5000 (36%) for one stopped
 * early), and one line per evaluation (on any stderr).
 */
export class TrainProgress {
  private episodes = 0;
  private steps = 0;
  private readonly recent: number[] = [];
  private last: EpisodeRecord | undefined;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;
  private best: RunEvaluation | undefined;
  private readonly now: () => number;
  private readonly intervalMs: number;

  constructor(
    private readonly out: ProgressOutput,
    readonly unit: 'episodes' | 'steps',
    readonly budget: number,
    private readonly options: { quiet?: boolean; stopAtMeanReward?: number; now?: () => number; intervalMs?: number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? 100;
  }

  /** Whether a bar is drawn (a terminal, not --quiet). */
  get bar(): boolean {
    return !this.options.quiet && this.out.isTTY === true;
  }

  episode(r: EpisodeRecord): void {
    this.episodes++;
    this.steps += r.length;
    this.last = r;
    this.recent.push(r.episodeReturn);
    if (this.recent.length > 100) this.recent.shift();
    if (!this.bar) return;
    const now = this.now();
    if (now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    this.draw(this.unit === 'episodes' ? this.episodes : this.steps, this.episodeLabel());
  }

  evaluation(e: RunEvaluation): void {
    const isBest = this.best === undefined || e.meanReward > this.best.meanReward;
    if (isBest) this.best = e;
    if (this.options.quiet) return;
    const threshold = this.options.stopAtMeanReward;
    const notes = [isBest ? 'best so far' : '', threshold !== undefined && e.meanReward >= threshold ? `reached --stop-at-mean-reward ${threshold}` : ''].filter(Boolean);
    const line = `evaluation at ${e.steps} steps (${e.episodes} episodes): mean ${fixed(e.meanReward)} +- ${fixed(e.stdReward)}${notes.length ? `  (${notes.join(', ')})` : ''}`;
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.out.write(line + '\n');
    this.drawn = false;
    if (this.bar && this.last) this.draw(this.unit === 'episodes' ? this.episodes : this.steps, this.episodeLabel());
  }

  /** The last draw: the run's own final count (not the last throttled one) and how it ended. */
  finish(summary: Pick<TrainSummary, 'episodes' | 'steps' | 'meanReturn100' | 'cancelled' | 'reachedThreshold'>): void {
    if (!this.bar) return;
    const done = this.unit === 'episodes' ? summary.episodes : summary.steps;
    const how = summary.cancelled ? 'stopped' : summary.reachedThreshold ? 'reached the threshold' : done >= this.budget ? 'done' : 'ended';
    this.draw(done, `${this.unit}  ${how}  mean100 ${fixed(summary.meanReturn100)}`);
    this.out.write('\n');
    this.drawn = false;
  }

  private episodeLabel(): string {
    const r = this.last!;
    const mean = this.recent.reduce((a, b) => a + b, 0) / this.recent.length;
    return `${this.unit}  return ${r.episodeReturn.toFixed(1)}  mean100 ${mean.toFixed(1)}  eps ${r.epsilon.toFixed(3)}`;
  }

  private draw(done: number, label: string): void {
    this.out.write(`\r\x1b[2K${progressBar(done, this.budget, label)}`);
    this.drawn = true;
  }
}

/** The final summary line of `gymhost train`. */
export function summaryLine(summary: TrainSummary, evaluations: number, options: { stopAtMeanReward?: number; keepBest?: boolean }): string {
  const parts = [
    `${summary.cancelled ? 'stopped' : 'done'}: ${summary.episodes} episodes, ${summary.steps} steps in ${(summary.wallTimeMs / 1000).toFixed(2)} s; mean return of the last 100: ${fixed(summary.meanReturn100)}`,
  ];
  const best = summary.bestEvaluation;
  if (best) parts.push(`best evaluation: mean ${fixed(best.meanReward)} +- ${fixed(best.stdReward)} at ${best.steps} steps (of ${evaluations} evaluation${evaluations === 1 ? '' : 's'})`);
  if (options.stopAtMeanReward !== undefined) {
    parts.push(summary.reachedThreshold ? `reached --stop-at-mean-reward ${options.stopAtMeanReward}` : `--stop-at-mean-reward ${options.stopAtMeanReward} not reached`);
  }
  if (options.keepBest && best) parts.push(`the agent keeps the weights of its best evaluation (at ${best.steps} steps)`);
  return parts.join('; ');
}

/** `gymhost train`; returns the exit code. */
export async function trainCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv, ['--stop-at-mean-reward']),
    strict: true,
    options: {
      preset: { type: 'string' }, kind: { type: 'string' }, env: { type: 'string' }, 'env-config': { type: 'string' },
      reward: { type: 'string' }, 'reward-params': { type: 'string' }, config: { type: 'string' }, seed: { type: 'string' },
      episodes: { type: 'string' }, steps: { type: 'string' }, 'eval-episodes': { type: 'string' }, save: { type: 'string' },
      'eval-every-steps': { type: 'string' }, 'eval-seed': { type: 'string' }, 'keep-best': { type: 'boolean' },
      'stop-at-mean-reward': { type: 'string' },
      csv: { type: 'string' }, json: { type: 'string' }, quiet: { type: 'boolean' }, tensorboard: { type: 'string' },
    },
  });
  const preset = values.preset ? presets.find((p) => p.name === values.preset) : undefined;
  if (values.preset && !preset) throw new Error(`unknown preset '${values.preset}'; available: ${presets.map((p) => p.name).join(', ')}`);
  const envId = values.env ?? preset?.envId;
  if (!envId) throw new Error('--env is required (or a --preset that names one)');
  const seed = int('seed', values.seed, 0) ?? 0;
  let episodes = int('episodes', values.episodes, 1);
  let steps = int('steps', values.steps, 1);
  if (episodes !== undefined && steps !== undefined) throw new Error('give --episodes or --steps, not both');
  if (episodes === undefined && steps === undefined) {
    episodes = preset?.trainEpisodes || undefined;
    steps = episodes === undefined ? preset?.trainSteps || undefined : undefined;
    if (episodes === undefined && steps === undefined) episodes = 500;
  }
  const evalEverySteps = int('eval-every-steps', values['eval-every-steps'], 1);
  const evalEpisodes = int('eval-episodes', values['eval-episodes'], 0);
  const evalSeed = int('eval-seed', values['eval-seed'], 0);
  const keepBest = values['keep-best'] ?? false;
  const stopAtMeanReward = finite('stop-at-mean-reward', values['stop-at-mean-reward']);
  if (evalEverySteps === undefined) {
    if (keepBest) throw new Error('--keep-best needs --eval-every-steps N: the best agent is the best evaluated one');
    if (stopAtMeanReward !== undefined) throw new Error('--stop-at-mean-reward needs --eval-every-steps N: evaluations decide when to stop');
    if (evalSeed !== undefined && !evalEpisodes) throw new Error('--eval-seed needs --eval-every-steps N or --eval-episodes N: it seeds their evaluations');
  }
  const envConfig = json('env-config', values['env-config']);
  const rewardParams = json('reward-params', values['reward-params']);
  const agentConfig = json('config', values.config);
  if (values.tensorboard !== undefined && values.tensorboard.trim() === '') throw new Error("--tensorboard needs a directory, e.g. --tensorboard runs, got ''");


  /** The run's TensorBoard folder (made just before training). */
  let tensorboardRun: string | undefined;
  const tensorboardOptions: RunTensorBoardOptions | undefined = values.tensorboard === undefined ? undefined : {
    dirOf: () => tensorboardRun!,
    onError: (err, file) => process.stderr.write(`gymhost train: cannot write the TensorBoard event file ${file}: ${err.message}; training goes on without it\n`),
  };
  const envs = new EnvService({ ...DEFAULT_LIMITS, sessionTtlSeconds: 0 });
  const agents = new AgentService(
    envs,
    { maxAgents: 10, agentTtlSeconds: 0, maxTrainSteps: Number.MAX_SAFE_INTEGER, maxEvalEpisodes: 100_000 },
    undefined,
    undefined,
    undefined,
    { tensorboard: tensorboardOptions },
  );
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const env = (await envs.createEnv(
      {
        envId, seed, config: envConfig ?? preset?.envConfig, rewardFunction: values.reward ?? preset?.rewardFunction ?? '',
        rewardParams: rewardParams ?? preset?.rewardParams, numEnvs: 1, renderMode: 0, autoresetMode: 0,
      },
      caller,
    )).env!;
    const agent = (await agents.createAgent(
      { kind: values.kind ?? '', env: env.id, preset: values.preset ?? '', config: agentConfig, seed, observationSpace: undefined, actionSpace: undefined },
      caller,
    )).agent!;
    const budget = episodes ?? steps!;
    const unit = episodes !== undefined ? 'episodes' : 'steps';
    if (!values.quiet) {
      const evaluating = evalEverySteps !== undefined
        ? `; evaluating every ${evalEverySteps} steps over ${evalEpisodes || 10} episodes (seed ${evalSeed ?? DEFAULT_EVAL_SEED})` +
          `${keepBest ? ', keeping the best' : ''}${stopAtMeanReward !== undefined ? `, stopping at mean >= ${stopAtMeanReward}` : ''}`
        : '';
      process.stderr.write(`training ${agent.kind} agent (${agent.engine}) on ${envId} for ${budget} ${unit}, seed ${seed}${evaluating}\n`);
    }
    if (values.tensorboard !== undefined) {
      tensorboardRun = makeRunDir(values.tensorboard, `${envId}__${values.preset || agent.kind}__${seed}__${Math.floor(Date.now() / 1000)}`);
      if (!values.quiet) process.stderr.write(`TensorBoard event files in ${tensorboardRun} (tensorboard --logdir ${values.tensorboard})\n`);
    }
    const history: EpisodeRecord[] = [];
    const evaluations: RunEvaluation[] = [];
    const progress = new TrainProgress(process.stderr, unit, budget, { quiet: values.quiet, stopAtMeanReward });
    const takeEpisode = (r: EpisodeRecord) => {
      history.push(r);
      progress.episode(r);
    };
    const takeEvaluation = (e: RunEvaluation) => {
      evaluations.push(e);
      progress.evaluation(e);
    };
    /**
     * A blocking Train's events start once the call has started the run, so the episodes and
     * evaluations of its first slice can come before any event: this takes those from the
     * agent's history (the live agent: in-process, the run trains it in place) and the run,
     * episodes up to `episodes` and evaluations before `evaluationsBefore`.
     */
    const catchUp = (episodes: number, evaluationsBefore: number) => {
      const lastEpisode = history.at(-1)?.episode ?? 0;
      if (episodes > lastEpisode) {
        for (const r of agents.getHistory({ id: agent.id, offset: 0, limit: 0 }, caller).records) if (r.episode > lastEpisode && r.episode <= episodes) takeEpisode(r);
      }
      if (evaluationsBefore > evaluations.length) {
        // The agent's newest run (in-process: every run is in agents.runs).
        const run = [...agents.runs.values()].filter((r) => r.agent === agent.id).sort((a, b) => b.createdAt - a.createdAt)[0]?.toProto();
        for (const e of run?.evaluations.slice(evaluations.length, evaluationsBefore) ?? []) takeEvaluation(e);
      }
    };
    let caughtUp = false;
    const { summary } = await agents.train(
      TrainRequest.fromPartial({
        id: agent.id,
        env: env.id,
        episodes: episodes ?? 0,
        steps: steps ?? 0,
        evalEverySteps: evalEverySteps ?? 0,
        evalEpisodes: evalEverySteps !== undefined ? evalEpisodes ?? 0 : 0,
        evalSeed: evalSeed ?? DEFAULT_EVAL_SEED,
        keepBest,
        stopAtMeanReward,
      }),
      caller,
      (e) => {
        if (!caughtUp) {
          caughtUp = true;
          if (e.$case === 'episode') catchUp(e.value.episode - 1, Number.MAX_SAFE_INTEGER);
          else catchUp(e.value.episodes, e.value.index);
        }
        if (e.$case === 'episode') takeEpisode(e.value);
        else takeEvaluation(e.value);
      },
      controller.signal,
    );
    if (!summary) throw new Error('training ended without a summary');
    const run = (await agents.getRun({ id: summary.run }, caller)).run!;
    // A run short enough to end within its first slice sent no events at all. (With keep_best
    // the agent's history is its best evaluation's, so nothing after that is there; but such a
    // run has sent its first evaluation as an event, and everything after it.)
    catchUp(summary.episodes, run.evaluations.length);
    progress.finish(summary);
    if (run.state === RunState.RUN_STATE_FAILED) {
      process.stderr.write(`gymhost train: training failed: ${run.error}\n`);
      return 1;
    }
    console.log(summaryLine(summary, run.evaluations.length, { stopAtMeanReward, keepBest }));
    if (!values.quiet) console.log(`episode returns:\n${textChart(history.map((r) => r.episodeReturn))}`);
    if (evalEverySteps === undefined && evalEpisodes) {
      const ev = await agents.evaluate({ id: agent.id, env: env.id, episodes: evalEpisodes, seed: evalSeed ?? DEFAULT_EVAL_SEED, recordTrajectories: false }, caller);
      console.log(`greedy evaluation over ${evalEpisodes} episodes: mean ${ev.meanReward.toFixed(2)} +- ${ev.stdReward.toFixed(2)} (min ${ev.minReward}, max ${ev.maxReward})`);
      if (tensorboardOptions) {
        // After the run: one more file in the run's folder, with this evaluation at the run's last step.
        const tb = new RunTensorBoard({ id: summary.run, owner: caller.user }, tensorboardOptions);
        tb.evaluation({ index: 0, steps: summary.steps, episodes: summary.episodes, mean: ev.meanReward, std: ev.stdReward, time: Date.now() });
        await tb.close();
      }
    }
    const trainingEnv: TrainingEnv = { envId: env.envId, config: env.config ?? {}, rewardFunction: env.rewardFunction, rewardParams: env.rewardParams ?? {} };
    if (values.save) {
      writeFileSync(values.save, withTrainingEnv(agents.exportAgent({ id: agent.id }, caller).data, trainingEnv));
      console.log(`agent saved to ${values.save} (with its env: ${describeEnv(trainingEnv)})`);
    }
    if (values.csv) writeFileSync(values.csv, historyCsv(history));
    if (values.json) writeFileSync(values.json, JSON.stringify({ summary, evaluations: run.evaluations, env: trainingEnv, history }, null, 2) + '\n');
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    agents.close();
    envs.close();
  }
}

/** Makes DIR/NAME (NAME_2, NAME_3, ... when it exists) for --tensorboard; returns it. */
function makeRunDir(dir: string, name: string): string {
  const base = safePathComponent(name);
  try {
    mkdirSync(dir, { recursive: true });
    for (let n = 1; ; n++) {
      const run = path.join(dir, n === 1 ? base : `${base}_${n}`);
      try {
        mkdirSync(run);
        return run;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  } catch (err) {
    throw new Error(`--tensorboard ${dir}: cannot make the run's folder: ${(err as Error).message}`);
  }
}

function describeEnv(e: TrainingEnv): string {
  return `${e.envId} ${JSON.stringify(e.config)}, reward ${e.rewardFunction} ${JSON.stringify(e.rewardParams)}`;
}

/** `gymhost eval`; returns the exit code. */
export async function evalCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      agent: { type: 'string' }, env: { type: 'string' }, 'env-config': { type: 'string' }, reward: { type: 'string' },
      'reward-params': { type: 'string' }, episodes: { type: 'string' }, seed: { type: 'string' }, json: { type: 'string' },
    },
  });
  if (!values.agent) throw new Error('--agent FILE is required (a file written by gymhost train --save)');
  const episodes = int('episodes', values.episodes, 1) ?? 100;
  const seed = int('seed', values.seed, 0) ?? 0;
  const envConfig = json('env-config', values['env-config']);
  const rewardParams = json('reward-params', values['reward-params']);
  let data: Buffer;
  try {
    data = readFileSync(values.agent);
  } catch (err) {
    throw new Error(`cannot read --agent ${values.agent}: ${(err as Error).message}`);
  }
  const saved = readTrainingEnv(data, values.agent);
  const envId = values.env ?? saved?.envId;
  if (!envId) throw new Error(`--env is required: ${values.agent} does not record the env it was trained on (saved by an older gymhost train), e.g. --env CartPole-v1`);
  // Each flag replaces its part of the saved setting; another env id drops the saved config and reward.
  const sameEnv = saved !== undefined && saved.envId === envId;
  const rewardFunction = values.reward ?? (sameEnv ? saved.rewardFunction : '');
  const sameReward = sameEnv && rewardFunction === saved.rewardFunction;
  const overridden = ['env', 'env-config', 'reward', 'reward-params'].filter((f) => values[f as keyof typeof values] !== undefined).map((f) => `--${f}`);
  const envs = new EnvService({ ...DEFAULT_LIMITS, sessionTtlSeconds: 0 });
  const agents = new AgentService(envs);
  try {
    const env = (await envs.createEnv(
      {
        envId, seed: 0, config: envConfig ?? (sameEnv ? saved.config : undefined), rewardFunction,
        rewardParams: rewardParams ?? (sameReward ? saved.rewardParams : undefined), numEnvs: 1, renderMode: 0, autoresetMode: 0,
      },
      caller,
    )).env!;
    const setting: TrainingEnv = { envId: env.envId, config: env.config ?? {}, rewardFunction: env.rewardFunction, rewardParams: env.rewardParams ?? {} };
    const source = !saved ? 'from the flags' : overridden.length ? `the agent's training env, with ${overridden.join(', ')}` : "the agent's training env";
    console.log(`env: ${describeEnv(setting)} (${source})`);
    const agent = (await agents.importAgent({ data, env: env.id }, caller)).agent!;
    const ev = await agents.evaluate({ id: agent.id, env: env.id, episodes, seed, recordTrajectories: false }, caller);
    console.log(`greedy evaluation of ${values.agent} on ${envId} over ${episodes} episodes: mean ${ev.meanReward.toFixed(2)} +- ${ev.stdReward.toFixed(2)} (min ${ev.minReward}, max ${ev.maxReward})`);
    if (values.json) writeFileSync(values.json, JSON.stringify({ ...ev, env: setting }, null, 2) + '\n');
    return 0;
  } finally {
    agents.close();
    envs.close();
  }
}

/** Domain errors as one line for the terminal. */
export function describeError(err: unknown): string {
  if (err instanceof DomainError) return `${err.code}: ${err.message}`;
  return (err as Error).message;
}
