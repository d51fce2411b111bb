import type { EpisodeRecord } from '../../gen/gymhost/v1/agent_service.js';

/** Records a run keeps at most; past that it keeps every second one, then every fourth, ... */
export const RUN_HISTORY_MAX_RECORDS = 20_000;

/** A run's history as its row stores it (base64 of the packed columns). */
export interface RunHistoryJson {
  readonly stride: number;
  readonly seen: number;
  readonly count: number;
  readonly data: string;
}

/**
 * A training run's episode records (what WatchRun replays and the dashboard charts), in
 * columns, bounded: once `max` records are held, every other one is dropped and from then
 * on only every `stride`-th episode of the run is kept (stride doubling each time), so the
 * whole run stays covered evenly in at most `max` records.
 */
export class RunHistory {
  /** Episodes of the run seen so far (kept or not). */
  private seen = 0;
  /** Keep the run's episode k (0-based) when k % stride == 0. */
  private stride = 1;
  private count = 0;
  /** Columns: episode, return, length, loss, epsilon, wall time (ms); grown by doubling up to max. */
  private cols: Float64Array[] = [];

  constructor(private readonly max = RUN_HISTORY_MAX_RECORDS) {
    if (max < 2 || max % 2 !== 0) throw new Error('max must be an even number >= 2');
    this.allocate(Math.min(max, 256));
  }

  private allocate(capacity: number): void {
    this.cols = Array.from({ length: 6 }, (_, c) => {
      const col = new Float64Array(capacity);
      if (this.cols[c]) col.set(this.cols[c].subarray(0, this.count));
      return col;
    });
  }

  /** Records held now. */
  get size(): number {
    return this.count;
  }

  /** Adds the run's next episode (kept if the stride says so). */
  push(r: EpisodeRecord): void {
    const k = this.seen++;
    if (k % this.stride !== 0) return;
    if (this.count === this.max) {
      this.thin();
      if (k % this.stride !== 0) return;
    }
    if (this.count === this.cols[0].length) this.allocate(Math.min(this.max, 2 * this.count));
    const i = this.count++;
    const [episode, ret, length, loss, epsilon, wallTimeMs] = this.cols;
    episode[i] = r.episode;
    ret[i] = r.episodeReturn;
    length[i] = r.length;
    loss[i] = r.loss;
    epsilon[i] = r.epsilon;
    wallTimeMs[i] = r.wallTimeMs;
  }

  /** Record i (0 <= i < size). */
  at(i: number): EpisodeRecord {
    const [episode, ret, length, loss, epsilon, wallTimeMs] = this.cols;
    return { episode: episode[i], episodeReturn: ret[i], length: length[i], loss: loss[i], epsilon: epsilon[i], wallTimeMs: wallTimeMs[i] };
  }

  /** The records held now, oldest first. */
  records(): EpisodeRecord[] {
    return Array.from({ length: this.count }, (_, i) => this.at(i));
  }

  /** Keeps every other record (those at even positions, i.e. the run's episodes k % (2 * stride) == 0). */
  private thin(): void {
    const half = this.count / 2;
    for (const col of this.cols) {
      for (let i = 0; i < half; i++) col[i] = col[2 * i];
    }
    this.count = half;
    this.stride *= 2;
  }

  toJSON(): RunHistoryJson {
    const packed = new Float64Array(this.count * 6);
    this.cols.forEach((col, c) => packed.set(col.subarray(0, this.count), c * this.count));
    return { stride: this.stride, seen: this.seen, count: this.count, data: Buffer.from(packed.buffer).toString('base64') };
  }

  /** The history a row saved; an empty one when it is missing or does not fit. */
  static fromJSON(json: unknown, max = RUN_HISTORY_MAX_RECORDS): RunHistory {
    const h = new RunHistory(max);
    const j = json as Partial<RunHistoryJson> | null | undefined;
    if (!j || typeof j.data !== 'string' || !Number.isInteger(j.count) || !Number.isInteger(j.stride) || !Number.isInteger(j.seen)) return h;
    const bytes = Buffer.from(j.data, 'base64');
    const count = j.count!;
    if (count < 0 || count > max || bytes.length !== count * 6 * 8) return h;
    const packed = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    h.allocate(Math.max(count, Math.min(max, 256)));
    h.cols.forEach((col, c) => col.set(packed.subarray(c * count, (c + 1) * count)));
    h.count = count;
    h.stride = Math.max(1, j.stride!);
    h.seen = Math.max(count, j.seen!);
    return h;
  }
}
