/**
 * CartPoleBatch's physics passes in WebAssembly SIMD: the sin/cos pass and the
 * accelerations + integration pass of CartPoleBatch.stepKernel (src/core/envs/cartpole.ts),
 * two copies at a time in f64x2 lanes, with the same float64 operations in the same order
 * (WebAssembly has no implicit fused multiply-add; f64x2 arithmetic is IEEE per lane, and
 * f32x4.demote_f64x2_zero rounds as a Float32Array store does), so state, observations and
 * `terminated` are bit for bit the JS kernel's.
 *
 * A CartPoleSimd owns one WebAssembly.Memory of fixed size (never grown, so the typed-array
 * views below stay valid) holding, for M = numEnvs rounded up to even copies, at byte offsets:
 *   state        0      M * 32  float64 [M * 4], CartPoleBatch.state's layout
 *   observations M*32   M * 16  float32 [M * 4]
 *   trig         M*48   M * 16  float64 [M * 2]: per pair p of copies (2p, 2p + 1), sin of
 *                               both angles at [4p, 4p + 2), cos at [4p + 2, 4p + 4)
 *   actions      M*64   M * 4   int32 [M]: the action (1 = push right)
 *   terminated   M*68   M       uint8 [M]
 *   skip         M*69   M       uint8 [M]: stepWhere's mask
 * With an odd numEnvs the last pair's second copy is padding: it is read, and its entries
 * are written back unchanged (as a skipped copy's are), and it is not counted.
 */
import {
  compileModule,
  END,
  F64,
  f64c,
  get,
  I32,
  i32c,
  IF,
  moduleBytes,
  set,
  simd,
  until,
  uleb,
  V128,
  wasmApi,
  WASM_PAGE,
  type WasmFunction,
  type WasmMemory,
  type WasmModule,
} from '../wasm-assembler.js';
import { C1, C2, C3, C4, C5, C6, S1, S2, S3, S4, S5, S6 } from './small-angle-trig.js';


// i32 instructions.
const ADD = [0x6a];
const GE_S = [0x4e];
// SIMD instructions (memory ones take an alignment exponent and an offset).
const vload = (off: number) => [...simd(0x00), 4, ...uleb(off)];
const vstore = (off: number) => [...simd(0x0b), 4, ...uleb(off)];
const load64Zero = (off: number) => [...simd(0x5d), 3, ...uleb(off)];
const load64Lane1 = (off: number) => [...simd(0x57), 3, ...uleb(off), 1];
const load16Splat = (off: number) => [...simd(0x08), 1, ...uleb(off)];
const store16Lane0 = (off: number) => [...simd(0x59), 1, ...uleb(off), 0];
const vconst = (bytes: number[]) => [...simd(0x0c), ...bytes];
const shuffle = (lanes: number[]) => [...simd(0x0d), ...lanes];
const range = (from: number, n: number) => Array.from({ length: n }, (_, k) => from + k);
/** i8x16.shuffle taking 64-bit lane `a` of the first operand and lane `b` of the second. */
const pick64 = (a: number, b: number) => shuffle([...range(8 * a, 8), ...range(16 + 8 * b, 8)]);
const F64SPLAT = simd(0x14);
const I8NE = simd(0x24);
const I32EQ = simd(0x37);
const DLT = simd(0x49);
const DGT = simd(0x4a);
const DGE = simd(0x4c);
const VAND = simd(0x4e);
const VANDNOT = simd(0x4f);
const VOR = simd(0x50);
const BITSELECT = simd(0x52);
const DEMOTE = simd(0x5e);
const I64EXTEND_LOW_S = simd(0xc7);
const I64EXTRACT = (lane: number) => [...simd(0x1d), lane];
const I64SUB = simd(0xd1);
const DABS = simd(0xec);
const DADD = simd(0xf0);
const DSUB = simd(0xf1);
const DMUL = simd(0xf2);
const DDIV = simd(0xf3);
const I64ADD = [0x7c];
const WRAP = [0xa7];

/** 16 bytes, each `v`. */
const bytes16 = (v: number) => new Array<number>(16).fill(v);
/** The first 64-bit lane all ones, the second zero (the real copy of an odd last pair). */
const LANE0 = [...new Array<number>(8).fill(0xff), ...new Array<number>(8).fill(0)];
/** Odd bytes all ones: in a pair's skip bytes (a, b, a, b, ...), the padding copy b skipped. */
const SKIP_B = Array.from({ length: 16 }, (_, k) => (k & 1 ? 0xff : 0));

/**
 * trig(st, sc, pairs, tail, smallMin, smallMax) -> outside: for every pair of copies (and
 * the odd last copy when tail = 1), sin and cos of theta with sinSmall / cosSmall's
 * polynomials into the trig area; returns how many real copies have |theta| outside
 * [smallMin, smallMax) (their entries are to be replaced with Math.sin / Math.cos).
 */
function trigFunction(): WasmFunction {
  const [ST, SC, PAIRS, TAIL, SMIN, SMAX] = range(0, 6);
  const [p, ps, pc] = range(6, 3);
  const [th, z, cnt, smin, smax, one, half] = range(9, 7);
  const coef = range(16, 12); // S1..S6, C1..C6 splatted
  const [vs1, vs2, vs3, vs4, vs5, vs6, vc1, vc2, vc3, vc4, vc5, vc6] = coef;
  const mul = (a: number[], b: number[]) => [...a, ...b, ...DMUL];
  const add = (a: number[], b: number[]) => [...a, ...b, ...DADD];
  const Z = get(z);
  /** cs[0] + z * (cs[1] + z * (... + z * cs[last])), cs being locals. */
  const horner = (cs: number[]) => cs.slice(0, -1).reduceRight((acc, c) => add(get(c), mul(Z, acc)), get(cs[cs.length - 1]));
  const pair = (tail: boolean) => [
    ...get(ps), ...get(ps), ...load64Zero(16), ...load64Lane1(48), ...set(th),
    ...mul(get(th), get(th)), ...set(z),
    // sinSmall: x + v * (S1 + z * r), v = z * x, r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)))
    ...get(pc),
    ...add(get(th), mul(mul(Z, get(th)), horner([vs1, vs2, vs3, vs4, vs5, vs6]))),
    ...vstore(0),
    // cosSmall: 1 - (0.5 * z - z * r), r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))))
    ...get(pc),
    ...get(one),
    ...mul(get(half), Z),
    ...mul(Z, mul(Z, horner([vc1, vc2, vc3, vc4, vc5, vc6]))),
    ...DSUB, ...DSUB,
    ...vstore(16),
    // cnt -= !(|theta| < smallMax && |theta| >= smallMin) (lanes of -1), real copies only.
    ...get(cnt),
    ...vconst(tail ? LANE0 : bytes16(0xff)),
    ...get(th), ...DABS, ...get(smax), ...DLT, ...get(th), ...DABS, ...get(smin), ...DGE, ...VAND,
    ...VANDNOT, ...I64SUB, ...set(cnt),
  ];
  const splat = (v: number, local: number) => [...f64c(v), ...F64SPLAT, ...set(local)];
  const body = [
    ...[S1, S2, S3, S4, S5, S6, C1, C2, C3, C4, C5, C6].flatMap((v, k) => splat(v, coef[k])),
    ...splat(1, one), ...splat(0.5, half),
    ...get(SMIN), ...F64SPLAT, ...set(smin), ...get(SMAX), ...F64SPLAT, ...set(smax),
    ...get(ST), ...set(ps), ...get(SC), ...set(pc),
    ...until([...get(p), ...get(PAIRS), ...GE_S], [
      ...pair(false),
      ...get(p), ...i32c(1), ...ADD, ...set(p),
      ...get(ps), ...i32c(64), ...ADD, ...set(ps),
      ...get(pc), ...i32c(32), ...ADD, ...set(pc),
    ]),
    ...get(TAIL), ...IF, ...pair(true), ...END,
    ...get(cnt), ...I64EXTRACT(0), ...get(cnt), ...I64EXTRACT(1), ...I64ADD, ...WRAP,
  ];
  return { name: 'trig', params: [I32, I32, I32, I32, F64, F64], results: [I32], locals: [[3, I32], [7 + 12, V128]], body };
}

/**
 * step(st, obs, sc, act, term, skip, pairs, tail, forceMag, polemassLength, totalMass,
 * gravity, length, masspole, tau, xMax, thetaMax): stepKernel's passes 2a and 2b for every
 * pair of copies (and the odd last copy when tail = 1), reading sin and cos from the trig
 * area: accelerations, then explicit (`semiImplicit` false) or semi-implicit Euler, state,
 * float32 observations and `terminated`. `masked`: copies with skip[i] !== 0 keep their
 * state, observations and `terminated` (stepWhere).
 */
function stepFunction(name: string, semiImplicit: boolean, masked: boolean): WasmFunction {
  const [ST, OBS, SC, ACT, TERM, SKIP, PAIRS, TAIL] = range(0, 8);
  const [FM, PML, TM, G, L, MP, TAU, XMAX, THMAX] = range(8, 9);
  const [p, ps, po, pc, pa, pt, pk] = range(17, 7);
  const v = range(24, 30);
  const [fm, nfm, pml, tm, g, l, mp, tau, xmax, nxmax, thmax, nthmax, k43] = v;
  const [a0, b0, a1, b1, x, xd, th, thd, s, c, temp, tacc, nx, nxd, nth, nthd, sk] = v.slice(13);
  const op = (o: number[]) => (a: number[], b: number[]) => [...a, ...b, ...o];
  const mul = op(DMUL);
  const add = op(DADD);
  const sub = op(DSUB);
  const div = op(DDIV);

  const pair = (tail: boolean) => {
    const blend = masked || tail;
    // Skip bytes (a, b, a, b, ...) as 0x00 / 0xff.
    const skipBytes = masked
      ? [...get(pk), ...load16Splat(0), ...vconst(bytes16(0)), ...I8NE, ...(tail ? [...vconst(SKIP_B), ...VOR] : [])]
      : vconst(SKIP_B);
    /** old where the copy's skip byte (lane 0: a, 1: b) is set, else new. */
    const keep = (old: number[], nu: number[], copy: number) => [...old, ...nu, ...get(sk), ...get(sk), ...shuffle(bytes16(copy)), ...BITSELECT];
    const force = [
      ...get(fm), ...get(nfm),
      ...get(pa), ...load64Zero(0), ...vconst([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]), ...I32EQ, ...I64EXTEND_LOW_S,
      ...BITSELECT,
    ];
    const integrate = semiImplicit
      ? [
          ...add(get(xd), mul(get(tau), sub(get(temp), div(mul(mul(get(pml), get(tacc)), get(c)), get(tm))))), ...set(nxd),
          ...add(get(x), mul(get(tau), get(nxd))), ...set(nx),
          ...add(get(thd), mul(get(tau), get(tacc))), ...set(nthd),
          ...add(get(th), mul(get(tau), get(nthd))), ...set(nth),
        ]
      : [
          ...add(get(x), mul(get(tau), get(xd))), ...set(nx),
          ...add(get(xd), mul(get(tau), sub(get(temp), div(mul(mul(get(pml), get(tacc)), get(c)), get(tm))))), ...set(nxd),
          ...add(get(th), mul(get(tau), get(thd))), ...set(nth),
          ...add(get(thd), mul(get(tau), get(tacc))), ...set(nthd),
        ];
    /** Copy `copy`'s (lane) [first, second] of the new state. */
    const joined = (first: number, second: number, copy: number) => [...get(first), ...get(second), ...pick64(copy, copy)];
    const storeState = (off: number, first: number, second: number, old: number, copy: number) => [
      ...get(ps),
      ...(blend ? keep(get(old), joined(first, second, copy), copy) : joined(first, second, copy)),
      ...vstore(off),
    ];
    const obsOf = (copy: number) => [...joined(nx, nxd, copy), ...DEMOTE, ...joined(nth, nthd, copy), ...DEMOTE, ...pick64(0, 0)];
    const storeObs = (copy: number) => [
      ...get(po),
      ...(blend ? keep([...get(po), ...vload(16 * copy)], obsOf(copy), copy) : obsOf(copy)),
      ...vstore(16 * copy),
    ];
    const outside = (val: number, max: number, nmax: number) => [...get(val), ...get(nmax), ...DLT, ...get(val), ...get(max), ...DGT, ...VOR];
    // One byte per copy: lane 0's and lane 1's comparison masks, as 0 / 1.
    const termBytes = [
      // (x is free once the state is stored.)
      ...outside(nx, xmax, nxmax), ...outside(nth, thmax, nthmax), ...VOR, ...set(x),
      ...get(x), ...get(x), ...shuffle([0, 8, ...new Array<number>(14).fill(0)]),
      ...vconst(bytes16(1)), ...VAND,
    ];
    return [
      ...(blend ? [...skipBytes, ...set(sk)] : []),
      ...get(ps), ...vload(0), ...set(a0),
      ...get(ps), ...vload(16), ...set(b0),
      ...get(ps), ...vload(32), ...set(a1),
      ...get(ps), ...vload(48), ...set(b1),
      ...get(a0), ...get(a1), ...pick64(0, 0), ...set(x),
      ...get(a0), ...get(a1), ...pick64(1, 1), ...set(xd),
      ...get(b0), ...get(b1), ...pick64(0, 0), ...set(th),
      ...get(b0), ...get(b1), ...pick64(1, 1), ...set(thd),
      ...get(pc), ...vload(0), ...set(s),
      ...get(pc), ...vload(16), ...set(c),
      // temp = (force + polemassLength * (thetaDot * thetaDot) * sintheta) / totalMass
      ...div(add(force, mul(mul(get(pml), mul(get(thd), get(thd))), get(s))), get(tm)), ...set(temp),
      // thetaacc = (gravity * sintheta - costheta * temp) / (length * (4/3 - masspole * (costheta * costheta) / totalMass))
      ...div(sub(mul(get(g), get(s)), mul(get(c), get(temp))), mul(get(l), sub(get(k43), div(mul(get(mp), mul(get(c), get(c))), get(tm))))), ...set(tacc),
      // xacc = temp - polemassLength * thetaacc * costheta / totalMass, inside `integrate`.
      ...integrate,
      ...storeState(0, nx, nxd, a0, 0),
      ...storeState(16, nth, nthd, b0, 0),
      ...storeState(32, nx, nxd, a1, 1),
      ...storeState(48, nth, nthd, b1, 1),
      ...storeObs(0),
      ...storeObs(1),
      ...get(pt),
      ...(blend ? [...get(pt), ...load16Splat(0), ...termBytes, ...get(sk), ...BITSELECT] : termBytes),
      ...store16Lane0(0),
    ];
  };
  const splat = (param: number, local: number) => [...get(param), ...F64SPLAT, ...set(local)];
  const negSplat = (param: number, local: number) => [...get(param), ...[0x9a] /* f64.neg */, ...F64SPLAT, ...set(local)];
  const body = [
    ...splat(FM, fm), ...negSplat(FM, nfm), ...splat(PML, pml), ...splat(TM, tm), ...splat(G, g), ...splat(L, l), ...splat(MP, mp),
    ...splat(TAU, tau), ...splat(XMAX, xmax), ...negSplat(XMAX, nxmax), ...splat(THMAX, thmax), ...negSplat(THMAX, nthmax),
    ...f64c(4.0 / 3.0), ...F64SPLAT, ...set(k43),
    ...get(ST), ...set(ps), ...get(OBS), ...set(po), ...get(SC), ...set(pc), ...get(ACT), ...set(pa), ...get(TERM), ...set(pt), ...get(SKIP), ...set(pk),
    ...until([...get(p), ...get(PAIRS), ...GE_S], [
      ...pair(false),
      ...get(p), ...i32c(1), ...ADD, ...set(p),
      ...[[ps, 64], [po, 32], [pc, 32], [pa, 8], [pt, 2], [pk, 2]].flatMap(([ptr, step]) => [...get(ptr), ...i32c(step), ...ADD, ...set(ptr)]),
    ]),
    ...get(TAIL), ...IF, ...pair(true), ...END,
  ];
  return {
    name,
    params: [...new Array<number>(8).fill(I32), ...new Array<number>(9).fill(F64)],
    results: [],
    locals: [[7, I32], [30, V128]],
    body,
  };
}

/** The module: trig, and step for each integrator, with and without the skip mask. */
function cartPoleModuleBytes(): Uint8Array {
  return moduleBytes([
    trigFunction(),
    stepFunction('stepEuler', false, false),
    stepFunction('stepSemi', true, false),
    stepFunction('stepEulerWhere', false, true),
    stepFunction('stepSemiWhere', true, true),
  ]);
}

let moduleCache: WasmModule | null | undefined;

/** The compiled module, or undefined when the runtime lacks WebAssembly SIMD. */
function cartPoleModule(): WasmModule | undefined {
  if (moduleCache === undefined) moduleCache = compileModule(cartPoleModuleBytes) ?? null;
  return moduleCache ?? undefined;
}

/** Whether CartPoleSimd can be made here (the runtime has WebAssembly SIMD). */
export function cartPoleSimdAvailable(): boolean {
  return cartPoleModule() !== undefined;
}

type Trig = (st: number, sc: number, pairs: number, tail: number, smallMin: number, smallMax: number) => number;
type Step = (
  st: number, obs: number, sc: number, act: number, term: number, skip: number, pairs: number, tail: number,
  forceMag: number, polemassLength: number, totalMass: number, gravity: number, length: number, masspole: number,
  tau: number, xMax: number, thetaMax: number,
) => void;

/** Physics constants of step(), as CartPoleBatch keeps them. */
export interface CartPolePhysics {
  readonly forceMag: number;
  readonly polemassLength: number;
  readonly totalMass: number;
  readonly gravity: number;
  readonly length: number;
  readonly masspole: number;
  readonly tau: number;
  readonly xMax: number;
  readonly thetaMax: number;
  readonly smallMin: number;
  readonly smallMax: number;
  readonly semiImplicit: boolean;
}

/** The SIMD kernel's memory and instance for one CartPoleBatch (see the file comment). */
export class CartPoleSimd {
  /** [numEnvs * 4] float64 state, CartPoleBatch.state. */
  readonly state: Float64Array;
  /** [numEnvs * 4] float32 observations, CartPoleBatch.observations. */
  readonly observations: Float32Array;
  /** [numEnvs] CartPoleBatch.terminated. */
  readonly terminated: Uint8Array;
  /** [M * 2] float64 sin and cos (the trig layout of the file comment). */
  readonly trigArea: Float64Array;
  private readonly actions: Int32Array;
  private readonly skip: Uint8Array;
  private readonly n: number;
  private readonly pairs: number;
  private readonly tail: number;
  private readonly offsets: { st: number; obs: number; sc: number; act: number; term: number; skip: number };
  private readonly trig: Trig;
  private readonly stepFns: [Step, Step, Step, Step];
  /** Keeps the memory alive with the views (the instance holds it too). */
  readonly memory: WasmMemory;

  /** Throws when the module is unavailable (check cartPoleSimdAvailable()) or the memory cannot be had. */
  constructor(numEnvs: number) {
    const module = cartPoleModule();
    if (module === undefined || !wasmApi) throw new Error('CartPoleSimd: WebAssembly SIMD is unavailable');
    const n = numEnvs;
    const m = n + (n & 1);
    const o = { st: 0, obs: 32 * m, sc: 48 * m, act: 64 * m, term: 68 * m, skip: 69 * m };
    const pages = Math.ceil((70 * m) / WASM_PAGE);
    this.memory = new wasmApi.Memory({ initial: pages, maximum: pages });
    const instance = new wasmApi.Instance(module, { env: { mem: this.memory } });
    const buf = this.memory.buffer;
    this.state = new Float64Array(buf, o.st, 4 * n);
    this.observations = new Float32Array(buf, o.obs, 4 * n);
    this.trigArea = new Float64Array(buf, o.sc, 2 * m);
    this.actions = new Int32Array(buf, o.act, n);
    this.terminated = new Uint8Array(buf, o.term, n);
    this.skip = new Uint8Array(buf, o.skip, n);
    this.n = n;
    this.pairs = n >> 1;
    this.tail = n & 1;
    this.offsets = o;
    const e = instance.exports;
    this.trig = e.trig as Trig;
    this.stepFns = [e.stepEuler as Step, e.stepSemi as Step, e.stepEulerWhere as Step, e.stepSemiWhere as Step];
  }

  /**
   * stepKernel's passes 1, 2a and 2b for every copy (skip absent) or the copies with
   * skip[i] === 0: `actions[i] === 1` pushes copy i right, anything else left.
   */
  step(actions: ArrayLike<number>, skip: Uint8Array | undefined, k: CartPolePhysics): void {
    const n = this.n;
    const act = this.actions;
    if (isIntegerArray(actions) && actions.length >= n) {
      // Integer elements convert to int32 exactly where they are 1 (and only there).
      act.set(actions.length === n ? actions : actions.subarray(0, n));
    } else {
      for (let i = 0; i < n; i++) act[i] = actions[i] === 1 ? 1 : 0;
    }
    if (skip !== undefined) {
      if (skip.length >= n) this.skip.set(skip.length === n ? skip : skip.subarray(0, n));
      else {
        // Entries past the mask read undefined in the JS kernel: skipped.
        this.skip.set(skip);
        this.skip.fill(1, skip.length);
      }
    }
    const o = this.offsets;
    if (this.trig(o.st, o.sc, this.pairs, this.tail, k.smallMin, k.smallMax) !== 0) this.fixLargeAngles(k.smallMin, k.smallMax);
    const fn = this.stepFns[(skip !== undefined ? 2 : 0) + (k.semiImplicit ? 1 : 0)];
    fn(o.st, o.obs, o.sc, o.act, o.term, o.skip, this.pairs, this.tail,
      k.forceMag, k.polemassLength, k.totalMass, k.gravity, k.length, k.masspole, k.tau, k.xMax, k.thetaMax);
  }

  /** Math.sin / Math.cos into the trig area for the copies whose angle the polynomials do not cover. */
  private fixLargeAngles(smallMin: number, smallMax: number): void {
    const st = this.state;
    const sc = this.trigArea;
    for (let i = 0; i < this.n; i++) {
      const theta = st[4 * i + 2];
      const a = Math.abs(theta);
      if (a < smallMax && a >= smallMin) continue;
      const at = 4 * (i >> 1) + (i & 1);
      sc[at] = Math.sin(theta);
      sc[at + 2] = Math.cos(theta);
    }
  }
}

/** Whether `a` is a typed array of integers that fit int32 or convert to int32 equal to 1 only from 1. */
function isIntegerArray(a: ArrayLike<number>): a is Int32Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Uint8ClampedArray {
  return a instanceof Int32Array || a instanceof Uint8Array || a instanceof Int8Array || a instanceof Uint16Array
    || a instanceof Int16Array || a instanceof Uint32Array || a instanceof Uint8ClampedArray;
}
