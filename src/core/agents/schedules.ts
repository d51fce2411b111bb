/**
 * Schedules and per-episode bookkeeping shared by the agents: the exploration probability
 * p (epsilon) over episodes or steps, the history of episode records, and the agent Rng's
 * state for exact snapshots.
 */

import { Rng } from '../rng.js';
import type { EpsilonConfig } from './agent-config.js';
import type { EpisodeRecord } from './types.js';

/**
 * Epsilon after t units (completed episodes or steps):
 * - constant: start;
 * - linear: start + (end - start) * min(1, t / length);
 * - exponential: start * (end / start)^(min(t, length) / length) (geometric; start, end > 0).
 */
export function epsilonAt(c: EpsilonConfig, t: number): number {
  switch (c.schedule) {
    case 'constant':
      return c.start;
    case 'linear':
      return t >= c.length ? c.end : c.start + (c.end - c.start) * (t / c.length);
    case 'exponential': {
      if (t >= c.length) return c.end;
      return c.start * Math.pow(c.end / c.start, t / c.length);
    }
  }
}

/** Epsilon of an agent that has completed `episodes` episodes and taken `steps` steps. */
export function epsilonFor(c: EpsilonConfig, episodes: number, steps: number): number {
  return epsilonAt(c, c.unit === 'episodes' ? episodes : steps);
}

/**
 * The open episode's accumulators and the finished episodes' records. An episode opens at
 * its first exploring chooseAction or updateQ and closes at endEpisode.
 */
export class EpisodeTracker {
  readonly history: EpisodeRecord[] = [];
  private open = false;
  private startMs = 0;
  private epsilon = 0;
  private lossSum = 0;
  private lossCount = 0;

  /** Opens the episode if it is not open yet, noting the epsilon it runs with. */
  touch(epsilon: number): void {
    if (this.open) return;
    this.open = true;
    this.startMs = performance.now();
    this.epsilon = epsilon;
    this.lossSum = 0;
    this.lossCount = 0;
  }

  /** Adds the losses of `count` gradient steps (their sum). */
  addLosses(sum: number, count: number): void {
    this.lossSum += sum;
    this.lossCount += count;
  }

  /** Closes the episode and appends its record. */
  finish(episodeReturn: number, length: number, currentEpsilon: number): EpisodeRecord {
    const record: EpisodeRecord = {
      episode: this.history.length + 1,
      return: episodeReturn,
      length,
      loss: this.lossCount > 0 ? this.lossSum / this.lossCount : Number.NaN,
      epsilon: this.open ? this.epsilon : currentEpsilon,
      wallTimeMs: this.open ? performance.now() - this.startMs : 0,
    };
    this.history.push(record);
    this.open = false;
    this.lossSum = 0;
    this.lossCount = 0;
    return record;
  }

  /** JSON-safe state (NaN losses as null). */
  toJSON(): Record<string, unknown> {
    return {
      history: this.history.map((r) => ({ ...r, loss: Number.isNaN(r.loss) ? null : r.loss })),
      open: this.open,
      epsilon: this.epsilon,
      lossSum: this.lossSum,
      lossCount: this.lossCount,
    };
  }

  /** Restores toJSON's output (the open episode's clock restarts now). */
  restore(s: Record<string, unknown>): void {
    const history = Array.isArray(s.history) ? (s.history as Record<string, unknown>[]) : [];
    this.history.length = 0;
    for (const r of history) {
      this.history.push({
        episode: Number(r.episode),
        return: Number(r.return),
        length: Number(r.length),
        loss: r.loss === null || r.loss === undefined ? Number.NaN : Number(r.loss),
        epsilon: Number(r.epsilon),
        wallTimeMs: Number(r.wallTimeMs),
      });
    }
    this.open = s.open === true;
    this.startMs = performance.now();
    this.epsilon = Number(s.epsilon ?? 0);
    this.lossSum = Number(s.lossSum ?? 0);
    this.lossCount = Number(s.lossCount ?? 0);
  }
}

/** The four 32-bit words of an Rng's state. */
export function rngState(rng: Rng): number[] {
  return rng.getState();
}

/** Restores rngState's words; returns false (leaving the Rng alone) unless they are 4 32-bit integers, not all zero. */
export function setRngState(rng: Rng, state: unknown): boolean {
  return rng.setState(state);
}

/** Index of the largest of q[offset, offset + n), ties to the lowest index (NaN never wins). */
export function argmax(q: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  let bestValue = q[offset];
  for (let a = 1; a < n; a++) {
    const v = q[offset + a];
    if (v > bestValue || (bestValue !== bestValue && v === v)) {
      best = a;
      bestValue = v;
    }
  }
  return best;
}

/** Largest of q[offset, offset + n). */
export function maxOf(q: ArrayLike<number>, offset: number, n: number): number {
  let m = q[offset];
  for (let a = 1; a < n; a++) if (q[offset + a] > m) m = q[offset + a];
  return m;
}

/** x if it is an integer >= 0, else 0 (snapshot counters). */
export function nonNegInt(x: unknown): number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 ? x : 0;
}
