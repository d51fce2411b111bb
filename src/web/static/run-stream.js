// Following a training run: WatchRun (GET /v1/runs/{id}:watch?replay=true, NDJSON) into
// column arrays that charts draw from. Appending is O(1) per episode; the charts redraw from
// the arrays on their own (throttled) schedule, never per event.

import { ApiError, seg, streamNdjson } from './api.js';
import { num } from './format.js';

/** A growable Float64Array column (NaN marks a missing value). */
export class Column {
  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
    this.length = 0;
  }

  push(v) {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  at(i) {
    return this.data[i];
  }

  /** The values as a typed view (no copy). */
  view() {
    return this.data.subarray(0, this.length);
  }

  /** Keeps the values at even positions (thinning). */
  keepEven() {
    let j = 0;
    for (let i = 0; i < this.length; i += 2) this.data[j++] = this.data[i];
    this.length = j;
  }
}

/** Records a series keeps at most; past that it keeps every second one (like the server's run history). */
export const MAX_RECORDS = 200_000;

/**
 * A run's episodes as columns. x is the episode number within the run (1 = its first
 * episode); records of long runs may be thinned by the server (replay) and past MAX_RECORDS
 * by this page, so x can have gaps. The moving average is taken over the records as they
 * arrive (all of a live run's episodes), before this page thins them.
 */
export class EpisodeSeries {
  /** @param {number} window moving-average window, in records */
  constructor(window = 100) {
    this.window = Math.max(1, Math.floor(window));
    this.x = new Column();
    this.ret = new Column();
    this.ma = new Column();
    this.len = new Column();
    this.loss = new Column();
    this.eps = new Column();
    // The last `window` returns that arrived, for the moving average.
    this.ring = new Float64Array(this.window);
    this.ringPos = 0;
    this.ringFill = 0;
    this.sum = 0;
    /** records that arrived (kept or not) */
    this.arrived = 0;
    /** an arriving record is kept when its arrival number % stride == 0 */
    this.stride = 1;
    this.lastSeenX = 0;
    /** whether any record had a finite loss */
    this.anyLoss = false;
  }

  get size() {
    return this.x.length;
  }

  /** The x of the last record that arrived (kept or not). */
  get lastX() {
    return this.lastSeenX;
  }

  /** Appends one episode record at run episode x (ignored unless x increases); true if kept. */
  push(x, rec) {
    if (x <= this.lastSeenX) return false;
    this.lastSeenX = x;
    const r = finite(num(rec.episodeReturn));
    if (!this.anyLoss && Number.isFinite(num(rec.loss))) this.anyLoss = true;
    if (this.ringFill === this.window) this.sum -= this.ring[this.ringPos];
    else this.ringFill++;
    this.ring[this.ringPos] = r;
    this.ringPos = (this.ringPos + 1) % this.window;
    this.sum += r;
    const ma = this.sum / this.ringFill;
    const k = this.arrived++;
    if (k % this.stride !== 0) return false;
    if (this.x.length >= MAX_RECORDS) {
      for (const c of this.columns()) c.keepEven();
      this.stride *= 2;
      if (k % this.stride !== 0) return false;
    }
    this.x.push(x);
    this.ret.push(num(rec.episodeReturn));
    this.ma.push(ma);
    this.len.push(num(rec.length));
    this.loss.push(num(rec.loss));
    this.eps.push(num(rec.epsilon));
    return true;
  }

  columns() {
    return [this.x, this.ret, this.ma, this.len, this.loss, this.eps];
  }

  /** Recomputes the moving average over the kept records for a new window. */
  setWindow(window) {
    const w = Math.max(1, Math.floor(window));
    if (w === this.window) return;
    this.window = w;
    const ret = this.ret.view();
    const ma = this.ma.view();
    let sum = 0;
    for (let i = 0; i < ret.length; i++) {
      sum += finite(ret[i]);
      if (i >= w) sum -= finite(ret[i - w]);
      ma[i] = sum / Math.min(i + 1, w);
    }
    // Records to come continue from the last (up to) w kept returns, oldest first.
    const tail = ret.subarray(Math.max(0, ret.length - w));
    this.ring = new Float64Array(w);
    tail.forEach((v, i) => (this.ring[i] = finite(v)));
    this.ringFill = tail.length;
    this.ringPos = tail.length % w;
    this.sum = this.ring.reduce((a, b) => a + b, 0);
  }
}

const finite = (v) => (Number.isFinite(v) ? v : 0);

/** Terminal run states. */
export const ENDED = new Set(['RUN_STATE_SUCCEEDED', 'RUN_STATE_CANCELLED', 'RUN_STATE_FAILED']);

/**
 * Follows one run: its latest state, its evaluations and its episode series.
 */
export class RunFollower {
  /** @param {string} runId @param {number} [window] */
  constructor(runId, window = 100) {
    this.runId = runId;
    this.series = new EpisodeSeries(window);
    /** @type {any} the latest TrainingRun */
    this.run = null;
    /** @type {Map<number, any>} evaluations by index */
    this.evaluations = new Map();
    /** whether the server replayed the past (false: only episodes from now on) */
    this.replayed = true;
    /** record.episode - offset = episode within the run */
    this.offset = /** @type {number | null} */ (null);
    this.initialEpisodes = 0;
    this.ended = false;
  }

  /** Evaluations sorted by index. */
  evaluationList() {
    return [...this.evaluations.values()].sort((a, b) => num(a.index) - num(b.index));
  }

  /**
   * Streams the run until it ends (or `signal` aborts). Retries without replay when the server
   * does not know the parameter yet.
   * @param {AbortSignal} signal
   * @param {{onRun?: (run: any, first: boolean) => void, onData?: () => void, onEvaluation?: (e: any) => void, onNotice?: (text: string) => void}} handlers
   */
  async follow(signal, handlers = {}) {
    let first = true;
    const onLine = (line) => {
      if (line.run) {
        if (first) this.initialEpisodes = num(line.run.episodes) || 0;
        this.setRun(line.run);
        handlers.onRun?.(line.run, first);
        first = false;
      } else if (line.episode) {
        const rec = line.episode;
        const ep = num(rec.episode);
        if (this.offset === null) this.offset = Math.max(0, ep - (this.replayed ? 1 : this.initialEpisodes + 1));
        if (this.series.push(ep - this.offset, rec)) handlers.onData?.();
      } else if (line.evaluation) {
        this.evaluations.set(num(line.evaluation.index), line.evaluation);
        handlers.onEvaluation?.(line.evaluation);
        handlers.onData?.();
      }
    };
    const path = `/v1/runs/${seg(this.runId)}:watch`;
    try {
      await streamNdjson(`${path}?replay=true`, onLine, { signal });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 400 || !/replay/i.test(`${e.field} ${e.message}`) || !first) throw e;
      // A server without replay: follow from now on.
      this.replayed = false;
      handlers.onNotice?.('This server does not replay past episodes (WatchRun replay): only episodes from now on are charted.');
      await streamNdjson(path, onLine, { signal });
    }
    this.ended = true;
  }

  /** @param {any} run */
  setRun(run) {
    this.run = run;
    for (const e of run.evaluations ?? []) this.evaluations.set(num(e.index), e);
  }
}
