// Drawers for the episode player's Gymnasium scenes of kind "taxi", "mountain_car" and
// "acrobot" (EnvBatch.scene() and drawState() in src/core/envs/taxi.ts, mountain-car.ts and
// acrobot.ts), laid out as the server's rgb_array frames of those envs are. Each drawer takes
// the canvas, the scene and the trajectory's states and returns draw(k), which paints frame k.

import { el } from './dom.js';
import { fmt, num } from './format.js';
import { sizeCanvas } from './grid-scene.js';

/** Colours of the Taxi drawing; the legend's swatches (style.css .sw-taxi-*) use the same. */
const TAXI_COLORS = {
  floor: '#f3f2ec',
  line: '#c9c7bd',
  wall: '#2b2b2b',
  pads: ['#e6786e', '#78c878', '#ebd764', '#7896e6'],
  dest: '#c83cc8',
  taxi: '#fac814',
  taxiFull: '#28a03c',
  passenger: '#1b1b1b',
  path: 'rgba(0, 90, 200, 0.45)',
};

/** The pad letters of a Taxi scene (R, G, Y, B), read off its map. */
function padLetters(scene) {
  return (scene.locations ?? []).map(([r, c], k) => scene.map?.[1 + num(r)]?.[2 * num(c) + 1] ?? 'RGYB'[k] ?? String(k));
}

/**
 * Whether a Taxi map has a wall between columns c and c + 1 of row r: a '|' at map column
 * 2c + 2 of map row r + 1 (the map's first and last rows are its border).
 */
function taxiWall(scene, r, c) {
  return scene.map?.[1 + r]?.[2 * c + 2] === '|';
}

/** Taxi: the 5 x 5 grid with its walls, the four pads, the destination, the passenger and the taxi. */
export function taxiDrawer(canvas, scene, states) {
  const rows = Math.max(1, (scene.map?.length ?? 7) - 2);
  const cols = Math.max(1, Math.floor(((scene.map?.[0]?.length ?? 11) - 1) / 2));
  const cs = 80;
  const pad = 6;
  const W = cols * cs + 2 * pad;
  const H = rows * cs + 2 * pad;
  const ctx = sizeCanvas(canvas, W, H);
  const locs = (scene.locations ?? []).map(([r, c]) => [num(r), num(c)]);
  const letters = padLetters(scene);
  const cx = (c) => pad + c * cs + cs / 2;
  const cy = (r) => pad + r * cs + cs / 2;
  return (k) => {
    const [row, col, pass, dest] = (states[k] ?? []).map(num);
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = TAXI_COLORS.floor;
    ctx.fillRect(0, 0, W, H);
    // Pads, each with its letter; the destination framed.
    locs.forEach(([r, c], i) => {
      ctx.fillStyle = TAXI_COLORS.pads[i % TAXI_COLORS.pads.length];
      ctx.fillRect(pad + c * cs + 4, pad + r * cs + 4, cs - 8, cs - 8);
    });
    if (locs[dest]) {
      const [r, c] = locs[dest];
      ctx.strokeStyle = TAXI_COLORS.dest;
      ctx.lineWidth = 6;
      ctx.strokeRect(pad + c * cs + 7, pad + r * cs + 7, cs - 14, cs - 14);
    }
    ctx.font = `bold ${Math.round(cs * 0.22)}px system-ui, sans-serif`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillStyle = '#1b1b1b';
    locs.forEach(([r, c], i) => ctx.fillText(letters[i], pad + c * cs + 12, pad + r * cs + 11));
    // Cell lines, then the walls and the border over them.
    ctx.strokeStyle = TAXI_COLORS.line;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let r = 1; r < rows; r++) {
      ctx.moveTo(pad, pad + r * cs + 0.5);
      ctx.lineTo(pad + cols * cs, pad + r * cs + 0.5);
    }
    for (let c = 1; c < cols; c++) {
      ctx.moveTo(pad + c * cs + 0.5, pad);
      ctx.lineTo(pad + c * cs + 0.5, pad + rows * cs);
    }
    ctx.stroke();
    ctx.strokeStyle = TAXI_COLORS.wall;
    ctx.lineCap = 'square';
    ctx.lineWidth = 6;
    ctx.beginPath();
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols - 1; c++) {
        if (!taxiWall(scene, r, c)) continue;
        ctx.moveTo(pad + (c + 1) * cs, pad + r * cs);
        ctx.lineTo(pad + (c + 1) * cs, pad + (r + 1) * cs);
      }
    }
    ctx.stroke();
    ctx.strokeRect(pad / 2, pad / 2, W - pad, H - pad);
    // The taxi's path so far.
    ctx.strokeStyle = TAXI_COLORS.path;
    ctx.lineWidth = 5;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.beginPath();
    for (let i = 0; i <= k; i++) {
      const s = states[i] ?? [];
      const x = cx(num(s[1]));
      const y = cy(num(s[0]));
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
    // A waiting passenger: a figure on their pad.
    if (locs[pass]) {
      const [r, c] = locs[pass];
      const x = cx(c) + cs * 0.22;
      const y = cy(r) - cs * 0.12;
      ctx.fillStyle = TAXI_COLORS.passenger;
      ctx.beginPath();
      ctx.arc(x, y - cs * 0.1, cs * 0.07, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillRect(x - cs * 0.06, y - cs * 0.02, cs * 0.12, cs * 0.2);
    }
    // The taxi: yellow when empty, green with the passenger aboard.
    const x0 = cx(col) - cs * 0.27;
    const y0 = cy(row) - cs * 0.05;
    ctx.fillStyle = pass === 4 ? TAXI_COLORS.taxiFull : TAXI_COLORS.taxi;
    ctx.strokeStyle = '#1b1b1b';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x0, y0 + cs * 0.3);
    ctx.lineTo(x0, y0 + cs * 0.1);
    ctx.lineTo(x0 + cs * 0.12, y0 + cs * 0.1);
    ctx.lineTo(x0 + cs * 0.18, y0 - cs * 0.02);
    ctx.lineTo(x0 + cs * 0.38, y0 - cs * 0.02);
    ctx.lineTo(x0 + cs * 0.44, y0 + cs * 0.1);
    ctx.lineTo(x0 + cs * 0.54, y0 + cs * 0.1);
    ctx.lineTo(x0 + cs * 0.54, y0 + cs * 0.3);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = '#333';
    for (const wx of [x0 + cs * 0.13, x0 + cs * 0.41]) {
      ctx.beginPath();
      ctx.arc(wx, y0 + cs * 0.3, cs * 0.055, 0, 2 * Math.PI);
      ctx.fill();
    }
  };
}

/** A Taxi state in words: where the taxi, the passenger and the destination are. */
export function describeTaxi(scene, s) {
  const [row, col, pass, dest] = (s ?? []).map(num);
  const letters = padLetters(scene);
  const passText = pass === 4 ? 'in the taxi' : `waiting at ${letters[pass] ?? pass}`;
  return `Taxi at row ${row}, column ${col}; passenger ${passText}; destination ${letters[dest] ?? dest}`;
}

/** The hill's height at position x: sin(3x) * 0.45 + 0.55 (MountainCar's track). */
function hill(x) {
  return Math.sin(3 * x) * 0.45 + 0.55;
}

/** MountainCar: the hill over [min_position, max_position], the flag at goal_position, the car along the slope. */
export function mountainCarDrawer(canvas, scene, states) {
  const W = 600;
  const H = 400;
  const ctx = sizeCanvas(canvas, W, H);
  const minX = Number.isFinite(num(scene.min_position)) ? num(scene.min_position) : -1.2;
  const maxX = num(scene.max_position) > minX ? num(scene.max_position) : 0.6;
  const goal = Number.isFinite(num(scene.goal_position)) ? num(scene.goal_position) : 0.5;
  const scale = W / (maxX - minX);
  const px = (x) => (x - minX) * scale;
  const py = (y) => H - y * scale;
  const n = 120;
  const curve = [];
  for (let i = 0; i < n; i++) {
    const x = minX + ((maxX - minX) * i) / (n - 1);
    curve.push([px(x), py(hill(x))]);
  }
  return (k) => {
    const [position, velocity] = (states[k] ?? []).map(num);
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = '#fcfcfa';
    ctx.fillRect(0, 0, W, H);
    // Ground under the track, and the track.
    ctx.fillStyle = '#e8e4d6';
    ctx.beginPath();
    ctx.moveTo(0, H);
    for (const [x, y] of curve) ctx.lineTo(x, y);
    ctx.lineTo(W, H);
    ctx.closePath();
    ctx.fill();
    ctx.strokeStyle = '#111';
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    curve.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
    ctx.stroke();
    // The flag at the goal.
    const fx = px(goal);
    const fy = py(hill(goal));
    ctx.strokeStyle = '#111';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(fx, fy);
    ctx.lineTo(fx, fy - 50);
    ctx.stroke();
    ctx.fillStyle = '#cccc00';
    ctx.beginPath();
    ctx.moveTo(fx, fy - 50);
    ctx.lineTo(fx + 25, fy - 45);
    ctx.lineTo(fx, fy - 40);
    ctx.closePath();
    ctx.fill();
    ctx.fillStyle = '#555';
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.fillText(`goal x = ${fmt(goal)}`, fx - 6, fy - 44);
    // The car: a body along the slope (the hill's slope is 1.35 cos(3x)) on two wheels.
    const angle = Math.atan(1.35 * Math.cos(3 * position));
    ctx.save();
    ctx.translate(px(position), py(hill(position)));
    ctx.rotate(-angle);
    ctx.fillStyle = '#3c3c3c';
    ctx.fillRect(-20, -26, 40, 18);
    ctx.fillStyle = '#808080';
    ctx.strokeStyle = '#222';
    ctx.lineWidth = 1.5;
    for (const wx of [-12, 12]) {
      ctx.beginPath();
      ctx.arc(wx, -6, 6, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    // Velocity: an arrow along the track, pointing the way the car moves.
    if (Number.isFinite(velocity) && velocity !== 0) {
      const maxV = num(scene.max_speed) > 0 ? num(scene.max_speed) : 0.07;
      const len = 8 + 40 * Math.min(1, Math.abs(velocity) / maxV);
      const dir = Math.sign(velocity);
      ctx.strokeStyle = '#c0392b';
      ctx.fillStyle = '#c0392b';
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.moveTo(0, -38);
      ctx.lineTo(dir * len, -38);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(dir * (len + 7), -38);
      ctx.lineTo(dir * len, -43);
      ctx.lineTo(dir * len, -33);
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  };
}

/** Acrobot: the fixed joint, the two links at theta1 and theta1 + theta2 from straight down, the target line. */
export function acrobotDrawer(canvas, scene, states) {
  const D = 440;
  const ctx = sizeCanvas(canvas, D, D);
  const lengths = Array.isArray(scene.link_lengths) && scene.link_lengths.length === 2 ? scene.link_lengths.map(num) : [1, 1];
  const [l1, l2] = lengths;
  const reach = (l1 + l2) * 1.1;
  const scale = D / (2 * reach);
  const target = Number.isFinite(num(scene.target_height)) ? num(scene.target_height) : 1;
  const px = (x) => D / 2 + x * scale;
  const py = (y) => D / 2 - y * scale;
  const ends = (s) => {
    const [t1, t2] = (s ?? []).map(num);
    const x1 = l1 * Math.sin(t1);
    const y1 = -l1 * Math.cos(t1);
    return [x1, y1, x1 + l2 * Math.sin(t1 + t2), y1 - l2 * Math.cos(t1 + t2)];
  };
  return (k) => {
    ctx.clearRect(0, 0, D, D);
    ctx.fillStyle = '#fcfcfa';
    ctx.fillRect(0, 0, D, D);
    // The target line: the free end must rise above it.
    ctx.strokeStyle = '#111';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(px(-reach), py(target));
    ctx.lineTo(px(reach), py(target));
    ctx.stroke();
    ctx.fillStyle = '#555';
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'bottom';
    ctx.fillText(`target height ${fmt(target)}`, 8, py(target) - 4);
    // The free end's recent path.
    ctx.strokeStyle = 'rgba(0, 90, 200, 0.35)';
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    for (let i = Math.max(0, k - 30); i <= k; i++) {
      const [, , x2, y2] = ends(states[i]);
      if (i === Math.max(0, k - 30)) ctx.moveTo(px(x2), py(y2));
      else ctx.lineTo(px(x2), py(y2));
    }
    ctx.stroke();
    const [x1, y1, x2, y2] = ends(states[k]);
    ctx.strokeStyle = '#00cccc';
    ctx.lineWidth = 0.2 * scale;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(px(0), py(0));
    ctx.lineTo(px(x1), py(y1));
    ctx.lineTo(px(x2), py(y2));
    ctx.stroke();
    ctx.fillStyle = '#cccc00';
    ctx.strokeStyle = '#555';
    ctx.lineWidth = 1;
    for (const [x, y] of [[0, 0], [x1, y1]]) {
      ctx.beginPath();
      ctx.arc(px(x), py(y), 0.1 * scale, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
  };
}

/** The free end's height above the fixed joint, in link lengths, for the player's read-out. */
export function describeAcrobot(scene, s) {
  const [t1, t2] = (s ?? []).map(num);
  const lengths = Array.isArray(scene.link_lengths) && scene.link_lengths.length === 2 ? scene.link_lengths.map(num) : [1, 1];
  return `free end at height ${fmt(-lengths[0] * Math.cos(t1) - lengths[1] * Math.cos(t1 + t2), 3)} (target ${fmt(num(scene.target_height) || 1)})`;
}

/** The legend under each of these drawings. */
export function gymLegend(scene) {
  const item = (cls, text) => el('span', { class: 'key' }, el('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), text);
  if (scene.kind === 'taxi') {
    const letters = padLetters(scene);
    return el(
      'p',
      { class: 'legend small' },
      ...['sw-taxi-r', 'sw-taxi-g', 'sw-taxi-y', 'sw-taxi-b'].slice(0, letters.length).map((cls, i) => item(cls, `pad ${letters[i]}`)),
      item('sw-taxi-dest', 'destination (framed)'),
      item('sw-taxi-wall', 'wall'),
      item('sw-taxi-empty', 'taxi, empty'),
      item('sw-taxi-full', 'taxi with the passenger'),
      item('sw-agent', 'passenger waiting'),
      item('sw-path', 'path so far'),
    );
  }
  if (scene.kind === 'mountain_car') {
    return el('p', { class: 'muted small legend' }, 'The track y = sin(3x)·0.45 + 0.55 for x from ', fmt(num(scene.min_position)), ' to ', fmt(num(scene.max_position)), '; the flag at x = ', fmt(num(scene.goal_position)), '; red arrow: the car’s velocity (full length at ', fmt(num(scene.max_speed)), ').');
  }
  return el('p', { class: 'muted small legend' }, 'Cyan: the two links from the fixed joint (yellow discs: the joints); black line: the target height the free end must rise above; blue trace: the free end’s last 30 steps.');
}
