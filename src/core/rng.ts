/**
 * Seeded PRNG: xoshiro128** seeded through SplitMix32, so any integer seed (up to 2^53)
 * gives a reproducible stream. Allocation-free after construction.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Restarts the stream from `seed` (an integer; the low 53 bits are used). */
  seed(seed: number): void {
    let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) >>> 0, 0x9e3779b9);
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The generator's state: four 32-bit words (for snapshots). */
  getState(): [number, number, number, number] {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** Restores getState's words; false (state unchanged) unless they are 4 32-bit integers, not all zero. */
  setState(state: unknown): boolean {
    if (!Array.isArray(state) || state.length !== 4 || !state.every((x) => Number.isInteger(x) && x >= -0x80000000 && x <= 0xffffffff)) return false;
    if (state.every((x) => x === 0)) return false;
    [this.s0, this.s1, this.s2, this.s3] = state.map((x: number) => x | 0);
    return true;
  }

  /** Words of a saved state (saveTo / loadFrom). */
  readonly stateWords = 4;

  /** Writes the state's 4 words (as unsigned 32-bit integers) at into[offset...] (no allocation). */
  saveTo(into: Float64Array, offset: number): void {
    into[offset] = this.s0 >>> 0;
    into[offset + 1] = this.s1 >>> 0;
    into[offset + 2] = this.s2 >>> 0;
    into[offset + 3] = this.s3 >>> 0;
  }

  /** Restores saveTo's words (see setState). */
  loadFrom(from: ArrayLike<number>, offset: number): boolean {
    return this.setState([from[offset], from[offset + 1], from[offset + 2], from[offset + 3]]);
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float64 in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform float64 in [low, high); exactly `low` when low == high. */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.nextFloat();
  }

  /** Uniform integer in [0, n), n <= 2^32, without modulo bias. */
  nextInt(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    let r = this.nextUint32();
    while (r >= limit) r = this.nextUint32();
    return r % n;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
