/**
 * sin and cos of small angles, bit for bit what `Math.sin` / `Math.cos` answer, without the
 * call into the engine's C library: CartPole's hot loop takes both of the pole angle, which
 * almost always lies well inside (-0.29, 0.29) rad (episodes terminate at 12 degrees).
 *
 * V8 (Node 20's included) computes Math.sin and Math.cos with FreeBSD's fdlibm
 * (src/base/ieee754.cc). For 2^-27 <= |x| <= pi/4 fdlibm's sin(x) is __kernel_sin(x, 0, 0)
 * and for 2^-27 <= |x| < 0.3 its cos(x) is the first branch of __kernel_cos(x, 0): the
 * polynomials below, with the same constants and the same float64 operations in the same
 * order (JavaScript arithmetic is IEEE 754 double with no fused multiply-add), so the results
 * are identical. Outside [SMALL_ANGLE_MIN, SMALL_ANGLE_MAX) callers use Math.sin / Math.cos.
 *
 * The module checks the identity against the engine it runs on when it is loaded (a few
 * hundred angles across the range); on an engine whose Math.sin or Math.cos differs (another
 * libm), SMALL_ANGLE_MAX is 0, so every caller takes Math.sin / Math.cos and results stay
 * what the engine's own functions give.
 */

// fdlibm k_sin.c (exported for the WebAssembly kernel, src/core/envs/cartpole-simd.ts)
export const S1 = -1.66666666666666324348e-1;
export const S2 = 8.33333333332248946124e-3;
export const S3 = -1.98412698298579493134e-4;
export const S4 = 2.75573137070700676789e-6;
export const S5 = -2.50507602534068634195e-8;
export const S6 = 1.58969099521155010221e-10;
// fdlibm k_cos.c
export const C1 = 4.16666666666666019037e-2;
export const C2 = -1.38888888888741095749e-3;
export const C3 = 2.48015872894767294178e-5;
export const C4 = -2.75573143513906633035e-7;
export const C5 = 2.08757232129817482790e-9;
export const C6 = -1.13596475577881948265e-11;

/** fdlibm's tiny-argument cut-off (high word 0x3E400000): below it sin(x) = x, cos(x) = 1. */
export const SMALL_ANGLE_MIN = 2 ** -27;
/** The cut-off used here; under fdlibm's 0.3 (high word 0x3FD33333), where __kernel_cos changes branch. */
const SMALL_ANGLE_LIMIT = 0.29;

/** fdlibm's sin for SMALL_ANGLE_MIN <= |x| < SMALL_ANGLE_MAX (other x: not Math.sin). */
export function sinSmall(x: number): number {
  const z = x * x;
  const v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  return x + v * (S1 + z * r);
}

/** fdlibm's cos for SMALL_ANGLE_MIN <= |x| < SMALL_ANGLE_MAX (other x: not Math.cos). */
export function cosSmall(x: number): number {
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  // __kernel_cos(x, y) with y = 0: one - (0.5 * z - (z * r - x * y)); z * r - x * 0 is z * r here.
  return 1 - (0.5 * z - z * r);
}

/** Whether sinSmall and cosSmall equal Math.sin and Math.cos on a spread of angles of both signs. */
function matchesEngine(): boolean {
  const lnMin = Math.log(SMALL_ANGLE_MIN);
  const lnMax = Math.log(SMALL_ANGLE_LIMIT);
  const count = 256;
  for (let k = 0; k < count; k++) {
    // Log-spaced magnitudes over the whole range, then evenly spaced ones where CartPole lives.
    const a = k < count / 2
      ? Math.exp(lnMin + ((lnMax - lnMin) * k) / (count / 2))
      : (SMALL_ANGLE_LIMIT * (k - count / 2 + 0.5)) / (count / 2);
    for (const x of [a, -a]) {
      if (!(Math.abs(x) >= SMALL_ANGLE_MIN && Math.abs(x) < SMALL_ANGLE_LIMIT)) continue;
      if (!Object.is(sinSmall(x), Math.sin(x)) || !Object.is(cosSmall(x), Math.cos(x))) return false;
    }
  }
  return true;
}

/**
 * Upper bound (exclusive) of |x| for sinSmall / cosSmall: 0.29, or 0 when this engine's
 * Math.sin / Math.cos are not fdlibm's (then no x qualifies).
 */
export const SMALL_ANGLE_MAX = matchesEngine() ? SMALL_ANGLE_LIMIT : 0;
