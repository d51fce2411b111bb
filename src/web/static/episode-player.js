// An animated greedy episode (the course notes' animate_run, in the browser): Evaluate's
// recorded trajectory drawn on a canvas by the scene's kind ("grid", "cart_pole", and the
// Gymnasium scenes "taxi", "mountain_car" and "acrobot" drawn by gym-scenes.js), with
// play/pause, step, restart, speed and a frame slider; space and the arrow keys work while
// the player has focus.

import { el, field, setText } from './dom.js';
import { fmt, num } from './format.js';
import { GRID_COLORS, cellSize, markCells, paintCells, sizeCanvas } from './grid-scene.js';
import { acrobotDrawer, describeAcrobot, describeTaxi, gymLegend, mountainCarDrawer, taxiDrawer } from './gym-scenes.js';

const SPEEDS = [0.25, 0.5, 1, 2, 4, 8];

/** Frames per second at 1× by scene kind (the env types' renderFps; CartPole's comes from its tau). */
const KIND_FPS = { grid: 4, taxi: 4, mountain_car: 30, acrobot: 15 };

/** Drawers by scene kind: (canvas, scene, states) => draw(frame, lightsOff). */
const DRAWERS = { grid: gridDrawer, cart_pole: cartPoleDrawer, taxi: taxiDrawer, mountain_car: mountainCarDrawer, acrobot: acrobotDrawer };

/** A state in words beyond its named numbers, by scene kind. */
const DESCRIBERS = { taxi: describeTaxi, acrobot: describeAcrobot };

/**
 * The drawable states of a trajectory: `states` when the server sends them, else derived from
 * the observations where that is possible (index or row/col grids, CartPole).
 * @returns {number[][] | null}
 */
export function statesOf(trajectory, scene) {
  if (Array.isArray(trajectory.states) && trajectory.states.length) return trajectory.states;
  const obs = trajectory.observations;
  if (!Array.isArray(obs)) return null;
  if (scene.kind === 'cart_pole' || scene.kind === 'mountain_car') return obs;
  // Taxi's observation ((row * 5 + col) * 5 + passenger) * 4 + destination.
  if (scene.kind === 'taxi' && obs.every((o) => typeof o === 'number')) return obs.map((o) => [Math.floor(o / 100), Math.floor(o / 20) % 5, Math.floor(o / 4) % 5, o % 4]);
  // Acrobot's observation [cos t1, sin t1, cos t2, sin t2, dt1, dt2].
  if (scene.kind === 'acrobot' && obs.every((o) => Array.isArray(o) && o.length === 6)) return obs.map((o) => { const v = o.map(num); return [Math.atan2(v[1], v[0]), Math.atan2(v[3], v[2]), v[4], v[5]]; });
  if (scene.kind === 'grid') {
    if (obs.every((o) => typeof o === 'number')) return obs.map((o) => [Math.floor(o / scene.width), o % scene.width]);
    if (obs.every((o) => Array.isArray(o) && o.length === 2)) return obs;
  }
  return null;
}

/**
 * @param {{scene: any, trajectory: any, caption?: string, autoplay?: boolean}} opts
 * @returns {{element: HTMLElement, destroy: () => void}}
 */
export function createPlayer({ scene, trajectory, caption, autoplay = true }) {
  const states = statesOf(trajectory, scene);
  const actions = (trajectory.actions ?? []).map(num);
  const rewards = (trajectory.rewards ?? []).map(num);
  if (!states) {
    return { element: el('p', { class: 'notice' }, 'This episode cannot be drawn: the server sent no drawable states for it.'), destroy() {} };
  }
  const n = states.length - 1; // steps
  const returns = [0];
  for (let i = 0; i < rewards.length; i++) returns.push(returns[i] + rewards[i]);
  const actionName = (a) => scene.action_names?.[a] ?? String(a);
  const baseFps = scene.kind === 'cart_pole' ? 1 / (num(scene.tau) > 0 ? num(scene.tau) : 0.02) : KIND_FPS[scene.kind] ?? 4;

  let frame = 0;
  let playing = false;
  let speed = 1;
  let raf = 0;
  let lastTime = 0;
  let carry = 0;
  let lightsOff = false;

  const canvas = /** @type {HTMLCanvasElement} */ (el('canvas', { id: 'player-canvas', tabindex: '0', role: 'img', 'aria-label': 'Animated episode. Space plays or pauses, the arrow keys step.' }));
  const draw = Object.hasOwn(DRAWERS, scene.kind) ? DRAWERS[scene.kind](canvas, scene, states) : null;
  if (!draw) {
    return { element: el('p', { class: 'notice' }, `This episode cannot be drawn: unknown scene kind "${scene.kind}".`), destroy() {} };
  }

  const playBtn = el('button', { type: 'button', id: 'player-play', class: 'primary', onclick: () => (playing ? pause() : play()) }, 'Play');
  const backBtn = el('button', { type: 'button', id: 'player-step-back', onclick: () => { pause(); show(frame - 1); } }, el('span', { 'aria-hidden': 'true' }, '◀ '), 'Step back');
  const fwdBtn = el('button', { type: 'button', id: 'player-step-forward', onclick: () => { pause(); show(frame + 1); } }, 'Step forward', el('span', { 'aria-hidden': 'true' }, ' ▶'));
  const restartBtn = el('button', { type: 'button', id: 'player-restart', onclick: () => { show(0); } }, 'Restart');
  const speedSel = el('select', { id: 'player-speed' }, SPEEDS.map((s) => el('option', { value: String(s), selected: s === 1 }, `${s}×`)));
  speedSel.addEventListener('change', () => (speed = Number(/** @type {HTMLSelectElement} */ (speedSel).value)));
  const slider = /** @type {HTMLInputElement} */ (el('input', { id: 'player-slider', type: 'range', min: '0', max: String(n), step: '1', value: '0' }));
  slider.addEventListener('input', () => {
    pause();
    show(Number(slider.value));
  });
  const frameEl = el('span', { id: 'player-frame', class: 'frame', 'aria-live': 'off' });
  const infoEl = el('p', { id: 'player-info', class: 'player-info', 'aria-live': 'polite' });
  const lights = scene.kind === 'grid'
    ? el('label', { class: 'check' }, el('input', { type: 'checkbox', id: 'player-lights-off', onchange: (e) => { lightsOff = e.target.checked; show(frame); } }), ' Lights off (what a lights_off agent sees)')
    : null;

  const element = el(
    'div',
    { id: 'player', class: 'player', role: 'group', 'aria-label': 'Episode player' },
    caption ? el('p', { class: 'muted small' }, caption) : null,
    el('div', { class: 'canvas-box' }, canvas),
    legend(scene),
    el('div', { class: 'player-controls' }, restartBtn, backBtn, playBtn, fwdBtn, field('Speed', speedSel), el('div', { class: 'field grow' }, el('label', { for: 'player-slider' }, 'Frame'), slider), frameEl),
    lights,
    infoEl,
  );

  element.addEventListener('keydown', (e) => {
    const tag = /** @type {HTMLElement} */ (e.target).tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'BUTTON' || tag === 'TEXTAREA') return;
    if (e.key === ' ' || e.key === 'Spacebar') (playing ? pause() : play());
    else if (e.key === 'ArrowRight') { pause(); show(frame + 1); }
    else if (e.key === 'ArrowLeft') { pause(); show(frame - 1); }
    else if (e.key === 'Home') { pause(); show(0); }
    else if (e.key === 'End') { pause(); show(n); }
    else return;
    e.preventDefault();
  });

  function show(k) {
    frame = Math.max(0, Math.min(n, k));
    slider.value = String(frame);
    draw(frame, lightsOff);
    setText(frameEl, `step ${frame} / ${n}`);
    const s = states[frame] ?? [];
    const names = scene.state_names ?? [];
    const described = Object.hasOwn(DESCRIBERS, scene.kind) ? DESCRIBERS[scene.kind](scene, s) : '';
    const stateText = [names.length ? names.map((name, i) => `${name} ${fmt(s[i], 3)}`).join(', ') : '', described].filter(Boolean).join('; ');
    setText(
      infoEl,
      frame === 0
        ? `Start. ${stateText}. Return 0.`
        : `Action: ${actionName(actions[frame - 1])}. Reward: ${fmt(rewards[frame - 1])}. Return so far: ${fmt(returns[frame])}. ${stateText}.${frame === n ? ' Episode over.' : ''}`,
    );
    backBtn.disabled = frame === 0;
    fwdBtn.disabled = frame === n;
  }

  function play() {
    if (frame >= n) show(0);
    playing = true;
    playBtn.textContent = 'Pause';
    lastTime = performance.now();
    carry = 0;
    raf = requestAnimationFrame(tick);
  }

  function pause() {
    playing = false;
    playBtn.textContent = 'Play';
    cancelAnimationFrame(raf);
  }

  function tick(now) {
    if (!playing) return;
    carry += ((now - lastTime) / 1000) * baseFps * speed;
    lastTime = now;
    const steps = Math.floor(carry);
    if (steps > 0) {
      carry -= steps;
      show(frame + steps);
    }
    if (frame >= n) {
      pause();
      return;
    }
    raf = requestAnimationFrame(tick);
  }

  show(0);
  if (autoplay && n > 0) play();
  return { element, destroy: pause };
}

/** A key to the drawing's colours. */
function legend(scene) {
  if (scene.kind === 'taxi' || scene.kind === 'mountain_car' || scene.kind === 'acrobot') return gymLegend(scene);
  if (scene.kind !== 'grid') return el('p', { class: 'muted small legend' }, 'Dashed red lines: the cart’s x limits (±', fmt(scene.x_threshold), ' m); grey wedge: the pole’s angle limit (±', fmt((num(scene.theta_threshold_radians) * 180) / Math.PI, 3), '°).');
  const item = (cls, text) => el('span', { class: 'key' }, el('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), text);
  return el('p', { class: 'legend small' }, item('sw-standard', 'standard'), item('sw-hazard', 'hazard'), item('sw-start', 'start'), item('sw-goal', 'goal'), item('sw-agent', 'agent'), item('sw-path', 'path so far'));
}

function gridDrawer(canvas, scene, states) {
  const cs = cellSize(scene.width, scene.height);
  const W = scene.width * cs;
  const H = scene.height * cs;
  const ctx = sizeCanvas(canvas, W, H);
  const centre = (s) => [num(s[1]) * cs + cs / 2, num(s[0]) * cs + cs / 2];
  return (k, lightsOff) => {
    ctx.clearRect(0, 0, W, H);
    paintCells(ctx, scene, cs);
    markCells(ctx, scene, cs);
    // The path so far.
    ctx.strokeStyle = GRID_COLORS.path;
    ctx.lineWidth = Math.max(2, cs / 8);
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.beginPath();
    for (let i = 0; i <= k; i++) {
      const [x, y] = centre(states[i]);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
    const [sx, sy] = centre(states[0]);
    ctx.fillStyle = GRID_COLORS.path;
    ctx.beginPath();
    ctx.arc(sx, sy, Math.max(2, cs / 7), 0, 2 * Math.PI);
    ctx.fill();
    const [ar, ac] = [num(states[k][0]), num(states[k][1])];
    if (lightsOff) {
      ctx.fillStyle = GRID_COLORS.dark;
      for (let r = 0; r < scene.height; r++) {
        for (let c = 0; c < scene.width; c++) {
          const seen = (r === ar && c === ac) || (Math.abs(r - ar) + Math.abs(c - ac) === 1);
          if (!seen) ctx.fillRect(c * cs, r * cs, cs, cs);
        }
      }
    }
    // The agent.
    const [x, y] = centre(states[k]);
    ctx.fillStyle = GRID_COLORS.agent;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(x, y, Math.max(3, cs * 0.3), 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  };
}

function cartPoleDrawer(canvas, scene, states) {
  const W = 600;
  const H = 260;
  const ctx = sizeCanvas(canvas, W, H);
  const xth = num(scene.x_threshold) || 2.4;
  const thth = num(scene.theta_threshold_radians) || 0.2095;
  const half = num(scene.pole_half_length) || 0.5;
  const scale = W / (2 * xth * 1.25);
  const trackY = 200;
  const cartW = 50;
  const cartH = 28;
  const poleLen = 2 * half * scale;
  const toX = (x) => W / 2 + x * scale;
  return (k) => {
    const [x, , theta] = states[k].map(num);
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = '#fcfcfa';
    ctx.fillRect(0, 0, W, H);
    // Track and limits.
    ctx.strokeStyle = '#444';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(0, trackY);
    ctx.lineTo(W, trackY);
    ctx.stroke();
    ctx.strokeStyle = '#c0392b';
    ctx.setLineDash([6, 5]);
    ctx.lineWidth = 1.5;
    for (const lim of [-xth, xth]) {
      ctx.beginPath();
      ctx.moveTo(toX(lim), 20);
      ctx.lineTo(toX(lim), trackY + 30);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.fillStyle = '#c0392b';
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.fillText(`x = −${fmt(xth)}`, toX(-xth), trackY + 44);
    ctx.fillText(`x = ${fmt(xth)}`, toX(xth), trackY + 44);
    const cx = toX(x);
    const pivotY = trackY - cartH;
    // Angle limits: a faint wedge above the pivot.
    ctx.fillStyle = 'rgba(120, 120, 120, 0.15)';
    ctx.beginPath();
    ctx.moveTo(cx, pivotY);
    ctx.lineTo(cx + poleLen * 1.1 * Math.sin(-thth), pivotY - poleLen * 1.1 * Math.cos(thth));
    ctx.lineTo(cx + poleLen * 1.1 * Math.sin(thth), pivotY - poleLen * 1.1 * Math.cos(thth));
    ctx.closePath();
    ctx.fill();
    // Cart.
    ctx.fillStyle = '#222';
    ctx.fillRect(cx - cartW / 2, trackY - cartH, cartW, cartH - 4);
    ctx.fillStyle = '#555';
    for (const wx of [cx - cartW / 3, cx + cartW / 3]) {
      ctx.beginPath();
      ctx.arc(wx, trackY - 4, 4, 0, 2 * Math.PI);
      ctx.fill();
    }
    // Pole: theta > 0 leans right.
    ctx.strokeStyle = '#ca9865';
    ctx.lineWidth = 10;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(cx, pivotY);
    ctx.lineTo(cx + poleLen * Math.sin(theta), pivotY - poleLen * Math.cos(theta));
    ctx.stroke();
    ctx.fillStyle = '#8184cb';
    ctx.beginPath();
    ctx.arc(cx, pivotY, 5, 0, 2 * Math.PI);
    ctx.fill();
  };
}

