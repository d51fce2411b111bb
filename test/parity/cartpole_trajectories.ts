/**
 * CartPole-v1 trajectories for the Gymnasium parity test (test/python/test_cartpole_parity.py).
 *
 * stdin: a JSON list of runs
 *   { "start": v, "actions": [0 | 1, ...], "config"?: {...}, "reward_function"?: "gymnasium" | "sutton_barto" }
 * where `start` is the reset value: reset(options = {low: v, high: v}) starts every state
 * component at exactly v (Gymnasium's RNG cannot be reproduced, so parity is defined on equal
 * start states). The actions are stepped in order, also after termination or truncation.
 *
 * stdout: one JSON object
 *   { "observation_space": {...}, "action_space": {...}, "max_episode_steps": 500,
 *     "reward_threshold": 475,
 *     "trajectories": [ one per run:
 *       { "observations": [[x, x_dot, theta, theta_dot] after reset, then after each step],
 *         "rewards": [...], "terminated": [...], "truncated": [...], "warnings": [bool, ...] } ] }
 * Observations are the float32 values, printed exactly (as float64 numbers). Space bounds
 * print +-Infinity as the strings "Infinity" / "-Infinity" (Python's float() reads them).
 */
import { CartPoleBatch, cartPoleType } from '../../src/core/envs/cartpole.js';

interface Run {
  start: number;
  actions: number[];
  config?: Record<string, unknown>;
  reward_function?: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function trajectory(run: Run) {
  const env = new CartPoleBatch(1, run.config ?? {}, { name: run.reward_function ?? 'gymnasium', params: {} }, 0);
  env.reset(0, undefined, { low: run.start, high: run.start });
  const observations: number[][] = [Array.from(env.observations)];
  const rewards: number[] = [];
  const terminated: boolean[] = [];
  const truncated: boolean[] = [];
  const warnings: boolean[] = [];
  for (const a of run.actions) {
    env.step(0, a);
    observations.push(Array.from(env.observations));
    rewards.push(env.rewards[0]);
    terminated.push(env.terminated[0] === 1);
    truncated.push(env.truncated[0] === 1);
    warnings.push('warning' in env.info(0));
  }
  return { observations, rewards, terminated, truncated, warnings };
}

const runs = JSON.parse(await readStdin()) as Run[];
const described = cartPoleType.describe({});
const output = {
  observation_space: described.observationSpace,
  action_space: described.actionSpace,
  max_episode_steps: described.maxEpisodeSteps,
  reward_threshold: cartPoleType.rewardThreshold,
  trajectories: runs.map(trajectory),
};
const json = JSON.stringify(output, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
process.stdout.write(json + '\n');
