/**
 * NumPy's default random generator, bit for bit: `np.random.Generator(np.random.PCG64(
 * np.random.SeedSequence(seed)))`, which is what Gymnasium's `env.np_random` is after
 * `reset(seed=seed)`. SeedSequence's hash mixes the seed into a 4-word pool and draws the
 * 128-bit PCG state and increment from it; PCG64 (XSL-RR 128/64) gives 64-bit outputs;
 * `random()` and `uniform()` use the top 53 bits as NumPy does.
 *
 * 128-bit arithmetic is done with BigInt: a draw allocates, so this is for resets (a few
 * draws per episode), not for per-step use.
 */

const MASK32 = 0xffffffffn;
const MASK64 = (1n << 64n) - 1n;
const MASK128 = (1n << 128n) - 1n;
/** PCG's 128-bit LCG multiplier (PCG_DEFAULT_MULTIPLIER_128). */
const PCG_MULT = 0x2360ed051fc65da44385df649fccf645n;

// SeedSequence's constants (numpy/random/bit_generator.pyx).
const POOL_SIZE = 4;
const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const XSHIFT = 16;

/** A non-negative integer seed as little-endian 32-bit words (NumPy's _coerce_to_uint32_array). */
function seedWords(seed: number): number[] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer in [0, 2^53), got ${seed}`);
  const words: number[] = [];
  let rest = BigInt(seed);
  do {
    words.push(Number(rest & MASK32));
    rest >>= 32n;
  } while (rest > 0n);
  return words;
}

/** SeedSequence(entropy=seed).generate_state(nWords32) as uint32 words. */
export function seedSequenceState(seed: number, nWords32: number): Uint32Array {
  const entropy = seedWords(seed);
  let hashConst = INIT_A;
  const hashmix = (value: number): number => {
    value = (value ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, MULT_A) >>> 0;
    value = Math.imul(value, hashConst) >>> 0;
    return (value ^ (value >>> XSHIFT)) >>> 0;
  };
  const mix = (x: number, y: number): number => {
    const r = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
    return (r ^ (r >>> XSHIFT)) >>> 0;
  };
  const pool = new Uint32Array(POOL_SIZE);
  for (let i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(i < entropy.length ? entropy[i] : 0);
  for (let src = 0; src < POOL_SIZE; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
  }
  for (let src = POOL_SIZE; src < entropy.length; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst], hashmix(entropy[src]));
  }
  const out = new Uint32Array(nWords32);
  let h = INIT_B;
  for (let i = 0; i < nWords32; i++) {
    let v = (pool[i % POOL_SIZE] ^ h) >>> 0;
    h = Math.imul(h, MULT_B) >>> 0;
    v = Math.imul(v, h) >>> 0;
    out[i] = (v ^ (v >>> XSHIFT)) >>> 0;
  }
  return out;
}

/** A NumPy Generator over PCG64, seeded as `np.random.default_rng(seed)`. */
export class NumpyGenerator {
  /** Words of a saved state (saveTo / loadFrom): the 128-bit state, then the 128-bit increment, 32 bits each, low first. */
  readonly stateWords = 8;
  /** The state and increment as saveTo writes them; the arithmetic runs on BigInts made from them. */
  private readonly words = new Uint32Array(8);

  constructor(seed: number) {
    this.seed(seed);
  }

  /** Restarts from `seed` (an integer in [0, 2^53)). */
  seed(seed: number): void {
    const w = seedSequenceState(seed, 8);
    // generate_state(4, uint64): little-endian pairs of words; state = v0 << 64 | v1, inc = v2 << 64 | v3.
    const u64 = (k: number) => (BigInt(w[2 * k + 1]) << 32n) | BigInt(w[2 * k]);
    const initState = (u64(0) << 64n) | u64(1);
    const initSeq = (u64(2) << 64n) | u64(3);
    const inc = ((initSeq << 1n) | 1n) & MASK128;
    let state = (0n * PCG_MULT + inc) & MASK128;
    state = (state + initState) & MASK128;
    state = (state * PCG_MULT + inc) & MASK128;
    this.store(state, inc);
  }

  private store(state: bigint, inc: bigint): void {
    for (let k = 0; k < 4; k++) {
      this.words[k] = Number((state >> BigInt(32 * k)) & MASK32);
      this.words[4 + k] = Number((inc >> BigInt(32 * k)) & MASK32);
    }
  }

  private load(offset: number): bigint {
    const w = this.words;
    return (BigInt(w[offset + 3]) << 96n) | (BigInt(w[offset + 2]) << 64n) | (BigInt(w[offset + 1]) << 32n) | BigInt(w[offset]);
  }

  /** The next 64-bit output: the state advances, then XSL-RR of the new state. */
  nextUint64(): bigint {
    const inc = this.load(4);
    const state = (this.load(0) * PCG_MULT + inc) & MASK128;
    this.store(state, inc);
    const hi = state >> 64n;
    const x = (hi ^ state) & MASK64;
    const rot = hi >> 58n;
    return ((x >> rot) | (x << ((64n - rot) & 63n))) & MASK64;
  }

  /** `random()`: a float64 in [0, 1) from the top 53 bits. */
  random(): number {
    return Number(this.nextUint64() >> 11n) / 9007199254740992;
  }

  /** `uniform(low, high)`: low + (high - low) * random(). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** Writes the state's stateWords words at into[offset...] (no allocation). */
  saveTo(into: Float64Array, offset: number): void {
    for (let k = 0; k < 8; k++) into[offset + k] = this.words[k];
  }

  /** Restores saveTo's words; false (unchanged) unless they are 32-bit unsigned integers with an odd increment. */
  loadFrom(from: ArrayLike<number>, offset: number): boolean {
    for (let k = 0; k < 8; k++) {
      const x = from[offset + k];
      if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) return false;
    }
    if ((from[offset + 4] & 1) === 0) return false;
    for (let k = 0; k < 8; k++) this.words[k] = from[offset + k];
    return true;
  }
}
