/**
 * TensorBoard event files, written without TensorFlow: what `tensorboard --logdir` and
 * tensorboard's EventAccumulator read.
 *
 * A file is a sequence of TFRecords, each
 *
 *   uint64 length (little-endian) | uint32 masked CRC32C of those 8 bytes |
 *   data (length bytes)           | uint32 masked CRC32C of data
 *
 * whose data is one serialized `tensorboard.Event`. The first Event carries
 * file_version "brain.Event:2"; scalars are Events with wall_time, step and a Summary.
 * Field numbers, from tensorboard/compat/proto/event.proto and summary.proto:
 *
 *   message Event      { double wall_time = 1; int64 step = 2;
 *                        oneof what { string file_version = 3; Summary summary = 5; SessionLog session_log = 7; ... } }
 *   message SessionLog { SessionStatus status = 1; ... }   // enum SessionStatus { STATUS_UNSPECIFIED = 0; START = 1; STOP = 2; CHECKPOINT = 3; }
 *   message Summary    { repeated Value value = 1; }
 *   message Summary.Value { string tag = 1; oneof value { float simple_value = 2; ... } }
 *
 * The writer buffers records and appends them with asynchronous writes (every
 * `flushEveryMs`, when the buffer grows large, and on close). An I/O error is reported once
 * (`onError`) and ends that file's output: nothing is thrown at the caller.
 */
import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';

// ---------------------------------------------------------------------------------------
// CRC32C (Castagnoli), as TFRecord frames use it

/** The reflected CRC32C polynomial (0x1EDC6F41 bit-reversed). */
const CRC32C_POLY = 0x82f63b78;

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CRC32C_POLY : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32C of `data` (an unsigned 32-bit integer); "123456789" gives 0xe3069283. */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 bits, add 0xa282ead8 (mod 2^32). */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord frame around `data`. */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

// ---------------------------------------------------------------------------------------
// Event encoding (protobufjs's Writer, field numbers as above)

/** Wire types: 1 = 64-bit, 0 = varint, 2 = length-delimited, 5 = 32-bit. */
const tag = (field: number, wireType: number) => ((field << 3) | wireType) >>> 0;

export const FILE_VERSION = 'brain.Event:2';
/** SessionLog.SessionStatus.START */
const SESSION_START = 1;

function eventHeader(w: protobuf.Writer, wallTime: number, step: number): protobuf.Writer {
  w.uint32(tag(1, 1)).double(wallTime);
  if (step !== 0) w.uint32(tag(2, 0)).int64(step);
  return w;
}

/** Event { wall_time, file_version } */
export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  return eventHeader(protobuf.Writer.create(), wallTime, 0).uint32(tag(3, 2)).string(FILE_VERSION).finish();
}

/** Event { wall_time, step, summary { value { tag, simple_value } ... } } */
export function encodeScalarsEvent(wallTime: number, step: number, scalars: readonly (readonly [string, number])[]): Uint8Array {
  const w = eventHeader(protobuf.Writer.create(), wallTime, step);
  w.uint32(tag(5, 2)).fork();
  for (const [name, value] of scalars) {
    w.uint32(tag(1, 2)).fork();
    w.uint32(tag(1, 2)).string(name);
    w.uint32(tag(2, 5)).float(value);
    w.ldelim();
  }
  w.ldelim();
  return w.finish();
}

/**
 * Event { wall_time, step, session_log { status: START } }: TensorBoard (file version 2)
 * drops what it read before at steps >= `step`, as after a restart from a checkpoint.
 */
export function encodeSessionStartEvent(wallTime: number, step: number): Uint8Array {
  const w = eventHeader(protobuf.Writer.create(), wallTime, step);
  return w.uint32(tag(7, 2)).fork().uint32(tag(1, 0)).int32(SESSION_START).ldelim().finish();
}

// ---------------------------------------------------------------------------------------
// Reading back (tests, and tools that check a file)

/** A decoded Event: the fields this module writes. */
export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  sessionStatus?: number;
  scalars?: { tag: string; value: number }[];
}

/**
 * The TFRecords of an event file's bytes, checking lengths and both CRCs; throws on a
 * damaged or truncated record.
 */
export function readTfRecords(bytes: Uint8Array): Uint8Array[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 12) throw new Error(`truncated record header at byte ${at}`);
    const length = buf.readBigUInt64LE(at);
    if (buf.readUInt32LE(at + 8) !== maskedCrc32c(buf.subarray(at, at + 8))) throw new Error(`bad length CRC at byte ${at}`);
    const n = Number(length);
    if (buf.length - at - 12 < n + 4) throw new Error(`truncated record at byte ${at}`);
    const data = buf.subarray(at + 12, at + 12 + n);
    if (buf.readUInt32LE(at + 12 + n) !== maskedCrc32c(data)) throw new Error(`bad data CRC at byte ${at}`);
    out.push(data);
    at += 12 + n + 4;
  }
  return out;
}

/** Decodes an Event (unknown fields are skipped). */
export function decodeEvent(data: Uint8Array): DecodedEvent {
  const r = protobuf.Reader.create(data);
  const e: DecodedEvent = { wallTime: 0, step: 0 };
  while (r.pos < r.len) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1: e.wallTime = r.double(); break;
      case 2: e.step = Number(r.int64().toString()); break;
      case 3: e.fileVersion = r.string(); break;
      case 5: {
        const end = r.uint32() + r.pos;
        e.scalars ??= [];
        while (r.pos < end) {
          const vt = r.uint32();
          if (vt >>> 3 !== 1) {
            r.skipType(vt & 7);
            continue;
          }
          const vend = r.uint32() + r.pos;
          const value = { tag: '', value: Number.NaN };
          while (r.pos < vend) {
            const ft = r.uint32();
            if (ft >>> 3 === 1) value.tag = r.string();
            else if (ft >>> 3 === 2) value.value = r.float();
            else r.skipType(ft & 7);
          }
          e.scalars.push(value);
        }
        break;
      }
      case 7: {
        const end = r.uint32() + r.pos;
        e.sessionStatus = 0;
        while (r.pos < end) {
          const ft = r.uint32();
          if (ft >>> 3 === 1) e.sessionStatus = r.int32();
          else r.skipType(ft & 7);
        }
        break;
      }
      default:
        r.skipType(t & 7);
    }
  }
  return e;
}

// ---------------------------------------------------------------------------------------
// File names

/** `events.out.tfevents.<secs>.<hostname>[.suffix]`, as TensorBoard and tf.summary name them. */
export function eventFileName(secs: number, hostname: string, suffix = ''): string {
  return `events.out.tfevents.${secs}.${hostname}${suffix ? `.${suffix}` : ''}`;
}

const EVENT_FILE_SECS = /^events\.out\.tfevents\.(\d+)\./;

/**
 * `name` as one safe path component: letters, digits, '_', '-', '@' and (not leading) '.'
 * stay; every other byte becomes %XX (so '.', '..', '.x', 'a/b' cannot escape or hide, and
 * distinct names stay distinct). The empty name becomes '%'.
 */
export function safePathComponent(name: string): string {
  if (name === '') return '%';
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    const keep = /[A-Za-z0-9_@-]/.test(c) || (c === '.' && out !== '');
    out += keep ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The writer

export interface EventFileWriterOptions {
  /** Longest time a record waits in the buffer, ms (default 2000). */
  readonly flushEveryMs?: number;
  /** Buffered bytes that start a write at once (default 256 KiB). */
  readonly flushBytes?: number;
  /**
   * Bytes buffered and not yet written past which the file is given up as an error (the disk
   * does not keep up; default 64 MiB): memory stays bounded.
   */
  readonly maxUnwrittenBytes?: number;
  /** Called once, with the file (or directory) and the error, when writing fails; the file gets nothing more. */
  readonly onError?: (err: Error, file: string) => void;
  /** Wall clock, ms since the epoch (default Date.now). */
  readonly now?: () => number;
  /** The file name's host part (default os.hostname(), made safe). */
  readonly hostname?: string;
  /** The file name's suffix (default: this process's pid). */
  readonly suffix?: string;
}

/**
 * One event file in `dir` (created if missing), opened at once in the background. Its name's
 * seconds are past those of every event file already in `dir`, so that TensorBoard, which
 * reads a folder's files in name order, reads it after them (a resumed run's new file).
 */
export class EventFileWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes handed to writes that have not finished. */
  private writingBytes = 0;
  private failed = false;
  private closing: Promise<void> | undefined;
  /** The last write (or the opening); every write waits for the one before. */
  private tail: Promise<void>;
  private handle: FileHandle | undefined;
  private filePath: string | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly flushBytes: number;
  private readonly maxUnwrittenBytes: number;

  constructor(readonly dir: string, private readonly options: EventFileWriterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.flushBytes = options.flushBytes ?? 256 * 1024;
    this.maxUnwrittenBytes = options.maxUnwrittenBytes ?? 64 * 1024 * 1024;
    const openedAt = this.now();
    this.timer = setInterval(() => void this.flush(), options.flushEveryMs ?? 2000);
    this.timer.unref();
    this.tail = this.openFile(openedAt).catch((err) => this.fail(err, this.filePath ?? dir));
    this.append(encodeFileVersionEvent(openedAt / 1000));
  }

  /** The file's path once it is open (undefined before, or if it could not be created). */
  get path(): string | undefined {
    return this.failed ? undefined : this.filePath;
  }

  /** Whether writing failed (nothing more goes to the file). */
  get broken(): boolean {
    return this.failed;
  }

  /** Resolves with the file's path once it is open (undefined if it could not be). */
  async opened(): Promise<string | undefined> {
    await this.tail;
    return this.path;
  }

  /** One Event of scalars at `step`; NaN values (e.g. no loss) are left out, an Event with none is not written. */
  scalars(step: number, values: readonly (readonly [string, number])[]): void {
    const kept = values.filter(([, v]) => !Number.isNaN(v));
    if (kept.length === 0) return;
    this.append(encodeScalarsEvent(this.now() / 1000, step, kept));
  }

  /** A SessionLog START at `step`: TensorBoard drops data it read before at steps >= step. */
  sessionStart(step: number): void {
    this.append(encodeSessionStartEvent(this.now() / 1000, step));
  }

  /** Writes what is buffered; resolves once it is written (or writing failed). */
  flush(): Promise<void> {
    if (this.failed || this.pending.length === 0) return this.tail;
    const chunk = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.writingBytes += chunk.length;
    this.tail = this.tail.then(async () => {
      try {
        for (let at = 0; at < chunk.length && !this.failed && this.handle; ) at += (await this.handle.write(chunk, at, chunk.length - at)).bytesWritten;
      } catch (err) {
        this.fail(err, this.filePath!);
      } finally {
        this.writingBytes -= chunk.length;
      }
    });
    return this.tail;
  }

  /** Flushes and closes the file; later records are dropped. Never rejects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      await this.flush();
      const h = this.handle;
      this.handle = undefined;
      if (h) await h.close().catch((err) => this.fail(err, this.filePath!));
    })();
    return this.closing;
  }

  private append(data: Uint8Array): void {
    if (this.failed || this.closing) return;
    if (this.pendingBytes + this.writingBytes > this.maxUnwrittenBytes) {
      this.fail(new Error(`writes fall behind: over ${this.maxUnwrittenBytes} bytes not yet written`), this.filePath ?? this.dir);
      return;
    }
    const record = tfRecord(data);
    this.pending.push(record);
    this.pendingBytes += record.length;
    if (this.pendingBytes >= this.flushBytes) void this.flush();
  }

  private async openFile(openedAt: number): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    let secs = Math.floor(openedAt / 1000);
    for (const name of await readdir(this.dir)) {
      const m = EVENT_FILE_SECS.exec(name);
      if (m) secs = Math.max(secs, Number(m[1]) + 1);
    }
    const host = safePathComponent(this.options.hostname ?? os.hostname());
    const file = path.join(this.dir, eventFileName(secs, host, this.options.suffix ?? String(process.pid)));
    this.filePath = file;
    // 'wx': a new file, never another writer's.
    this.handle = await open(file, 'wx');
  }

  private fail(err: unknown, where: string): void {
    if (this.failed) return;
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
    clearInterval(this.timer);
    const h = this.handle;
    this.handle = undefined;
    void h?.close().catch(() => undefined);
    try {
      this.options.onError?.(err instanceof Error ? err : new Error(String(err)), where);
    } catch {
      // A reporter that throws changes nothing.
    }
  }
}
