import protobuf from 'protobufjs';
import { invalidArgument } from '../../core/errors.js';
import { descriptorRoot } from '../descriptors.js';

/**
 * REST JSON <-> proto3 canonical JSON, driven by the API's descriptors (src/gen/gymhost.binpb,
 * which buf builds from the .proto files: see ../descriptors.ts). REST JSON is the proto3 JSON
 * mapping except that gymhost.v1.SpaceValue and gymhost.v1.Tensor appear as plain JSON
 * numbers and (nested) arrays, and uint8 flag tensors (terminated, truncated, reset_mask) as
 * arrays of booleans.
 */

export const protoRoot: protobuf.Root = descriptorRoot();

export function messageType(name: string): protobuf.Type {
  return protoRoot.lookupType(name);
}

const SPACE_VALUE = 'gymhost.v1.SpaceValue';
const TENSOR = 'gymhost.v1.Tensor';
const FLAG_FIELDS = new Set(['terminated', 'truncated', 'resetMask']);
const INT_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function fullName(t: protobuf.Type): string {
  return t.fullName.replace(/^\./, '');
}

/**
 * Checks a REST request body against message `type` and rewrites it to canonical proto3
 * JSON (ready for ts-proto's fromJSON). Unknown fields and wrong JSON types are
 * INVALID_ARGUMENT naming the field and what is allowed.
 */
export function restToCanonical(type: protobuf.Type, value: unknown, where = ''): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgument(where || 'body', `${where || 'the request body'} must be a JSON object (${fullName(type)})`, 'WRONG_JSON_TYPE');
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = fieldByName(type, key);
    const at = where ? `${where}.${key}` : key;
    if (!field) {
      const allowed = Object.values(type.fields).map(jsonName).join(', ') || '(none)';
      throw invalidArgument(at, `unknown field '${key}'${where ? ` in ${where}` : ''}; allowed: ${allowed}`, 'UNKNOWN_FIELD');
    }
    if (v === null) continue;
    out[jsonName(field)] = field.repeated
      ? checkArray(v, at).map((item, i) => fieldToCanonical(field, item, `${at}[${i}]`))
      : fieldToCanonical(field, v, at);
  }
  return out;
}

function fieldToCanonical(field: protobuf.Field, v: unknown, at: string): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) {
    const name = fullName(rt);
    if (name === SPACE_VALUE) return typeof v === 'number' ? { discrete: checkInteger(v, at) } : { tensor: nestedToTensor(v, at) };
    if (name === TENSOR) return nestedToTensor(v, at);
    if (name === 'google.protobuf.Struct') {
      if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(at, `${at} must be a JSON object`, 'WRONG_JSON_TYPE');
      return v;
    }
    if (name === 'google.protobuf.Value') return v;
    if (name === 'google.protobuf.Timestamp') return checkType(v, 'string', at, 'an RFC 3339 timestamp string');
    return restToCanonical(rt, v, at);
  }
  if (rt instanceof protobuf.Enum) {
    if (typeof v === 'string' && v in rt.values) return v;
    if (typeof v === 'number' && Object.values(rt.values).includes(v)) return v;
    throw invalidArgument(at, `${at} must be one of ${Object.keys(rt.values).join(', ')}, got ${JSON.stringify(v)}`, 'BAD_ENUM');
  }
  switch (field.type) {
    case 'bool':
      return checkType(v, 'boolean', at, 'true or false');
    case 'string':
      return checkType(v, 'string', at, 'a string');
    case 'bytes':
      return checkType(v, 'string', at, 'a base64 string');
    case 'double':
    case 'float':
      if (typeof v !== 'number') throw invalidArgument(at, `${at} must be a number, got ${describe(v)}`, 'WRONG_JSON_TYPE');
      return v;
    default:
      if (INT_TYPES.has(field.type)) {
        const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
        if (typeof n !== 'number') throw invalidArgument(at, `${at} must be an integer, got ${describe(v)}`, 'WRONG_JSON_TYPE');
        return checkInteger(n, at);
      }
      return v;
  }
}

/** Nested JSON arrays of numbers -> canonical Tensor JSON (integers as INT32 when they fit, else FLOAT64). */
function nestedToTensor(v: unknown, at: string): Record<string, unknown> {
  const shape: number[] = [];
  let probe: unknown = v;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: number[] = [];
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') throw invalidArgument(path, `${path} must be a number, got ${describe(node)}`, 'WRONG_JSON_TYPE');
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw invalidArgument(path, `${at} must be a rectangular array of numbers (shape [${shape.join(', ')}])`, 'WRONG_SHAPE');
    }
    node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(v, 0, at);
  const ints = flat.every((x) => Number.isInteger(x) && x >= -2147483648 && x <= 2147483647);
  const data = ints ? new Int32Array(flat) : new Float64Array(flat);
  return {
    dtype: ints ? 'DTYPE_INT32' : 'DTYPE_FLOAT64',
    shape,
    data: Buffer.from(data.buffer).toString('base64'),
  };
}

/**
 * Rewrites canonical proto3 JSON (ts-proto toJSON output) of message `type` to REST JSON:
 * SpaceValues and Tensors become plain numbers and nested arrays.
 */
export function canonicalToRest(type: protobuf.Type, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = { ...defaultsOf(type) };
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = fieldByName(type, key);
    const rt = field?.resolvedType;
    if (!field || !(rt instanceof protobuf.Type)) {
      out[key] = v;
      continue;
    }
    const name = fullName(rt);
    const convert = (item: unknown): unknown => {
      if (name === SPACE_VALUE) {
        const sv = item as { discrete?: number | string; tensor?: CanonicalTensor };
        return sv.tensor ? tensorToNested(sv.tensor, false) : Number(sv.discrete ?? 0);
      }
      if (name === TENSOR) return tensorToNested(item as CanonicalTensor, FLAG_FIELDS.has(key));
      if (name.startsWith('google.protobuf.')) return item;
      return canonicalToRest(rt, item);
    };
    out[key] = field.repeated && Array.isArray(v) ? v.map(convert) : convert(v);
  }
  return out;
}

interface CanonicalTensor {
  dtype?: string;
  shape?: (number | string)[];
  data?: string;
}

function tensorToNested(t: CanonicalTensor, asBool: boolean): unknown {
  const bytes = Buffer.from(t.data ?? '', 'base64');
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  let flat: ArrayLike<number> | ArrayLike<bigint>;
  switch (t.dtype) {
    case 'DTYPE_FLOAT32':
      flat = new Float32Array(ab);
      break;
    case 'DTYPE_FLOAT64':
      flat = new Float64Array(ab);
      break;
    case 'DTYPE_INT32':
      flat = new Int32Array(ab);
      break;
    case 'DTYPE_INT64':
      flat = new BigInt64Array(ab);
      break;
    default:
      flat = new Uint8Array(ab);
  }
  const f32 = t.dtype === 'DTYPE_FLOAT32';
  const values = Array.from(flat as ArrayLike<number | bigint>, (x) => (asBool ? x !== 0 && x !== 0n : f32 ? shortestFloat32(Number(x)) : Number(x)));
  const shape = (t.shape ?? []).map(Number);
  if (shape.length === 0) return values[0];
  let pos = 0;
  const build = (depth: number): unknown => {
    if (depth === shape.length - 1) {
      const row = values.slice(pos, pos + shape[depth]);
      pos += shape[depth];
      return row;
    }
    return Array.from({ length: shape[depth] }, () => build(depth + 1));
  };
  return build(0);
}

/**
 * proto3 JSON with "emit default values": scalar, enum and repeated fields that ts-proto's
 * toJSON leaves out (false, 0, "", []) so clients always see every field.
 */
function defaultsOf(type: protobuf.Type): Record<string, unknown> {
  const cached = DEFAULTS.get(type);
  if (cached) return cached;
  const out: Record<string, unknown> = {};
  for (const f of Object.values(type.fields)) {
    if (f.partOf || (f.resolvedType instanceof protobuf.Type && !f.repeated)) continue;
    if (f.repeated) out[jsonName(f)] = Object.freeze([]);
    else if (f.resolvedType instanceof protobuf.Enum) out[jsonName(f)] = Object.keys(f.resolvedType.values)[0];
    else if (f.type === 'bool') out[jsonName(f)] = false;
    else if (f.type === 'string' || f.type === 'bytes') out[jsonName(f)] = '';
    else out[jsonName(f)] = 0;
  }
  DEFAULTS.set(type, out);
  return out;
}

/** The shortest decimal that reads back as the same float32 (0.01, not 0.009999999776482582). */
function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

/** The proto3 JSON name of a field: lowerCamelCase of its proto name. */
export function jsonName(f: protobuf.Field): string {
  return f.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** The field of `type` called `key` in JSON (camelCase) or in the .proto (snake_case). */
export function fieldByName(type: protobuf.Type, key: string): protobuf.Field | undefined {
  let byName = FIELDS.get(type);
  if (!byName) {
    byName = new Map();
    for (const f of Object.values(type.fields)) {
      byName.set(f.name, f);
      byName.set(jsonName(f), f);
    }
    FIELDS.set(type, byName);
  }
  return byName.get(key);
}

const FIELDS = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();
const DEFAULTS = new WeakMap<protobuf.Type, Record<string, unknown>>();

function checkArray(v: unknown, at: string): unknown[] {
  if (!Array.isArray(v)) throw invalidArgument(at, `${at} must be an array, got ${describe(v)}`, 'WRONG_JSON_TYPE');
  return v;
}

function checkType(v: unknown, type: string, at: string, what: string): unknown {
  if (typeof v !== type) throw invalidArgument(at, `${at} must be ${what}, got ${describe(v)}`, 'WRONG_JSON_TYPE');
  return v;
}

function checkInteger(v: number, at: string): number {
  if (!Number.isSafeInteger(v)) throw invalidArgument(at, `${at} must be an integer, got ${v}`, 'WRONG_JSON_TYPE');
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return typeof v === 'object' ? 'an object' : String(v);
}
