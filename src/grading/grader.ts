/**
 * Grades one submission against an assignment on a running gymhost (in this process, with
 * authentication on): each check runs the student's module in a StudentProcess of its own,
 * and every score comes from what the harness measured, on sessions it made, from seeds the
 * student never sees. The student's code only answers actions and runs its own functions.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DomainError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Caller } from '../core/sessions/caller.js';
import type { EpisodeLogEntry, ListEpisodesResponse, StepResponse } from '../gen/gymhost/v1/env_service.js';
import type { SpaceValue } from '../gen/gymhost/v1/spaces.js';
import type { RunningServer } from '../server/server.js';
import { tensorValues } from '../server/services/tensors.js';
import type { Assignment, Check, HistoryCheck, LearningCheck, Part, UpdateRuleCheck, Visibility } from './assignment.js';
import { StudentFailure, StudentProcess } from './student-process.js';

/** One test of Gradescope's results.json. */
export interface TestResult {
  readonly name: string;
  readonly score: number;
  readonly max_score: number;
  readonly status: 'passed' | 'failed';
  readonly output: string;
  readonly visibility: Visibility;
  readonly tags: readonly string[];
}

/** What the server logged of a graded part (kept next to results.json for appeals). */
export interface PartLog {
  readonly part: string;
  /** The training session's episodes, from the server's log (ListEpisodes). */
  readonly training: readonly { episode: number; seed?: number; return: number; length: number; terminated: boolean; truncated: boolean; abandoned: boolean }[];
  /** What the student's train() reported. */
  readonly reported?: readonly number[];
  /** The greedy evaluation episodes the harness ran. */
  readonly evaluation: readonly { seed: number; return: number; length: number }[];
}

export interface SubmissionResult {
  readonly tests: TestResult[];
  readonly score: number;
  readonly maxScore: number;
  readonly executionTime: number;
  readonly logs: PartLog[];
}

export interface GradeContext {
  readonly server: RunningServer;
  /** Python with the gymhost client and NumPy. */
  readonly python: string;
  /** The harness itself (creates evaluation sessions, reads logs). */
  readonly grader: Caller;
}

export interface Student {
  readonly user: string;
  readonly token: string;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

function result(check: Check, score: number, output: string): TestResult {
  const s = round(Math.max(0, Math.min(check.points, score)));
  return { name: check.name, score: s, max_score: check.points, status: s >= check.points - 1e-9 ? 'passed' : 'failed', output, visibility: check.visibility, tags: check.tags };
}

function failure(err: unknown): string {
  if (err instanceof StudentFailure) return `${err.message}${err.output ? `\n--- last lines of output ---\n${err.output}` : ''}`;
  if (err instanceof DomainError) return `${err.code}: ${err.message}`;
  return String((err as Error)?.message ?? err);
}

/** The env's sizes for "$num_states", "$num_actions", "$observation_size". */
async function envSizes(ctx: GradeContext, part: Part): Promise<Record<string, number>> {
  const { envs } = ctx.server;
  const created = await envs.createEnv({ envId: part.env.envId, config: part.env.config, rewardFunction: part.env.rewardFunction, rewardParams: part.env.rewardParams, numEnvs: 1, renderMode: 0, autoresetMode: 0, seed: undefined }, ctx.grader);
  const env = created.env!;
  envs.deleteEnv({ id: env.id }, ctx.grader);
  const obs = env.observationSpace?.kind;
  const act = env.actionSpace?.kind;
  return {
    num_states: obs?.$case === 'discrete' ? obs.value.n : 0,
    observation_size: obs?.$case === 'box' ? obs.value.shape.reduce((a, b) => a * b, 1) : 1,
    num_actions: act?.$case === 'discrete' ? act.value.n : 0,
  };
}

function agentArgs(part: Part, sizes: Record<string, number>, seed: number): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(part.agentArgs)) args[k] = typeof v === 'string' && v.startsWith('$') ? sizes[v.slice(1)] : v;
  return { ...args, seed };
}

/** A SpaceValue (an observation) as the student sees it: an int, or a list of numbers. */
function plain(v: SpaceValue | undefined): number | number[] {
  const kind = v?.kind;
  if (kind?.$case === 'discrete') return kind.value;
  if (kind?.$case === 'tensor') return Array.from(tensorValues(kind.value, 'observation'));
  throw new Error('the env answered no observation');
}

export async function gradeSubmission(assignment: Assignment, submissionDir: string, student: Student, ctx: GradeContext): Promise<SubmissionResult> {
  const started = performance.now();
  const tests: TestResult[] = [];
  const logs: PartLog[] = [];
  const studentCaller: Caller = { user: student.user, role: 'student' };
  for (const part of assignment.parts) {
    const file = path.join(submissionDir, part.file);
    if (!existsSync(file)) {
      for (const check of part.checks) tests.push(result(check, 0, `missing file: the submission has no ${part.file}`));
      continue;
    }
    const sizes = await envSizes(ctx, part);
    const spawnStudent = () =>
      new StudentProcess({
        python: ctx.python,
        file,
        iface: part.interface,
        limits: part.limits,
        env: { GYMHOST_ADDRESS: ctx.server.grpcAddress, GYMHOST_TOKEN: student.token },
      });
    const learning = part.checks.find((c): c is LearningCheck => c.kind === 'learning');
    const history = part.checks.find((c): c is HistoryCheck => c.kind === 'history');
    let learned: { learning: TestResult; history?: TestResult } | undefined;
    for (const check of part.checks) {
      if (check.kind === 'runs') tests.push(await runsCheck(check, spawnStudent()));
      else if (check.kind === 'update_rule') tests.push(await updateRuleCheck(check, assignment, part, sizes, spawnStudent()));
      else if (check.kind === 'learning' || check.kind === 'history') {
        if (!learned) {
          const out = await learningCheck(learning!, history, assignment, part, sizes, spawnStudent(), ctx, studentCaller);
          learned = out;
          logs.push(out.log);
        }
        tests.push(check.kind === 'learning' ? learned.learning : learned.history!);
      }
    }
    await cleanUp(ctx, studentCaller);
  }
  const score = round(tests.reduce((a, t) => a + t.score, 0));
  const maxScore = round(tests.reduce((a, t) => a + t.max_score, 0));
  return { tests, score, maxScore, executionTime: round((performance.now() - started) / 1000), logs };
}

/** Deletes whatever the student's code left on the server. */
async function cleanUp(ctx: GradeContext, student: Caller): Promise<void> {
  const { envs, agents } = ctx.server;
  for (const e of (await envs.listEnvs({ owner: student.user }, ctx.grader)).envs) envs.deleteEnv({ id: e.id }, ctx.grader);
  for (const a of (await agents.listAgents({ owner: student.user }, ctx.grader)).agents) agents.deleteAgent({ id: a.id }, ctx.grader);
}

async function runsCheck(check: Check, proc: StudentProcess): Promise<TestResult> {
  try {
    await proc.must('load');
    return result(check, check.points, 'the module imports and defines Agent and train');
  } catch (err) {
    return result(check, 0, failure(err));
  } finally {
    await proc.close();
  }
}

/** Hidden transitions (from the hidden seed) through update_Q, against Q(s,a) = r (done) or r + gamma max Q(s'). */
async function updateRuleCheck(check: UpdateRuleCheck, assignment: Assignment, part: Part, sizes: Record<string, number>, proc: StudentProcess): Promise<TestResult> {
  const S = sizes.num_states;
  const A = sizes.num_actions;
  const rng = new Rng(assignment.hidden.transitionSeed[part.name]);
  const rewards = [-1, -200, 0];
  let right = 0;
  const wrong = { done: 0, notDone: 0 };
  let doneCount = 0;
  try {
    await proc.must('load');
    await proc.must('new_agent', { args: agentArgs(part, sizes, assignment.hidden.trainSeed[part.name]) });
    for (let k = 0; k < check.transitions; k++) {
      const q = Array.from({ length: S }, () => Array.from({ length: A }, () => Math.round(rng.uniform(-10, 0) * 1000) / 1000));
      const s = rng.nextInt(S);
      const s2 = rng.nextInt(S);
      const a = rng.nextInt(A);
      const r = rewards[rng.nextInt(rewards.length)];
      const done = rng.nextFloat() < check.doneFraction;
      if (done) doneCount++;
      const expected = done ? r : r + check.gamma * Math.max(...q[s2]);
      const answer = await proc.must('update', { q, t: [s, s2, a, r, done] });
      if (Math.abs(Number(answer.q) - expected) <= check.tolerance) right++;
      else if (done) wrong.done++;
      else wrong.notDone++;
    }
  } catch (err) {
    await proc.close();
    return result(check, (check.points * right) / check.transitions, `${right} of ${check.transitions} transitions right before it failed: ${failure(err)}`);
  }
  await proc.close();
  const n = check.transitions;
  const lines = [`${right} of ${n} hidden transitions give the reference Q(s, a) (tolerance ${check.tolerance}).`];
  if (wrong.done) lines.push(`${wrong.done} of the ${doneCount} that end an episode are wrong: when done, Q(s, a) = r.`);
  if (wrong.notDone) lines.push(`${wrong.notDone} of the ${n - doneCount} that do not end one are wrong: Q(s, a) = r + gamma * max_a' Q(s', a') with gamma ${check.gamma}.`);
  return result(check, (check.points * right) / n, lines.join('\n'));
}

/**
 * The student's train() on a session the harness made (owned by the student), then greedy
 * episodes on the harness's own session from hidden seeds; the history check compares what
 * train() reported with the server's log of the training session.
 */
async function learningCheck(
  check: LearningCheck,
  historyCheck: HistoryCheck | undefined,
  assignment: Assignment,
  part: Part,
  sizes: Record<string, number>,
  proc: StudentProcess,
  ctx: GradeContext,
  student: Caller,
): Promise<{ learning: TestResult; history?: TestResult; log: PartLog }> {
  const { envs } = ctx.server;
  const seed = assignment.hidden.trainSeed[part.name];
  const envRequest = { envId: part.env.envId, config: part.env.config, rewardFunction: part.env.rewardFunction, rewardParams: part.env.rewardParams, numEnvs: 1, renderMode: 0, autoresetMode: 0 };
  let reported: number[] | undefined;
  let trainLog: EpisodeLogEntry[] = [];
  const evaluation: { seed: number; return: number; length: number }[] = [];
  const logOf = (): PartLog => ({
    part: part.name,
    training: trainLog.map((e) => ({ episode: e.episode, seed: e.seed, return: e.episodeReturn, length: e.length, terminated: e.terminated, truncated: e.truncated, abandoned: e.abandoned })),
    reported,
    evaluation,
  });
  const failed = (err: unknown) => ({
    learning: result(check, 0, failure(err)),
    history: historyCheck && result(historyCheck, 0, `no history: training did not finish (${failure(err).split('\n')[0]})`),
    log: logOf(),
  });
  let trainId = '';
  try {
    await proc.must('load');
    await proc.must('new_agent', { args: agentArgs(part, sizes, seed) });
    trainId = (await envs.createEnv({ ...envRequest, seed }, student)).env!.id;
    const trained = await proc.must('train', { session: trainId, episodes: check.episodes });
    reported = trained.history as number[];
    trainLog = ((await envs.listEpisodes({ id: trainId, offset: 0, limit: 0 }, ctx.grader)) as ListEpisodesResponse).episodes;
    // Greedy episodes on the harness's own session, from the hidden seeds.
    const evalId = (await envs.createEnv({ ...envRequest, seed: undefined }, ctx.grader)).env!.id;
    try {
      for (const evalSeed of assignment.hidden.evalSeeds[part.name].slice(0, check.evalEpisodes)) {
        let obs = plain((await envs.reset({ id: evalId, seed: evalSeed, options: undefined }, ctx.grader)).observation);
        let total = 0;
        let length = 0;
        for (;;) {
          const { action } = await proc.must('act', { state: obs });
          if (!Number.isInteger(action) || (action as number) < 0 || (action as number) >= sizes.num_actions) {
            throw new StudentFailure(`choose_action answered ${JSON.stringify(action)}, not an action in [0, ${sizes.num_actions - 1}]`, proc.lastLines());
          }
          const step = (await envs.step({ id: evalId, action: { kind: { $case: 'discrete', value: action as number } } }, ctx.grader)) as StepResponse;
          total += step.reward;
          length++;
          obs = plain(step.observation);
          if (step.terminated || step.truncated) break;
        }
        evaluation.push({ seed: evalSeed, return: total, length });
      }
    } finally {
      envs.deleteEnv({ id: evalId }, ctx.grader);
    }
  } catch (err) {
    await proc.close();
    return failed(err);
  }
  await proc.close();
  const mean = evaluation.reduce((a, e) => a + e.return, 0) / evaluation.length;
  const fraction = check.threshold === check.baseline ? (mean >= check.threshold ? 1 : 0) : (mean - check.baseline) / (check.threshold - check.baseline);
  let learningScore = check.points * Math.max(0, Math.min(1, fraction));
  const lines = [
    `train(env, agent, ${check.episodes}) finished; the server logged ${trainLog.filter((e) => !e.abandoned).length} training episodes.`,
    `Greedy evaluation: mean return ${mean.toFixed(3)} over ${evaluation.length} episodes from hidden seeds (full points at >= ${check.threshold}, none at <= ${check.baseline}).`,
  ];
  let history: TestResult | undefined;
  if (historyCheck) {
    const logged = trainLog.filter((e) => !e.abandoned).map((e) => e.episodeReturn);
    const mismatch = historyMismatch(reported ?? [], logged, historyCheck.tolerance);
    if (mismatch) {
      history = result(historyCheck, 0, `The returns train() reported do not match the server's log of the training session: ${mismatch}.`);
      learningScore = 0;
      lines.push('Voided: the reported history does not match what the server measured.');
    } else {
      history = result(historyCheck, historyCheck.points, `The ${logged.length} returns train() reported match the server's log of the training session.`);
    }
  }
  return { learning: result(check, learningScore, lines.join('\n')), history, log: logOf() };
}

function historyMismatch(reported: number[], logged: number[], tolerance: number): string | undefined {
  if (reported.length !== logged.length) return `it reported ${reported.length} episodes, the server logged ${logged.length}`;
  for (let i = 0; i < logged.length; i++) {
    if (!(Math.abs(reported[i] - logged[i]) <= tolerance)) return `episode ${i + 1}: reported ${reported[i]}, logged ${logged[i]}`;
  }
  return undefined;
}
