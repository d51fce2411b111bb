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
  private state = 0n;
  private inc = 1n;

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
    this.state = 0n;
    this.inc = ((initSeq << 1n) | 1n) & MASK128;
    this.step();
    this.state = (this.state + initState) & MASK128;
    this.step();
  }

  private step(): void {
    this.state = (this.state * PCG_MULT + this.inc) & MASK128;
  }

  /** The next 64-bit output (XSL-RR of the advanced state). */
  nextUint64(): bigint {
    this.step();
    const hi = this.state >> 64n;
    const x = (hi ^ this.state) & MASK64;
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

  /** The generator's state and increment as hex strings (for snapshots). */
  getState(): [string, string] {
    return [this.state.toString(16), this.inc.toString(16)];
  }

  /** Restores getState's value; false (unchanged) unless it is two hex strings of at most 128 bits with an odd increment. */
  setState(value: unknown): boolean {
    if (!Array.isArray(value) || value.length !== 2 || !value.every((x) => typeof x === 'string' && /^[0-9a-f]{1,32}$/.test(x))) return false;
    const inc = BigInt(`0x${value[1]}`);
    if ((inc & 1n) === 0n) return false;
    this.state = BigInt(`0x${value[0]}`);
    this.inc = inc;
    return true;
  }
}
