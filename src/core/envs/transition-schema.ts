/**
 * An env type's transition schema: what a reward function f(s, a, sNext, info, params) is
 * given for one step. From it come both ends of the sandbox's record format - the writer
 * the batch fills (TransitionWriter) and the JavaScript that reads a record back into
 * (s, a, sNext, info) inside the sandbox (transitionCodec) - so the two cannot disagree:
 * both take each value's column from recordLayout.
 *
 * A record is one Float64Array row: [s, a, sNext, then every 'step' field in schema order],
 * where s and sNext take one number (a state index) or `state` numbers each. 'batch' fields
 * are fixed by a batch's config and are not recorded: the reader holds them as literals.
 */

import type { SandboxCodec } from '../rewards/sandbox.js';

/**
 * How a fact is typed and recorded (every recorded value is one float64):
 * 'number' any finite number and 'int' an integer, as they are; 'bool' as 1 / 0;
 * { enum } one of these strings, as its index.
 */
export type TransitionFieldType = 'number' | 'int' | 'bool' | { readonly enum: readonly string[] };

/** One key of `info`. */
export interface TransitionField {
  /**
   * The key in info, and the property of the env's facts object the value is read from
   * (test/unit/transition-schema.test.ts checks that the sample's facts have it).
   */
  readonly name: string;
  readonly type: TransitionFieldType;
  /** 'step': recorded for every transition; 'batch': fixed for a batch (by its config). */
  readonly per: 'step' | 'batch';
  /** What it means, with units. */
  readonly description: string;
}

/** One transition as reward functions receive it in-process. */
export interface TransitionSample<S, F> {
  readonly s: S;
  readonly a: number;
  readonly sNext: S;
  readonly facts: F;
}

/**
 * What an env type's reward functions see. `S` is the state argument (a number, or a
 * Float64Array of `state` numbers in-process and an array in the sandbox); `F` the env's
 * facts object, which has at least every field (in-process functions get that object
 * itself, so it may carry more).
 */
export interface TransitionSchema<S, F> {
  /** s and sNext: 'index' for one number (a Discrete state index), or how many numbers. */
  readonly state: 'index' | number;
  /** What s and sNext hold, with units. */
  readonly stateDescription: string;
  /** The keys of info, in the order the sandbox builds it. */
  readonly fields: readonly TransitionField[];
  /** A typical first step with the default config (plugins are tried on it at start-up). */
  sample(): TransitionSample<S, F>;
}

/** Numbers s (and sNext) take in a record. */
export function stateWidth(schema: TransitionSchema<unknown, unknown>): number {
  return schema.state === 'index' ? 1 : schema.state;
}

/** Where each value of a record lives: column of s, a, sNext, and of every 'step' field (-1 for 'batch' fields), and the record's width. */
export interface RecordLayout {
  readonly s: number;
  readonly a: number;
  readonly sNext: number;
  /** Column of fields[k], or -1 when it is not recorded. */
  readonly fieldColumns: readonly number[];
  readonly width: number;
}

/** The record layout of a schema: [s, a, sNext, step fields in schema order]. */
export function recordLayout(schema: TransitionSchema<unknown, unknown>): RecordLayout {
  const sw = stateWidth(schema);
  let next = 2 * sw + 1;
  const fieldColumns = schema.fields.map((f) => (f.per === 'step' ? next++ : -1));
  return { s: 0, a: sw, sNext: sw + 1, fieldColumns, width: next };
}

function enumOf(type: TransitionFieldType): readonly string[] | undefined {
  if (typeof type !== 'object') return undefined;
  if (type.enum.length === 0) throw new Error('a transition field of type enum needs at least one choice');
  return type.enum;
}

/** A fact's value as a record number (bool 1 / 0, enum its index); throws if it is not of the field's type. */
function encode(field: TransitionField, value: unknown): number {
  const choices = enumOf(field.type);
  if (choices !== undefined) {
    const k = choices.indexOf(value as string);
    if (k < 0) throw new Error(`transition field ${field.name}: ${JSON.stringify(value)} is not one of ${choices.join(', ')}`);
    return k;
  }
  if (field.type === 'bool') return value === true ? 1 : 0;
  return value as number;
}

/**
 * Writes transitions into sandbox records: the batch fills its facts object (the one given
 * here) and calls write(d, o, s, a, sNext) for the record at offset o. Allocates nothing.
 */
export class TransitionWriter<S, F> {
  readonly layout: RecordLayout;
  private readonly index: boolean;
  private readonly width: number;
  private readonly fields: TransitionField[] = [];
  private readonly columns: number[] = [];

  constructor(
    schema: TransitionSchema<S, F>,
    private readonly facts: F,
  ) {
    this.layout = recordLayout(schema);
    this.index = schema.state === 'index';
    this.width = stateWidth(schema);
    schema.fields.forEach((f, k) => {
      if (f.per === 'step') {
        this.fields.push(f);
        this.columns.push(this.layout.fieldColumns[k]);
      }
    });
  }

  /** Writes s, a, sNext and the facts' 'step' fields at d[o, o + layout.width). */
  write(d: Float64Array, o: number, s: S, a: number, sNext: S): void {
    const L = this.layout;
    if (this.index) {
      d[o + L.s] = s as number;
      d[o + L.sNext] = sNext as number;
    } else {
      const w = this.width;
      for (let k = 0; k < w; k++) {
        d[o + L.s + k] = (s as ArrayLike<number>)[k];
        d[o + L.sNext + k] = (sNext as ArrayLike<number>)[k];
      }
    }
    d[o + L.a] = a;
    const facts = this.facts as Record<string, unknown>;
    const fields = this.fields;
    for (let k = 0; k < fields.length; k++) d[o + this.columns[k]] = encode(fields[k], facts[fields[k].name]);
  }
}

/** JavaScript literal of a 'batch' field's value (checked against its type). */
function literal(field: TransitionField, value: unknown): string {
  const choices = enumOf(field.type);
  if (choices !== undefined) {
    if (!choices.includes(value as string)) throw new Error(`transition field ${field.name}: ${JSON.stringify(value)} is not one of ${choices.join(', ')}`);
    return JSON.stringify(value);
  }
  if (field.type === 'bool') return value === true ? 'true' : 'false';
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`transition field ${field.name}: ${String(value)} is not a finite number`);
  return Object.is(value, -0) ? '-0' : String(value);
}

/**
 * The sandbox's reader for a schema: SandboxCodec.callBody decodes the record at offset o
 * of d into (s, a, sNext, info) - s and sNext numbers or arrays, info a fresh object with
 * the schema's fields in order ('batch' fields from `facts`, as literals) - and calls fn.
 * It uses only operators and literals (see SandboxCodec).
 */
export function transitionCodec<S, F>(schema: TransitionSchema<S, F>, facts: F): SandboxCodec {
  const L = recordLayout(schema);
  const at = (col: number) => `d[o + ${col}]`;
  const state = (col: number) =>
    schema.state === 'index' ? at(col) : `[${Array.from({ length: schema.state as number }, (_, k) => at(col + k)).join(', ')}]`;
  const prelude: string[] = [];
  const entries = schema.fields.map((f, k) => {
    const key = JSON.stringify(f.name);
    const col = L.fieldColumns[k];
    if (col < 0) return `${key}: ${literal(f, (facts as Record<string, unknown>)[f.name])}`;
    const choices = enumOf(f.type);
    if (choices !== undefined) {
      // One read of the index, then a chain of comparisons (the last choice for anything else).
      const v = `e${col}`;
      prelude.push(`const ${v} = ${at(col)};`);
      const chain = choices.slice(0, -1).map((c, i) => `${v} === ${i} ? ${JSON.stringify(c)} : `).join('');
      return `${key}: ${chain}${JSON.stringify(choices[choices.length - 1])}`;
    }
    return `${key}: ${f.type === 'bool' ? `${at(col)} === 1` : at(col)}`;
  });
  return {
    recordWidth: L.width,
    callBody: `
    ${prelude.join(' ')}
    return fn(${state(L.s)}, ${at(L.a)}, ${state(L.sNext)}, { ${entries.join(', ')} }, P);`,
  };
}
