// The Q heat map of an agent on a grid scene: each cell coloured by max_a Q(cell, a), an arrow
// for the greedy action, hazards and the goal marked, and cells whose Q-values are all equal
// (never updated) left neutral without an arrow. Q comes from GetQ with one observation per
// cell in the agent's encoding.

import { api, seg } from './api.js';
import { el, setText } from './dom.js';
import { fmt, num } from './format.js';
import { GRID_COLORS, cellKind, cellSize, sizeCanvas } from './grid-scene.js';

/** States per GetQ call (the server's limit). */
const MAX_STATES = 4096;

/** lights_off cell codes. */
const CODE = { standard: 0, start: 0, hazard: 1, goal: 2, off: 3 };

/**
 * The agent's observation encoding: its env session's `encoding` when known, else read off
 * the agent's observation space.
 * @returns {'index' | 'onehot' | 'rowcol' | 'lights_off' | null}
 */
export function encodingOf(agent, env, scene) {
  const cfg = env?.config?.encoding;
  if (typeof cfg === 'string' && cfg) return /** @type {any} */ (cfg);
  const space = agent?.observationSpace;
  const cells = scene.width * scene.height;
  if (space?.discrete) return num(space.discrete.n) === cells ? 'index' : null;
  const shape = (space?.box?.shape ?? []).map(num);
  if (shape.length === 1) {
    if (shape[0] === cells) return 'onehot';
    if (shape[0] === 2) return 'rowcol';
    if (shape[0] === 5) return 'lights_off';
  }
  return null;
}

/** The observation of cell (r, c) in an encoding. */
export function observationOf(encoding, scene, r, c) {
  const index = r * scene.width + c;
  switch (encoding) {
    case 'index':
      return index;
    case 'onehot': {
      const v = new Array(scene.width * scene.height).fill(0);
      v[index] = 1;
      return v;
    }
    case 'rowcol':
      return [r, c];
    case 'lights_off':
      return [[r, c], [r - 1, c], [r + 1, c], [r, c - 1], [r, c + 1]].map(([rr, cc]) => CODE[cellKind(scene, rr, cc)]);
    default:
      throw new Error(`unknown encoding ${encoding}`);
  }
}

/**
 * Q-values of every cell, row-major, by GetQ in chunks.
 * @returns {Promise<number[][]>}
 */
export async function fetchGridQ(agentId, scene, encoding, signal) {
  const states = [];
  for (let r = 0; r < scene.height; r++) for (let c = 0; c < scene.width; c++) states.push(observationOf(encoding, scene, r, c));
  const q = [];
  for (let i = 0; i < states.length; i += MAX_STATES) {
    const res = await api(`/v1/agents/${seg(agentId)}:getQ`, { body: { states: states.slice(i, i + MAX_STATES) }, signal });
    q.push(...(res.q ?? []));
  }
  return q.map((row) => (Array.isArray(row) ? row.map(num) : [num(row)]));
}

// Viridis, 9 stops.
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'].map(hexRgb);

function hexRgb(h) {
  return [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
}

/** Viridis colour of t in [0, 1] as [r, g, b]. */
export function viridis(t) {
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return VIRIDIS[i].map((v, k) => Math.round(v + (VIRIDIS[i + 1][k] - v) * f));
}

const NEUTRAL = '#e4e2dc';

/**
 * Direction [dr, dc] of an action by its name (GridWorld: up, down, left, right).
 * @returns {[number, number]}
 */
function direction(name, index) {
  const n = String(name ?? '').toLowerCase();
  if (n.includes('up') || n.includes('north')) return [-1, 0];
  if (n.includes('down') || n.includes('south')) return [1, 0];
  if (n.includes('left') || n.includes('west')) return [0, -1];
  if (n.includes('right') || n.includes('east')) return [0, 1];
  return /** @type {[number, number][]} */ ([[-1, 0], [1, 0], [0, -1], [0, 1]])[index] ?? [0, 0];
}

/**
 * The heat map (canvas #q-heatmap), its colour scale and a line that reads out the cell under
 * the pointer.
 * @param {{scene: any, q: number[][]}} opts
 */
export function renderHeatmap({ scene, q }) {
  const cs = cellSize(scene.width, scene.height);
  const W = scene.width * cs;
  const H = scene.height * cs;
  const canvas = /** @type {HTMLCanvasElement} */ (el('canvas', { id: 'q-heatmap' }));
  const ctx = sizeCanvas(canvas, W, H);
  const names = scene.action_names ?? [];

  // Per cell: max Q, greedy action, whether all Q are equal.
  const cells = q.map((row) => {
    const finite = row.filter(Number.isFinite);
    if (!finite.length) return { max: NaN, best: -1, flat: true };
    let best = 0;
    for (let a = 1; a < row.length; a++) if (row[a] > row[best]) best = a;
    const max = row[best];
    const min = Math.min(...finite);
    const flat = max - min <= 1e-9 * Math.max(1, Math.abs(max));
    return { max, best, flat };
  });
  const informative = cells.filter((c) => !c.flat && Number.isFinite(c.max));
  // The scale runs from the 5th percentile to the maximum, so that a few very low cells
  // (hazards) do not wash out the differences among the rest; lower cells get the lowest colour.
  const sorted = informative.map((c) => c.max).sort((a, b) => a - b);
  const lo = sorted.length ? sorted[Math.floor(0.05 * (sorted.length - 1))] : 0;
  const hi = sorted.length ? sorted[sorted.length - 1] : 1;
  const clipped = sorted.length > 0 && sorted[0] < lo;
  const t = (v) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);

  for (let r = 0; r < scene.height; r++) {
    for (let c = 0; c < scene.width; c++) {
      const cell = cells[r * scene.width + c];
      const x = c * cs;
      const y = r * cs;
      let rgb = null;
      if (!cell || cell.flat) ctx.fillStyle = NEUTRAL;
      else {
        rgb = viridis(t(cell.max));
        ctx.fillStyle = `rgb(${rgb.join(',')})`;
      }
      ctx.fillRect(x, y, cs, cs);
      const kind = cellKind(scene, r, c);
      if (cell && !cell.flat && cell.best >= 0) drawArrow(ctx, x, y, cs, direction(names[cell.best], cell.best), rgb);
      if (kind === 'hazard' || kind === 'goal' || kind === 'start') {
        ctx.strokeStyle = kind === 'hazard' ? GRID_COLORS.hazard : kind === 'goal' ? GRID_COLORS.goal : '#3a7fb8';
        ctx.lineWidth = Math.max(2, cs / 10);
        const inset = ctx.lineWidth / 2 + 0.5;
        ctx.strokeRect(x + inset, y + inset, cs - 2 * inset, cs - 2 * inset);
        if (cs >= 18) {
          ctx.font = `bold ${Math.round(cs * 0.3)}px system-ui, sans-serif`;
          ctx.textAlign = 'left';
          ctx.textBaseline = 'top';
          ctx.fillStyle = ctx.strokeStyle;
          ctx.fillText(kind === 'hazard' ? 'H' : kind === 'goal' ? 'G' : 'S', x + ctx.lineWidth + 1, y + ctx.lineWidth);
        }
      }
    }
  }
  ctx.strokeStyle = 'rgba(255,255,255,0.5)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let r = 1; r < scene.height; r++) {
    ctx.moveTo(0, r * cs + 0.5);
    ctx.lineTo(W, r * cs + 0.5);
  }
  for (let c = 1; c < scene.width; c++) {
    ctx.moveTo(c * cs + 0.5, 0);
    ctx.lineTo(c * cs + 0.5, H);
  }
  ctx.stroke();

  canvas.setAttribute('role', 'img');
  canvas.setAttribute(
    'aria-label',
    `Q heat map of the ${scene.width} by ${scene.height} grid: max Q from ${fmt(sorted[0])} to ${fmt(hi)}; ${cells.length - informative.length} cells with all Q-values equal.`,
  );

  // Read-out of the cell under the pointer.
  const readout = el('p', { class: 'small readout', id: 'q-heatmap-readout', 'aria-live': 'polite' }, 'Point at a cell to read its Q-values.');
  canvas.addEventListener('mousemove', (e) => {
    const rect = canvas.getBoundingClientRect();
    const c = Math.floor((e.clientX - rect.left) / cs);
    const r = Math.floor((e.clientY - rect.top) / cs);
    const row = q[r * scene.width + c];
    if (!row) return;
    const cell = cells[r * scene.width + c];
    const values = row.map((v, a) => `${names[a] ?? a} ${fmt(v, 4)}`).join(', ');
    setText(readout, `Row ${r}, column ${c} (${cellKind(scene, r, c)}): ${values}${cell.flat ? ' (all equal: never updated)' : `; greedy: ${names[cell.best] ?? cell.best}`}`);
  });

  return el(
    'div',
    { class: 'heatmap' },
    el('div', { class: 'canvas-box' }, canvas),
    scaleLegend(lo, hi, informative.length > 0, clipped),
    readout,
  );
}

function drawArrow(ctx, x, y, cs, [dr, dc], rgb) {
  if (cs < 10 || (dr === 0 && dc === 0)) return;
  const [ux, uy] = [dc, dr]; // unit vector along the arrow (canvas x, y)
  const [vx, vy] = [-uy, ux]; // perpendicular
  const cx = x + cs / 2;
  const cy = y + cs / 2;
  const len = cs * 0.34;
  const head = cs * 0.2;
  const tip = [cx + ux * len, cy + uy * len];
  const base = [tip[0] - ux * head, tip[1] - uy * head];
  const light = rgb ? 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] > 140 : true;
  ctx.strokeStyle = light ? '#111' : '#fff';
  ctx.fillStyle = ctx.strokeStyle;
  ctx.lineWidth = Math.max(1.5, cs / 14);
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(cx - ux * len * 0.8, cy - uy * len * 0.8);
  ctx.lineTo(base[0], base[1]);
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(tip[0], tip[1]);
  ctx.lineTo(base[0] + vx * head * 0.6, base[1] + vy * head * 0.6);
  ctx.lineTo(base[0] - vx * head * 0.6, base[1] - vy * head * 0.6);
  ctx.closePath();
  ctx.fill();
}

/** The colour scale: a viridis bar from min to max, and the neutral and marked cells. */
function scaleLegend(lo, hi, any, clipped) {
  const bar = /** @type {HTMLCanvasElement} */ (el('canvas', { class: 'scale-bar', 'aria-hidden': 'true' }));
  const w = 220;
  const ctx = sizeCanvas(bar, w, 14);
  for (let i = 0; i < w; i++) {
    ctx.fillStyle = `rgb(${viridis(i / (w - 1)).join(',')})`;
    ctx.fillRect(i, 0, 1, 14);
  }
  const item = (cls, text) => el('span', { class: 'key' }, el('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), text);
  return el(
    'div',
    { class: 'scale small', id: 'q-heatmap-scale' },
    el('span', { class: 'scale-label' }, 'max Q: '),
    el('span', { class: 'num' }, any ? `${clipped ? '≤ ' : ''}${fmt(lo)}` : '—'),
    bar,
    el('span', { class: 'num' }, any ? fmt(hi) : '—'),
    item('sw-neutral', 'all Q equal (unvisited), no arrow'),
    item('sw-hazard-ring', 'hazard'),
    item('sw-goal-ring', 'goal'),
    item('sw-start-ring', 'start'),
    el('span', { class: 'key' }, '→ greedy action'),
  );
}
