/**
 * Trajectories of the Gymnasium ports (src/core/envs/gymnasium/) for the parity test
 * test/python/test_gymnasium_env_parity.py.
 *
 * stdin: a JSON list of runs, each
 *   { "env": id, "config": {...}, "seed": s, "num_envs": n, "actions": [[a_0 .. a_n-1], ...],
 *     "reset_options"?: {...} }
 * One batch of n copies (copy i seeded s + i) is reset with `seed`, then stepped with each
 * row of actions; a copy whose step terminated or truncated is reset at once, unseeded (its
 * generator continues), as the Python side does with n separate Gymnasium envs.
 *
 * stdout: one JSON list, per run
 *   { "reset": [obs of each copy], "steps": [ per step:
 *       { "obs": [...], "reward": [...], "terminated": [...], "truncated": [...],
 *         "reset": { copy: obs after its reset } } ] }
 * where obs is a number (Discrete) or a list of float32 values printed exactly.
 *
 * A run with "one_step": true instead gives "states" (float64 physics states) and
 * "step_actions" (one per state): each state is imported into copy 0 (exportState's
 * "physics") and stepped once; the output is { "next": [ per state: { "state", "obs",
 * "reward", "terminated" } ] } with the float64 state after the step.
 */
import type { GymDynamics } from '../../src/core/envs/gymnasium/dynamics.js';
import { makeGymDynamics } from '../../src/core/envs/gymnasium/catalog.js';

interface Run {
  env: string;
  config?: Record<string, unknown>;
  seed: number;
  num_envs?: number;
  actions?: number[][];
  reset_options?: Record<string, number>;
  one_step?: boolean;
  states?: number[][];
  step_actions?: number[];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function obsOf(env: GymDynamics, i: number): number | number[] {
  const k = env.obsSize;
  return k === 1 && env.observations instanceof Int32Array ? env.observations[i] : Array.from(env.observations.subarray(i * k, (i + 1) * k));
}

function trajectory(run: Run) {
  const n = run.num_envs ?? 1;
  const env = makeGymDynamics(run.env, n, run.config ?? {}, run.seed);
  env.reset(run.seed, run.reset_options);
  const reset = Array.from({ length: n }, (_, i) => obsOf(env, i));
  const steps = (run.actions ?? []).map((row) => {
    env.step(row);
    const obs = Array.from({ length: n }, (_, i) => obsOf(env, i));
    const out = {
      obs,
      reward: Array.from(env.rewards),
      terminated: Array.from(env.terminated, (x) => x === 1),
      truncated: Array.from(env.truncated, (x) => x === 1),
      reset: {} as Record<number, number | number[]>,
    };
    for (let i = 0; i < n; i++) {
      if (env.terminated[i] || env.truncated[i]) {
        env.resetCopy(i, undefined, run.reset_options);
        out.reset[i] = obsOf(env, i);
      }
    }
    return out;
  });
  return { reset, steps };
}

function oneStep(run: Run) {
  const env = makeGymDynamics(run.env, 1, run.config ?? {}, run.seed);
  env.reset(run.seed);
  const next = (run.states ?? []).map((s, k) => {
    const saved = { ...env.exportState() };
    (saved.physics as Float64Array).set(s);
    env.importState(saved);
    env.stepCopy(0, run.step_actions![k]);
    return { state: Array.from(env.exportState().physics as Float64Array), obs: obsOf(env, 0), reward: env.rewards[0], terminated: env.terminated[0] === 1 };
  });
  return { next };
}

const runs = JSON.parse(await readStdin()) as Run[];
process.stdout.write(JSON.stringify(runs.map((r) => (r.one_step ? oneStep(r) : trajectory(r)))) + '\n');
