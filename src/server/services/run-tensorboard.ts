/**
 * A training run's scalars as a TensorBoard event file (see ../observability/tensorboard.ts),
 * under CleanRL's tag names so that gymhost runs and CleanRL runs plot on the same charts:
 *
 *   charts/episodic_return, charts/episodic_length, charts/epsilon   each episode
 *   losses/td_loss                                                   each episode with a loss (the mean of
 *                                                                    its updates': DQN gradient steps, tabular squared TD errors)
 *   eval/mean_return, eval/std_return                                each evaluation
 *
 * all at the run's global env step (the steps of every episode so far, the one that ended
 * included; an evaluation's own step count).
 */
import type { RunEvaluationRecord } from '../../core/training/train.js';
import type { EpisodeRecord } from '../../gen/gymhost/v1/agent_service.js';
import { EventFileWriter, type EventFileWriterOptions } from '../observability/tensorboard.js';

export const TAGS = {
  episodicReturn: 'charts/episodic_return',
  episodicLength: 'charts/episodic_length',
  epsilon: 'charts/epsilon',
  tdLoss: 'losses/td_loss',
  evalMeanReturn: 'eval/mean_return',
  evalStdReturn: 'eval/std_return',
} as const;

/** Where the runs' event files go, and who hears of a file that cannot be written. */
export interface RunTensorBoardOptions {
  /** The folder of `run`'s event files (a resumed run adds a file to the same folder). */
  dirOf(run: { readonly id: string; readonly owner: string }): string;
  /** Told once per file when writing it fails (training goes on without it). */
  onError?(err: Error, file: string, runId: string): void;
  /** Passed on to the writer (tests). */
  readonly writer?: Omit<EventFileWriterOptions, 'onError'>;
}

/** Longest wait for a run's file to be written at the run's end, ms: a stuck disk does not hold the run. */
const CLOSE_WAIT_MS = 2000;

export class RunTensorBoard {
  private readonly writer: EventFileWriter;

  /**
   * Opens a new event file for run `run`. `resumedAt`: the global step of the checkpoint a
   * resumed run goes on from; TensorBoard then drops what the run's earlier files hold past
   * it (those episodes are run again).
   */
  constructor(run: { readonly id: string; readonly owner: string }, options: RunTensorBoardOptions, resumedAt?: number) {
    this.writer = new EventFileWriter(options.dirOf(run), { ...options.writer, onError: (err, file) => options.onError?.(err, file, run.id) });
    if (resumedAt !== undefined) this.writer.sessionStart(resumedAt + 1);
  }

  /** The file, once open. */
  opened(): Promise<string | undefined> {
    return this.writer.opened();
  }

  episode(record: EpisodeRecord, globalStep: number): void {
    this.writer.scalars(globalStep, [
      [TAGS.episodicReturn, record.episodeReturn],
      [TAGS.episodicLength, record.length],
      [TAGS.epsilon, record.epsilon],
      [TAGS.tdLoss, record.loss],
    ]);
  }

  evaluation(e: RunEvaluationRecord): void {
    this.writer.scalars(e.steps, [
      [TAGS.evalMeanReturn, e.mean],
      [TAGS.evalStdReturn, e.std],
    ]);
  }

  /** Flushes and closes the file; resolves when done, or after CLOSE_WAIT_MS while the write goes on. */
  close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
      timer.unref();
    });
    return Promise.race([this.writer.close(), waited]).finally(() => clearTimeout(timer));
  }
}
