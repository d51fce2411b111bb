/**
 * The episodes of a session as the server measured them: for each copy, the running
 * episode's total reward and length, and a log of the ended ones (seed, return, length, how
 * it ended). What a client reports (a training loop's returns) can be checked against it.
 */

/** One ended episode. */
export interface EpisodeLogEntry {
  /** 1-based among the session's ended episodes. */
  readonly episode: number;
  readonly copy: number;
  /** The seed its reset was given, if any. */
  readonly seed: number | undefined;
  readonly return: number;
  readonly length: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  /** A reset cut it short. */
  readonly abandoned: boolean;
  /** Epoch milliseconds. */
  readonly endTime: number;
}

/** The per-copy accumulators of an EpisodeLog: running returns and lengths, open flags, seeds. */
interface EpisodeAccumulators {
  readonly returns: Float64Array;
  readonly lengths: Float64Array;
  readonly open: Uint8Array;
  readonly seeds: Float64Array;
  readonly seeded: Uint8Array;
}

/** A whole EpisodeLog's state (moving a session, saving it). */
export interface EpisodeLogState extends EpisodeAccumulators {
  readonly entries: readonly EpisodeLogEntry[];
  readonly ended: number;
}

/** What rollback() needs: the accumulators and the log's length at mark(). */
export interface EpisodeLogMark extends EpisodeAccumulators {
  readonly size: number;
  readonly ended: number;
}

/** Episodes kept per session; older ones are dropped (but counted). */
export const EPISODE_LOG_CAPACITY = 100_000;

export class EpisodeLog {
  private readonly returns: Float64Array;
  private readonly lengths: Float64Array;
  /** 1 while copy i is in an episode (after a reset, until it ends). */
  private readonly open: Uint8Array;
  private readonly seeds: Float64Array;
  private readonly seeded: Uint8Array;
  /** The log: entries[head] on are kept; those before head are dropped, and removed from the array in blocks by trim(). */
  private entries: EpisodeLogEntry[] = [];
  private head = 0;
  /** Episodes ever ended (entries plus those dropped). */
  ended = 0;

  constructor(
    readonly numEnvs: number,
    private readonly capacity = EPISODE_LOG_CAPACITY,
    private readonly now: () => number = Date.now,
  ) {
    this.returns = new Float64Array(numEnvs);
    this.lengths = new Float64Array(numEnvs);
    this.open = new Uint8Array(numEnvs);
    this.seeds = new Float64Array(numEnvs);
    this.seeded = new Uint8Array(numEnvs);
  }

  /** Copy i starts an episode (reset or autoreset); an episode it was in is logged as abandoned. */
  begin(i: number, seed: number | undefined): void {
    if (this.open[i] && this.lengths[i] > 0) this.close(i, false, false, true);
    this.returns[i] = 0;
    this.lengths[i] = 0;
    this.open[i] = 1;
    this.seeded[i] = seed === undefined ? 0 : 1;
    this.seeds[i] = seed ?? 0;
  }

  /** Copy i took a step paying `reward`; an ending step closes its episode. Steps outside an episode are not counted. */
  stepped(i: number, reward: number, terminated: number, truncated: number): void {
    if (!this.open[i]) return;
    this.returns[i] += reward;
    this.lengths[i]++;
    if (terminated | truncated) this.close(i, terminated === 1, truncated === 1, false);
  }

  private close(i: number, terminated: boolean, truncated: boolean, abandoned: boolean): void {
    this.open[i] = 0;
    this.ended++;
    this.entries.push({
      episode: this.ended,
      copy: i,
      seed: this.seeded[i] ? this.seeds[i] : undefined,
      return: this.returns[i],
      length: this.lengths[i],
      terminated,
      truncated,
      abandoned,
      endTime: this.now(),
    });
  }

  /**
   * Drops the oldest entries beyond the capacity (call between steps, not inside one). The
   * array is shifted only once a quarter of the capacity is dropped, not on every step: a
   * full log of a vector session would otherwise move all its entries on every call.
   */
  trim(): void {
    const extra = this.entries.length - this.head - this.capacity;
    if (extra > 0) this.head += extra;
    if (this.head > 0 && this.head >= Math.max(1024, this.capacity >> 2)) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Entries kept. */
  /** Whether any copy is inside an episode. */
  anyOpen(): boolean {
    return this.open.some((x) => x === 1);
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  /** `limit` entries (0 = all) from `offset` (0 = the oldest kept). */
  page(offset: number, limit: number): EpisodeLogEntry[] {
    const from = this.head + offset;
    return this.entries.slice(from, limit === 0 ? undefined : from + limit);
  }

  save(): EpisodeLogState {
    return { ...this.accumulators(), entries: this.entries.slice(this.head), ended: this.ended };
  }

  restore(s: EpisodeLogState): void {
    this.setAccumulators(s);
    this.entries = [...s.entries];
    this.head = 0;
    this.ended = s.ended;
  }

  /** Undoes what happened since `s` was saved, cheaply: `s` must come from mark() just before. */
  rollback(s: EpisodeLogMark): void {
    this.setAccumulators(s);
    this.entries.length = s.size;
    this.ended = s.ended;
  }

  /**
   * Accumulators for rollback(): the running episodes and the log array's length (entries
   * are only appended meanwhile; trim() is not called between mark() and rollback()).
   */
  mark(): EpisodeLogMark {
    return { ...this.accumulators(), size: this.entries.length, ended: this.ended };
  }

  /** Copies of the per-copy accumulators (running returns, lengths, open flags, seeds). */
  private accumulators(): EpisodeAccumulators {
    return { returns: this.returns.slice(), lengths: this.lengths.slice(), open: this.open.slice(), seeds: this.seeds.slice(), seeded: this.seeded.slice() };
  }

  private setAccumulators(s: EpisodeAccumulators): void {
    this.returns.set(s.returns);
    this.lengths.set(s.lengths);
    this.open.set(s.open);
    this.seeds.set(s.seeds);
    this.seeded.set(s.seeded);
  }
}
