/**
 * The sandbox for client reward code: QuickJS compiled to WebAssembly
 * (quickjs-emscripten). Every compiled program (one per session using a registered
 * function) gets its own WebAssembly instance with its own fixed-size linear memory, its own
 * QuickJS runtime and context: a program never shares a heap, globals, limits or a crash
 * with another session's.
 *
 * What the code can reach: the ECMAScript built-ins of a fresh QuickJS context and the
 * arguments it is called with, nothing else. There is no `require`, `process`, `console`,
 * file system, network, timers or module loader, and no host function is ever exposed
 * (data crosses as copied ArrayBuffers of numbers). Each program has:
 * - a memory limit: the instance's linear memory cannot grow past `memoryBytes` (a hard cap
 *   enforced by WebAssembly; QuickJS's own setMemoryLimit is also set but, in the prebuilt
 *   wasm, only bounds single allocations), so "out of memory" is raised inside the code;
 *   after running out of memory a program is rebuilt from its source on its next call;
 * - a native stack limit (deep recursion is a clean "stack overflow");
 * - a time limit per call, enforced by QuickJS's interrupt handler (an interrupt cannot be
 *   caught by the code's own try/catch). Calls run synchronously on the server's thread, so
 *   wall time during the call is the CPU time it takes.
 * Results must be finite numbers; anything else is reported, with the transition it came
 * from, and never reaches the env. A failure of the WebAssembly instance itself (a trap)
 * only loses that program's instance; it is rebuilt on its next call.
 *
 * One call evaluates a batch of transitions (chunks of CHUNK): the batch's records (a
 * Float64Array, one row of `codec.recordWidth` numbers per transition) go in as one
 * ArrayBuffer, an in-sandbox runner decodes each row into (s, a, sNext, info), calls the
 * function and writes its result, and one ArrayBuffer comes back.
 *
 * Instances are created asynchronously (quickjs-emscripten's loader is async, about 5-20
 * ms each) into a small pool that compiling takes from synchronously; callers that can wait
 * use reserveSandboxes(n) first.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import variant from '@jitl/quickjs-wasmfile-release-sync';
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import { DomainError, invalidArgument } from '../errors.js';
import type { OptionValues } from '../options.js';
import type { SandboxLimits } from './types.js';

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  callMs: 10,
  maxBatchMs: 250,
  compileMs: 100,
  memoryBytes: 32 * 1024 * 1024,
  stackBytes: 256 * 1024,
};

/** Longest reward source accepted, in characters. */
export const MAX_SOURCE_CHARS = 64 * 1024;

/** Transitions per crossing into the sandbox (bounds the copies a call needs in its memory). */
export const CHUNK = 4096;

/** The smallest memory a sandbox can have: the wasm's own 16 MiB plus room for QuickJS. */
export const MIN_SANDBOX_MEMORY = 20 * 1024 * 1024;

/**
 * How an env type's transitions are laid out for the sandbox: `recordWidth` numbers per
 * transition, and the body of an in-sandbox function `(fn, d, o, P)` that calls `fn(s, a,
 * sNext, info, P)` for the record at offset `o` of the Float64Array `d` and returns what fn
 * returns. The body may only use operators, literals and the names it defines (the code runs
 * before the client's code and must not depend on built-ins the client can replace).
 */
export interface SandboxCodec {
  readonly recordWidth: number;
  readonly callBody: string;
}

/** Why a sandboxed reward call failed (reasons as in DomainError.reason). */
export type RewardFailureReason =
  | 'REWARD_THREW'
  | 'REWARD_TIMEOUT'
  | 'REWARD_OUT_OF_MEMORY'
  | 'REWARD_STACK_OVERFLOW'
  | 'REWARD_NOT_A_NUMBER'
  | 'REWARD_NOT_FINITE'
  | 'REWARD_SANDBOX_FAILED';

/** A failed call: the reason, what happened, and the transition (index in the batch) if known. */
export class RewardCallFailure extends Error {
  constructor(
    readonly reason: RewardFailureReason,
    readonly detail: string,
    readonly index: number,
  ) {
    super(detail);
    this.name = 'RewardCallFailure';
  }
}

// ---------------------------------------------------------------------------------------
// WebAssembly instances: the module is compiled once; instances come from a pool.

/** The parts of the WebAssembly API used here (the project's TypeScript lib has no DOM/wasm types). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum: number }) => object;
};

const require = createRequire(import.meta.url);
let compiled: object | undefined;
let memoryPages = Math.ceil(DEFAULT_SANDBOX_LIMITS.memoryBytes / 65536);
let poolTarget = 4;
const pool: QuickJSWASMModule[] = [];
let filling: Promise<void> | undefined;

export interface SandboxSetup {
  /** Linear memory of each sandbox, bytes (at least MIN_SANDBOX_MEMORY). */
  readonly memoryBytes?: number;
  /** Instances kept ready (default 4). */
  readonly poolSize?: number;
}

/**
 * Compiles the sandbox's WebAssembly module (once) and fills the pool of instances. The
 * server awaits it at start-up; memoryBytes applies to instances made from then on.
 */
export async function loadSandbox(setup: SandboxSetup = {}): Promise<void> {
  if (setup.memoryBytes !== undefined) {
    if (!(setup.memoryBytes >= MIN_SANDBOX_MEMORY && setup.memoryBytes <= 2 ** 31)) {
      throw new Error(`sandbox memory must be in [${MIN_SANDBOX_MEMORY}, ${2 ** 31}] bytes, got ${setup.memoryBytes}`);
    }
    const pages = Math.ceil(setup.memoryBytes / 65536);
    if (pages !== memoryPages) {
      memoryPages = pages;
      pool.length = 0;
    }
  }
  if (setup.poolSize !== undefined) poolTarget = Math.max(1, Math.floor(setup.poolSize));
  compiled ??= new WebAssembly.Module(readFileSync(require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm')));
  await reserveSandboxes(poolTarget);
}

export function sandboxLoaded(): boolean {
  return compiled !== undefined;
}

/** Memory of each sandbox instance, bytes. */
export function sandboxMemoryBytes(): number {
  return memoryPages * 65536;
}

async function newInstance(): Promise<QuickJSWASMModule> {
  if (!compiled) await loadSandbox();
  const memory = new WebAssembly.Memory({ initial: 256, maximum: Math.max(256, memoryPages) });
  return newQuickJSWASMModuleFromVariant(newVariant(variant as unknown as QuickJSSyncVariant, { wasmModule: compiled as never, wasmMemory: memory as never }));
}

/** Waits until at least `n` instances are ready (callers that will compile n programs at once). */
export async function reserveSandboxes(n = 1): Promise<void> {
  while (pool.length < n) pool.push(await newInstance());
}

/**
 * Runs `fn` once sandbox instances are ready (instances are made asynchronously; `fn` takes
 * them synchronously when it compiles client code, one per program). Each retry first
 * reserves one instance more, so a call that compiles k programs succeeds on its k-th try
 * whatever the machine's speed, and one whose instances a concurrent call took tries again.
 * `fn` must have no effect when it fails with SANDBOX_BUSY (compiling comes before any change).
 */
export async function withSandboxes<T>(fn: () => T | Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    await reserveSandboxes(attempt + 1);
    try {
      return await fn();
    } catch (err) {
      if (attempt < 8 && err instanceof DomainError && err.reason === 'SANDBOX_BUSY') continue;
      throw err;
    }
  }
}

function refillSoon(): void {
  if (filling) return;
  filling = (async () => {
    try {
      while (pool.length < poolTarget) pool.push(await newInstance());
    } finally {
      filling = undefined;
    }
  })().catch(() => undefined);
}

/** A fresh instance from the pool (the pool refills in the background). */
function takeInstance(): QuickJSWASMModule {
  const m = pool.pop();
  refillSoon();
  if (!m) {
    throw new DomainError('UNAVAILABLE', 'the reward sandbox has no instance ready (too many sandboxes created at once); try again in a moment', 'reward_function', 'SANDBOX_BUSY');
  }
  return m;
}

// ---------------------------------------------------------------------------------------
// The in-sandbox runner. It is evaluated before the client's code, so the built-ins it uses
// are captured before the client could replace them; it only touches typed arrays by index
// and builds plain literals, so prototype tampering by the client cannot change what it does.

const MAX_MESSAGE = 400;

function runnerSource(codec: SandboxCodec): string {
  return `(function () {
  "use strict";
  const AB = ArrayBuffer, F64 = Float64Array, freeze = Object.freeze;
  const slice = Function.prototype.call.bind(String.prototype.slice);
  const W = ${codec.recordWidth};
  const call = function (fn, d, o, P) { ${codec.callBody} };
  const cut = (m) => (m.length > ${MAX_MESSAGE} ? slice(m, 0, ${MAX_MESSAGE}) + "..." : m);
  const describe = (e) => {
    try {
      if (e !== null && typeof e === "object") {
        const name = e.name, message = e.message;
        if (typeof message === "string") return cut(typeof name === "string" && name !== "" ? name + ": " + message : message);
      }
      if (typeof e === "string") return cut(e);
      return "a thrown " + (e === null ? "null" : typeof e);
    } catch (_) {
      return "an exception whose message cannot be read";
    }
  };
  const deepFreeze = (v) => {
    if (v !== null && typeof v === "object") {
      for (const k in v) deepFreeze(v[k]);
      freeze(v);
    }
    return v;
  };
  return function bind(fn, params) {
    const P = deepFreeze(params);
    let lastError = "";
    const run = function (buf, n) {
      const d = new F64(buf);
      const ob = new AB((n + 2) * 8);
      const out = new F64(ob);
      for (let k = 0; k < n; k++) {
        let r;
        try {
          r = call(fn, d, k * W, P);
        } catch (e) {
          lastError = describe(e);
          out[0] = 1; out[1] = k;
          return ob;
        }
        if (typeof r !== "number") {
          lastError = r === null ? "null" : typeof r;
          out[0] = 2; out[1] = k;
          return ob;
        }
        if (r - r !== 0) {
          lastError = r !== r ? "NaN" : r > 0 ? "Infinity" : "-Infinity";
          out[0] = 3; out[1] = k;
          return ob;
        }
        out[2 + k] = r;
      }
      return ob;
    };
    const error = function () { return lastError; };
    return [run, error];
  };
})()`;
}

/** Trailing semicolons and blanks are allowed after the function expression. */
function expressionOf(source: string): string {
  return source.replace(/[\s;]+$/u, '');
}

interface Handles {
  rt: QuickJSRuntime;
  ctx: QuickJSContext;
  run: QuickJSHandle;
  error: QuickJSHandle;
}

/** Maps an error QuickJS raised (not one the client's code threw and the runner caught). */
function classifyVmMessage(message: string): RewardFailureReason {
  if (/out of memory/i.test(message)) return 'REWARD_OUT_OF_MEMORY';
  if (/stack overflow/i.test(message)) return 'REWARD_STACK_OVERFLOW';
  return 'REWARD_THREW';
}

/**
 * One compiled reward function in its own WebAssembly instance: the client's source, bound
 * to fixed parameters, for one env type's record layout. Dropping the program frees
 * everything (the instance is garbage collected with its memory).
 */
export class SandboxProgram {
  private h: Handles | undefined;
  /** Read by the runtime's interrupt handler. */
  private readonly clock = { deadline: Infinity, interrupted: false };
  private disposed = false;
  /** Instances this program has used (1 unless it was rebuilt after running out of memory or a trap). */
  builds = 0;

  private constructor(
    readonly source: string,
    private readonly codec: SandboxCodec,
    private readonly params: OptionValues,
    readonly limits: SandboxLimits,
  ) {}

  /**
   * Compiles `source` (an expression evaluating to a function) bound to `params`. Syntax
   * errors, a top level that throws or runs out of time or memory, and a value that is not
   * a function are INVALID_ARGUMENT on `source`. Takes an instance from the pool
   * (UNAVAILABLE if none is ready: await reserveSandboxes() first).
   */
  static compile(source: string, codec: SandboxCodec, params: OptionValues, limits: SandboxLimits): SandboxProgram {
    if (typeof source !== 'string' || source.trim() === '') throw invalidArgument('source', 'source is required: a JavaScript function (s, a, sNext, info, params) => number', 'MISSING_SOURCE');
    if (source.length > MAX_SOURCE_CHARS) {
      throw invalidArgument('source', `source must be at most ${MAX_SOURCE_CHARS} characters, got ${source.length}`, 'SOURCE_TOO_LONG');
    }
    const program = new SandboxProgram(source, codec, params, limits);
    program.build();
    return program;
  }

  /** Builds the runtime, the runner and the client's function in a fresh instance. */
  private build(): void {
    const module = takeInstance();
    this.builds++;
    const rt = module.newRuntime();
    const limits = this.limits;
    rt.setMemoryLimit(limits.memoryBytes);
    rt.setMaxStackSize(limits.stackBytes);
    const clock = this.clock;
    rt.setInterruptHandler(() => {
      if (performance.now() > clock.deadline) {
        clock.interrupted = true;
        return true;
      }
      return false;
    });
    const ctx = rt.newContext();
    const owned: QuickJSHandle[] = [];
    try {
      const factory = ctx.evalCode(runnerSource(this.codec), 'gymhost-runner.js');
      if (factory.error) {
        const msg = ctx.dump(factory.error);
        factory.error.dispose();
        throw new Error(`reward sandbox runner failed to compile: ${JSON.stringify(msg)}`);
      }
      owned.push(factory.value);
      const params = ctx.evalCode(`(${JSON.stringify(this.params)})`, 'params.js');
      if (params.error) {
        params.error.dispose();
        throw new Error('reward params failed to load into the sandbox');
      }
      owned.push(params.value);

      this.startClock(limits.compileMs);
      const fn = ctx.evalCode(`"use strict";\n(\n${expressionOf(this.source)}\n)`, 'reward.js');
      this.stopClock();
      if (fn.error) {
        const timedOut = this.clock.interrupted;
        const problem = this.describeVmError(ctx, fn.error, 'compile');
        fn.error.dispose();
        throw invalidArgument('source', `source does not compile: ${problem}`, timedOut ? 'SOURCE_TIMEOUT' : 'SOURCE_ERROR');
      }
      owned.push(fn.value);
      const kind = ctx.typeof(fn.value);
      if (kind !== 'function') {
        throw invalidArgument('source', `source must evaluate to a function (s, a, sNext, info, params) => number, got a ${kind}`, 'SOURCE_NOT_A_FUNCTION');
      }
      this.startClock(limits.compileMs);
      const bound = ctx.callFunction(factory.value, ctx.undefined, fn.value, params.value);
      this.stopClock();
      if (bound.error) {
        const problem = this.describeVmError(ctx, bound.error, 'compile');
        bound.error.dispose();
        throw invalidArgument('source', `source could not be prepared: ${problem}`, 'SOURCE_ERROR');
      }
      owned.push(bound.value);
      const run = ctx.getProp(bound.value, 0);
      const error = ctx.getProp(bound.value, 1);
      this.h = { rt, ctx, run, error };
    } catch (err) {
      if (err instanceof DomainError) throw err;
      // The instance itself failed (a trap): it is dropped with this program's attempt.
      throw invalidArgument('source', `source could not be compiled in the sandbox: ${(err as Error)?.message ?? String(err)}`, 'SOURCE_ERROR');
    } finally {
      this.stopClock();
      if (this.h) {
        for (const handle of owned) handle.dispose();
      }
      // On failure the instance is dropped whole: nothing needs freeing inside it.
    }
  }

  private startClock(ms: number): void {
    this.clock.interrupted = false;
    this.clock.deadline = performance.now() + ms;
  }

  private stopClock(): void {
    this.clock.deadline = Infinity;
  }

  /** A short description of an error value QuickJS returned (never the client's getters: data properties only). */
  private describeVmError(ctx: QuickJSContext, err: QuickJSHandle, phase: 'compile' | 'call'): string {
    if (this.clock.interrupted) {
      return phase === 'compile'
        ? `the top level ran longer than ${this.limits.compileMs} ms`
        : 'time limit exceeded';
    }
    // Errors from QuickJS itself are native Error objects with data properties; read them
    // under a short deadline in case the code left a getter on a prototype.
    this.startClock(5);
    try {
      const read = (key: string): string => {
        const v = ctx.getProp(err, key);
        try {
          return ctx.typeof(v) === 'string' ? ctx.getString(v).slice(0, MAX_MESSAGE) : '';
        } finally {
          v.dispose();
        }
      };
      const name = read('name');
      const message = read('message');
      const line = ctx.getProp(err, 'lineNumber');
      let at = '';
      try {
        if (ctx.typeof(line) === 'number') at = ` (line ${Math.max(1, ctx.getNumber(line) - 2)})`;
      } finally {
        line.dispose();
      }
      return (name && message ? `${name}: ${message}` : message || name || 'an error') + (phase === 'compile' ? at : '');
    } catch {
      return 'an error';
    } finally {
      this.stopClock();
    }
  }

  /**
   * Evaluates the function on `count` transitions: records in `data` (`count *
   * recordWidth` numbers), results into out[0..count). The whole batch shares one time
   * budget: callMs per transition, at least callMs, at most maxBatchMs. Throws
   * RewardCallFailure (or UNAVAILABLE when the program must be rebuilt and no instance is ready).
   */
  run(count: number, data: Float64Array, out: Float64Array): void {
    if (count === 0) return;
    if (this.disposed) throw new Error('reward program used after dispose');
    if (this.h === undefined) this.build(); // rebuilt after running out of memory or a trap
    const budget = Math.min(this.limits.maxBatchMs, Math.max(this.limits.callMs, this.limits.callMs * count));
    this.startClock(budget);
    try {
      for (let first = 0; first < count; first += CHUNK) {
        const n = Math.min(CHUNK, count - first);
        this.runChunk(first, n, data, out, budget, count);
      }
    } catch (err) {
      if (err instanceof RewardCallFailure && (err.reason === 'REWARD_OUT_OF_MEMORY' || err.reason === 'REWARD_SANDBOX_FAILED')) {
        // Start from a fresh instance next time: memory cannot shrink, and a trap leaves nothing usable.
        this.h = undefined;
      }
      throw err;
    } finally {
      this.stopClock();
    }
  }

  private runChunk(first: number, count: number, data: Float64Array, out: Float64Array, budget: number, total: number): void {
    const h = this.h!;
    const { ctx } = h;
    const width = this.codec.recordWidth;
    const begin = data.byteOffset + first * width * 8;
    let outBytes: Uint8Array;
    try {
      const input = ctx.newArrayBuffer(data.buffer.slice(begin, begin + count * width * 8));
      const n = ctx.newNumber(count);
      let res;
      try {
        res = ctx.callFunction(h.run, ctx.undefined, input, n);
      } finally {
        input.dispose();
        n.dispose();
      }
      if (res.error) {
        const timedOut = this.clock.interrupted;
        const problem = this.describeVmError(ctx, res.error, 'call');
        res.error.dispose();
        if (timedOut) {
          throw new RewardCallFailure('REWARD_TIMEOUT', `it ran longer than its time limit (${budget} ms for ${total} transition${total === 1 ? '' : 's'})`, -1);
        }
        const reason = classifyVmMessage(problem);
        throw new RewardCallFailure(reason, reason === 'REWARD_OUT_OF_MEMORY' ? `it ran out of memory (limit ${sandboxMemoryBytes()} bytes)` : problem, -1);
      }
      const lifetime = ctx.getArrayBuffer(res.value);
      try {
        outBytes = lifetime.value.slice();
      } finally {
        lifetime.dispose();
        res.value.dispose();
      }
    } catch (err) {
      if (err instanceof RewardCallFailure || err instanceof DomainError) throw err;
      // Not an error inside QuickJS: this program's WebAssembly instance failed (a trap).
      throw new RewardCallFailure('REWARD_SANDBOX_FAILED', `its sandbox failed (${(err as Error)?.message ?? String(err)}) and will be rebuilt on the next call`, -1);
    }
    if (outBytes.length !== (count + 2) * 8) throw new RewardCallFailure('REWARD_SANDBOX_FAILED', 'the sandbox returned a malformed result', -1);
    const result = new Float64Array(outBytes.buffer, outBytes.byteOffset, count + 2);
    const status = result[0];
    const index = result[1];
    if (status !== 0) {
      if (!(status === 1 || status === 2 || status === 3) || !Number.isInteger(index) || index < 0 || index >= count) {
        throw new RewardCallFailure('REWARD_SANDBOX_FAILED', 'the sandbox returned a malformed result', -1);
      }
      const detail = this.lastError(h);
      const at = first + index;
      if (status === 1) {
        if (/^InternalError: out of memory/.test(detail)) throw new RewardCallFailure('REWARD_OUT_OF_MEMORY', `it ran out of memory (limit ${sandboxMemoryBytes()} bytes)`, at);
        if (/^InternalError: stack overflow/.test(detail)) throw new RewardCallFailure('REWARD_STACK_OVERFLOW', 'stack overflow (too deep a recursion)', at);
        throw new RewardCallFailure('REWARD_THREW', `it threw ${detail}`, at);
      }
      if (status === 2) throw new RewardCallFailure('REWARD_NOT_A_NUMBER', `it returned ${/^[aeiou]/.test(detail) ? 'an' : 'a'} ${detail}, not a number`, at);
      throw new RewardCallFailure('REWARD_NOT_FINITE', `it returned ${detail}; rewards must be finite numbers`, at);
    }
    for (let k = 0; k < count; k++) {
      const r = result[2 + k];
      if (!Number.isFinite(r)) throw new RewardCallFailure('REWARD_NOT_FINITE', `it returned ${r}; rewards must be finite numbers`, first + k);
      out[first + k] = r;
    }
  }

  private lastError(h: Handles): string {
    const { ctx } = h;
    const saved = this.clock.deadline;
    this.clock.deadline = performance.now() + 5;
    try {
      const res = ctx.callFunction(h.error, ctx.undefined);
      if (res.error) {
        res.error.dispose();
        return 'an error';
      }
      try {
        return ctx.typeof(res.value) === 'string' ? ctx.getString(res.value).slice(0, MAX_MESSAGE + 3) : 'an error';
      } finally {
        res.value.dispose();
      }
    } catch {
      return 'an error';
    } finally {
      this.clock.deadline = saved;
    }
  }

  /** Drops the program's instance (idempotent); its memory is freed by the garbage collector. */
  dispose(): void {
    this.disposed = true;
    this.h = undefined;
  }
}
