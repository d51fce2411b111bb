// Drawing helpers shared by the episode player and the Q heat map for scenes of kind "grid"
// (EvaluateResponse.scene: width, height, rows of '.', 'H', 'S', 'G').

export const GRID_COLORS = {
  standard: '#f3f2ec',
  hazard: '#d9534f',
  start: '#8ec1e6',
  goal: '#4caf50',
  line: '#c9c7bd',
  agent: '#1b1b1b',
  path: 'rgba(0, 90, 200, 0.55)',
  dark: 'rgba(20, 20, 28, 0.86)',
};

/** Sizes a canvas for the screen's pixel ratio; returns its 2D context scaled to CSS pixels. */
export function sizeCanvas(canvas, width, height) {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** Cell size for a grid of `width` columns in at most `maxWidth` CSS pixels. */
export function cellSize(width, height, maxWidth = 720, maxHeight = 520) {
  return Math.max(8, Math.min(48, Math.floor(maxWidth / width), Math.floor(maxHeight / height)));
}

/** The kind of cell at (r, c) of a grid scene: 'standard' | 'hazard' | 'start' | 'goal' | 'off'. */
export function cellKind(scene, r, c) {
  if (r < 0 || c < 0 || r >= scene.height || c >= scene.width) return 'off';
  const ch = scene.rows?.[r]?.[c] ?? '.';
  return ch === 'H' ? 'hazard' : ch === 'G' ? 'goal' : ch === 'S' ? 'start' : 'standard';
}

/**
 * Paints the cells of a grid scene.
 * @param {(kind: string, r: number, c: number) => string} [colorOf]
 */
export function paintCells(ctx, scene, cs, colorOf = (kind) => GRID_COLORS[kind]) {
  for (let r = 0; r < scene.height; r++) {
    for (let c = 0; c < scene.width; c++) {
      ctx.fillStyle = colorOf(cellKind(scene, r, c), r, c);
      ctx.fillRect(c * cs, r * cs, cs, cs);
    }
  }
  ctx.strokeStyle = GRID_COLORS.line;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let r = 0; r <= scene.height; r++) {
    ctx.moveTo(0, r * cs + 0.5);
    ctx.lineTo(scene.width * cs, r * cs + 0.5);
  }
  for (let c = 0; c <= scene.width; c++) {
    ctx.moveTo(c * cs + 0.5, 0);
    ctx.lineTo(c * cs + 0.5, scene.height * cs);
  }
  ctx.stroke();
}

/** Letters S and G on their cells (colour is not the only cue). */
export function markCells(ctx, scene, cs, kinds = ['start', 'goal']) {
  if (cs < 14) return;
  ctx.font = `bold ${Math.round(cs * 0.5)}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let r = 0; r < scene.height; r++) {
    for (let c = 0; c < scene.width; c++) {
      const kind = cellKind(scene, r, c);
      if (!kinds.includes(kind)) continue;
      ctx.fillStyle = kind === 'hazard' ? 'rgba(255,255,255,0.85)' : '#10321a';
      ctx.fillText(kind === 'goal' ? 'G' : kind === 'start' ? 'S' : 'H', c * cs + cs / 2, r * cs + cs / 2 + 1);
    }
  }
}

