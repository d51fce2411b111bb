/**
 * Every env type's transition schema, both ends: values written by TransitionWriter come
 * back unchanged from the JavaScript reader (transitionCodec) inside the real sandbox, for
 * every field of every env, and info has exactly the schema's keys in order.
 */

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { envTypes } from '../../src/core/envs/registry.js';
import { recordLayout, stateWidth, transitionCodec, TransitionWriter, type TransitionField, type TransitionSchema } from '../../src/core/envs/transition-schema.js';
import { DEFAULT_SANDBOX_LIMITS, loadSandbox, reserveSandboxes, SandboxProgram } from '../../src/core/rewards/sandbox.js';
import { Rng } from '../../src/core/rng.js';

const rng = new Rng(20240614);

/** A random value of a field's type, as the facts object holds it. */
function randomValue(f: TransitionField): number | boolean | string {
  if (typeof f.type === 'object') return f.type.enum[rng.nextInt(f.type.enum.length)];
  if (f.type === 'bool') return rng.nextInt(2) === 1;
  if (f.type === 'int') return rng.nextInt(2001) - 1000;
  // Values whose decimal form is long (shortest round-trip strings), negative and tiny ones.
  const pick = rng.nextInt(4);
  return pick === 0 ? rng.nextFloat() * 1e3 - 500 : pick === 1 ? Math.PI * 1e-300 : pick === 2 ? -(2 ** 53) + 1 : rng.nextFloat();
}

/** The number a probe returns for a fact's value (bool 1 / 0, enum its index). */
function asNumber(f: TransitionField, v: unknown): number {
  if (typeof f.type === 'object') return f.type.enum.indexOf(v as string);
  if (f.type === 'bool') return v === true ? 1 : 0;
  return v as number;
}

/** JavaScript expression of probe `k`'s value: s[0..], a, sNext[0..], info fields, then checks of info's keys and the states' shape. */
function probeExpressions(schema: TransitionSchema<unknown, unknown>): string[] {
  const sw = stateWidth(schema);
  const st = (name: string) => (schema.state === 'index' ? [name] : Array.from({ length: sw }, (_, k) => `${name}[${k}]`));
  const fields = schema.fields.map((f) =>
    typeof f.type === 'object'
      ? `${JSON.stringify(f.type.enum)}.indexOf(info[${JSON.stringify(f.name)}])`
      : f.type === 'bool'
        ? `(info[${JSON.stringify(f.name)}] === true ? 1 : info[${JSON.stringify(f.name)}] === false ? 0 : -1)`
        : `info[${JSON.stringify(f.name)}]`,
  );
  const keys = JSON.stringify(schema.fields.map((f) => f.name).join(','));
  const shape = schema.state === 'index' ? `(typeof s === "number" && typeof sNext === "number" ? 1 : 0)` : `(Array.isArray(s) && s.length === ${sw} && Array.isArray(sNext) && sNext.length === ${sw} ? 1 : 0)`;
  return [...st('s'), 'a', ...st('sNext'), ...fields, `(Object.keys(info).join(",") === ${keys} ? 1 : 0)`, shape];
}

describe('transition schemas: writer -> sandbox reader round trip', () => {
  before(async () => {
    await loadSandbox({ poolSize: 2 });
  });

  for (const type of envTypes.values()) {
    const schema = type.transition;

    it(`${type.id}: every field is a property of the sample's facts, names are unique`, () => {
      const { facts } = schema.sample();
      const names = schema.fields.map((f) => f.name);
      assert.equal(new Set(names).size, names.length);
      for (const n of names) assert.ok(Object.hasOwn(facts as object, n), `${type.id} facts lack ${n}`);
    });

    it(`${type.id}: s, a, sNext and every field read back exactly in the sandbox`, async () => {
      const sample = schema.sample();
      const facts = sample.facts as Record<string, unknown>;
      // 'batch' fields are literals of the reader: random ones, fixed before it is generated.
      for (const f of schema.fields) if (f.per === 'batch') facts[f.name] = randomValue(f);
      const probes = probeExpressions(schema);
      // Transition k returns probe k % probes.length (the function counts its calls).
      const source = `(() => { let k = 0; return (s, a, sNext, info) => { const v = [${probes.join(', ')}]; const r = v[k % v.length]; k++; return r; }; })()`;
      await reserveSandboxes(1);
      const program = SandboxProgram.compile(source, transitionCodec(schema, facts), {}, DEFAULT_SANDBOX_LIMITS);
      try {
        const writer = new TransitionWriter(schema, facts);
        const width = recordLayout(schema).width;
        assert.equal(writer.layout.width, width);
        const rounds = 3;
        const n = rounds * probes.length;
        const data = new Float64Array(n * width);
        const expected: number[] = [];
        const sw = stateWidth(schema);
        for (let t = 0; t < n; t++) {
          const s = Array.from({ length: sw }, () => rng.nextInt(1000) + rng.nextFloat());
          const sNext = Array.from({ length: sw }, () => rng.nextInt(1000) - rng.nextFloat());
          const a = rng.nextInt(7);
          for (const f of schema.fields) if (f.per === 'step') facts[f.name] = randomValue(f);
          if (schema.state === 'index') writer.write(data, t * width, s[0], a, sNext[0]);
          else writer.write(data, t * width, Float64Array.from(s), a, Float64Array.from(sNext));
          const values = [...s, a, ...sNext, ...schema.fields.map((f) => asNumber(f, facts[f.name])), 1, 1];
          expected.push(values[t % probes.length]);
        }
        const out = new Float64Array(n);
        program.run(n, data, out);
        for (let t = 0; t < n; t++) {
          const k = t % probes.length;
          assert.ok(Object.is(out[t], expected[t]), `${type.id} transition ${t}, probe ${probes[k]}: wrote ${expected[t]}, read ${out[t]}`);
        }
      } finally {
        program.dispose();
      }
    });
  }
});
