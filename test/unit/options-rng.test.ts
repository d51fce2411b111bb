import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '../../src/core/errors.js';
import { resolveOptions, type OptionSpec } from '../../src/core/options.js';
import { Rng } from '../../src/core/rng.js';

const specs: OptionSpec[] = [
  { name: 'flag', type: 'bool', description: '', default: false },
  { name: 'count', type: 'int', description: '', default: 3, minimum: 1, maximum: 10 },
  { name: 'rate', type: 'number', description: '', default: 0.5, minimum: 0 },
  { name: 'mode', type: 'string', description: '', default: 'a', choices: ['a', 'b'] },
];

function fieldOf(given: Record<string, unknown>): string {
  try {
    resolveOptions(specs, given, 'config');
  } catch (err) {
    assert.ok(err instanceof DomainError);
    assert.equal(err.code, 'INVALID_ARGUMENT');
    return err.field;
  }
  assert.fail('expected INVALID_ARGUMENT');
}

test('resolveOptions fills defaults and keeps given values', () => {
  assert.deepEqual(resolveOptions(specs, undefined, 'config'), { flag: false, count: 3, rate: 0.5, mode: 'a' });
  assert.deepEqual(resolveOptions(specs, { count: 7, mode: 'b' }, 'config'), { flag: false, count: 7, rate: 0.5, mode: 'b' });
});

test('resolveOptions rejects unknown keys, wrong types, bounds and choices, naming the field', () => {
  assert.equal(fieldOf({ nope: 1 }), 'config.nope');
  assert.equal(fieldOf({ flag: 'yes' }), 'config.flag');
  assert.equal(fieldOf({ count: 2.5 }), 'config.count');
  assert.equal(fieldOf({ count: 11 }), 'config.count');
  assert.equal(fieldOf({ rate: -1 }), 'config.rate');
  assert.equal(fieldOf({ rate: Number.NaN }), 'config.rate');
  assert.equal(fieldOf({ mode: 'c' }), 'config.mode');
});

test('Rng: same seed, same stream; different seeds differ; uniform bounds', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xs = Array.from({ length: 100 }, () => a.nextFloat());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b.nextFloat()));
  assert.notDeepEqual(xs, Array.from({ length: 100 }, () => c.nextFloat()));
  for (const x of xs) assert.ok(x >= 0 && x < 1);
  a.seed(42);
  assert.equal(a.nextFloat(), xs[0], 'reseeding restarts the stream');
  assert.equal(new Rng(1).uniform(0.3, 0.3), 0.3);
  const big = new Rng(2 ** 40 + 5);
  assert.notEqual(big.nextUint32(), new Rng(5).nextUint32(), 'high seed bits matter');
});

test('Rng: nextInt is unbiased enough and in range', () => {
  const r = new Rng(7);
  const counts = new Array(4).fill(0);
  for (let i = 0; i < 40_000; i++) counts[r.nextInt(4)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 400, `count ${c}`);
  let sum = 0;
  for (let i = 0; i < 40_000; i++) sum += r.nextFloat();
  assert.ok(Math.abs(sum / 40_000 - 0.5) < 0.01);
});
