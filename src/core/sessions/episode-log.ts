/**
 * The episodes of a session as the server measured them: for each copy, the running
 * episode's total reward and length, and a log of the ended ones (seed, return, length, how
 * it ended). What a client reports (a training loop's returns) can be checked against it.
 *
 * The log is kept in columns (typed arrays used as a ring), not as an object per episode: a
 * vector session ends hundreds of episodes per step, and as many objects per step, kept
 * until 100,000 newer ones push them out, would cost the server more in garbage collection
 * than stepping the envs.
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

/** Kept episodes as columns, oldest first, each `size` long (flags: FLAG_* bits). */
export interface EpisodeColumns {
  readonly copy: Int32Array;
  readonly seed: Float64Array;
  readonly ret: Float64Array;
  readonly length: Float64Array;
  readonly endTime: Float64Array;
  readonly flags: Uint8Array;
}

/** A whole EpisodeLog's state (moving a session, saving it). */
export interface EpisodeLogState extends EpisodeAccumulators {
  readonly ended: number;
  /** The kept episodes (what save() writes). */
  readonly log?: EpisodeColumns;
  /** The kept episodes as objects, as states saved before the log was kept in columns have them. */
  readonly entries?: readonly EpisodeLogEntry[];
}

/** What rollback() needs: the accumulators and the log's length at mark(). */
export interface EpisodeLogMark extends EpisodeAccumulators {
  readonly size: number;
  readonly ended: number;
}

/** Episodes kept per session; older ones are dropped (but counted). */
export const EPISODE_LOG_CAPACITY = 100_000;

const FLAG_TERMINATED = 1;
const FLAG_TRUNCATED = 2;
const FLAG_ABANDONED = 4;
const FLAG_SEEDED = 8;

/** Rows of a new log's ring; it doubles when full. */
const INITIAL_ROWS = 64;

export class EpisodeLog {
  private readonly returns: Float64Array;
  private readonly lengths: Float64Array;
  /** 1 while copy i is in an episode (after a reset, until it ends). */
  private readonly open: Uint8Array;
  private readonly seeds: Float64Array;
  private readonly seeded: Uint8Array;
  /**
   * The log: a ring of `rows` (a power of two) rows; the kept episodes are the `count` rows
   * from `head` on, oldest first. Appending never drops a row (rollback() relies on it):
   * trim() drops the ones beyond the capacity.
   */
  private rows = 0;
  private head = 0;
  private count = 0;
  private log: EpisodeColumns = emptyColumns(0);
  /** Episodes ever ended (the kept ones plus those dropped). */
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
    if (this.open[i] && this.lengths[i] > 0) this.close(i, FLAG_ABANDONED, this.now());
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
    if (terminated | truncated) this.close(i, terminated * FLAG_TERMINATED | truncated * FLAG_TRUNCATED, this.now());
  }

  /**
   * stepped(i, rewards[i], terminated[i], truncated[i]) for every copy i with skip absent or
   * skip[i] === 0 (flags 0 or 1), in one pass; the episodes that end get one end time.
   */
  steppedAll(rewards: Float64Array, terminated: Uint8Array, truncated: Uint8Array, skip: Uint8Array | undefined): void {
    const n = this.numEnvs;
    const { open, returns, lengths } = this;
    let time = -1;
    for (let i = 0; i < n; i++) {
      if (open[i] === 0 || (skip !== undefined && skip[i] !== 0)) continue;
      returns[i] += rewards[i];
      lengths[i]++;
      const ends = terminated[i] | truncated[i];
      if (ends !== 0) {
        if (time < 0) time = this.now();
        this.close(i, terminated[i] * FLAG_TERMINATED | truncated[i] * FLAG_TRUNCATED, time);
      }
    }
  }

  private close(i: number, flags: number, time: number): void {
    this.open[i] = 0;
    this.ended++;
    if (this.count === this.rows) this.grow();
    const r = (this.head + this.count) & (this.rows - 1);
    this.count++;
    const log = this.log;
    log.copy[r] = i;
    log.seed[r] = this.seeds[i];
    log.ret[r] = this.returns[i];
    log.length[r] = this.lengths[i];
    log.endTime[r] = time;
    log.flags[r] = flags | (this.seeded[i] ? FLAG_SEEDED : 0);
  }

  /** Doubles the ring, the kept rows moved to its start in order. */
  private grow(): void {
    const rows = Math.max(INITIAL_ROWS, this.rows * 2);
    const log = emptyColumns(rows);
    this.copyRows(0, this.count, log, 0);
    this.log = log;
    this.rows = rows;
    this.head = 0;
  }

  /** Kept rows [from, from + n) (0 = the oldest) into `to` from row `at`. */
  private copyRows(from: number, n: number, to: EpisodeColumns, at: number): void {
    const mask = this.rows - 1;
    const src = this.log;
    for (let k = 0; k < n; k++) {
      const r = (this.head + from + k) & mask;
      const w = at + k;
      to.copy[w] = src.copy[r];
      to.seed[w] = src.seed[r];
      to.ret[w] = src.ret[r];
      to.length[w] = src.length[r];
      to.endTime[w] = src.endTime[r];
      to.flags[w] = src.flags[r];
    }
  }

  /** Drops the oldest entries beyond the capacity (call between steps, not inside one). */
  trim(): void {
    const extra = this.count - this.capacity;
    if (extra <= 0) return;
    this.head = (this.head + extra) & (this.rows - 1);
    this.count = this.capacity;
  }

  /** Whether any copy is inside an episode. */
  anyOpen(): boolean {
    return this.open.some((x) => x === 1);
  }

  /** Entries kept. */
  get size(): number {
    return this.count;
  }

  /** `limit` entries (0 = all) from `offset` (0 = the oldest kept). */
  page(offset: number, limit: number): EpisodeLogEntry[] {
    const from = Math.min(Math.max(0, offset), this.count);
    const to = limit === 0 ? this.count : Math.min(this.count, from + limit);
    const first = this.ended - this.count + 1;
    const mask = this.rows - 1;
    const log = this.log;
    const out: EpisodeLogEntry[] = [];
    for (let k = from; k < to; k++) {
      const r = (this.head + k) & mask;
      const flags = log.flags[r];
      out.push({
        episode: first + k,
        copy: log.copy[r],
        seed: flags & FLAG_SEEDED ? log.seed[r] : undefined,
        return: log.ret[r],
        length: log.length[r],
        terminated: (flags & FLAG_TERMINATED) !== 0,
        truncated: (flags & FLAG_TRUNCATED) !== 0,
        abandoned: (flags & FLAG_ABANDONED) !== 0,
        endTime: log.endTime[r],
      });
    }
    return out;
  }

  save(): EpisodeLogState {
    const log = emptyColumns(this.count);
    this.copyRows(0, this.count, log, 0);
    return { ...this.accumulators(), ended: this.ended, log };
  }

  restore(s: EpisodeLogState): void {
    this.setAccumulators(s);
    const kept = s.log ?? columnsOf(s.entries ?? []);
    const n = kept.copy.length;
    let rows = INITIAL_ROWS;
    while (rows < n) rows *= 2;
    const log = emptyColumns(rows);
    log.copy.set(kept.copy);
    log.seed.set(kept.seed);
    log.ret.set(kept.ret);
    log.length.set(kept.length);
    log.endTime.set(kept.endTime);
    log.flags.set(kept.flags);
    this.log = log;
    this.rows = rows;
    this.head = 0;
    this.count = n;
    this.ended = s.ended;
  }

  /** Undoes what happened since `s` was saved, cheaply: `s` must come from mark() just before. */
  rollback(s: EpisodeLogMark): void {
    this.setAccumulators(s);
    this.count = s.size;
    this.ended = s.ended;
  }

  /**
   * Accumulators for rollback(): the running episodes and the log's length (entries are only
   * appended meanwhile; trim() is not called between mark() and rollback()).
   */
  mark(): EpisodeLogMark {
    return { ...this.accumulators(), size: this.count, ended: this.ended };
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

function emptyColumns(rows: number): EpisodeColumns {
  return {
    copy: new Int32Array(rows),
    seed: new Float64Array(rows),
    ret: new Float64Array(rows),
    length: new Float64Array(rows),
    endTime: new Float64Array(rows),
    flags: new Uint8Array(rows),
  };
}

/** Columns of entries saved as objects (the state of a session saved by an earlier version). */
function columnsOf(entries: readonly EpisodeLogEntry[]): EpisodeColumns {
  const log = emptyColumns(entries.length);
  entries.forEach((e, k) => {
    log.copy[k] = e.copy;
    log.seed[k] = e.seed ?? 0;
    log.ret[k] = e.return;
    log.length[k] = e.length;
    log.endTime[k] = e.endTime;
    log.flags[k] = (e.terminated ? FLAG_TERMINATED : 0) | (e.truncated ? FLAG_TRUNCATED : 0) | (e.abandoned ? FLAG_ABANDONED : 0) | (e.seed === undefined ? 0 : FLAG_SEEDED);
  });
  return log;
}
