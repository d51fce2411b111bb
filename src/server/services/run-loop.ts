/**
 * A training run's loop as both places run it: a worker thread (the server) and the request
 * thread (in-process use without a compute pool, the CLI). It wraps core/training/train.ts
 * with what a run reports: episode records, evaluations (with the best agent's snapshot)
 * and checkpoints (the agent's and env's state with the loop's), as events.
 */
import type { Agent, AgentSnapshot } from '../../core/agents/types.js';
import type { EnvBatch } from '../../core/envs/types.js';
import { train, type RunEvaluationRecord, type TrainLoopState } from '../../core/training/train.js';
import type { EpisodeRecord as EpisodeRecordMsg } from '../../gen/gymhost/v1/agent_service.js';
import { recordToProto } from './agent-calls.js';

/** A run's budget and options, as they travel to a worker. */
export interface RunLoopOptions {
  readonly episodes: number;
  readonly steps: number;
  readonly evaluation?: {
    readonly everySteps: number;
    readonly episodes: number;
    readonly seed: number;
    readonly stopAtMeanReward?: number;
    readonly keepBest: boolean;
  };
  /** Milliseconds between checkpoints (0 = none). */
  readonly checkpointEveryMs: number;
  /** The loop state of the checkpoint the run resumes from. */
  readonly resume?: TrainLoopState;
}

/** What a run's loop reports, in order. */
export type RunLoopEvent =
  | { readonly kind: 'episode'; readonly record: EpisodeRecordMsg }
  | { readonly kind: 'evaluation'; readonly evaluation: RunEvaluationRecord; readonly best: boolean; readonly snapshot?: AgentSnapshot }
  | { readonly kind: 'checkpoint'; readonly loop: TrainLoopState; readonly snapshot: AgentSnapshot; readonly envState: unknown };

export interface RunLoopResult {
  readonly loop: TrainLoopState;
  readonly cancelled: boolean;
  /** Steps and episodes of this call (since the resume). */
  readonly steps: number;
  readonly episodes: number;
  readonly wallTimeMs: number;
  readonly meanReturn100: number;
  readonly lastReturn: number;
  /** The best evaluation's snapshot when keep_best asked for it (the agent to end with). */
  readonly best?: AgentSnapshot;
}

/**
 * Runs the loop. `exportEnv` gives the env's state for a checkpoint (what the caller saves
 * of it); `evalEnv` makes the private env copy evaluations run on.
 */
export async function runLoop(
  batch: EnvBatch,
  agent: Agent,
  options: RunLoopOptions,
  evalEnv: () => EnvBatch,
  exportEnv: () => unknown,
  emit: (event: RunLoopEvent) => void | Promise<void>,
  signal: AbortSignal,
): Promise<RunLoopResult> {
  let best: AgentSnapshot | undefined;
  const ev = options.evaluation;
  const summary = await train(batch, agent, {
    episodes: options.episodes || undefined,
    steps: options.steps || undefined,
    signal,
    resume: options.resume,
    onEpisode: (r) => emit({ kind: 'episode', record: recordToProto(r) }),
    evaluation: ev && {
      everySteps: ev.everySteps,
      episodes: ev.episodes,
      seed: ev.seed,
      stopAtMeanReward: ev.stopAtMeanReward,
      env: evalEnv,
      snapshotBest: true,
      onEvaluation: (evaluation, isBest) => {
        if (isBest?.snapshot && ev.keepBest) best = isBest.snapshot;
        return emit({ kind: 'evaluation', evaluation, best: isBest !== undefined, snapshot: isBest?.snapshot });
      },
    },
    checkpointEveryMs: options.checkpointEveryMs,
    onCheckpoint: options.checkpointEveryMs > 0 ? (loop) => emit({ kind: 'checkpoint', loop, snapshot: agent.exportSnapshot(), envState: exportEnv() }) : undefined,
  });
  return {
    loop: summary.state,
    cancelled: summary.cancelled,
    steps: summary.steps,
    episodes: summary.episodes,
    wallTimeMs: summary.wallTimeMs,
    meanReturn100: summary.meanReturn100,
    lastReturn: summary.lastReturn,
    best,
  };
}
