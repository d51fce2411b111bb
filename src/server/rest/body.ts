import zlib from 'node:zlib';
import { invalidArgument } from '../../core/errors.js';

/** Deepest JSON nesting a request body may have (objects and arrays; the API needs fewer than 10). */
export const MAX_JSON_DEPTH = 64;

/**
 * A request body (raw bytes, already inflated) as a JSON value. Malformed JSON, invalid
 * UTF-8 and nesting deeper than MAX_JSON_DEPTH are INVALID_ARGUMENT on `body`; an empty
 * body is undefined.
 */
export function parseJsonBody(raw: Uint8Array | undefined): unknown {
  if (!raw || raw.length === 0) return undefined;
  const text = decodeUtf8(raw);
  checkJsonDepth(text);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidArgument('body', `malformed JSON in the request body: ${(err as Error).message}`, 'MALFORMED_JSON');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(raw: Uint8Array): string {
  try {
    return utf8.decode(raw);
  } catch {
    throw invalidArgument('body', 'the request body is not valid UTF-8 JSON', 'MALFORMED_JSON');
  }
}

/**
 * Scans JSON text for its bracket depth (outside strings) without recursion, so that
 * nesting is refused before anything walks the parsed value recursively.
 */
export function checkJsonDepth(text: string, max = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        throw invalidArgument('body', `the request body is nested more than ${max} levels deep (arrays and objects); the API needs far fewer`, 'TOO_DEEP');
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}

/** Bodies up to this size are joined at once into a Buffer; larger ones go to shared memory. */
const JOIN_AT_ONCE_BYTES = 64 * 1024;
/** Bytes copied per turn of the event loop when joining a large body of unknown length. */
const JOIN_SLICE_BYTES = 1024 * 1024;

/**
 * Reusable SharedArrayBuffers for large request bodies, by power-of-two size. A body is
 * copied into one as it arrives and read there by a worker thread (no copy, no transfer);
 * reusing them spares the request thread both the page faults of fresh megabytes and the
 * garbage collections that churning large buffers would cause.
 */
export class BodyBuffers {
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  private pooledBytes = 0;

  constructor(private readonly maxPooledBytes = 64 * 1024 * 1024) {}

  /** A buffer of at least `bytes` (its contents are stale). */
  take(bytes: number): SharedArrayBuffer {
    let size = 128 * 1024;
    while (size < bytes) size *= 2;
    const reused = this.free.get(size)?.pop();
    if (reused) {
      this.pooledBytes -= size;
      return reused;
    }
    return new SharedArrayBuffer(size);
  }

  /** Returns a buffer once nothing reads it any more. */
  give(buffer: SharedArrayBuffer): void {
    if (this.pooledBytes + buffer.byteLength > this.maxPooledBytes) return;
    let list = this.free.get(buffer.byteLength);
    if (!list) this.free.set(buffer.byteLength, (list = []));
    list.push(buffer);
    this.pooledBytes += buffer.byteLength;
  }
}

/** An error of the body reader, shaped like body-parser's (`type`, `status`, `limit`). */
function bodyError(message: string, type: string, status: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { type, status, ...extra });
}

/**
 * Express middleware that reads a request body into `req.body` (a Buffer), inflating
 * gzip, deflate and br. Bodies over `limit` bytes (after inflation) fail with
 * type 'entity.too.large'; other encodings with 'encoding.unsupported'; bad compressed
 * data with zlib's error (code Z_...). A body larger than 64 KiB lands in a SharedArrayBuffer
 * of `buffers` (req.body is a Buffer over it; the handler gives it back), copied as its
 * chunks arrive, so that no single turn of this thread touches megabytes.
 */
export function bodyReader(limit: number, buffers: BodyBuffers) {
  return (req: import('express').Request, _res: import('express').Response, next: (err?: unknown) => void): void => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      next();
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      next(bodyError(`request entity too large`, 'entity.too.large', 413, { limit, length: declared }));
      return;
    }
    const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
    let stream: NodeJS.ReadableStream = req;
    if (encoding === 'gzip' || encoding === 'x-gzip') stream = req.pipe(zlib.createGunzip());
    else if (encoding === 'deflate') stream = req.pipe(zlib.createInflate());
    else if (encoding === 'br') stream = req.pipe(zlib.createBrotliDecompress());
    else if (encoding !== 'identity') {
      req.resume();
      next(bodyError(`unsupported content encoding "${encoding}"`, 'encoding.unsupported', 415, { encoding }));
      return;
    }
    // With a known length and no compression, a large body is copied straight into shared memory.
    const direct = stream === req && Number.isFinite(declared) && declared > JOIN_AT_ONCE_BYTES ? buffers.take(declared) : undefined;
    const target = direct ? new Uint8Array(direct) : undefined;
    const chunks: Buffer[] = [];
    let total = 0;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      if (direct) buffers.give(direct);
      req.resume();
      next(err);
    };
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      if (total + chunk.length > (target ? declared : limit)) {
        if (stream !== req) (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
        fail(bodyError('request entity too large', 'entity.too.large', 413, { limit }));
        return;
      }
      if (target) target.set(chunk, total);
      else chunks.push(chunk);
      total += chunk.length;
    });
    stream.on('error', fail);
    stream.on('end', () => {
      if (failed) return;
      if (direct) {
        req.body = Buffer.from(direct, 0, total);
        next();
      } else if (total <= JOIN_AT_ONCE_BYTES) {
        req.body = Buffer.concat(chunks, total);
        next();
      } else {
        joinInSlices(chunks, total, buffers).then((body) => {
          req.body = body;
          next();
        }, fail);
      }
    });
  };
}

/** `chunks` joined into a Buffer over a shared buffer of `buffers`, JOIN_SLICE_BYTES per event-loop turn. */
async function joinInSlices(chunks: Buffer[], total: number, buffers: BodyBuffers): Promise<Buffer> {
  const shared = buffers.take(total);
  const out = new Uint8Array(shared);
  let at = 0;
  let sinceYield = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
    sinceYield += chunk.length;
    if (sinceYield >= JOIN_SLICE_BYTES) {
      sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return Buffer.from(shared, 0, total);
}
