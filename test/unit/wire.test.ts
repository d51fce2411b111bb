import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StepBatchRequest, StepBatchResponse, StepStreamResponse } from '../../src/gen/gymhost/v1/env_service.js';
import { Dtype } from '../../src/gen/gymhost/v1/spaces.js';
import { decodeStepBatchRequest, encodeStepBatch, serializeStepBatch, serializeStepStream } from '../../src/server/services/wire.js';

function parts(n: number, final: boolean) {
  const observations = Float32Array.from({ length: 4 * n }, (_, i) => i / 7 - 3);
  return {
    observations,
    observationShape: [n, 4],
    rewards: Float64Array.from({ length: n }, (_, i) => i % 3),
    terminated: Uint8Array.from({ length: n }, (_, i) => i % 2),
    truncated: Uint8Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0)),
    resetMask: Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)),
    finalObservations: final ? observations.map((x) => -x) : undefined,
  };
}

/** The same answer as a plain object with copied tensors (what the generated encoder gets). */
function plain(res: StepBatchResponse): StepBatchResponse {
  const copy = (t: StepBatchResponse['observations']) => (t ? { dtype: t.dtype, shape: [...t.shape], data: Buffer.from(t.data) } : undefined);
  return {
    observations: copy(res.observations),
    rewards: copy(res.rewards),
    terminated: copy(res.terminated),
    truncated: copy(res.truncated),
    resetMask: copy(res.resetMask),
    finalObservations: copy(res.finalObservations),
  };
}

test('encodeStepBatch: the bytes the generated encoder writes, for any size, with and without final observations', () => {
  for (const n of [0, 1, 31, 32, 33, 1024, 40_000]) {
    for (const final of [false, true]) {
      const res = encodeStepBatch(parts(n, final));
      const expected = Buffer.from(StepBatchResponse.encode(plain(res)).finish());
      const bytes = Buffer.from(serializeStepBatch(res));
      assert.deepEqual(bytes, expected, `N=${n} final=${final}`);
      const again = encodeStepBatch(parts(n, final));
      const stream: StepStreamResponse = { response: { $case: 'stepBatch', value: again } };
      const expectedStream = Buffer.from(StepStreamResponse.encode({ response: { $case: 'stepBatch', value: plain(again) } }).finish());
      assert.deepEqual(serializeStepStream(stream), expectedStream, `stream N=${n}`);
      const decoded = StepBatchResponse.decode(bytes);
      assert.equal(decoded.observations!.dtype, Dtype.DTYPE_FLOAT32);
      assert.deepEqual(decoded.observations!.shape, [n, 4]);
      assert.equal(decoded.finalObservations !== undefined, final);
    }
  }
});

test('encodeStepBatch: the answer is a copy; later changes of the session arrays do not reach it', () => {
  const p = parts(8, false);
  const res = encodeStepBatch(p);
  const before = Buffer.from(serializeStepBatch(res));
  p.observations.fill(99);
  p.rewards.fill(-1);
  p.terminated.fill(1);
  assert.deepEqual(serializeStepBatch(res), before);
  assert.deepEqual(new Float32Array(res.observations!.data.buffer.slice(res.observations!.data.byteOffset, res.observations!.data.byteOffset + 128)), Float32Array.from({ length: 32 }, (_, i) => i / 7 - 3));
});

test('encodeStepBatch: an answer gRPC has serialized gives its buffer to the next answer of its size; answers not yet serialized keep theirs', () => {
  const p = parts(300, false);
  const first = encodeStepBatch(p);
  // Pipelined: a second answer is made before the first is sent; each keeps its own bytes.
  p.rewards.fill(7);
  const second = encodeStepBatch(p);
  assert.notEqual(second.rewards!.data.buffer, first.rewards!.data.buffer);
  const firstExpected = Buffer.from(StepStreamResponse.encode({ response: { $case: 'stepBatch', value: plain(first) } }).finish());
  assert.deepEqual(serializeStepStream({ response: { $case: 'stepBatch', value: first } }), firstExpected);
  // first is sent: the next answer of the same size takes its buffer, with its own bytes.
  p.rewards.fill(-3);
  const third = encodeStepBatch(p);
  assert.equal(third.rewards!.data.buffer, first.rewards!.data.buffer);
  assert.deepEqual([...new Float64Array(Uint8Array.from(third.rewards!.data).buffer)], new Array(300).fill(-3));
  // second, not yet sent, is untouched.
  assert.deepEqual([...new Float64Array(Uint8Array.from(second.rewards!.data).buffer)], new Array(300).fill(7));
  assert.deepEqual(serializeStepBatch(second), Buffer.from(StepBatchResponse.encode(plain(second)).finish()));
  // An answer of another size does not take a buffer of this one.
  const other = encodeStepBatch(parts(301, false));
  assert.notEqual(other.rewards!.data.buffer, second.rewards!.data.buffer);
});

test('serializers: answers without encoded bytes (plain objects) take the generated encoder', () => {
  const res = plain(encodeStepBatch(parts(5, true)));
  assert.deepEqual(serializeStepBatch(res), Buffer.from(StepBatchResponse.encode(res).finish()));
  const step: StepStreamResponse = { response: { $case: 'step', value: { observation: undefined, reward: 1, terminated: true, truncated: false, info: {} } } };
  assert.deepEqual(serializeStepStream(step), Buffer.from(StepStreamResponse.encode(step).finish()));
});

/** What decodeStepBatchRequest gives, or the error it throws, next to the generated decoder's. */
function decodeBoth(bytes: Buffer): [unknown, unknown] {
  const run = (f: (b: Buffer) => StepBatchRequest) => {
    try {
      const m = f(bytes);
      // Plain copies: a view and a copy of the same bytes compare equal.
      return { id: m.id, actions: m.actions ? { dtype: m.actions.dtype, shape: [...m.actions.shape], data: Buffer.from(m.actions.data) } : undefined };
    } catch (err) {
      return { error: (err as Error).message };
    }
  };
  return [run(decodeStepBatchRequest), run((b) => StepBatchRequest.decode(b))];
}

test("decodeStepBatchRequest: the generated decoder's result for what clients send, without copying the action bytes", () => {
  for (const n of [0, 1, 3, 127, 128, 1024, 100_000]) {
    for (const id of ['', 'abcdefabcdef', 'x'.repeat(200)]) {
      for (const dtype of [Dtype.DTYPE_UNSPECIFIED, Dtype.DTYPE_INT32, Dtype.DTYPE_INT64, Dtype.DTYPE_FLOAT32]) {
        const width = dtype === Dtype.DTYPE_INT64 ? 8 : 4;
        const data = Buffer.from(Uint8Array.from({ length: width * n }, (_, i) => (i * 37) & 255));
        const bytes = Buffer.from(StepBatchRequest.encode({ id, actions: { dtype, shape: [n], data } }).finish());
        const [fast, reference] = decodeBoth(bytes);
        assert.deepEqual(fast, reference, `n=${n} id=${id.length} dtype=${dtype}`);
        const m = decodeStepBatchRequest(bytes);
        if (n > 0) assert.equal(m.actions!.data.buffer, bytes.buffer, 'the data is a view of the message bytes');
      }
    }
  }
  for (const shape of [[], [4, 1024], [3, 84, 84], [1 << 20]]) {
    const bytes = Buffer.from(StepBatchRequest.encode({ id: 's', actions: { dtype: Dtype.DTYPE_UINT8, shape, data: Buffer.alloc(3) } }).finish());
    const [fast, reference] = decodeBoth(bytes);
    assert.deepEqual(fast, reference, `shape ${shape}`);
  }
  const [fast, reference] = decodeBoth(Buffer.from(StepBatchRequest.encode({ id: 'only-id', actions: undefined }).finish()));
  assert.deepEqual(fast, reference);
  assert.deepEqual(decodeBoth(Buffer.alloc(0))[0], decodeBoth(Buffer.alloc(0))[1]);
});

test("decodeStepBatchRequest: other encodings and malformed bytes get the generated decoder's result or error", () => {
  const tensor = Buffer.from([8, 3, 18, 1, 2, 26, 8, 1, 0, 0, 0, 2, 0, 0, 0]);
  const field = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag, body.length]), body]);
  const cases: [string, Buffer][] = [
    ['actions before id', Buffer.concat([field(18, tensor), field(10, Buffer.from('ab'))])],
    ['id twice', Buffer.concat([field(10, Buffer.from('ab')), field(10, Buffer.from('cd')), field(18, tensor)])],
    ['actions twice', Buffer.concat([field(18, tensor), field(18, Buffer.from([8, 5]))])],
    ['unknown field', Buffer.concat([field(10, Buffer.from('ab')), Buffer.from([40, 7]), field(18, tensor)])],
    ['non-ASCII id', Buffer.concat([field(10, Buffer.from('é')), field(18, tensor)])],
    ['invalid UTF-8 id', Buffer.concat([field(10, Buffer.from([0xff, 0xfe])), field(18, tensor)])],
    ['unpacked shape', field(18, Buffer.from([8, 3, 16, 2, 16, 1, 26, 0]))],
    ['data before shape', field(18, Buffer.from([8, 3, 26, 1, 9, 18, 1, 1]))],
    ['negative dtype', field(18, Buffer.from([8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1]))],
    ['large dimension', field(18, Buffer.from([18, 6, 0x80, 0x80, 0x80, 0x80, 0x80, 1]))],
    ['negative dimension', field(18, Buffer.from([18, 10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1]))],
    ['truncated id', Buffer.from([10, 5, 97, 98])],
    ['truncated data', field(18, Buffer.from([26, 9, 1, 2]))],
    ['tensor longer than the message', Buffer.from([18, 40, 8, 3])],
    ['garbage', Buffer.from([0xff, 0xff, 0xff])],
    ['end-group tag', Buffer.from([12])],
  ];
  for (const [name, bytes] of cases) {
    const [fast, reference] = decodeBoth(bytes);
    assert.deepEqual(fast, reference, name);
  }
});
