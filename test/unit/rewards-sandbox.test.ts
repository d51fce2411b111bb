/**
 * Client reward code in the sandbox: escape attempts and resource bombs are contained with
 * the right error, a failing reward leaves the session exactly as before the step, sessions
 * never affect each other, a vector step is one sandbox call, and the sandboxed versions of
 * the built-in rewards agree with them.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CartPoleBatch } from '../../src/core/envs/cartpole.js';
import { envTypes } from '../../src/core/envs/registry.js';
import { DomainError } from '../../src/core/errors.js';
import { RewardRegistry } from '../../src/core/rewards/registry.js';
import { loadSandbox, reserveSandboxes, SandboxProgram } from '../../src/core/rewards/sandbox.js';
import { EnvSession, type AutoresetMode } from '../../src/core/sessions/env-session.js';
import { Rng } from '../../src/core/rng.js';
import type { SavableRng } from '../../src/core/rewards/external.js';

const GRID = 'GridWorld-v0';
const CART = 'CartPole-v1';

before(async () => {
  await loadSandbox({ poolSize: 8 });
});

/** Sandbox instances are made asynchronously: make sure `n` are ready before compiling n programs. */
const ready = (n: number) => reserveSandboxes(n);

let registry: RewardRegistry;
let ids = 0;

function freshRegistry(sandbox: Record<string, number> = {}): RewardRegistry {
  registry = new RewardRegistry(envTypes, [], { sandbox, maxPerOwner: 1000 });
  return registry;
}
freshRegistry();

function register(name: string, source: string, options: { env?: string; owner?: string; session?: string; params?: { name: string; type: 'number' | 'int' | 'bool' | 'string'; description: string; default: number | boolean | string }[] } = {}) {
  return registry.register({ name, envTypeId: options.env ?? GRID, sessionId: options.session ?? '', source, description: '', params: options.params ?? [] }, options.owner ?? 'alice');
}

interface SessionOptions {
  env?: string;
  reward?: string;
  params?: Record<string, unknown>;
  numEnvs?: number;
  config?: Record<string, unknown>;
  autoreset?: AutoresetMode;
  seed?: number;
  owner?: string;
}

function session(o: SessionOptions = {}): EnvSession {
  const type = envTypes.get(o.env ?? GRID)!;
  return new EnvSession(
    `s${++ids}`,
    o.owner ?? 'alice',
    type,
    {
      config: o.config,
      rewardFunction: o.reward ?? '',
      rewardParams: o.params,
      numEnvs: o.numEnvs ?? 1,
      renderMode: 'none',
      autoresetMode: o.autoreset ?? 'next_step',
      seed: o.seed ?? 0,
      rewards: registry,
    },
    65536,
  );
}

/** Everything a step can change, as plain data. */
function stateOf(s: EnvSession) {
  const b = s.batch;
  return {
    observations: Array.from(b.observations),
    rewards: Array.from(b.rewards),
    terminated: Array.from(b.terminated),
    truncated: Array.from(b.truncated),
    episodeSteps: Array.from({ length: s.numEnvs }, (_, i) => b.episodeSteps(i)),
    info: Array.from({ length: s.numEnvs }, (_, i) => b.info(i)),
    resetMask: Array.from(s.resetMask),
    totalSteps: s.totalSteps,
    totalEpisodes: s.totalEpisodes,
    cartState: b instanceof CartPoleBatch ? Array.from(b.state) : undefined,
    rngs: ((b as unknown as { rngs: SavableRng[] }).rngs ?? []).map((r) => {
      const words = new Float64Array(r.stateWords);
      r.saveTo(words, 0);
      return words.join();
    }),
  };
}

function rewardFailure(fn: () => unknown, reason: string, message?: RegExp): DomainError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DomainError, `expected a DomainError, got ${String(err)}`);
    assert.equal(err.code, 'FAILED_PRECONDITION', err.message);
    assert.equal(err.field, 'reward_function');
    assert.equal(err.reason, reason, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${reason}`);
}

function sourceError(fn: () => unknown, reason: string, message?: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DomainError, String(err));
    assert.equal(err.code, 'INVALID_ARGUMENT', err.message);
    assert.equal(err.field, 'source');
    assert.equal(err.reason, reason, err.message);
    if (message) assert.match(err.message, message);
    return;
  }
  assert.fail(`expected ${reason}`);
}

describe('sandbox: registration checks the source', () => {
  it('syntax errors, a throwing or endless top level, and non-functions are INVALID_ARGUMENT on source', async () => {
    await ready(12);
    sourceError(() => register('syn', '(s) => { return s +* 2 }'), 'SOURCE_ERROR', /SyntaxError.*line 1/);
    sourceError(() => register('syn2', '(s) =>\n\n  { return s ) }'), 'SOURCE_ERROR', /SyntaxError.*line 3/);
    sourceError(() => register('top_throws', '(() => { throw new Error("no") })()'), 'SOURCE_ERROR', /Error: no/);
    sourceError(() => register('top_loops', '(() => { while (true) {} })()'), 'SOURCE_TIMEOUT', /longer than/);
    sourceError(() => register('number', '42'), 'SOURCE_NOT_A_FUNCTION', /got a number/);
    sourceError(() => register('empty', '   '), 'MISSING_SOURCE');
    sourceError(() => register('huge', `() => ${'1+'.repeat(40000)}1`), 'SOURCE_TOO_LONG');
    // Accepted forms: arrow functions, function expressions and declarations, trailing semicolons.
    register('arrow', '(s, a) => -1;');
    register('fn_expr', 'function (s, a, sNext, info, params) { return info.cell === "goal" ? 0 : -1 }');
    register('fn_decl', 'function reward(s) { return -1 }\n// a comment at the end');
    assert.deepEqual(registry.list('alice').map((r) => r.name).slice(-3), ['arrow', 'fn_expr', 'fn_decl']);
  });
});

describe('sandbox: escape attempts and bombs are contained with the right error', () => {
  const attempts: [string, string, string, RegExp][] = [
    ['require', '() => require("fs").readFileSync("/etc/passwd").length', 'REWARD_THREW', /ReferenceError: .*require.* is not defined/],
    ['process', '() => process.exit(1)', 'REWARD_THREW', /ReferenceError: .*process.* is not defined/],
    ['Function constructor to the global object', '() => Function("return this")().process.pid', 'REWARD_THREW', /TypeError/],
    ['constructor chain', '() => (() => 0).constructor.constructor("return process")().pid', 'REWARD_THREW', /ReferenceError: .*process/],
    ['dynamic import', '() => import("fs")', 'REWARD_NOT_A_NUMBER', /returned an object, not a number/],
    ['std/os modules of quickjs-libc', '() => std.open("/etc/passwd", "r")', 'REWARD_THREW', /ReferenceError: .*std/],
    ['while (true)', '() => { while (true) {} }', 'REWARD_TIMEOUT', /time limit/],
    ['while (true) that catches the interrupt', '() => { for (;;) { try { while (true) {} } catch (e) {} } }', 'REWARD_TIMEOUT', /time limit/],
    ['memory bomb', '() => { const a = []; for (;;) a.push(new Array(100000).fill(1.5)); }', 'REWARD_OUT_OF_MEMORY', /out of memory/],
    ['string memory bomb', '() => { const keep = []; for (let i = 0; ; i++) keep.push("abc".repeat(100000) + i); }', 'REWARD_OUT_OF_MEMORY', /out of memory/],
    ['string doubling', '() => { let s = "x"; for (;;) s = s + s; }', 'REWARD_THREW', /string too long/],
    ['typed-array memory bomb', '() => { const keep = []; for (;;) keep.push(new Float64Array(1 << 20)); }', 'REWARD_OUT_OF_MEMORY', /out of memory/],
    ['huge string result', '() => "x".repeat(10000000)', 'REWARD_NOT_A_NUMBER', /returned a string, not a number/],
    ['deep recursion', 'function f(s) { return f(s) + 1 }', 'REWARD_STACK_OVERFLOW', /stack overflow/],
    ['NaN', '() => 0 / 0', 'REWARD_NOT_FINITE', /NaN/],
    ['Infinity', '() => -1 / 0', 'REWARD_NOT_FINITE', /-Infinity/],
    ['object with valueOf', '() => ({ valueOf: () => 1 })', 'REWARD_NOT_A_NUMBER', /object/],
    ['bigint', '() => 1n', 'REWARD_NOT_A_NUMBER', /bigint/],
    ['numeric string', '() => "1"', 'REWARD_NOT_A_NUMBER', /string/],
    ['a thrown string', '() => { throw "nope" }', 'REWARD_THREW', /threw nope/],
    ['an error whose message getter loops', '() => { const e = new Error("x"); Object.defineProperty(e, "message", { get() { for (;;) {} } }); throw e }', 'REWARD_TIMEOUT', /time limit/],
    ['an error with a huge message', '() => { throw new Error("y".repeat(5000000)) }', 'REWARD_THREW', /^reward function \S+ failed: it threw Error: y{393}\.\.\.\. The step/],
  ];
  let k = 0;
  for (const [label, source, reason, message] of attempts) {
    it(`${label}: ${reason}`, async () => {
      await ready(3);
      const name = `attempt_${++k}`;
      register(name, source);
      const s = session({ reward: name });
      s.reset(0, undefined);
      const before = stateOf(s);
      // Containment is proven by the reason (the time or memory limit fired), not by a
      // wall-clock bound, which a busy machine breaks.
      rewardFailure(() => s.step(3), reason, message);
      assert.deepEqual(stateOf(s), before, 'the failed step changed nothing');
      // The session goes on: another reward function steps it normally.
      s.setReward('seed', undefined);
      s.step(3);
      assert.equal(s.batch.rewards[0], -1);
      s.dispose();
    });
  }

  it('no host object is reachable: require, process, console, fetch, timers, Buffer, WebAssembly, std, os are undefined', async () => {
    await ready(2);
    const names = ['require', 'process', 'module', 'exports', 'console', 'fetch', 'setTimeout', 'setImmediate', 'queueMicrotask', 'Buffer', '__dirname', 'WebAssembly', 'std', 'os', 'scriptArgs', 'print'];
    register('probe', `() => ${JSON.stringify(names)}.filter((n) => typeof globalThis[n] !== "undefined").length + (typeof Function("return this")() === "undefined" ? 0 : 0)`);
    const s = session({ reward: 'probe' });
    s.reset(0, undefined);
    s.step(3);
    assert.equal(s.batch.rewards[0], 0);
    s.dispose();
  });

  it('prototype pollution stays in the session that did it and does not break its runner', async () => {
    await ready(4);
    register(
      'polluter',
      `(s) => {
        Object.prototype.polluted = 1;
        Object.defineProperty(Array.prototype, "0", { set() { throw new Error("trap") }, configurable: true });
        Array.prototype.push = null; Number.prototype.valueOf = () => 666; Float64Array.prototype.set = null;
        Object.freeze = () => { throw new Error("frozen trap") }; String.prototype.slice = () => "z".repeat(1e6);
        globalThis.Float64Array = function () { throw new Error("replaced") };
        globalThis.ArrayBuffer = function () { throw new Error("replaced") };
        return -1;
      }`,
    );
    register('clean_probe', '() => (({}).polluted === undefined && typeof Array.prototype.push === "function" ? 1 : 0)');
    const dirty = session({ reward: 'polluter', numEnvs: 4 });
    const clean = session({ reward: 'clean_probe', numEnvs: 4 });
    dirty.reset(0, undefined);
    clean.reset(0, undefined);
    for (let k = 0; k < 3; k++) {
      dirty.stepBatch([3, 3, 1, 0]);
      assert.deepEqual(Array.from(dirty.batch.rewards), [-1, -1, -1, -1]);
      clean.stepBatch([3, 3, 1, 0]);
      assert.deepEqual(Array.from(clean.batch.rewards), [1, 1, 1, 1]);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'the host is untouched');
    dirty.dispose();
    clean.dispose();
  });

  it("one session's bombs never affect another session's reward function", async () => {
    await ready(4);
    register('bomb', '() => { globalThis.keep = globalThis.keep || []; for (;;) globalThis.keep.push(new Array(100000).fill(2)); }');
    register('fine', '(s, a, sn, info) => info.cell === "hazard" ? -200 : info.cell === "goal" ? 0 : -1');
    const bad = session({ reward: 'bomb', numEnvs: 2 });
    const good = session({ reward: 'fine', numEnvs: 2 });
    bad.reset(0, undefined);
    good.reset(0, undefined);
    const twin = session({ reward: 'seed', numEnvs: 2 });
    twin.reset(0, undefined);
    for (let k = 0; k < 3; k++) {
      await ready(1); // after running out of memory the bomb's sandbox is rebuilt from a fresh instance
      rewardFailure(() => bad.stepBatch([3, 3]), 'REWARD_OUT_OF_MEMORY');
      good.stepBatch([3, 0]);
      twin.stepBatch([3, 0]);
      assert.deepEqual(Array.from(good.batch.rewards), Array.from(twin.batch.rewards));
    }
    twin.dispose();
    bad.dispose();
    good.dispose();
  });

  it('each session gets its own copy of a registered function: globals do not leak between sessions', async () => {
    await ready(3);
    register('counter', '(() => { let n = 0; return () => ++n; })()');
    const a = session({ reward: 'counter' });
    const b = session({ reward: 'counter' });
    a.reset(0, undefined);
    b.reset(0, undefined);
    a.step(3);
    a.step(3);
    b.step(3);
    assert.equal(a.batch.rewards[0], 2);
    assert.equal(b.batch.rewards[0], 1);
    a.dispose();
    b.dispose();
  });
});

describe('sandbox: a failed reward leaves the session as it was before the step', () => {
  /** A gridworld reward that throws on a hazard; the twin session pays the seed's rewards. */
  const SEED_LIKE = '(s, a, sn, info) => { if (info.cell === "hazard" && globalThis.armed) throw new Error("boom at " + sn); return info.cell === "goal" ? 0 : info.cell === "hazard" ? -200 : -1; }';

  it('single env with random starts and random-legal off-grid moves: same trajectory as a twin that never failed', async () => {
    await ready(2);
    register('armed', SEED_LIKE.replace('globalThis.armed', 'true'));
    const config = { random_start: true, off_grid: 'random_legal' };
    const s = session({ reward: 'armed', config, seed: 7 });
    const twin = session({ reward: 'seed', config, seed: 7 });
    s.reset(7, undefined);
    twin.reset(7, undefined);
    const rng = new Rng(1);
    let failures = 0;
    for (let k = 0; k < 400; k++) {
      const a = rng.nextInt(4);
      const before = stateOf(s);
      try {
        s.step(a);
      } catch (err) {
        assert.equal((err as DomainError).reason, 'REWARD_THREW');
        assert.deepEqual(stateOf(s), before, `step ${k}: state changed by a failed step`);
        failures++;
        // Take the same step with the built-in seed reward, then go back to the sandboxed one.
        s.setReward('seed', undefined);
        s.step(a);
        await ready(1);
        s.setReward('armed', undefined);
      }
      twin.step(a);
      assert.deepEqual(Array.from(s.batch.observations), Array.from(twin.batch.observations), `step ${k}`);
      assert.equal(s.batch.rewards[0], twin.batch.rewards[0]);
      if (s.batch.terminated[0] || s.batch.truncated[0]) {
        s.reset(undefined, undefined);
        twin.reset(undefined, undefined);
      }
    }
    assert.ok(failures > 5, `the walk entered hazards (${failures})`);
    assert.equal(s.totalSteps, twin.totalSteps);
    s.dispose();
    twin.dispose();
  });

  for (const autoreset of ['next_step', 'same_step'] as AutoresetMode[]) {
    it(`vector session (${autoreset} autoreset, episodes ending and resetting): a failed stepBatch changes nothing`, async () => {
      await ready(2);
      // 'S.HG' with random starts: episodes end within a few steps, so autoresets happen often.
      const config = { map: 'S.H.G\n.H...', random_start: true, off_grid: 'random_legal' };
      register(`armed_${autoreset}`, SEED_LIKE.replace('globalThis.armed', 'true'));
      const s = session({ reward: `armed_${autoreset}`, config, numEnvs: 16, autoreset, seed: 3 });
      const twin = session({ reward: 'seed', config, numEnvs: 16, autoreset, seed: 3 });
      s.reset(3, undefined);
      twin.reset(3, undefined);
      const rng = new Rng(2);
      let failures = 0;
      for (let k = 0; k < 200; k++) {
        const actions = Array.from({ length: 16 }, () => rng.nextInt(4));
        const before = stateOf(s);
        const finalBefore = Array.from(s.finalObservations);
        try {
          s.stepBatch(actions);
        } catch (err) {
          assert.equal((err as DomainError).reason, 'REWARD_THREW');
          assert.match((err as DomainError).message, /on copy \d+/);
          assert.deepEqual(stateOf(s), before, `step ${k}`);
          assert.deepEqual(Array.from(s.finalObservations), finalBefore);
          failures++;
          s.setReward('seed', undefined);
          s.stepBatch(actions);
          await ready(1);
          s.setReward(`armed_${autoreset}`, undefined);
        }
        twin.stepBatch(actions);
        assert.deepEqual(stateOf(s), stateOf(twin), `step ${k}`);
      }
      assert.ok(failures > 5);
      s.dispose();
      twin.dispose();
    });
  }

  it('CartPole vector: a timeout leaves the float64 state, counters and PRNGs as they were', async () => {
    await ready(2);
    register('slow_when_far', '(s, a, sn) => { if (Math.abs(sn[0]) > 0.05) { for (;;) {} } return 1; }', { env: CART });
    const s = session({ env: CART, reward: 'slow_when_far', numEnvs: 8 });
    s.reset(1, undefined);
    let timedOut = false;
    for (let k = 0; k < 40 && !timedOut; k++) {
      const before = stateOf(s);
      try {
        s.stepBatch([1, 1, 1, 1, 1, 1, 1, 1]);
      } catch (err) {
        assert.equal((err as DomainError).reason, 'REWARD_TIMEOUT');
        assert.deepEqual(stateOf(s), before);
        timedOut = true;
      }
    }
    assert.ok(timedOut);
    s.dispose();
  });
});

describe('sandbox: CartPole vectors stepped in WebAssembly SIMD', () => {
  it('70 copies: a throwing reward leaves the state as it was, and SIMD steps with a built-in reward and per-copy steps with a sandboxed one agree with a twin', async () => {
    await ready(2);
    register('one_or_throw', '(s, a, sn) => { if (globalThis.armed && Math.abs(sn[0]) > 0.08) throw new Error("far"); return 1; }', { env: CART });
    register('one_armed', '(s, a, sn) => { globalThis.armed = true; if (Math.abs(sn[0]) > 0.08) throw new Error("far"); return 1; }', { env: CART });
    const n = 70;
    const s = session({ env: CART, reward: 'gymnasium', numEnvs: n, seed: 5 });
    const twin = session({ env: CART, reward: 'gymnasium', numEnvs: n, seed: 5 });
    assert.ok((s.batch as CartPoleBatch).simd, 'a batch of 70 copies steps in SIMD');
    s.reset(5, undefined);
    twin.reset(5, undefined);
    const rng = new Rng(9);
    let failures = 0;
    for (let k = 0; k < 120; k++) {
      // Thirds: built-in (SIMD kernel), a sandboxed reward that never throws, one that may.
      const phase = k % 3;
      s.setReward(phase === 0 ? 'gymnasium' : phase === 1 ? 'one_or_throw' : 'one_armed', undefined);
      await ready(1);
      const actions = Array.from({ length: n }, () => rng.nextInt(2));
      const before = stateOf(s);
      try {
        s.stepBatch(actions);
      } catch (err) {
        assert.equal((err as DomainError).reason, 'REWARD_THREW');
        assert.deepEqual(stateOf(s), before, `step ${k}`);
        failures++;
        s.setReward('gymnasium', undefined);
        s.stepBatch(actions);
      }
      twin.stepBatch(actions);
      assert.deepEqual(stateOf(s), stateOf(twin), `step ${k}`);
    }
    assert.ok(failures > 3, `the reward threw (${failures})`);
    s.dispose();
    twin.dispose();
  });
});

describe('sandbox: batching and agreement with the built-ins', () => {
  it('a vector step is one sandbox call, also when some copies are autoreset', async () => {
    await ready(2);
    register('minus_one', '() => -1');
    const s = session({ reward: 'minus_one', numEnvs: 64, config: { map: 'S.G\n...' } });
    s.reset(0, undefined);
    const original = SandboxProgram.prototype.run;
    let calls = 0;
    let transitions = 0;
    SandboxProgram.prototype.run = function (count, data, out) {
      calls++;
      transitions += count;
      return original.call(this, count, data, out);
    };
    try {
      s.stepBatch(new Array(64).fill(3)); // every copy moves to the middle
      s.stepBatch(new Array(64).fill(3)); // every copy reaches G
      s.stepBatch(new Array(64).fill(3)); // NEXT_STEP: every copy resets (no reward call needed)
      s.stepBatch(Array.from({ length: 64 }, (_, i) => (i % 2 ? 3 : 2)));
    } finally {
      SandboxProgram.prototype.run = original;
    }
    assert.equal(calls, 3);
    assert.equal(transitions, 3 * 64);
    s.dispose();
  });

  it('sandboxed copies of seed and gymnasium pay exactly what the built-ins pay; info carries positions and flags', async () => {
    await ready(8);
    register('seed_js', '(s, a, sn, info) => info.cell === "goal" ? 0 : info.cell === "hazard" ? -200 : -1');
    register('where', '(s, a, sn, i) => ((((i.row * 100 + i.col) * 100 + i.nextRow) * 100 + i.nextCol) * 10 + (i.offGrid ? 1 : 0)) * 10 + (i.terminated ? 1 : 0) + (s === i.row * i.width + i.col && sn === i.nextRow * i.width + i.nextCol && i.goalRow === 9 && i.goalCol === 12 && i.height === 11 ? 0 : 0.5)');
    register('gym_js', '(s, a, sn, info) => info.terminated ? (info.afterTermination ? 0 : 1) : 1', { env: CART });
    register('angle_js', '(s, a, sn, i, p) => i.terminated ? (i.afterTermination ? 0 : -1) : 1 - 0.5 * (sn[2] / i.thetaThreshold) ** 2 - 0.5 * (sn[0] / i.xThreshold) ** 2', { env: CART });
    const rng = new Rng(5);
    const pairs: [EnvSession, EnvSession][] = [
      [session({ reward: 'seed_js', numEnvs: 32, config: { random_start: true } }), session({ reward: 'seed', numEnvs: 32, config: { random_start: true } })],
      [session({ env: CART, reward: 'gym_js', numEnvs: 32 }), session({ env: CART, reward: 'gymnasium', numEnvs: 32 })],
      [session({ env: CART, reward: 'angle_js', numEnvs: 32 }), session({ env: CART, reward: 'angle_position', numEnvs: 32 })],
    ];
    for (const [js, builtin] of pairs) {
      js.reset(11, undefined);
      builtin.reset(11, undefined);
      for (let k = 0; k < 300; k++) {
        const actions = Array.from({ length: 32 }, () => rng.nextInt(js.type.id === CART ? 2 : 4));
        js.stepBatch(actions);
        builtin.stepBatch(actions);
        assert.deepEqual(Array.from(js.batch.rewards), Array.from(builtin.batch.rewards));
        assert.deepEqual(Array.from(js.batch.observations), Array.from(builtin.batch.observations));
      }
      js.dispose();
      builtin.dispose();
    }
    const w = session({ reward: 'where' });
    w.reset(0, undefined);
    w.step(2); // off the grid from S (9, 0): stays
    assert.equal(w.batch.rewards[0], ((((9 * 100 + 0) * 100 + 9) * 100 + 0) * 10 + 1) * 10);
    w.step(1); // down to (10, 0)
    assert.equal(w.batch.rewards[0], ((((9 * 100 + 0) * 100 + 10) * 100 + 0) * 10 + 0) * 10);
    w.dispose();
  });

  it('params are passed (and frozen); the session records the reward function, its params and origin', async () => {
    await ready(4);
    register('scaled', '(s, a, sn, info, p) => { try { p.k = 99 } catch (e) {} return p.k * (p.flip ? -1 : 1) }', {
      params: [
        { name: 'k', type: 'number', description: 'scale', default: 2 },
        { name: 'flip', type: 'bool', description: '', default: false },
      ],
    });
    const s = session({ reward: 'scaled', params: { k: 3 } });
    assert.equal(s.rewardFunction, 'scaled');
    assert.deepEqual(s.rewardParams, { k: 3, flip: false });
    assert.equal(s.rewardOrigin, 'client');
    s.reset(0, undefined);
    s.step(3);
    s.step(3);
    assert.equal(s.batch.rewards[0], 3);
    await ready(1);
    s.setReward('scaled', { flip: true });
    s.step(3);
    assert.equal(s.batch.rewards[0], -2);
    assert.throws(() => s.setReward('scaled', { k: 'big' }), (e: DomainError) => e.field === 'reward_params.k');
    assert.equal(s.rewardFunction, 'scaled');
    assert.deepEqual(s.rewardParams, { k: 2, flip: true }, 'a refused SetReward keeps the reward');
    s.dispose();
  });

  it("a private copy made with session.type.create (Evaluate's) runs the session's sandboxed reward", async () => {
    await ready(3);
    register('minus_seven', '() => -7');
    const s = session({ reward: 'minus_seven' });
    const copy = s.type.create(1, s.config, { name: s.rewardFunction, params: s.rewardParams }, 0);
    copy.reset(0, 0, {});
    copy.step(0, 3);
    assert.equal(copy.rewards[0], -7);
    (copy as unknown as { disposeReward(): void }).disposeReward();
    s.dispose();
  });
});

describe('registered reward functions: ownership and lifetime', () => {
  it('a client reward is usable by its owner only; a session reward by its session only, and dies with it', async () => {
    await ready(6);
    freshRegistry();
    register('mine', '() => -2', { owner: 'alice' });
    const bob = session({ owner: 'bob' });
    assert.throws(() => bob.setReward('mine', undefined), (e: DomainError) => e.reason === 'UNKNOWN_REWARD_FUNCTION');
    assert.deepEqual(registry.list('bob'), []);

    const a1 = session({ owner: 'alice' });
    const a2 = session({ owner: 'alice' });
    register('only_a1', '() => -3', { session: a1.id });
    a1.setReward('only_a1', undefined);
    assert.throws(() => a2.setReward('only_a1', undefined), (e: DomainError) => e.reason === 'UNKNOWN_REWARD_FUNCTION');
    a2.setReward('mine', undefined);
    assert.deepEqual(registry.list('alice', { sessionId: a1.id }).map((r) => r.name), ['only_a1']);
    assert.deepEqual(registry.list('alice').find((r) => r.name === 'mine')?.usedBy, new Set([a2.id]));

    assert.throws(() => registry.delete('alice', 'mine', ''), (e: DomainError) => e.code === 'FAILED_PRECONDITION' && e.reason === 'REWARD_IN_USE' && e.message.includes(a2.id));
    assert.throws(() => registry.delete('bob', 'mine', ''), (e: DomainError) => e.code === 'NOT_FOUND');
    a2.setReward('seed', undefined);
    registry.delete('alice', 'mine', '');
    assert.throws(() => a2.setReward('mine', undefined), (e: DomainError) => e.reason === 'UNKNOWN_REWARD_FUNCTION');

    a1.dispose();
    assert.deepEqual(registry.list('alice'), [], "the session's own reward went with it");
    a2.dispose();
    bob.dispose();
  });

  it('names: not a built-in, unique per owner and scope; bad names, params and env types are refused', async () => {
    await ready(8);
    freshRegistry();
    assert.throws(() => register('seed', '() => 1'), (e: DomainError) => e.code === 'ALREADY_EXISTS' && e.reason === 'REWARD_NAME_TAKEN');
    register('dup', '() => 1');
    assert.throws(() => register('dup', '() => 2'), (e: DomainError) => e.code === 'ALREADY_EXISTS' && e.reason === 'REWARD_EXISTS');
    register('dup', '() => 3', { owner: 'bob' });
    assert.throws(() => register('has space', '() => 1'), (e: DomainError) => e.field === 'name');
    assert.throws(() => register('p', '() => 1', { params: [{ name: 'k', type: 'number', description: '', default: 'x' }] }), (e: DomainError) => e.field === 'params[0].default_value.k');
    assert.throws(() => register('c', '() => 1', { env: 'Pong-v0' }), (e: DomainError) => e.field === 'env_id');
    register('for_cart', '() => 1', { env: CART });
    const g = session();
    assert.throws(() => g.setReward('for_cart', undefined), (e: DomainError) => e.reason === 'WRONG_ENV_TYPE');
    g.dispose();
    const small = new RewardRegistry(envTypes, [], { maxPerOwner: 2 });
    small.register({ name: 'a', envTypeId: GRID, sessionId: '', source: '() => 1', description: '', params: [] }, 'alice');
    small.register({ name: 'b', envTypeId: GRID, sessionId: '', source: '() => 1', description: '', params: [] }, 'alice');
    assert.throws(
      () => small.register({ name: 'c', envTypeId: GRID, sessionId: '', source: '() => 1', description: '', params: [] }, 'alice'),
      (e: DomainError) => e.code === 'RESOURCE_EXHAUSTED',
    );
  });
});
