import { randomBytes } from 'node:crypto';
import { meanOf, type RunEvaluationRecord, type TrainLoopState } from '../../core/training/train.js';
import type { RunRow } from '../../store/store.js';
import { RunHistory } from './run-history.js';
import {
  RunState,
  TrainRequest,
  type EpisodeRecord,
  type RunEvaluation,
  type TrainingRun as TrainingRunMsg,
} from '../../gen/gymhost/v1/agent_service.js';

/** Where a run is (RunState without UNSPECIFIED). */
export type RunStateName = 'running' | 'succeeded' | 'cancelled' | 'failed';

const STATES: Record<RunStateName, RunState> = {
  running: RunState.RUN_STATE_RUNNING,
  succeeded: RunState.RUN_STATE_SUCCEEDED,
  cancelled: RunState.RUN_STATE_CANCELLED,
  failed: RunState.RUN_STATE_FAILED,
};

/** RunState's name, or undefined for UNSPECIFIED and unknown values. */
export function runStateName(state: RunState): RunStateName | undefined {
  return (Object.keys(STATES) as RunStateName[]).find((k) => STATES[k] === state);
}

/** What a run tells its watchers (WatchRun's events). */
export type RunEvent =
  | { readonly $case: 'run'; readonly value: TrainingRunMsg }
  | { readonly $case: 'episode'; readonly value: EpisodeRecord }
  | { readonly $case: 'evaluation'; readonly value: RunEvaluation };

/** A watcher: returns a promise to hold the run until it has taken the event (the blocking Train caller only). */
export type RunWatcher = (event: RunEvent) => void | Promise<void>;

const INITIAL_LOOP: TrainLoopState = {
  episodes: 0,
  steps: 0,
  recentReturns: [],
  lastReturn: Number.NaN,
  evaluations: [],
  bestEvaluation: -1,
  nextEvaluationAt: 0,
  reachedThreshold: false,
  wallTimeMs: 0,
};

/**
 * A training run: the long-running operation a Train call starts. It lives on after a
 * blocking call's client is gone only if it was started async; it survives restarts through
 * its row (state, request, loop state at the last checkpoint).
 */
export class TrainingRun {
  state: RunStateName = 'running';
  /** Progress: the loop state at the last event (episodes, steps, evaluations). */
  loop: TrainLoopState;
  error = '';
  updatedAt: number;
  endedAt: number | undefined;
  checkpointSteps = 0;
  checkpointTime: number | undefined;
  resumes = 0;
  /** Its episode records (bounded; WatchRun replays them). */
  history = new RunHistory();
  /** Stops the loop; the reason says why ('cancel', 'shutdown', or the error). */
  controller: AbortController | undefined;
  private readonly watchers = new Set<RunWatcher>();
  private readonly ended: Promise<void>;
  private markEnded!: () => void;

  constructor(
    readonly id: string,
    readonly owner: string,
    readonly agent: string,
    readonly env: string,
    readonly request: TrainRequest,
    readonly createdAt: number,
    loop: TrainLoopState = INITIAL_LOOP,
  ) {
    this.loop = loop;
    this.updatedAt = createdAt;
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
  }

  /**
   * A new unguessable run id that carries its agent's id: `run-<agent id>-<12 random
   * characters>`, so that a proxy routes calls on the run like calls on its agent, to the
   * replica serving both (agentOfRunId; gymhost nginx-config).
   */
  static newId(agentId: string): string {
    return `run-${agentId}-${randomBytes(9).toString('base64url')}`;
  }

  /** The agent id a run id carries (ids of gymhost before they carried one: undefined). */
  static agentOfRunId(runId: string): string | undefined {
    const m = /^run-([A-Za-z0-9_-]{12})-[A-Za-z0-9_-]{12}$/.exec(runId);
    return m?.[1];
  }

  /** The loop state a fresh run starts from, with its first evaluation due at `everySteps`. */
  static initialLoop(everySteps: number): TrainLoopState {
    return { ...INITIAL_LOOP, nextEvaluationAt: everySteps };
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Resolves once the run has ended (or the server stopped it to resume later). */
  whenEnded(): Promise<void> {
    return this.ended;
  }

  /** Marks it ended in `state`; watchers get the final run and are dropped. */
  end(state: RunStateName, error = ''): void {
    this.state = state;
    this.error = error;
    this.endedAt ??= Date.now();
    this.updatedAt = this.endedAt;
    void this.publish({ $case: 'run', value: this.toProto() });
    this.watchers.clear();
    this.markEnded();
  }

  /** Stops following it without ending it (server shutdown: it resumes from its checkpoint on the next start). */
  detach(): void {
    this.watchers.clear();
    this.markEnded();
  }

  watch(w: RunWatcher): () => void {
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  /** Sends `event` to every watcher; waits for those that hold the run. */
  publish(event: RunEvent): void | Promise<void> {
    let waits: Promise<void>[] | undefined;
    for (const w of this.watchers) {
      const out = w(event);
      if (out instanceof Promise) (waits ??= []).push(out);
    }
    if (waits) return Promise.all(waits).then(() => undefined);
  }

  toProto(): TrainingRunMsg {
    const l = this.loop;
    return {
      id: this.id,
      owner: this.owner,
      agent: this.agent,
      env: this.env,
      state: STATES[this.state],
      request: this.request,
      episodes: l.episodes,
      steps: l.steps,
      meanReturn100: meanOf(l.recentReturns),
      lastReturn: l.lastReturn,
      evaluations: l.evaluations.map(evaluationToProto),
      bestEvaluation: l.bestEvaluation >= 0 ? l.bestEvaluation : undefined,
      reachedThreshold: l.reachedThreshold,
      error: this.error,
      createTime: new Date(this.createdAt),
      updateTime: new Date(this.updatedAt),
      endTime: this.endedAt === undefined ? undefined : new Date(this.endedAt),
      checkpointSteps: this.checkpointSteps,
      checkpointTime: this.checkpointTime === undefined ? undefined : new Date(this.checkpointTime),
      resumes: this.resumes,
      wallTimeMs: l.wallTimeMs,
    };
  }

  toRow(): RunRow {
    return {
      id: this.id,
      owner: this.owner,
      agent: this.agent,
      env: this.env,
      state: this.state,
      body: {
        request: TrainRequest.toJSON(this.request),
        loop: this.loop,
        error: this.error,
        endedAt: this.endedAt ?? null,
        checkpointSteps: this.checkpointSteps,
        checkpointTime: this.checkpointTime ?? null,
        resumes: this.resumes,
        steps: this.loop.steps,
        history: this.history.toJSON(),
      },
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
    };
  }

  static fromRow(row: RunRow): TrainingRun {
    const b = row.body as Record<string, any>;
    const run = new TrainingRun(row.id, row.owner, row.agent, row.env, TrainRequest.fromJSON(b.request ?? {}), row.createdAt, { ...INITIAL_LOOP, ...(b.loop ?? {}) });
    run.state = (['running', 'succeeded', 'cancelled', 'failed'] as const).find((s) => s === row.state) ?? 'failed';
    run.error = typeof b.error === 'string' ? b.error : '';
    run.endedAt = typeof b.endedAt === 'number' ? b.endedAt : undefined;
    run.checkpointSteps = typeof b.checkpointSteps === 'number' ? b.checkpointSteps : 0;
    run.checkpointTime = typeof b.checkpointTime === 'number' ? b.checkpointTime : undefined;
    run.resumes = typeof b.resumes === 'number' ? b.resumes : 0;
    run.history = RunHistory.fromJSON(b.history);
    run.updatedAt = row.updatedAt;
    if (!run.running) run.markEnded();
    return run;
  }
}

export function evaluationToProto(e: RunEvaluationRecord): RunEvaluation {
  return { index: e.index, steps: e.steps, episodes: e.episodes, meanReward: e.mean, stdReward: e.std, time: new Date(e.time) };
}
