import { invalidArgument } from '../../core/errors.js';
import type { Dtype as DomainDtype, Space } from '../../core/spaces.js';
import { Dtype, type Space as SpaceMsg, type SpaceValue, type Tensor } from '../../gen/gymhost/v1/spaces.js';

/** Bytes per element of each wire dtype. */
const WIDTH: Record<Dtype, number> = {
  [Dtype.DTYPE_UNSPECIFIED]: 0,
  [Dtype.DTYPE_FLOAT32]: 4,
  [Dtype.DTYPE_FLOAT64]: 8,
  [Dtype.DTYPE_INT32]: 4,
  [Dtype.DTYPE_INT64]: 8,
  [Dtype.DTYPE_UINT8]: 1,
  [Dtype.UNRECOGNIZED]: 0,
};

const DTYPE_OF: Record<DomainDtype, Dtype> = {
  float32: Dtype.DTYPE_FLOAT32,
  float64: Dtype.DTYPE_FLOAT64,
  int32: Dtype.DTYPE_INT32,
  int64: Dtype.DTYPE_INT64,
  uint8: Dtype.DTYPE_UINT8,
};

export function dtypeToProto(d: DomainDtype): Dtype {
  return DTYPE_OF[d];
}

const DTYPE_NAME: Partial<Record<Dtype, DomainDtype>> = {
  [Dtype.DTYPE_FLOAT32]: 'float32',
  [Dtype.DTYPE_FLOAT64]: 'float64',
  [Dtype.DTYPE_INT32]: 'int32',
  [Dtype.DTYPE_INT64]: 'int64',
  [Dtype.DTYPE_UINT8]: 'uint8',
};

/** A Space message as a domain space, validated; `field` names it in errors. */
export function spaceFromProto(msg: SpaceMsg, field: string): Space {
  const kind = msg.kind;
  if (kind?.$case === 'discrete') {
    const { n, start } = kind.value;
    if (!Number.isInteger(n) || n < 1 || n > 10_000_000) throw invalidArgument(`${field}.discrete.n`, `${field}.discrete.n must be an integer in [1, 10000000], got ${n}`, 'BAD_SPACE');
    return { kind: 'discrete', n, start };
  }
  if (kind?.$case === 'box') {
    const { low, high, shape, dtype } = kind.value;
    const size = shape.reduce((a, b) => a * b, 1);
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1) || size > 1_000_000) {
      throw invalidArgument(`${field}.box.shape`, `${field}.box.shape must be positive integers with at most 1000000 elements`, 'BAD_SPACE');
    }
    if (low.length !== size || high.length !== size) throw invalidArgument(`${field}.box.low`, `${field}.box.low and high must hold ${size} values each`, 'BAD_SPACE');
    const d = DTYPE_NAME[dtype];
    if (!d) throw invalidArgument(`${field}.box.dtype`, `${field}.box.dtype must be set`, 'BAD_SPACE');
    return { kind: 'box', low, high, shape, dtype: d };
  }
  throw invalidArgument(field, `${field} must set discrete or box`, 'BAD_SPACE');
}

export function spaceToProto(space: Space): SpaceMsg {
  if (space.kind === 'discrete') return { kind: { $case: 'discrete', value: { n: space.n, start: space.start } } };
  return {
    kind: {
      $case: 'box',
      value: { low: [...space.low], high: [...space.high], shape: [...space.shape], dtype: dtypeToProto(space.dtype) },
    },
  };
}

type Typed = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Whether typed arrays of this machine are little-endian, as the wire's tensors are. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Packs a typed array (copied) into a Tensor of the given shape. */
export function toTensor(values: Typed, shape: number[]): Tensor {
  const dtype =
    values instanceof Float32Array ? Dtype.DTYPE_FLOAT32
    : values instanceof Float64Array ? Dtype.DTYPE_FLOAT64
    : values instanceof Int32Array ? Dtype.DTYPE_INT32
    : Dtype.DTYPE_UINT8;
  return { dtype, shape, data: Buffer.from(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)) };
}

/** One observation of a single env: the Discrete integer, or a tensor of the Box shape. */
export function observationValue(space: Space, obs: Float32Array | Int32Array, offset: number, size: number): SpaceValue {
  if (space.kind === 'discrete') return { kind: { $case: 'discrete', value: obs[offset] } };
  return { kind: { $case: 'tensor', value: toTensor(obs.subarray(offset, offset + size), [...space.shape]) } };
}

/**
 * Reads a Tensor's elements as numbers, checking dtype, shape and byte length; `field`
 * names the request field in errors. Integer dtypes only when `integer` is set.
 */
export function readTensor(t: Tensor | undefined, expectedShape: number[], field: string, integer: boolean): Float64Array | Int32Array {
  if (!t) throw invalidArgument(field, `${field} is required: a tensor of shape [${expectedShape.join(', ')}]`, 'MISSING_FIELD');
  const width = WIDTH[t.dtype] ?? 0;
  if (width === 0) throw invalidArgument(`${field}.dtype`, `${field}.dtype must be set (FLOAT32, FLOAT64, INT32, INT64 or UINT8)`, 'WRONG_DTYPE');
  const isInt = t.dtype === Dtype.DTYPE_INT32 || t.dtype === Dtype.DTYPE_INT64 || t.dtype === Dtype.DTYPE_UINT8;
  if (integer && !isInt) throw invalidArgument(`${field}.dtype`, `${field} must have an integer dtype (INT32, INT64 or UINT8) for a Discrete action space`, 'WRONG_DTYPE');
  if (t.shape.length !== expectedShape.length || t.shape.some((d, i) => d !== expectedShape[i])) {
    throw invalidArgument(`${field}.shape`, `${field}.shape must be [${expectedShape.join(', ')}], got [${t.shape.join(', ')}]`, 'WRONG_SHAPE');
  }
  return tensorValues(t, field);
}

/**
 * A Tensor's elements as numbers (Int32Array for INT32, else Float64Array), checking the
 * dtype and that the bytes match the shape; non-finite floats are INVALID_ARGUMENT. The
 * values are for reading: an INT32 tensor's may be a view of its bytes.
 */
export function tensorValues(t: Tensor, field: string): Float64Array | Int32Array {
  const width = WIDTH[t.dtype] ?? 0;
  if (width === 0) throw invalidArgument(`${field}.dtype`, `${field}.dtype must be set (FLOAT32, FLOAT64, INT32, INT64 or UINT8)`, 'WRONG_DTYPE');
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== count * width) {
    throw invalidArgument(`${field}.data`, `${field}.data must hold ${count} elements of ${width} bytes (${count * width} bytes), got ${t.data.length} bytes`, 'WRONG_SIZE');
  }
  if (t.dtype === Dtype.DTYPE_INT32) {
    // Aligned little-endian bytes are read in place (callers only read the values).
    if (LITTLE_ENDIAN && t.data.byteOffset % 4 === 0) return new Int32Array(t.data.buffer, t.data.byteOffset, count);
    const out = new Int32Array(count);
    if (LITTLE_ENDIAN) {
      // The wire's little-endian bytes are the array's bytes: one copy.
      new Uint8Array(out.buffer).set(t.data);
    } else {
      const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
    }
    return out;
  }
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    switch (t.dtype) {
      case Dtype.DTYPE_INT64:
        out[i] = Number(view.getBigInt64(i * 8, true));
        break;
      case Dtype.DTYPE_UINT8:
        out[i] = view.getUint8(i);
        break;
      case Dtype.DTYPE_FLOAT32:
        out[i] = view.getFloat32(i * 4, true);
        break;
      default:
        out[i] = view.getFloat64(i * 8, true);
    }
    if (!Number.isFinite(out[i])) throw invalidArgument(`${field}[${i}]`, `${field}[${i}] must be finite, got ${out[i]}`, 'NOT_FINITE');
  }
  return out;
}

/** Reads a single-env action: a Discrete integer (or a one-element integer tensor). */
export function readAction(space: Space, value: SpaceValue | undefined, field: string): number {
  const kind = value?.kind;
  if (!kind) {
    throw invalidArgument(field, space.kind === 'discrete' ? `${field} is required: an integer in [${space.start}, ${space.start + space.n - 1}]` : `${field} is required`, 'MISSING_FIELD');
  }
  if (space.kind === 'discrete') {
    if (kind.$case === 'discrete') return kind.value;
    return readTensor(kind.value, [], field, true)[0];
  }
  throw invalidArgument(field, `${field}: Box action spaces are not hosted by this server yet`, 'WRONG_ACTION_TYPE');
}
