/**
 * The one place where dm_env_rpc tensors meet gymhost values: spaces as TensorSpecs,
 * observations and scalars as Tensors, and Tensors from clients (settings, actions) as
 * plain JavaScript values, checked.
 *
 * dm_env_rpc tensors are row-major with a `shape` (empty = scalar); one element fills any
 * shape (broadcast) and at most one dimension may be negative (inferred from the element
 * count). See proto/third_party/dm_env_rpc/v1/dm_env_rpc.proto.
 */
import { DomainError, invalidArgument } from '../../core/errors.js';
import type { Dtype as DomainDtype, Space } from '../../core/spaces.js';
import { DataType, type Tensor, type TensorSpec, type TensorSpec_Value } from '../../gen/dm_env_rpc/v1/dm_env_rpc.js';
import { Dtype, type SpaceValue, type Tensor as GymTensor } from '../../gen/gymhost/v1/spaces.js';

/** Largest element count of a tensor a client may send (settings and actions are small). */
export const MAX_CLIENT_ELEMENTS = 65_536;

/** The dm_env_rpc DataType of each gymhost dtype. */
const DATA_TYPE: Record<DomainDtype, DataType> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  int32: DataType.INT32,
  int64: DataType.INT64,
  uint8: DataType.UINT8,
};

/** Inclusive value range of the integer DataTypes used here (int64 within exact doubles). */
const INT_RANGE: Partial<Record<DataType, [number, number]>> = {
  [DataType.INT32]: [-(2 ** 31), 2 ** 31 - 1],
  [DataType.INT64]: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  [DataType.UINT8]: [0, 255],
};

/** Bounds of one kind as a TensorSpec.Value of `dtype` (one element when all are equal: broadcast). */
function boundValue(values: readonly number[], dtype: DataType): TensorSpec_Value {
  const range = INT_RANGE[dtype];
  // Integer tensors cannot hold infinities: an unbounded side is the dtype's own limit.
  const clamped = range ? values.map((v) => Math.min(range[1], Math.max(range[0], v))) : [...values];
  const array = clamped.every((v) => Object.is(v, clamped[0])) ? clamped.slice(0, 1) : clamped;
  switch (dtype) {
    case DataType.FLOAT:
      return { payload: { $case: 'floats', value: { array } } };
    case DataType.DOUBLE:
      return { payload: { $case: 'doubles', value: { array } } };
    case DataType.INT32:
      return { payload: { $case: 'int32s', value: { array } } };
    case DataType.INT64:
      return { payload: { $case: 'int64s', value: { array } } };
    default:
      return { payload: { $case: 'uint8s', value: { array: Buffer.from(array) } } };
  }
}

/**
 * The TensorSpec of one value of `space`, named `name`: Discrete(n, start) is an INT32
 * scalar in [start, start + n - 1] (dm_env's DiscreteArray when start is 0); Box is its
 * dtype and shape with per-element bounds (one element when they are all equal).
 */
export function spaceSpec(name: string, space: Space): TensorSpec {
  if (space.kind === 'discrete') {
    return { name, shape: [], dtype: DataType.INT32, min: boundValue([space.start], DataType.INT32), max: boundValue([space.start + space.n - 1], DataType.INT32) };
  }
  const dtype = DATA_TYPE[space.dtype];
  return { name, shape: [...space.shape], dtype, min: boundValue(space.low, dtype), max: boundValue(space.high, dtype) };
}

/** A FLOAT64 scalar spec in [min, max] (either bound may be omitted). */
export function doubleScalarSpec(name: string, min?: number, max?: number): TensorSpec {
  return {
    name,
    shape: [],
    dtype: DataType.DOUBLE,
    min: min === undefined ? undefined : boundValue([min], DataType.DOUBLE),
    max: max === undefined ? undefined : boundValue([max], DataType.DOUBLE),
  };
}

/** A FLOAT64 scalar tensor (reward, discount). */
export function doubleScalar(x: number): Tensor {
  return { payload: { $case: 'doubles', value: { array: [x] } }, shape: [] };
}

/**
 * One gymhost observation as a dm_env_rpc Tensor: a Discrete integer as an INT32 scalar, a
 * Box tensor (little-endian bytes, gymhost dtype) as the matching typed array payload.
 */
export function observationTensor(value: SpaceValue | undefined): Tensor {
  const kind = value?.kind;
  if (!kind) throw new DomainError('INTERNAL', 'the env answered without an observation', '', 'INTERNAL');
  if (kind.$case === 'discrete') return { payload: { $case: 'int32s', value: { array: [kind.value] } }, shape: [] };
  return gymTensorToTensor(kind.value);
}

/** A gymhost Tensor (dtype, shape, little-endian bytes) as a dm_env_rpc Tensor of the same dtype. */
function gymTensorToTensor(t: GymTensor): Tensor {
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const shape = [...t.shape];
  const read = (width: number, get: (offset: number) => number): number[] => {
    const out = new Array<number>(t.data.byteLength / width);
    for (let i = 0; i < out.length; i++) out[i] = get(i * width);
    return out;
  };
  switch (t.dtype) {
    case Dtype.DTYPE_FLOAT32:
      return { payload: { $case: 'floats', value: { array: read(4, (o) => view.getFloat32(o, true)) } }, shape };
    case Dtype.DTYPE_FLOAT64:
      return { payload: { $case: 'doubles', value: { array: read(8, (o) => view.getFloat64(o, true)) } }, shape };
    case Dtype.DTYPE_INT32:
      return { payload: { $case: 'int32s', value: { array: read(4, (o) => view.getInt32(o, true)) } }, shape };
    case Dtype.DTYPE_INT64:
      return { payload: { $case: 'int64s', value: { array: read(8, (o) => Number(view.getBigInt64(o, true))) } }, shape };
    default:
      return { payload: { $case: 'uint8s', value: { array: Buffer.from(t.data) } }, shape };
  }
}

/** What a client tensor holds: its elements as JavaScript values and their kind. */
export interface TensorElements {
  readonly kind: 'int' | 'float' | 'bool' | 'string';
  /** Row-major, broadcast to `shape` already. */
  readonly values: readonly (number | boolean | string)[];
  /** With the negative dimension, if any, inferred. */
  readonly shape: readonly number[];
}

/** The raw elements of a payload and their kind; `field` names the tensor in errors. */
function payloadElements(t: Tensor, field: string): { kind: TensorElements['kind']; values: (number | boolean | string)[] } {
  const p = t.payload;
  switch (p?.$case) {
    case 'floats':
    case 'doubles':
      return { kind: 'float', values: p.value.array };
    case 'int32s':
    case 'int64s':
    case 'uint32s':
    case 'uint64s':
      return { kind: 'int', values: p.value.array };
    case 'int8s':
      return { kind: 'int', values: Array.from(new Int8Array(p.value.array.buffer, p.value.array.byteOffset, p.value.array.byteLength)) };
    case 'uint8s':
      return { kind: 'int', values: Array.from(p.value.array) };
    case 'bools':
      return { kind: 'bool', values: p.value.array };
    case 'strings':
      return { kind: 'string', values: p.value.array };
    case 'protos':
      throw invalidArgument(field, `${field} holds protos; gymhost takes numbers, booleans or strings here`, 'WRONG_DTYPE');
    default:
      throw invalidArgument(field, `${field} has no payload: set one of its typed arrays (e.g. int64s, doubles, bools, strings)`, 'MISSING_FIELD');
  }
}

/**
 * A client's tensor checked against its shape: one element fills any shape, one negative
 * dimension is inferred, otherwise the element count must equal the shape's product.
 */
export function tensorElements(t: Tensor, field: string): TensorElements {
  const { kind, values } = payloadElements(t, field);
  if (values.length > MAX_CLIENT_ELEMENTS) throw invalidArgument(field, `${field} has ${values.length} elements; at most ${MAX_CLIENT_ELEMENTS} are accepted`, 'TOO_LARGE');
  const shape = [...t.shape];
  const negative = shape.filter((d) => d < 0).length;
  if (negative > 1) throw invalidArgument(`${field}.shape`, `${field}.shape may have at most one negative (variable) dimension, got [${shape.join(', ')}]`, 'WRONG_SHAPE');
  const known = shape.reduce((a, d) => (d < 0 ? a : a * d), 1);
  if (negative === 1) {
    if (known === 0 || values.length % known !== 0) {
      throw invalidArgument(`${field}.shape`, `${field} has ${values.length} elements, which do not fill shape [${shape.join(', ')}]`, 'WRONG_SHAPE');
    }
    shape[shape.findIndex((d) => d < 0)] = values.length / known;
    return { kind, values, shape };
  }
  if (known > MAX_CLIENT_ELEMENTS) throw invalidArgument(`${field}.shape`, `${field}.shape [${shape.join(', ')}] has more than ${MAX_CLIENT_ELEMENTS} elements`, 'TOO_LARGE');
  if (values.length === known) return { kind, values, shape };
  if (values.length === 1) return { kind, values: new Array(known).fill(values[0]), shape };
  throw invalidArgument(`${field}.shape`, `${field} has ${values.length} elements but shape [${shape.join(', ')}] needs ${known} (or 1, broadcast)`, 'WRONG_SHAPE');
}

/** The one value of a tensor that must hold exactly one element (a scalar, or any shape of size 1). */
export function scalarValue(t: Tensor, field: string): { kind: TensorElements['kind']; value: number | boolean | string } {
  const e = tensorElements(t, field);
  if (e.values.length !== 1) {
    throw invalidArgument(field, `${field} must be a scalar (one element), got shape [${e.shape.join(', ')}] with ${e.values.length} elements`, 'WRONG_SHAPE');
  }
  return { kind: e.kind, value: e.values[0] };
}

/** A one-dimensional tensor's elements (a list setting). */
export function listValue(t: Tensor, field: string): { kind: TensorElements['kind']; values: readonly (number | boolean | string)[] } {
  const e = tensorElements(t, field);
  if (e.shape.length > 1) throw invalidArgument(`${field}.shape`, `${field} must be a list (one dimension), got shape [${e.shape.join(', ')}]`, 'WRONG_SHAPE');
  return { kind: e.kind, values: e.values };
}

/**
 * A Discrete action from its tensor: an integer-typed scalar (any integer payload: INT32 as
 * the spec says, or INT8/INT64/UINT*). Its range is checked by the env (env-service.ts).
 */
export function discreteAction(t: Tensor, field: string): number {
  const { kind, value } = scalarValue(t, field);
  if (kind !== 'int') {
    throw invalidArgument(field, `${field} must be an integer tensor (INT32, as the action spec says), got a ${kind} tensor`, 'WRONG_DTYPE');
  }
  return value as number;
}
