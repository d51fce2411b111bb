import type { RgbFrame } from '../types.js';

/** An RGB colour, 0..255 each. */
export type Rgb = readonly [number, number, number];

/**
 * A small RGB canvas for the ports' rgb_array frames: pixel coordinates, x right, y down,
 * (0, 0) the top-left pixel. Shapes are filled where a pixel's centre falls inside them;
 * anything outside the canvas is clipped.
 */
export class Raster {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.data = new Uint8Array(width * height * 3);
    for (let k = 0; k < width * height; k++) this.data.set(background, 3 * k);
  }

  /** The frame (shares this canvas's bytes). */
  frame(): RgbFrame {
    return { width: this.width, height: this.height, data: this.data };
  }

  pixel(x: number, y: number, rgb: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.data.set(rgb, 3 * (y * this.width + x));
  }

  /** Pixels x in [x0, x1), y in [y0, y1). */
  rect(x0: number, y0: number, x1: number, y1: number, rgb: Rgb): void {
    const xa = Math.max(0, Math.round(x0));
    const xb = Math.min(this.width, Math.round(x1));
    const ya = Math.max(0, Math.round(y0));
    const yb = Math.min(this.height, Math.round(y1));
    for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) this.data.set(rgb, 3 * (y * this.width + x));
  }

  /** A disc of centre (cx, cy) and radius r, pixels. */
  disc(cx: number, cy: number, r: number, rgb: Rgb): void {
    for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) {
      for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        if (dx * dx + dy * dy <= r * r) this.pixel(x, y, rgb);
      }
    }
  }

  /** A segment from (x0, y0) to (x1, y1) drawn `thickness` pixels wide, with round ends. */
  line(x0: number, y0: number, x1: number, y1: number, thickness: number, rgb: Rgb): void {
    const h = thickness / 2;
    const vx = x1 - x0;
    const vy = y1 - y0;
    const len2 = vx * vx + vy * vy;
    for (let y = Math.floor(Math.min(y0, y1) - h); y <= Math.ceil(Math.max(y0, y1) + h); y++) {
      for (let x = Math.floor(Math.min(x0, x1) - h); x <= Math.ceil(Math.max(x0, x1) + h); x++) {
        const px = x + 0.5 - x0;
        const py = y + 0.5 - y0;
        const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, (px * vx + py * vy) / len2));
        const dx = px - t * vx;
        const dy = py - t * vy;
        if (dx * dx + dy * dy <= h * h) this.pixel(x, y, rgb);
      }
    }
  }

  /** A polyline through (xs[k], ys[k]). */
  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, thickness: number, rgb: Rgb): void {
    for (let k = 1; k < xs.length; k++) this.line(xs[k - 1], ys[k - 1], xs[k], ys[k], thickness, rgb);
  }
}

/** Colours shared by the grid drawings. */
export const COLORS = {
  grid: [150, 150, 150],
  agent: [35, 35, 45],
  frozen: [205, 230, 245],
  start: [140, 175, 235],
  hole: [40, 60, 110],
  goal: [80, 180, 90],
  cliff: [220, 80, 70],
  floor: [235, 235, 235],
  wall: [60, 60, 60],
} as const satisfies Record<string, Rgb>;

/**
 * A grid of `rows` x `cols` cells of `px` pixels with 1 px lines, each cell filled with
 * `fill(row, col)`, and the agent as a dark disc on (agentRow, agentCol).
 */
export function drawGrid(rows: number, cols: number, px: number, fill: (row: number, col: number) => Rgb, agentRow: number, agentCol: number): Raster {
  const r = new Raster(cols * px + 1, rows * px + 1, COLORS.grid);
  for (let row = 0; row < rows; row++) for (let col = 0; col < cols; col++) r.rect(col * px + 1, row * px + 1, (col + 1) * px, (row + 1) * px, fill(row, col));
  r.disc((agentCol + 0.5) * px + 0.5, (agentRow + 0.5) * px + 0.5, px * 0.3, COLORS.agent);
  return r;
}
