/**
 * Inputs that used to answer 500 or nothing: each gets its status, a JSON error that says
 * what was wrong, and the server goes on serving.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import nodeHttp from 'node:http';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/server.js';
import { http, startTestServer } from '../helpers/server.js';

let server: RunningServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close(100));

/** A raw HTTP request (no fetch: it refuses some of these inputs itself). */
function rawRequest(options: nodeHttp.RequestOptions, body?: Buffer): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = nodeHttp.request({ host: '127.0.0.1', port: server.httpPort, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function assertJsonError(res: { status: number; body: any }, status: number, code: string, reason: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.code, code);
  assert.equal(res.body.details[0].reason, reason);
  assert.ok(res.body.message.length > 20, res.body.message);
}

async function stillServing(): Promise<void> {
  const res = await http(server, 'GET', '/healthz');
  assert.equal(res.status, 200);
  const created = await http(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 3 });
  assert.equal(created.status, 200);
  await http(server, 'DELETE', `/v1/envs/${created.body.id}`);
}

describe('bad input over REST', () => {
  test('a body marked Content-Encoding: gzip that is not gzip is 400 and says so', async () => {
    const res = await rawRequest({ method: 'POST', path: '/v1/envs', headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' } }, Buffer.from('{"envId": "CartPole-v1"}'));
    assertJsonError(res, 400, 'INVALID_ARGUMENT', 'BAD_CONTENT_ENCODING');
    assert.match(res.body.message, /Content-Encoding/);
    // Real gzip is accepted.
    const ok = await rawRequest({ method: 'POST', path: '/v1/envs', headers: { 'content-encoding': 'gzip' } }, gzipSync('{"envId": "CartPole-v1"}'));
    assert.equal(ok.status, 200);
    assert.equal(ok.body.envId, 'CartPole-v1');
    const unknown = await rawRequest({ method: 'POST', path: '/v1/envs', headers: { 'content-encoding': 'zstd' } }, Buffer.from('xx'));
    assertJsonError(unknown, 400, 'INVALID_ARGUMENT', 'UNSUPPORTED_ENCODING');
    await stillServing();
  });

  test('an action nested 100,000 arrays deep is 400 TOO_DEEP', async () => {
    const created = await http(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 1 });
    await http(server, 'POST', `/v1/envs/${created.body.id}:reset`, {});
    for (const depth of [100_000, 65]) {
      const body = `{"action": ${'['.repeat(depth)}1${']'.repeat(depth)}}`;
      const res = await rawRequest({ method: 'POST', path: `/v1/envs/${created.body.id}:step` }, Buffer.from(body));
      assertJsonError(res, 400, 'INVALID_ARGUMENT', 'TOO_DEEP');
    }
    // Brackets inside strings do not count.
    const strings = await rawRequest({ method: 'POST', path: '/v1/envs' }, Buffer.from(`{"envId": "${'['.repeat(1000)}"}`));
    assertJsonError(strings, 400, 'INVALID_ARGUMENT', 'UNKNOWN_ENV_ID');
    await stillServing();
  });

  test('a bad %-escape in the path is 400 naming the path', async () => {
    for (const path of ['/v1/envs/%E0%A4%A', '/v1/envs/%zz', '/v1/agents/%E0%A4%A:step']) {
      const res = await rawRequest({ method: 'GET', path });
      assertJsonError(res, 400, 'INVALID_ARGUMENT', 'BAD_PATH_ESCAPE');
      assert.equal(res.body.details[0].field, 'path');
    }
    await stillServing();
  });

  test('a 100 KB URL is 414 and oversized headers are 431, answered before the connection closes', async () => {
    const url = await rawRequest({ method: 'GET', path: `/v1/envs/${'a'.repeat(100_000)}` });
    assertJsonError(url, 414, 'RESOURCE_EXHAUSTED', 'URI_TOO_LONG');
    const headers = await rawRequest({ method: 'GET', path: '/v1/envs', headers: { 'x-filler': 'b'.repeat(100_000) } });
    assertJsonError(headers, 431, 'RESOURCE_EXHAUSTED', 'HEADERS_TOO_LARGE');
    await stillServing();
  });

  test('malformed and non-UTF-8 JSON are 400', async () => {
    const bad = await rawRequest({ method: 'POST', path: '/v1/envs' }, Buffer.from('{"envId": '));
    assertJsonError(bad, 400, 'INVALID_ARGUMENT', 'MALFORMED_JSON');
    const latin1 = await rawRequest({ method: 'POST', path: '/v1/envs' }, Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]));
    assertJsonError(latin1, 400, 'INVALID_ARGUMENT', 'MALFORMED_JSON');
  });
});

describe('bad input over gRPC', () => {
  test('grpc.health.v1.Health/Check with undecodable bytes is INVALID_ARGUMENT', async () => {
    const client = new grpc.Client(server.grpcAddress, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) => {
        client.makeUnaryRequest('/grpc.health.v1.Health/Check', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0xff, 0xff, 0xff, 0xff]), (e) => resolve(e));
      });
      assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err!.details, /not a valid protobuf message/);
      // A valid check still answers.
      const ok = await new Promise<Buffer>((resolve, reject) => {
        client.makeUnaryRequest('/grpc.health.v1.Health/Check', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (e, res) => (e ? reject(e) : resolve(res!)));
      });
      assert.deepEqual([...ok], [0x08, 0x01]); // status: SERVING
    } finally {
      client.close();
    }
  });

  test('a request nested too deeply to decode is INVALID_ARGUMENT TOO_DEEP', async () => {
    // CreateEnvRequest{env_id: "CartPole-v1", config (field 3, a Struct)} where the Struct is
    // {"k": {"k": {"k": ...}}} 100,000 levels deep, written back to front in one buffer.
    const depth = 100_000;
    const buf = Buffer.alloc(depth * 16 + 64);
    let start = buf.length; // the message is buf[start, end)
    const end = buf.length;
    const prepend = (bytes: number[]) => {
      start -= bytes.length;
      for (let i = 0; i < bytes.length; i++) buf[start + i] = bytes[i];
    };
    for (let i = 0; i < depth; i++) {
      prepend([0x2a, ...varint(end - start)]); // Value{struct_value (5): the Struct so far}
      prepend([0x0a, 0x01, 0x6b, 0x12, ...varint(end - start)]); // map entry{key "k" (1), value (2)}
      prepend([0x0a, ...varint(end - start)]); // Struct{fields (1): the entry}
    }
    prepend([0x1a, ...varint(end - start)]); // CreateEnvRequest.config (3)
    prepend([0x0a, 0x0b, ...Buffer.from('CartPole-v1')]); // CreateEnvRequest.env_id (1)
    const request = buf.subarray(start, end);
    const client = new grpc.Client(server.grpcAddress, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 << 20 });
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) => {
        client.makeUnaryRequest('/gymhost.v1.EnvService/CreateEnv', (b: Buffer) => b, (b: Buffer) => b, request, (e) => resolve(e));
      });
      assert.equal(err?.code, grpc.status.INVALID_ARGUMENT, err?.details);
    } finally {
      client.close();
    }
    await stillServing();
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
