/**
 * NumpyGenerator against the real NumPy (the test venv's): for many seeds, small and up to
 * 2^53 - 1, the same 64-bit outputs and the same uniform(low, high) float64s, bit for bit,
 * as np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed))); and a restored
 * state continues the stream.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isPcg64State, NumpyGenerator, pcg64Seed, pcg64Uniform } from '../../src/core/numpy-random.js';

const PYTHON = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));

const SEEDS = [...Array.from({ length: 200 }, (_, i) => i), 1234, 99_999, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 123_456_789_012, 2 ** 53 - 1];
const DRAWS = 12;

test('NumpyGenerator draws what NumPy draws, over many seeds', () => {
  assert.ok(existsSync(PYTHON), `${PYTHON} is missing: run 'bash scripts/setup-python.sh'`);
  const script = `
import json, sys
import numpy as np
out = []
for seed in json.loads(sys.argv[1]):
    g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    ints = [str(x) for x in g.integers(0, 2**64, size=${DRAWS}, dtype=np.uint64)]
    floats = [x.hex() for x in g.uniform(-0.05, 0.05, size=(4,)).tolist()] + [x.hex() for x in g.uniform(2.5, 7.0, size=(3,)).tolist()]
    out.append({"ints": ints, "floats": floats})
print(json.dumps(out))
`;
  const r = spawnSync(PYTHON, ['-c', script, JSON.stringify(SEEDS)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const expected = JSON.parse(r.stdout) as { ints: string[]; floats: string[] }[];
  SEEDS.forEach((seed, k) => {
    const g = new NumpyGenerator(seed);
    const ints = Array.from({ length: DRAWS }, () => g.nextUint64().toString());
    assert.deepEqual(ints, expected[k].ints, `seed ${seed}: 64-bit outputs`);
    const floats = [...Array.from({ length: 4 }, () => g.uniform(-0.05, 0.05)), ...Array.from({ length: 3 }, () => g.uniform(2.5, 7.0))];
    const want = expected[k].floats.map(fromPythonHex);
    assert.deepEqual(floats, want, `seed ${seed}: uniform draws`);
    // The array form (CartPoleBatch's generators): skip the 12 64-bit draws, then the same uniforms.
    const words = new Uint32Array(24);
    pcg64Seed(seed, words, 8);
    const skipped = new Float64Array(DRAWS);
    pcg64Uniform(words, 8, 0, 1, skipped, 0, DRAWS);
    const out = new Float64Array(7);
    pcg64Uniform(words, 8, -0.05, 0.05, out, 0, 4);
    pcg64Uniform(words, 8, 2.5, 7.0, out, 4, 3);
    assert.deepEqual(Array.from(out), want, `seed ${seed}: pcg64Uniform`);
  });
});

test('pcg64Seed / pcg64Uniform: generators side by side in one array give what NumpyGenerator gives', () => {
  const seeds = [0, 1, 2, 41, 2 ** 31 - 1, 2 ** 32 + 7, 987_654_321_012, 2 ** 53 - 1];
  const words = new Uint32Array(8 * seeds.length);
  seeds.forEach((seed, g) => pcg64Seed(seed, words, 8 * g));
  const gens = seeds.map((seed) => new NumpyGenerator(seed));
  const saved = new Float64Array(8);
  gens.forEach((gen, g) => {
    gen.saveTo(saved, 0);
    assert.deepEqual(Array.from(words.subarray(8 * g, 8 * g + 8)), Array.from(saved), `seed ${seeds[g]}: seeded words`);
    assert.ok(isPcg64State(saved, 0));
  });
  // Interleaved draws of several counts and bounds (including low == high and low > high spans).
  const bounds: [number, number][] = [[-0.05, 0.05], [0, 1], [3, 3], [-1e6, 2e-3], [0.5, -0.5]];
  const out = new Float64Array(16);
  for (let round = 0; round < 300; round++) {
    const g = round % seeds.length;
    const count = 1 + (round % 7);
    const [low, high] = bounds[round % bounds.length];
    pcg64Uniform(words, 8 * g, low, high, out, 3, count);
    for (let k = 0; k < count; k++) {
      const want = gens[g].uniform(low, high);
      assert.ok(Object.is(out[3 + k], want), `round ${round} draw ${k}: ${out[3 + k]} != ${want}`);
    }
  }
  gens.forEach((gen, g) => {
    gen.saveTo(saved, 0);
    assert.deepEqual(Array.from(words.subarray(8 * g, 8 * g + 8)), Array.from(saved), `seed ${seeds[g]}: words after the draws`);
  });
  // count 0 draws nothing and leaves the state.
  const before = words.slice();
  pcg64Uniform(words, 0, 0, 1, out, 0, 0);
  assert.deepEqual(words, before);
});

test('isPcg64State: 8 unsigned 32-bit integers with an odd increment', () => {
  const ok = [1, 2, 3, 4, 5, 6, 7, 8];
  assert.ok(isPcg64State(ok, 0));
  assert.ok(isPcg64State([9, ...ok], 1));
  assert.ok(isPcg64State([0xffffffff, 0, 0, 0, 0xffffffff, 0, 0, 0], 0));
  for (const bad of [[1, 2, 3, 4, 6, 6, 7, 8], [1.5, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, -1], [2 ** 32, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, NaN], [1, 2, 3]]) {
    assert.equal(isPcg64State(bad, 0), false, JSON.stringify(bad));
  }
});

test('random(), integers() (32-bit draws with the buffered half) and choice with p draw what NumPy draws', () => {
  assert.ok(existsSync(PYTHON), `${PYTHON} is missing: run 'bash scripts/setup-python.sh'`);
  // Per seed: a script of draws interleaving 64-bit (random) and 32-bit (integers) ones, so a
  // buffered high half is used after random() calls; choice over a list uses integers(0, n).
  const script = `
import json, sys
import numpy as np
out = []
for seed in json.loads(sys.argv[1]):
    g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    row = []
    for k in range(40):
        m = k % 8
        if m in (0, 3):
            row.append(g.random().hex())
        elif m == 1:
            row.append(int(g.integers(0, 3)))
        elif m == 2:
            row.append(int(g.integers(5, 5 + [2, 7, 1000, 2**31 + 11, 2**32, 1][k % 6])))
        elif m == 4:
            row.append(int(g.choice([0, 1, 3])))
        elif m == 5:
            row.append(int(g.integers(-4, 4)))
        elif m == 6:
            row.append([int(v) for v in g.choice([0, 1, 2], size=5, p=[0.5, 0.3, 0.2]).tolist()])
        else:
            row.append(int(g.integers(0, 2**32 - 1)))
    out.append(row)
print(json.dumps(out))
`;
  const seeds = [...Array.from({ length: 60 }, (_, i) => i), 2 ** 32 + 1, 987_654_321];
  const r = spawnSync(PYTHON, ['-c', script, JSON.stringify(seeds)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const expected = JSON.parse(r.stdout) as (string | number | number[])[][];
  const idx = new Int32Array(5);
  seeds.forEach((seed, s) => {
    const g = new NumpyGenerator(seed);
    const row: (number | number[])[] = [];
    for (let k = 0; k < 40; k++) {
      const m = k % 8;
      if (m === 0 || m === 3) row.push(g.random());
      else if (m === 1) row.push(g.integers(0, 3));
      else if (m === 2) row.push(g.integers(5, 5 + [2, 7, 1000, 2 ** 31 + 11, 2 ** 32, 1][k % 6]));
      else if (m === 4) row.push([0, 1, 3][g.integers(0, 3)]);
      else if (m === 5) row.push(g.integers(-4, 4));
      else if (m === 6) {
        g.choiceIndices([0.5, 0.3, 0.2], 5, idx);
        row.push(Array.from(idx));
      } else row.push(g.integers(0, 2 ** 32 - 1));
    }
    const want = expected[s].map((v) => (typeof v === 'string' ? fromPythonHex(v) : v));
    assert.deepEqual(row, want, `seed ${seed}`);
  });
});

test('the 32-bit buffer is saved and restored with the state', () => {
  const a = new NumpyGenerator(3);
  a.integers(0, 10); // leaves the high half of a 64-bit output buffered
  const saved = new Float64Array(a.stateWords + a.bufferWords);
  a.saveTo(saved, 0);
  a.saveBufferTo(saved, a.stateWords);
  const next = [a.integers(0, 10), a.random(), a.integers(0, 1000)];
  const b = new NumpyGenerator(99);
  assert.ok(b.loadFrom(saved, 0));
  assert.ok(b.loadBufferFrom(saved, b.stateWords));
  assert.deepEqual([b.integers(0, 10), b.random(), b.integers(0, 1000)], next);
  assert.equal(b.loadBufferFrom([2, 0], 0), false);
  assert.equal(b.loadBufferFrom([1, 2 ** 32], 0), false);
  assert.throws(() => b.integers(0, 0), RangeError);
  assert.throws(() => b.integers(0, 2 ** 32 + 1), RangeError);
});

test('a saved state continues the same stream; a bad state is refused and changes nothing', () => {
  const a = new NumpyGenerator(7);
  a.random();
  const saved = new Float64Array(a.stateWords + 2);
  a.saveTo(saved, 2);
  const next = [a.random(), a.random()];
  const b = new NumpyGenerator(0);
  assert.ok(b.loadFrom(saved, 2));
  assert.deepEqual([b.random(), b.random()], next);
  const even = Float64Array.from(saved.subarray(2));
  even[4] -= 1;
  for (const bad of [[1, 2, 3], Array(8).fill(0.5), [1, 2, 3, 4, 5, 6, 7, -1], [1, 2, 3, 4, 2 ** 32, 1, 1, 1], Array.from(even)]) {
    const before = new Float64Array(8);
    b.saveTo(before, 0);
    assert.equal(b.loadFrom(bad, 0), false, JSON.stringify(bad));
    const after = new Float64Array(8);
    b.saveTo(after, 0);
    assert.deepEqual(after, before);
  }
  assert.throws(() => new NumpyGenerator(-1), /seed must be an integer/);
  assert.throws(() => new NumpyGenerator(2 ** 53), /seed must be an integer/);
});

/** Python's float.hex() ("0x1.c0a...p-7", "-0x0.0p+0") as a number. */
function fromPythonHex(text: string): number {
  const m = /^(-?)0x([01])\.([0-9a-f]*)p([+-]\d+)$/.exec(text);
  if (!m) throw new Error(`not a float.hex(): ${text}`);
  const mantissa = Number(m[2]) + (m[3] ? parseInt(m[3], 16) / 16 ** m[3].length : 0);
  return (m[1] ? -1 : 1) * mantissa * 2 ** Number(m[4]);
}
