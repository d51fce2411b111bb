/**
 * A small WebAssembly assembler: byte emitters for the binary format, enough to write
 * kernels as TypeScript arrays of instruction bytes (src/core/agents/nets/fused-mlp.ts,
 * src/core/envs/cartpole-simd.ts), so the repository holds their source, not a binary.
 * Every emitter returns the bytes as a number[]; concatenate them with spreads.
 */

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** Unsigned LEB128 of a non-negative integer below 2^32. */
export function uleb(n: number): number[] {
  const o: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    o.push(b);
  } while (n);
  return o;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): number[] {
  const o: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      o.push(b);
      return o;
    }
    o.push(b | 0x80);
  }
}

/** A vector: the item count, then the items. */
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
/** A name (ASCII). */
export const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
/** A section: id, byte size, body. */
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** local.get / local.set / local.tee of local i. */
export const get = (i: number): number[] => [0x20, ...uleb(i)];
export const set = (i: number): number[] => [0x21, ...uleb(i)];
export const tee = (i: number): number[] => [0x22, ...uleb(i)];
/** i32.const v. */
export const i32c = (v: number): number[] => [0x41, ...sleb(v)];
/** f64.const v (8 bytes, little-endian IEEE 754). */
export function f64c(v: number): number[] {
  const b = new Uint8Array(new Float64Array([v]).buffer);
  return [0x44, ...b];
}
/** A SIMD (0xfd-prefixed) instruction's opcode; memory immediates follow separately. */
export const simd = (op: number): number[] => [0xfd, ...uleb(op)];

/** Structured control flow (blocks without results). */
export const BLOCK = [0x02, 0x40];
export const LOOP = [0x03, 0x40];
export const IF = [0x04, 0x40];
export const ELSE = [0x05];
export const END = [0x0b];
export const br = (l: number): number[] => [0x0c, ...uleb(l)];
export const brIf = (l: number): number[] => [0x0d, ...uleb(l)];
/** while (!exit) body */
export const until = (exit: number[], body: number[]): number[] => [...BLOCK, ...LOOP, ...exit, ...brIf(1), ...body, ...br(0), ...END, ...END];
/** do body while (cond) */
export const doWhile = (body: number[], cond: number[]): number[] => [...LOOP, ...body, ...cond, ...brIf(0), ...END];

/** One function of a module: exported as `name`; locals as (count, type) runs after the params. */
export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  readonly results: readonly number[];
  readonly locals: readonly (readonly [number, number])[];
  /** The body's instructions, without the final `end`. */
  readonly body: number[];
}

/**
 * A module of `funcs` (one type each, all exported by name) that imports its memory as
 * env.mem (at least one 64 KiB page).
 */
export function moduleBytes(funcs: readonly WasmFunction[]): Uint8Array {
  const code = (f: WasmFunction) => {
    const c = [...vec(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, ...END];
    return [...uleb(c.length), ...c];
  };
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]))),
    ...section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec(funcs.map((_, k) => uleb(k)))),
    ...section(7, vec(funcs.map((f, k) => [...str(f.name), 0x00, ...uleb(k)]))),
    ...section(10, vec(funcs.map(code))),
  ]);
}

/** The few WebAssembly JS API members used here (tsconfig's libs do not declare them). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export type WasmModule = object;
export interface WasmApi {
  readonly Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: object) => { readonly exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
/** The runtime's WebAssembly object, when it has one. */
export const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Bytes of a WebAssembly page. */
export const WASM_PAGE = 65536;

/**
 * The compiled module of `bytes()`, or undefined when the runtime has no WebAssembly or
 * rejects the module (no SIMD support, for modules that use it).
 */
export function compileModule(bytes: () => Uint8Array): WasmModule | undefined {
  try {
    if (!wasmApi) return undefined;
    const b = bytes();
    return wasmApi.validate(b) ? new wasmApi.Module(b) : undefined;
  } catch {
    return undefined;
  }
}
