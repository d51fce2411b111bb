/**
 * StepStream's flow control: a client that sends many requests and reads none gets at most
 * the stream's window of answers taken (the server stops reading requests while they are held),
 * and every answer arrives, in order, once it reads again.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, test } from 'node:test';
import { StepStreamRequest, StepStreamResponse } from '../../src/gen/gymhost/v1/env_service.js';
import { Dtype } from '../../src/gen/gymhost/v1/spaces.js';
import type { RunningServer } from '../../src/server/server.js';
import { http, startTestServer } from '../helpers/server.js';

let server: RunningServer;

before(async () => {
  server = await startTestServer({});
});
after(() => server.close(100));

const poll = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** gRPC length-prefixed frames of the messages, one after the other. */
function frames(messages: Uint8Array[]): Buffer {
  return Buffer.concat(
    messages.map((m) => {
      const f = Buffer.alloc(5 + m.length);
      f.writeUInt32BE(m.length, 1);
      Buffer.from(m).copy(f, 5);
      return f;
    }),
  );
}

test('a StepStream client that stops reading holds the session after about the window of answers; reading again delivers all, in order', async () => {
  // A vector session (next-step autoreset): its steps never refuse, so every request is a step.
  const created = await http(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 0, numEnvs: 2 });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const id = created.body.id as string;
  const total = 3000;
  const actions = { dtype: Dtype.DTYPE_INT32, shape: [2], data: Buffer.from(new Int32Array([0, 1]).buffer) };
  const requests: Uint8Array[] = [StepStreamRequest.encode({ request: { $case: 'reset', value: { id, seed: 1 } } }).finish()];
  const batch = StepStreamRequest.encode({ request: { $case: 'stepBatch', value: { id, actions } } }).finish();
  for (let i = 1; i < total; i++) requests.push(batch);
  // A raw HTTP/2 client with a small window: only HTTP/2 flow control tells the server it is not read.
  const session = http2.connect(`http://${server.grpcAddress}`, { settings: { initialWindowSize: 1024 } });
  try {
    const req = session.request({ ':method': 'POST', ':path': '/gymhost.v1.EnvService/StepStream', 'content-type': 'application/grpc', te: 'trailers' });
    req.pause();
    req.end(frames(requests));
    const steps = async () => (await http(server, 'GET', `/v1/envs/${id}`)).body.totalSteps as number;
    let last = -1;
    let stable = 0;
    while (stable < 10) {
      await poll(50);
      const now = await steps();
      stable = now === last ? stable + 1 : 0;
      last = now;
    }
    const perCall = 2;
    assert.ok(last < (perCall * total) / 4, `the stream stopped taking requests while its answers were not read (${last / perCall} of ${total - 1} steps taken)`);
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => req.on('trailers', resolve));
    req.resume();
    await new Promise((resolve) => req.on('end', resolve));
    assert.equal((await trailers)['grpc-status'], '0');
    const body = Buffer.concat(chunks);
    const answers: StepStreamResponse[] = [];
    for (let p = 0; p < body.length; ) {
      const n = body.readUInt32BE(p + 1);
      answers.push(StepStreamResponse.decode(body.subarray(p + 5, p + 5 + n)));
      p += 5 + n;
    }
    assert.equal(answers.length, total);
    assert.equal(answers[0].response?.$case, 'reset');
    for (let i = 1; i < total; i++) assert.equal(answers[i].response?.$case, 'stepBatch', `answer ${i}: ${JSON.stringify(answers[i].response).slice(0, 200)}`);
    assert.equal(await steps(), perCall * (total - 1));
  } finally {
    session.close();
  }
});
