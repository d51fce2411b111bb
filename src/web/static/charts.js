// uPlot wrappers: line charts that fill their container's width, an optional overlay of
// evaluation means with ± std whiskers, and a redraw throttle so that charts fed by a
// stream are redrawn a few times a second at most, never per event.

import uPlot from '/ui/vendor/uplot/uPlot.esm.js';
import { el } from './dom.js';
import { fmt } from './format.js';

/** uPlot.join: outer-joins [x, y] tables on x (for series with different x values). */
export const joinTables = (tables) => uPlot.join(tables);

/** Distinct, colour-blind-friendly line colours (Okabe–Ito, then Tableau). */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#7f7f7f', '#8c564b', '#bcbd22', '#17becf'];

/**
 * @typedef {object} SeriesSpec
 * @property {string} label
 * @property {string} stroke
 * @property {number} [width]
 * @property {number[]} [dash]
 * @property {boolean} [points] draw points only (no line)
 */

/**
 * @typedef {object} ChartSpec
 * @property {string} title
 * @property {string} [xLabel]
 * @property {string} [yLabel]
 * @property {SeriesSpec[]} series
 * @property {number} [height]
 * @property {string} [sync] cursor sync key shared by charts of one view
 * @property {() => {x: number, mean: number, std: number, best?: boolean}[]} [overlay] evaluations to draw
 * @property {[number, number]} [yFixed] fixed y range
 */

/**
 * A line chart in `container` (which gets role="img" and a label).
 * @param {HTMLElement} container
 * @param {ChartSpec} spec
 */
export function lineChart(container, spec) {
  const overlay = spec.overlay;
  const opts = {
    title: spec.title,
    width: widthOf(container),
    height: spec.height ?? 220,
    pxAlign: false,
    cursor: spec.sync ? { sync: { key: spec.sync } } : {},
    scales: {
      x: { time: false },
      y: {
        range: (u, dmin, dmax) => {
          if (spec.yFixed) return spec.yFixed;
          let min = dmin;
          let max = dmax;
          for (const e of overlay ? overlay() : []) {
            if (!Number.isFinite(e.mean)) continue;
            const s = Number.isFinite(e.std) ? e.std : 0;
            min = min === null || min === undefined ? e.mean - s : Math.min(min, e.mean - s);
            max = max === null || max === undefined ? e.mean + s : Math.max(max, e.mean + s);
          }
          if (min === null || min === undefined || max === null || max === undefined) return [0, 1];
          return uPlot.rangeNum(min, max, 0.1, true);
        },
      },
    },
    axes: [
      { label: spec.xLabel ?? 'episode', stroke: '#333', grid: { stroke: '#eee' }, ticks: { stroke: '#ccc' } },
      { label: spec.yLabel ?? '', stroke: '#333', grid: { stroke: '#eee' }, ticks: { stroke: '#ccc' }, size: 60, values: (u, splits) => splits.map((v) => fmt(v, 3)) },
    ],
    series: [
      { label: spec.xLabel ?? 'episode', value: (u, v) => (v === null || v === undefined ? '—' : fmt(v)) },
      ...spec.series.map((s) => ({
        label: s.label,
        stroke: s.stroke,
        width: s.width ?? 1.5,
        dash: s.dash,
        spanGaps: true,
        points: s.points ? { show: true, size: 6, fill: s.stroke, stroke: s.stroke } : { show: false },
        paths: s.points ? () => null : undefined,
        value: (u, v) => (v === null || v === undefined ? '—' : fmt(v, 4)),
      })),
    ],
    hooks: overlay ? { draw: [(u) => drawOverlay(u, overlay())] } : {},
  };
  container.setAttribute('role', 'img');
  container.setAttribute('aria-label', `Chart: ${spec.title}`);
  const empty = [[], ...spec.series.map(() => [])];
  const plot = new uPlot(opts, /** @type {any} */ (empty), container);

  let lastWidth = opts.width;
  const ro = new ResizeObserver(() => {
    const w = widthOf(container);
    if (Math.abs(w - lastWidth) >= 2) {
      lastWidth = w;
      plot.setSize({ width: w, height: opts.height });
    }
  });
  ro.observe(container);

  return {
    plot,
    /** @param {any[]} data [x, ...ys] (arrays may be longer than x: they are cut to its length) */
    setData(data) {
      plot.setData(data);
    },
    destroy() {
      ro.disconnect();
      plot.destroy();
    },
  };
}

function widthOf(container) {
  const w = container.clientWidth || container.parentElement?.clientWidth || 600;
  return Math.max(280, Math.floor(w));
}

/** Evaluation means as dots with ± std whiskers (the best one ringed). */
function drawOverlay(u, evals) {
  if (!evals.length) return;
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  const px = uPlot.pxRatio;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.lineWidth = 1.5 * px;
  for (const e of evals) {
    if (!Number.isFinite(e.mean)) continue;
    const x = u.valToPos(e.x, 'x', true);
    const y = u.valToPos(e.mean, 'y', true);
    const s = Number.isFinite(e.std) ? e.std : 0;
    const y1 = u.valToPos(e.mean - s, 'y', true);
    const y2 = u.valToPos(e.mean + s, 'y', true);
    ctx.strokeStyle = EVAL_COLOR;
    ctx.beginPath();
    ctx.moveTo(x, y1);
    ctx.lineTo(x, y2);
    ctx.moveTo(x - 4 * px, y1);
    ctx.lineTo(x + 4 * px, y1);
    ctx.moveTo(x - 4 * px, y2);
    ctx.lineTo(x + 4 * px, y2);
    ctx.stroke();
    ctx.fillStyle = EVAL_COLOR;
    ctx.beginPath();
    ctx.arc(x, y, 4 * px, 0, 2 * Math.PI);
    ctx.fill();
    if (e.best) {
      ctx.beginPath();
      ctx.arc(x, y, 7 * px, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  ctx.restore();
}

export const EVAL_COLOR = '#D55E00';

/** A small legend entry for the evaluation overlay (uPlot's own legend does not know it). */
export function overlayKey() {
  return el('p', { class: 'overlay-key small' }, el('span', { class: 'eval-dot', 'aria-hidden': 'true' }), ' evaluation: greedy mean reward ± std at the episode it ran after (ringed: the best)');
}

/**
 * Min/max decimation for drawing: at most about `target` points. Consecutive records are
 * bucketed; each bucket contributes the records where series `primary` is smallest and
 * largest (in their order), so spikes stay visible. NaN becomes null (a gap).
 * @param {ArrayLike<number>} x
 * @param {ArrayLike<number>[]} ys
 * @param {number} [primary] index in ys whose extremes pick the records
 * @param {number} [target]
 * @returns {(number | null)[][]} [x, ...ys] for uPlot.setData
 */
export function decimate(x, ys, primary = 0, target = 3000) {
  const n = x.length;
  const out = [[], ...ys.map(() => [])];
  const emit = (i) => {
    out[0].push(x[i]);
    for (let k = 0; k < ys.length; k++) {
      const v = ys[k][i];
      out[k + 1].push(Number.isFinite(v) ? v : null);
    }
  };
  if (n <= target) {
    for (let i = 0; i < n; i++) emit(i);
    return out;
  }
  const bucket = Math.ceil(n / Math.max(1, Math.floor(target / 2)));
  const p = ys[primary];
  for (let start = 0; start < n; start += bucket) {
    const end = Math.min(n, start + bucket);
    let lo = -1;
    let hi = -1;
    for (let i = start; i < end; i++) {
      const v = p[i];
      if (!Number.isFinite(v)) continue;
      if (lo < 0 || v < p[lo]) lo = i;
      if (hi < 0 || v > p[hi]) hi = i;
    }
    if (lo < 0) emit(start);
    else if (lo === hi) emit(lo);
    else if (lo < hi) {
      emit(lo);
      emit(hi);
    } else {
      emit(hi);
      emit(lo);
    }
  }
  return out;
}

/** Points worth drawing in a chart of this width (two per CSS pixel). */
export const pointsFor = (chart) => Math.max(600, 2 * Math.round(chart.plot.width));

/**
 * Calls `fn` on an animation frame after schedule() was called, at most once per `ms` (and
 * never more often than 4x its own last duration, so that a slow redraw cannot take the page
 * over); many schedule() calls in between make one call.
 * @param {() => void} fn
 * @param {number} [ms]
 */
export function throttled(fn, ms = 200) {
  let pending = false;
  let last = 0;
  let cost = 0;
  let timer = 0;
  let raf = 0;
  let stopped = false;
  const run = () => {
    raf = 0;
    pending = false;
    if (stopped) return;
    const t0 = performance.now();
    fn();
    last = performance.now();
    cost = last - t0;
  };
  return {
    schedule() {
      if (pending || stopped) return;
      pending = true;
      const wait = Math.max(0, last + Math.max(ms, 4 * cost) - performance.now());
      timer = window.setTimeout(() => {
        raf = requestAnimationFrame(run);
      }, wait);
    },
    /** Runs now (e.g. at the end of a stream). */
    flush() {
      clearTimeout(timer);
      cancelAnimationFrame(raf);
      run();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      cancelAnimationFrame(raf);
    },
  };
}
