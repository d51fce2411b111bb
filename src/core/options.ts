import { invalidArgument } from './errors.js';

/**
 * Schema of one config option, reset option or reward parameter. Values are JSON scalars.
 */
export interface OptionSpec {
  readonly name: string;
  readonly type: 'bool' | 'int' | 'number' | 'string' | 'int_list';
  readonly description: string;
  readonly default: boolean | number | string | readonly number[];
  /** Allowed strings for type 'string'. */
  readonly choices?: readonly string[];
  /** Inclusive bounds for 'int' and 'number' (and each element of 'int_list'). */
  readonly minimum?: number;
  readonly maximum?: number;
}

export type OptionValue = boolean | number | string | readonly number[];
export type OptionValues = Record<string, OptionValue>;

/** Longest 'int_list' accepted. */
const MAX_LIST = 64;

/**
 * Checks `given` against `specs` and fills in defaults. Unknown keys, wrong types,
 * non-finite numbers, values out of bounds and strings outside `choices` are
 * INVALID_ARGUMENT errors naming `${fieldPrefix}.${key}` and what is allowed.
 */
export function resolveOptions(
  specs: readonly OptionSpec[],
  given: Record<string, unknown> | undefined | null,
  fieldPrefix: string,
): OptionValues {
  const out: OptionValues = {};
  const byName = new Map(specs.map((s) => [s.name, s]));
  if (given !== undefined && given !== null) {
    if (typeof given !== 'object' || Array.isArray(given)) {
      throw invalidArgument(fieldPrefix, `${fieldPrefix} must be an object`);
    }
    for (const key of Object.keys(given)) {
      if (!byName.has(key)) {
        const allowed = specs.length ? specs.map((s) => s.name).join(', ') : '(none)';
        throw invalidArgument(`${fieldPrefix}.${key}`, `unknown option '${key}' in ${fieldPrefix}; allowed: ${allowed}`, 'UNKNOWN_OPTION');
      }
    }
  }
  for (const spec of specs) {
    const raw = given?.[spec.name];
    out[spec.name] = raw === undefined || raw === null ? spec.default : checkOption(spec, raw, `${fieldPrefix}.${spec.name}`);
  }
  return out;
}

function checkOption(spec: OptionSpec, raw: unknown, field: string): OptionValue {
  switch (spec.type) {
    case 'bool':
      if (typeof raw !== 'boolean') throw invalidArgument(field, `${field} must be true or false, got ${describe(raw)}`);
      return raw;
    case 'string':
      if (typeof raw !== 'string') throw invalidArgument(field, `${field} must be a string, got ${describe(raw)}`);
      if (spec.choices && !spec.choices.includes(raw)) {
        throw invalidArgument(field, `${field} must be one of ${spec.choices.map((c) => JSON.stringify(c)).join(', ')}, got ${JSON.stringify(raw)}`);
      }
      return raw;
    case 'int_list': {
      if (!Array.isArray(raw) || raw.length > MAX_LIST) throw invalidArgument(field, `${field} must be an array of at most ${MAX_LIST} integers, got ${describe(raw)}`);
      raw.forEach((x, i) => checkOption({ ...spec, type: 'int' }, x, `${field}[${i}]`));
      return raw as number[];
    }
    case 'int':
    case 'number': {
      if (typeof raw !== 'number' || !Number.isFinite(raw)) {
        throw invalidArgument(field, `${field} must be a finite ${spec.type === 'int' ? 'integer' : 'number'}, got ${describe(raw)}`);
      }
      if (spec.type === 'int' && !Number.isInteger(raw)) throw invalidArgument(field, `${field} must be an integer, got ${raw}`);
      if ((spec.minimum !== undefined && raw < spec.minimum) || (spec.maximum !== undefined && raw > spec.maximum)) {
        throw invalidArgument(field, `${field} must be in [${spec.minimum ?? '-inf'}, ${spec.maximum ?? 'inf'}], got ${raw}`, 'OUT_OF_RANGE');
      }
      return raw;
    }
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return 'an array';
  return v === null ? 'null' : typeof v;
}
