import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DomainError } from '../core/errors.js';
import { presets } from '../core/agents/presets.js';
import { ANONYMOUS } from '../core/sessions/session-store.js';
import type { EpisodeRecord } from '../gen/gymhost/v1/agent_service.js';
import { AgentService } from '../server/services/agent-service.js';
import { DEFAULT_LIMITS, EnvService } from '../server/services/env-service.js';
import { progressBar, textChart } from './chart.js';

export const TRAIN_USAGE = `gymhost train: train an agent in-process (the same code the server runs)

  gymhost train [--preset NAME | --kind tabular|dqn] [--env ENV_ID] [--env-config JSON]
                [--reward NAME] [--reward-params JSON] [--config JSON] [--seed N]
                [--episodes N | --steps N] [--eval-episodes N] [--save FILE]
                [--csv FILE] [--json FILE] [--quiet]

A preset brings its env, env config, reward and budget; flags override them. --save writes
the agent (ExportAgent's bytes), --csv / --json the per-episode history. Ctrl-C stops
training and still writes the outputs.

  gymhost eval --agent FILE [--env ENV_ID] [--env-config JSON] [--reward NAME]
               [--episodes 100] [--seed 0] [--json FILE]
`;

const caller = ANONYMOUS;

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
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}, got '${raw}'`);
  return n;
}

function historyCsv(records: readonly EpisodeRecord[]): string {
  const lines = ['episode,return,length,loss,epsilon,wall_time_ms'];
  for (const r of records) lines.push([r.episode, r.episodeReturn, r.length, Number.isNaN(r.loss) ? '' : r.loss, r.epsilon, r.wallTimeMs.toFixed(3)].join(','));
  return lines.join('\n') + '\n';
}

/** `gymhost train`; returns the exit code. */
export async function trainCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      preset: { type: 'string' }, kind: { type: 'string' }, env: { type: 'string' }, 'env-config': { type: 'string' },
      reward: { type: 'string' }, 'reward-params': { type: 'string' }, config: { type: 'string' }, seed: { type: 'string' },
      episodes: { type: 'string' }, steps: { type: 'string' }, 'eval-episodes': { type: 'string' }, save: { type: 'string' },
      csv: { type: 'string' }, json: { type: 'string' }, quiet: { type: 'boolean' },
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
  const evalEpisodes = int('eval-episodes', values['eval-episodes'], 0) ?? 0;

  const envs = new EnvService({ ...DEFAULT_LIMITS, sessionTtlSeconds: 0 });
  const agents = new AgentService(envs, { maxAgents: 10, agentTtlSeconds: 0, maxTrainSteps: Number.MAX_SAFE_INTEGER, maxEvalEpisodes: 100_000 });
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const env = (await envs.createEnv(
      {
        envId, seed, config: json('env-config', values['env-config']) ?? preset?.envConfig, rewardFunction: values.reward ?? preset?.rewardFunction ?? '',
        rewardParams: json('reward-params', values['reward-params']) ?? preset?.rewardParams, numEnvs: 1, renderMode: 0, autoresetMode: 0,
      },
      caller,
    )).env!;
    const agent = (await agents.createAgent(
      { kind: values.kind ?? '', env: env.id, preset: values.preset ?? '', config: json('config', values.config), seed, observationSpace: undefined, actionSpace: undefined },
      caller,
    )).agent!;
    const budget = episodes ?? steps!;
    const unit = episodes !== undefined ? 'episodes' : 'steps';
    if (!values.quiet) process.stderr.write(`training ${agent.kind} agent (${agent.engine}) on ${envId} for ${budget} ${unit}, seed ${seed}\n`);
    const returns: number[] = [];
    let stepsDone = 0;
    let lastDraw = 0;
    const summary = await agents.train(
      { id: agent.id, env: env.id, episodes: episodes ?? 0, steps: steps ?? 0, stream: false },
      caller,
      (r) => {
        returns.push(r.episodeReturn);
        stepsDone += r.length;
        const now = Date.now();
        if (!values.quiet && process.stderr.isTTY && now - lastDraw > 100) {
          lastDraw = now;
          const recent = returns.slice(-100);
          const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
          const done = episodes !== undefined ? returns.length : Math.min(stepsDone, budget);
          process.stderr.write(`\r${progressBar(done, budget, `${unit}  return ${r.episodeReturn.toFixed(1)}  mean100 ${mean.toFixed(1)}  eps ${r.epsilon.toFixed(3)}`)}   `);
        }
      },
      controller.signal,
    );
    if (!values.quiet && process.stderr.isTTY) process.stderr.write('\n');
    const history = agents.getHistory({ id: agent.id, offset: 0, limit: 0 }, caller).records;
    console.log(`${summary.cancelled ? 'stopped' : 'done'}: ${summary.episodes} episodes, ${summary.steps} steps in ${(summary.wallTimeMs / 1000).toFixed(2)} s; mean return of the last 100: ${summary.meanReturn100.toFixed(2)}`);
    if (!values.quiet) console.log(`episode returns:\n${textChart(history.map((r) => r.episodeReturn))}`);
    if (evalEpisodes > 0) {
      const ev = await agents.evaluate({ id: agent.id, env: env.id, episodes: evalEpisodes, seed: 1_000_000, recordTrajectories: false }, caller);
      console.log(`greedy evaluation over ${evalEpisodes} episodes: mean ${ev.meanReward.toFixed(2)} +- ${ev.stdReward.toFixed(2)} (min ${ev.minReward}, max ${ev.maxReward})`);
    }
    if (values.save) {
      writeFileSync(values.save, agents.exportAgent({ id: agent.id }, caller).data);
      console.log(`agent saved to ${values.save}`);
    }
    if (values.csv) writeFileSync(values.csv, historyCsv(history));
    if (values.json) writeFileSync(values.json, JSON.stringify({ summary, history }, null, 2) + '\n');
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    agents.close();
    envs.close();
  }
}

/** `gymhost eval`; returns the exit code. */
export async function evalCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      agent: { type: 'string' }, env: { type: 'string' }, 'env-config': { type: 'string' }, reward: { type: 'string' },
      episodes: { type: 'string' }, seed: { type: 'string' }, json: { type: 'string' },
    },
  });
  if (!values.agent) throw new Error('--agent FILE is required (a file written by gymhost train --save)');
  if (!values.env) throw new Error('--env is required, e.g. --env CartPole-v1');
  const envs = new EnvService({ ...DEFAULT_LIMITS, sessionTtlSeconds: 0 });
  const agents = new AgentService(envs);
  try {
    const env = (await envs.createEnv(
      { envId: values.env, seed: 0, config: json('env-config', values['env-config']), rewardFunction: values.reward ?? '', rewardParams: undefined, numEnvs: 1, renderMode: 0, autoresetMode: 0 },
      caller,
    )).env!;
    const agent = (await agents.importAgent({ data: readFileSync(values.agent), env: env.id }, caller)).agent!;
    const episodes = int('episodes', values.episodes, 1) ?? 100;
    const ev = await agents.evaluate({ id: agent.id, env: env.id, episodes, seed: int('seed', values.seed, 0) ?? 0, recordTrajectories: false }, caller);
    console.log(`greedy evaluation of ${values.agent} on ${values.env} over ${episodes} episodes: mean ${ev.meanReward.toFixed(2)} +- ${ev.stdReward.toFixed(2)} (min ${ev.minReward}, max ${ev.maxReward})`);
    if (values.json) writeFileSync(values.json, JSON.stringify(ev, null, 2) + '\n');
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
