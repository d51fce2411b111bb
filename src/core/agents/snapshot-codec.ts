import { invalidArgument } from '../errors.js';
import type { AgentSnapshot } from './types.js';

/** Name of the export format written by encodeSnapshot. */
export const SNAPSHOT_FORMAT = 'gymhost-agent-v1';
const MAGIC = Buffer.from('GYMHOST-AGENT-1\n', 'ascii');

/**
 * An agent snapshot as bytes: the magic line, a uint32 (LE) header length, a JSON header
 * (everything but the arrays, plus each array's name and length), then the arrays as
 * float32 little-endian, in header order.
 */
export function encodeSnapshot(s: AgentSnapshot): Buffer {
  const names = Object.keys(s.arrays);
  const header = Buffer.from(
    JSON.stringify({ ...s, arrays: names.map((name) => ({ name, length: s.arrays[name].length })) }, nonFiniteToString),
    'utf8',
  );
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const parts = names.map((n) => Buffer.from(s.arrays[n].buffer, s.arrays[n].byteOffset, s.arrays[n].byteLength));
  return Buffer.concat([MAGIC, len, header, ...parts]);
}

/** JSON has no Infinity or NaN (Box bounds, losses of episodes without updates): write them as strings. */
function nonFiniteToString(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

function nonFiniteFromString(_key: string, value: unknown): unknown {
  return value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value === 'NaN' ? Number.NaN : value;
}

/** Reads encodeSnapshot's bytes; anything else is INVALID_ARGUMENT on `field`. */
export function decodeSnapshot(data: Uint8Array, field = 'data'): AgentSnapshot {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const bad = (why: string) => invalidArgument(field, `${field} is not a ${SNAPSHOT_FORMAT} export: ${why}`, 'BAD_AGENT_EXPORT');
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw bad('wrong magic bytes');
  const headerLength = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + headerLength > buf.length) throw bad('truncated header');
  let header: Omit<AgentSnapshot, 'arrays'> & { arrays: { name: string; length: number }[] };
  try {
    header = JSON.parse(buf.subarray(start, start + headerLength).toString('utf8'), nonFiniteFromString);
  } catch {
    throw bad('header is not JSON');
  }
  if (header?.version !== 1 || (header.kind !== 'tabular' && header.kind !== 'dqn') || !Array.isArray(header.arrays)) throw bad('unsupported header');
  let offset = start + headerLength;
  const arrays: Record<string, Float32Array> = {};
  for (const a of header.arrays) {
    if (typeof a?.name !== 'string' || !Number.isInteger(a.length) || a.length < 0) throw bad('bad array entry');
    const bytes = a.length * 4;
    if (offset + bytes > buf.length) throw bad(`array '${a.name}' is truncated`);
    const copy = new Float32Array(a.length);
    new Uint8Array(copy.buffer).set(buf.subarray(offset, offset + bytes));
    arrays[a.name] = copy;
    offset += bytes;
  }
  if (offset !== buf.length) throw bad('trailing bytes');
  return { ...header, arrays } as AgentSnapshot;
}
