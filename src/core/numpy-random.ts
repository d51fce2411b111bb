/**
 * NumPy's default random generator, bit for bit: `np.random.Generator(np.random.PCG64(
 * np.random.SeedSequence(seed)))`, which is what Gymnasium's `env.np_random` is after
 * `reset(seed=seed)`. SeedSequence's hash mixes the seed into a 4-word pool and draws the
 * 128-bit PCG state and increment from it; PCG64 (XSL-RR 128/64) gives 64-bit outputs;
 * `random()` and `uniform()` use the top 53 bits as NumPy does; 32-bit draws (`integers`)
 * split a 64-bit output in two halves, low half first, and keep the high half buffered as
 * NumPy's PCG64 does (has_uint32 / uinteger).
 *
 * Seeding uses BigInt (allocates); every draw runs on 24-bit limbs in local float64
 * arithmetic (exact) and allocates nothing, so per-step use is fine. pcg64Seed and
 * pcg64Uniform do the same on generator states kept side by side in one Uint32Array (a
 * batch of env copies), without a NumpyGenerator object per copy.
 */

const MASK32 = 0xffffffffn;
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

/** PCG_DEFAULT_MULTIPLIER_128 as six 24-bit limbs, low first (the top one holds 8 bits). */
const [L0, L1, L2, L3, L4, L5] = Array.from({ length: 6 }, (_, k) => Number((PCG_MULT >> BigInt(24 * k)) & 0xffffffn));
const TWO_POW_53 = 9007199254740992;
const TWO_POW_MINUS_24 = 1 / 16777216;
const UINT32_MAX = 0xffffffff;

/**
 * Seeds the PCG64 generator whose 8 words (the 128-bit state, then the 128-bit increment,
 * 32 bits each, low first: NumpyGenerator.saveTo's layout) are into[offset, offset + 8), as
 * `np.random.default_rng(seed)` seeds it. Uses BigInt (allocates).
 */
export function pcg64Seed(seed: number, into: Uint32Array, offset: number): void {
  const w = seedSequenceState(seed, 8);
  // generate_state(4, uint64): little-endian pairs of words; state = v0 << 64 | v1, inc = v2 << 64 | v3.
  const u64 = (k: number) => (BigInt(w[2 * k + 1]) << 32n) | BigInt(w[2 * k]);
  const initState = (u64(0) << 64n) | u64(1);
  const initSeq = (u64(2) << 64n) | u64(3);
  const inc = ((initSeq << 1n) | 1n) & MASK128;
  let state = (0n * PCG_MULT + inc) & MASK128;
  state = (state + initState) & MASK128;
  state = (state * PCG_MULT + inc) & MASK128;
  for (let k = 0; k < 4; k++) {
    into[offset + k] = Number((state >> BigInt(32 * k)) & MASK32);
    into[offset + 4 + k] = Number((inc >> BigInt(32 * k)) & MASK32);
  }
}

/**
 * Whether from[offset, offset + 8) is a PCG64 state pcg64Seed or NumpyGenerator.saveTo could
 * have written: 32-bit unsigned integers with an odd increment.
 */
export function isPcg64State(from: ArrayLike<number>, offset: number): boolean {
  for (let k = 0; k < 8; k++) {
    const x = from[offset + k];
    if (!Number.isInteger(x) || x < 0 || x > UINT32_MAX) return false;
  }
  return (from[offset + 4] & 1) === 1;
}

/**
 * `count` draws of `uniform(low, high)` (low + (high - low) * random()) from the PCG64
 * generator whose 8 words are words[o, o + 8) (pcg64Seed's layout), into
 * out[outOffset, outOffset + count): what a NumpyGenerator in that state answers to `count`
 * uniform calls, bit for bit, and the words advance as its state does. Generators of many
 * copies can live side by side in one array. Allocates nothing.
 */
export function pcg64Uniform(words: Uint32Array, o: number, low: number, high: number, out: Float64Array, outOffset: number, count: number): void {
  pcg64Advance(words, o, count, low, high, out, outOffset);
}

/** The 64-bit output of the last draw of pcg64Advance: its high and low 32 bits (an array: module variables would box them). */
const lastOutput = new Uint32Array(2);

/**
 * Advances the PCG64 generator at words[o, o + 8) `count` times (state = state * MULT + inc
 * mod 2^128, then XSL-RR of the new state: NumPy's next_uint64), writing each output as a
 * uniform(low, high) draw into out[outOffset + k] when `out` is given; lastOutput holds the
 * last 64-bit output. The one implementation of the generator's step, for pcg64Uniform and
 * NumpyGenerator alike.
 *
 * The state is unpacked into 24-bit limbs (low first; the top limb holds 8 bits) once,
 * advanced in local float64 arithmetic and packed back once. The schoolbook product mod
 * 2^128 goes column by column (each column < 6 * 2^48 + 2^28 < 2^53, exact in float64), plus
 * the increment's limb and the carry. The carry is a floor of a product by 2^-24 (exact), not
 * a float modulo (a C call). Every partial sum is an integer below 2^53, so the order of the
 * additions does not change the column; the carry comes last, so the products need not wait
 * for the previous column.
 */
function pcg64Advance(words: Uint32Array, o: number, count: number, low: number, high: number, out: Float64Array | undefined, outOffset: number): void {
  const w0 = words[o], w1 = words[o + 1], w2 = words[o + 2], w3 = words[o + 3];
  const i0 = words[o + 4], i1 = words[o + 5], i2 = words[o + 6], i3 = words[o + 7];
  // State and increment as 24-bit limbs, low first (the top limb holds 8 bits).
  let a0 = w0 & 0xffffff;
  let a1 = (w0 >>> 24) | ((w1 & 0xffff) << 8);
  let a2 = (w1 >>> 16) | ((w2 & 0xff) << 16);
  let a3 = w2 >>> 8;
  let a4 = w3 & 0xffffff;
  let a5 = w3 >>> 24;
  const c0 = i0 & 0xffffff;
  const c1 = (i0 >>> 24) | ((i1 & 0xffff) << 8);
  const c2 = (i1 >>> 16) | ((i2 & 0xff) << 16);
  const c3 = i2 >>> 8;
  const c4 = i3 & 0xffffff;
  const c5 = i3 >>> 24;
  const span = high - low;
  for (let k = 0; k < count; k++) {
    let col = a0 * L0 + c0;
    let carry = Math.floor(col * TWO_POW_MINUS_24);
    const r0 = col - carry * 16777216;
    col = a0 * L1 + a1 * L0 + c1 + carry;
    carry = Math.floor(col * TWO_POW_MINUS_24);
    const r1 = col - carry * 16777216;
    col = a0 * L2 + a1 * L1 + a2 * L0 + c2 + carry;
    carry = Math.floor(col * TWO_POW_MINUS_24);
    const r2 = col - carry * 16777216;
    col = a0 * L3 + a1 * L2 + a2 * L1 + a3 * L0 + c3 + carry;
    carry = Math.floor(col * TWO_POW_MINUS_24);
    const r3 = col - carry * 16777216;
    col = a0 * L4 + a1 * L3 + a2 * L2 + a3 * L1 + a4 * L0 + c4 + carry;
    carry = Math.floor(col * TWO_POW_MINUS_24);
    const r4 = col - carry * 16777216;
    col = a0 * L5 + a1 * L4 + a2 * L3 + a3 * L2 + a4 * L1 + a5 * L0 + c5 + carry;
    // The low 8 bits: & truncates the (integer, < 2^53) column modulo 2^32 exactly; a float % is a C call.
    const r5 = col & 0xff;
    a0 = r0;
    a1 = r1;
    a2 = r2;
    a3 = r3;
    a4 = r4;
    a5 = r5;
    // XSL-RR: (high 64 ^ low 64) of the new state rotated right by its top 6 bits.
    const s0 = r0 | (r1 << 24);
    const s1 = (r1 >>> 8) | (r2 << 16);
    const s2 = (r2 >>> 16) | (r3 << 8);
    const s3 = r4 | (r5 << 24);
    const xh = s3 ^ s1;
    const xl = s2 ^ s0;
    const rot = (s3 >>> 26) & 31;
    // rot >= 32 (the state's top bit) swaps the halves first; then a rotation by rot < 32,
    // written without branches: (x << 1) << (31 - rot) is x << (32 - rot), and 0 for rot = 0.
    const swap = (xh ^ xl) & (s3 >> 31);
    const h = xh ^ swap;
    const l = xl ^ swap;
    const hi = ((h >>> rot) | ((l << 1) << (31 - rot))) >>> 0;
    const lo = ((l >>> rot) | ((h << 1) << (31 - rot))) >>> 0;
    // random(): the top 53 bits of the output.
    if (out !== undefined) out[outOffset + k] = low + span * ((hi * 2097152 + (lo >>> 11)) / TWO_POW_53);
    if (k === count - 1) {
      lastOutput[0] = hi;
      lastOutput[1] = lo;
    }
  }
  words[o] = a0 | (a1 << 24);
  words[o + 1] = (a1 >>> 8) | (a2 << 16);
  words[o + 2] = (a2 >>> 16) | (a3 << 8);
  words[o + 3] = a4 | (a5 << 24);
}

/** A NumPy Generator over PCG64, seeded as `np.random.default_rng(seed)`. */
export class NumpyGenerator {
  /** Words of a saved state (saveTo / loadFrom): the 128-bit state, then the 128-bit increment, 32 bits each, low first. */
  readonly stateWords = 8;
  /** Words of the saved 32-bit buffer (saveBufferTo / loadBufferFrom): [has_uint32 (0 | 1), uinteger]. */
  readonly bufferWords = 2;
  /** The state and increment as saveTo writes them. */
  private readonly words = new Uint32Array(8);
  /** The last 64-bit output, high and low 32 bits. */
  private outHi = 0;
  private outLo = 0;
  /** NumPy's PCG64 has_uint32 / uinteger: the buffered high half of a 64-bit output. */
  private hasUint32 = false;
  private uinteger = 0;

  constructor(seed: number) {
    this.seed(seed);
  }

  /** Restarts from `seed` (an integer in [0, 2^53)); the 32-bit buffer is emptied, as a new NumPy generator's is. */
  seed(seed: number): void {
    pcg64Seed(seed, this.words, 0);
    this.hasUint32 = false;
    this.uinteger = 0;
  }

  /** Advances the LCG (state = state * MULT + inc mod 2^128) and sets outHi/outLo to XSL-RR of the new state. */
  private advance(): void {
    pcg64Advance(this.words, 0, 1, 0, 1, undefined, 0);
    this.outHi = lastOutput[0];
    this.outLo = lastOutput[1];
  }

  /** The next 64-bit output (next_uint64), as a BigInt (allocates; for tests and tools). */
  nextUint64(): bigint {
    this.advance();
    return (BigInt(this.outHi) << 32n) | BigInt(this.outLo);
  }

  /** next_uint32: the buffered high half of the last 64-bit output if there is one, else the low half of a new one (whose high half is buffered). */
  nextUint32(): number {
    if (this.hasUint32) {
      this.hasUint32 = false;
      return this.uinteger;
    }
    this.advance();
    this.hasUint32 = true;
    this.uinteger = this.outHi;
    return this.outLo;
  }

  /** `random()`: a float64 in [0, 1) from the top 53 bits of a 64-bit output (the 32-bit buffer is untouched). */
  random(): number {
    this.advance();
    return (this.outHi * 2097152 + (this.outLo >>> 11)) / TWO_POW_53;
  }

  /** `uniform(low, high)`: low + (high - low) * random(). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /**
   * `integers(low, high)` (dtype int64, high exclusive) for ranges of at most 2^32 values:
   * no draw for a single value, a raw 32-bit draw for exactly 2^32, otherwise Lemire's
   * rejection method on 32-bit draws (NumPy's buffered_bounded_lemire_uint32).
   */
  integers(low: number, high: number): number {
    const span = high - low;
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || span < 1 || span > 2 ** 32) {
      throw new RangeError(`integers(low, high) needs integers with 1 <= high - low <= 2^32, got ${low}, ${high}`);
    }
    const rng = span - 1;
    if (rng === 0) return low;
    if (rng === UINT32_MAX) return low + this.nextUint32();
    const rngExcl = span;
    let x = this.nextUint32();
    // m = x * rngExcl as a 64-bit product: leftover is its low 32 bits, the result its high 32.
    let leftover = Math.imul(x, rngExcl) >>> 0;
    if (leftover < rngExcl) {
      const threshold = (UINT32_MAX - rng) % rngExcl;
      while (leftover < threshold) {
        x = this.nextUint32();
        leftover = Math.imul(x, rngExcl) >>> 0;
      }
    }
    return low + mulHigh32(x, rngExcl);
  }

  /**
   * `choice(len(p), size=count, p=p)` (with replacement) as indices into `out[0, count)`:
   * cdf = cumsum(p) / cdf[-1], one random() per index in order, index = the number of cdf
   * entries <= the draw (searchsorted side='right'). `p` must be non-negative and sum to 1
   * within sqrt(float64 eps), as NumPy checks.
   */
  choiceIndices(p: ArrayLike<number>, count: number, out: Int32Array): void {
    const n = p.length;
    if (n < 1) throw new RangeError('choice: p must not be empty');
    const cdf = new Float64Array(n);
    let acc = 0;
    for (let k = 0; k < n; k++) {
      if (!(p[k] >= 0)) throw new RangeError('choice: probabilities must be non-negative');
      acc += p[k];
      cdf[k] = acc;
    }
    if (Math.abs(acc - 1) > Math.sqrt(Number.EPSILON)) throw new RangeError('choice: probabilities do not sum to 1');
    const last = cdf[n - 1];
    for (let k = 0; k < n; k++) cdf[k] /= last;
    for (let c = 0; c < count; c++) {
      const u = this.random();
      let idx = 0;
      while (idx < n && cdf[idx] <= u) idx++;
      out[c] = idx;
    }
  }

  /** Writes the state's stateWords words at into[offset...] (no allocation). */
  saveTo(into: Float64Array, offset: number): void {
    for (let k = 0; k < 8; k++) into[offset + k] = this.words[k];
  }

  /**
   * Restores saveTo's words and empties the 32-bit buffer (loadBufferFrom puts a saved one
   * back); false (unchanged) unless they are 32-bit unsigned integers with an odd increment.
   */
  loadFrom(from: ArrayLike<number>, offset: number): boolean {
    if (!isPcg64State(from, offset)) return false;
    for (let k = 0; k < 8; k++) this.words[k] = from[offset + k];
    this.hasUint32 = false;
    this.uinteger = 0;
    return true;
  }

  /** Writes the 32-bit buffer's bufferWords words, [has_uint32, uinteger], at into[offset...]. */
  saveBufferTo(into: Float64Array, offset: number): void {
    into[offset] = this.hasUint32 ? 1 : 0;
    into[offset + 1] = this.uinteger;
  }

  /** Restores saveBufferTo's words; false (unchanged) unless they are a 0/1 flag and a 32-bit unsigned integer. */
  loadBufferFrom(from: ArrayLike<number>, offset: number): boolean {
    const has = from[offset];
    const value = from[offset + 1];
    if ((has !== 0 && has !== 1) || !Number.isInteger(value) || value < 0 || value > UINT32_MAX) return false;
    this.hasUint32 = has === 1;
    this.uinteger = value;
    return true;
  }
}

/** The high 32 bits of the 64-bit product of two uint32s, exactly. */
function mulHigh32(x: number, y: number): number {
  const xl = x & 0xffff;
  const xh = x >>> 16;
  const p1 = xl * y; // < 2^48
  const p2 = xh * y; // < 2^48; the product is p2 * 2^16 + p1
  const p2Low = p2 % 65536;
  return (p2 - p2Low) / 65536 + Math.floor((p2Low * 65536 + p1) / 4294967296);
}
