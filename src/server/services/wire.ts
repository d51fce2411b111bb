/**
 * StepBatch answers encoded in protobuf once, as they are made: one exact-size buffer per
 * answer, into which the session's output arrays are copied once (the copy is the answer's,
 * so later steps of the session never change it). The answer object's tensors are views into
 * that buffer, and the gRPC serializers (wireSerializers) send its bytes as they are, in place
 * of the generated encoder's work (a growing writer, a copy per nested message, a final slice
 * and a Buffer copy of it). Answers without the encoded bytes (e.g. from a worker thread)
 * take the generated encoder.
 */
import { StepBatchRequest, StepBatchResponse, StepStreamResponse } from '../../gen/gymhost/v1/env_service.js';
import { Dtype, type Tensor } from '../../gen/gymhost/v1/spaces.js';

/** The encoded bytes of a StepBatchResponse made by encodeStepBatch. */
const ENCODED = Symbol('encoded StepBatchResponse');

type Encoded = StepBatchResponse & { [ENCODED]?: Buffer };

/**
 * Buffers of answers gRPC has sent, by byte length, for the next answers of the same size.
 * grpc-js copies a serialized message into its own frame before the serializer's caller
 * returns, and drops the answer object, so after serializeStepBatch / serializeStepStream an
 * answer's buffer is free. Reusing it spares an allocation of the answer's size per call: a
 * vector session's answers are large (108 KiB at 4,096 CartPole copies), and V8 runs a full
 * garbage collection every 64 MiB of such allocations. Answers that are never serialized
 * (REST, in-process callers) keep their buffers.
 */
const freeBuffers = new Map<number, Buffer[]>();
/** Free buffers kept per size, and sizes kept (the least recently freed size goes first). */
const FREE_PER_SIZE = 2;
const FREE_SIZES = 8;

function takeBuffer(size: number): Buffer {
  // Not from Buffer's shared pool: a view must not keep other allocations alive, nor carry them along when cloned.
  return freeBuffers.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
}

/** Gives back the buffer of an answer just serialized; its tensors must not be read again. */
function releaseBuffer(value: Encoded, buffer: Buffer): void {
  Object.defineProperty(value, ENCODED, { value: undefined });
  let list = freeBuffers.get(buffer.length);
  if (list === undefined) {
    if (freeBuffers.size >= FREE_SIZES) freeBuffers.delete(freeBuffers.keys().next().value as number);
    list = [];
  } else {
    freeBuffers.delete(buffer.length);
  }
  freeBuffers.set(buffer.length, list);
  if (list.length < FREE_PER_SIZE) list.push(buffer);
}

/** Bytes kept free before the message for StepStreamResponse's field tag and length (1 + at most 5). */
const HEADROOM = 6;

type Typed = Float32Array | Float64Array | Int32Array | Uint8Array;

/** One Tensor field of a message: field number, values, shape. */
export interface TensorField {
  readonly field: number;
  readonly values: Typed;
  readonly shape: readonly number[];
}

function dtypeOf(values: Typed): Dtype {
  return values instanceof Float32Array ? Dtype.DTYPE_FLOAT32
    : values instanceof Float64Array ? Dtype.DTYPE_FLOAT64
    : values instanceof Int32Array ? Dtype.DTYPE_INT32
    : Dtype.DTYPE_UINT8;
}

/** Bytes of a varint of a non-negative integer below 2^53. */
function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, pos: number, v: number): number {
  while (v >= 128) {
    buf[pos++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** Bytes of the packed shape (field 2 of Tensor). */
function shapeSize(shape: readonly number[]): number {
  let n = 0;
  for (const d of shape) n += varintSize(d);
  return n;
}

/** Bytes of a Tensor message's body, as the generated encoder writes it. */
function tensorSize(dtype: Dtype, shape: readonly number[], bytes: number): number {
  const s = shapeSize(shape);
  return (dtype !== 0 ? 1 + varintSize(dtype) : 0) + (shape.length ? 1 + varintSize(s) + s : 0) + (bytes ? 1 + varintSize(bytes) + bytes : 0);
}

/**
 * A message of Tensor fields (in the order given, each written even when empty, as the
 * generated encoder does), encoded into one new buffer, and the Tensors as views into it.
 */
function encodeTensorMessage(fields: readonly TensorField[]): { buffer: Buffer; tensors: Tensor[] } {
  const dtypes = fields.map((f) => dtypeOf(f.values));
  const sizes = fields.map((f, i) => tensorSize(dtypes[i], f.shape, f.values.byteLength));
  let total = 0;
  for (let i = 0; i < fields.length; i++) total += varintSize(fields[i].field * 8 + 2) + varintSize(sizes[i]) + sizes[i];
  const buffer = takeBuffer(HEADROOM + total);
  let pos = HEADROOM;
  const tensors: Tensor[] = [];
  for (let i = 0; i < fields.length; i++) {
    const { field, values, shape } = fields[i];
    const dtype = dtypes[i];
    pos = writeVarint(buffer, pos, field * 8 + 2);
    pos = writeVarint(buffer, pos, sizes[i]);
    if (dtype !== 0) {
      buffer[pos++] = 8;
      pos = writeVarint(buffer, pos, dtype);
    }
    if (shape.length) {
      buffer[pos++] = 18;
      pos = writeVarint(buffer, pos, shapeSize(shape));
      for (const d of shape) pos = writeVarint(buffer, pos, d);
    }
    const n = values.byteLength;
    if (n) {
      buffer[pos++] = 26;
      pos = writeVarint(buffer, pos, n);
      buffer.set(new Uint8Array(values.buffer, values.byteOffset, n), pos);
    }
    tensors.push({ dtype, shape: [...shape], data: buffer.subarray(pos, pos + n) });
    pos += n;
  }
  return { buffer, tensors };
}

/** The parts of a StepBatch answer: the session's output arrays (copied) and the observations' shape. */
export interface StepBatchParts {
  readonly observations: Float32Array | Int32Array;
  readonly observationShape: readonly number[];
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly resetMask: Uint8Array;
  /** SAME_STEP autoreset only. */
  readonly finalObservations?: Float32Array | Int32Array;
}

/** A StepBatchResponse holding copies of `p`'s arrays, encoded once (see the file comment). */
export function encodeStepBatch(p: StepBatchParts): StepBatchResponse {
  const n = [p.rewards.length];
  const fields: TensorField[] = [
    { field: 1, values: p.observations, shape: p.observationShape },
    { field: 2, values: p.rewards, shape: n },
    { field: 3, values: p.terminated, shape: n },
    { field: 4, values: p.truncated, shape: n },
    { field: 5, values: p.resetMask, shape: n },
  ];
  if (p.finalObservations) fields.push({ field: 6, values: p.finalObservations, shape: p.observationShape });
  const { buffer, tensors } = encodeTensorMessage(fields);
  const res: Encoded = {
    observations: tensors[0],
    rewards: tensors[1],
    terminated: tensors[2],
    truncated: tensors[3],
    resetMask: tensors[4],
    finalObservations: tensors[5],
  };
  Object.defineProperty(res, ENCODED, { value: buffer, enumerable: false, writable: false, configurable: true });
  return res;
}

/** A writer's bytes as a Buffer without copying them. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * StepBatchResponse bytes (the gRPC serializer of StepBatch): the encoded ones when the answer
 * has them, else the generated encoder's. The caller must copy the bytes before it runs any
 * other code that could encode an answer, as grpc-js does: the buffer serves later answers.
 */
export function serializeStepBatch(value: StepBatchResponse): Buffer {
  const encoded = (value as Encoded)[ENCODED];
  if (encoded) {
    releaseBuffer(value, encoded);
    return encoded.subarray(HEADROOM);
  }
  return asBuffer(StepBatchResponse.encode(value).finish());
}

/**
 * StepStreamResponse bytes (the gRPC serializer of StepStream); a step_batch answer with
 * encoded bytes gets its field header written in their headroom. As serializeStepBatch, the
 * caller copies the bytes at once.
 */
export function serializeStepStream(value: StepStreamResponse): Buffer {
  const r = value.response;
  const encoded = r?.$case === 'stepBatch' ? (r.value as Encoded)[ENCODED] : undefined;
  if (encoded) {
    const length = encoded.length - HEADROOM;
    const start = HEADROOM - 1 - varintSize(length);
    encoded[start] = 26; // field 3 (step_batch), length-delimited
    writeVarint(encoded, start + 1, length);
    releaseBuffer(r!.value as Encoded, encoded);
    return encoded.subarray(start);
  }
  return asBuffer(StepStreamResponse.encode(value).finish());
}

// ---- StepBatch requests ------------------------------------------------------------------------

/**
 * A StepBatchRequest from its bytes (the gRPC deserializer of StepBatch). The encoding every
 * client writes -- id, then actions with dtype, packed shape and data, each at most once, in
 * field order, ASCII id, small dimensions -- is read here: the action tensor's `data` is a view
 * into `bytes` (grpc-js gives each message bytes of its own; the generated decoder copies them
 * out, through a reader object, after decoding the id with TextDecoder). Anything else (other
 * field orders, repeats, unknown fields, unpacked shapes, malformed bytes) goes to the
 * generated decoder, so the result and the errors are the generated decoder's.
 */
export function decodeStepBatchRequest(bytes: Uint8Array): StepBatchRequest {
  return (Buffer.isBuffer(bytes) && readStepBatchRequest(bytes)) || StepBatchRequest.decode(bytes);
}

/** Position and value of a varint of at most 4 bytes (< 2^28) at `pos`, or -1 (longer, or past `end`). */
let varintValue = 0;
function readSmallVarint(buf: Buffer, pos: number, end: number): number {
  let v = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) return -1;
    const b = buf[pos++];
    v |= (b & 127) << shift;
    if (b < 128) {
      varintValue = v;
      return pos;
    }
  }
  return -1;
}

function readStepBatchRequest(buf: Buffer): StepBatchRequest | undefined {
  const end = buf.length;
  let pos = 0;
  let id = '';
  if (pos < end && buf[pos] === 10) {
    pos = readSmallVarint(buf, pos + 1, end);
    if (pos < 0) return undefined;
    const n = varintValue;
    if (pos + n > end) return undefined;
    for (let i = pos; i < pos + n; i++) if (buf[i] >= 128) return undefined;
    id = buf.toString('latin1', pos, pos + n);
    pos += n;
  }
  let actions: Tensor | undefined;
  if (pos < end && buf[pos] === 18) {
    pos = readSmallVarint(buf, pos + 1, end);
    if (pos < 0) return undefined;
    const tensorEnd = pos + varintValue;
    if (tensorEnd > end) return undefined;
    let dtype = 0;
    const shape: number[] = [];
    let data: Buffer<ArrayBuffer> = EMPTY;
    if (pos < tensorEnd && buf[pos] === 8) {
      // Enum values 0..127 (one byte); others (negative: ten bytes) go to the generated decoder.
      if (pos + 1 >= tensorEnd || buf[pos + 1] >= 128) return undefined;
      dtype = buf[pos + 1];
      pos += 2;
    }
    if (pos < tensorEnd && buf[pos] === 18) {
      pos = readSmallVarint(buf, pos + 1, tensorEnd);
      if (pos < 0) return undefined;
      const shapeEnd = pos + varintValue;
      if (shapeEnd > tensorEnd) return undefined;
      while (pos < shapeEnd) {
        pos = readSmallVarint(buf, pos, shapeEnd);
        if (pos < 0) return undefined;
        shape.push(varintValue);
      }
    }
    if (pos < tensorEnd && buf[pos] === 26) {
      pos = readSmallVarint(buf, pos + 1, tensorEnd);
      if (pos < 0) return undefined;
      const n = varintValue;
      if (pos + n > tensorEnd) return undefined;
      data = buf.subarray(pos, pos + n) as Buffer<ArrayBuffer>;
      pos += n;
    }
    if (pos !== tensorEnd) return undefined;
    actions = { dtype, shape, data };
  }
  if (pos !== end) return undefined;
  return { id, actions };
}

const EMPTY = Buffer.alloc(0);
