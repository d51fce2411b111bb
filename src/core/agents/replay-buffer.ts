/**
 * The seed's replay queue Omega of (state, action, reward, next_state, done), with states
 * already encoded as network inputs. One ring of preallocated Float32Arrays:
 *
 * - unit "steps": `capacity` transitions; a push into a full queue drops the oldest one.
 * - unit "episodes": the last `capacity` whole episodes (fitted Q's memory). The ring grows
 *   (doubling) as episodes arrive; endEpisode drops the oldest whole episodes beyond
 *   `capacity`. `maxSteps` bounds the memory: a push that would exceed it drops the oldest
 *   whole episode first (or, when only the running episode is left, its oldest step).
 *
 * Logical index 0 is the oldest transition stored. Sampling is uniform with replacement
 * using the caller's Rng, into a preallocated ReplayBatch.
 */

import type { Rng } from '../rng.js';

/** A batch of transitions in the network's layout. */
export class ReplayBatch {
  readonly states: Float32Array;
  readonly nextStates: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly dones: Uint8Array;

  constructor(
    readonly capacity: number,
    readonly inputSize: number,
  ) {
    this.states = new Float32Array(capacity * inputSize);
    this.nextStates = new Float32Array(capacity * inputSize);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.dones = new Uint8Array(capacity);
  }
}

export interface ReplayOptions {
  readonly inputSize: number;
  readonly unit: 'steps' | 'episodes';
  /** Transitions ("steps") or whole episodes ("episodes"), >= 1. */
  readonly capacity: number;
  /** Hard bound on stored transitions for unit "episodes" (memory); ignored for "steps". */
  readonly maxSteps?: number;
}

/** Bytes one stored transition takes with this input size. */
export function bytesPerTransition(inputSize: number): number {
  return 8 * inputSize + 9;
}

export class ReplayBuffer {
  readonly inputSize: number;
  readonly unit: 'steps' | 'episodes';
  readonly capacity: number;
  /** Most transitions the ring may ever hold. */
  readonly maxSteps: number;

  private states: Float32Array;
  private nextStates: Float32Array;
  private actions: Int32Array;
  private rewards: Float32Array;
  private dones: Uint8Array;
  /** Physical slots allocated. */
  private slots: number;
  /** Physical index of the oldest transition. */
  private tail = 0;
  private count = 0;
  /** Lengths of the complete episodes stored, oldest first (unit "episodes"). */
  private episodeLengths: number[] = [];
  /** Transitions of the running episode stored. */
  private current = 0;
  /** Transitions ever pushed. */
  private pushed = 0;

  constructor(o: ReplayOptions) {
    if (!Number.isInteger(o.capacity) || o.capacity < 1) throw new RangeError(`replay capacity must be an integer >= 1, got ${o.capacity}`);
    this.inputSize = o.inputSize;
    this.unit = o.unit;
    this.capacity = o.capacity;
    this.maxSteps = o.unit === 'steps' ? o.capacity : Math.max(1, Math.floor(o.maxSteps ?? 1_000_000));
    this.slots = o.unit === 'steps' ? o.capacity : Math.min(this.maxSteps, 1024);
    this.states = new Float32Array(this.slots * o.inputSize);
    this.nextStates = new Float32Array(this.slots * o.inputSize);
    this.actions = new Int32Array(this.slots);
    this.rewards = new Float32Array(this.slots);
    this.dones = new Uint8Array(this.slots);
  }

  /** Transitions stored. */
  get size(): number {
    return this.count;
  }

  /** Complete episodes stored (unit "episodes"; 0 for "steps"). */
  get episodes(): number {
    return this.episodeLengths.length;
  }

  /** Transitions pushed since creation (dropped ones included). */
  get totalPushed(): number {
    return this.pushed;
  }

  /**
   * Stores one transition: `state` and `nextState` are encoded inputs read from
   * [offset, offset + inputSize) of their arrays. Drops the oldest when full.
   */
  push(state: Float32Array, stateOffset: number, action: number, reward: number, nextState: Float32Array, nextOffset: number, done: boolean): void {
    if (this.unit === 'steps') {
      if (this.count === this.capacity) this.dropOldest(1);
    } else if (this.count === this.maxSteps) {
      if (this.episodeLengths.length > 0) this.dropOldest(this.episodeLengths.shift() as number);
      else {
        this.dropOldest(1);
        this.current--;
      }
    } else if (this.count === this.slots) {
      this.grow(Math.min(this.maxSteps, this.slots * 2));
    }
    const p = (this.tail + this.count) % this.slots;
    const n = this.inputSize;
    this.states.set(state.subarray(stateOffset, stateOffset + n), p * n);
    this.nextStates.set(nextState.subarray(nextOffset, nextOffset + n), p * n);
    this.actions[p] = action;
    this.rewards[p] = reward;
    this.dones[p] = done ? 1 : 0;
    this.count++;
    this.current++;
    this.pushed++;
  }

  /** Marks the end of an episode; unit "episodes" then keeps only the last `capacity` episodes. */
  endEpisode(): void {
    if (this.unit === 'steps') {
      this.current = 0;
      return;
    }
    if (this.current > 0) this.episodeLengths.push(this.current);
    this.current = 0;
    while (this.episodeLengths.length > this.capacity) this.dropOldest(this.episodeLengths.shift() as number);
  }

  /** Drops everything. */
  clear(): void {
    this.tail = 0;
    this.count = 0;
    this.current = 0;
    this.episodeLengths = [];
  }

  /** Fills batch[0, count) with transitions drawn uniformly with replacement. The queue must not be empty. */
  sample(rng: Rng, count: number, batch: ReplayBatch): void {
    if (this.count === 0) throw new RangeError('cannot sample an empty replay queue');
    for (let i = 0; i < count; i++) this.copyTo(this.physical(rng.nextInt(this.count)), batch, i);
  }

  /** Fills batch[0, count) with the transitions at logical indices index[from, from + count). */
  gather(index: Int32Array, from: number, count: number, batch: ReplayBatch): void {
    for (let i = 0; i < count; i++) this.copyTo(this.physical(index[from + i]), batch, i);
  }

  /** The stored transitions, oldest first, as arrays (for snapshots). */
  exportArrays(): { states: Float32Array; nextStates: Float32Array; actions: Float32Array; rewards: Float32Array; dones: Float32Array } {
    const n = this.inputSize;
    const c = this.count;
    const out = {
      states: new Float32Array(c * n),
      nextStates: new Float32Array(c * n),
      actions: new Float32Array(c),
      rewards: new Float32Array(c),
      dones: new Float32Array(c),
    };
    for (let i = 0; i < c; i++) {
      const p = this.physical(i);
      out.states.set(this.states.subarray(p * n, p * n + n), i * n);
      out.nextStates.set(this.nextStates.subarray(p * n, p * n + n), i * n);
      out.actions[i] = this.actions[p];
      out.rewards[i] = this.rewards[p];
      out.dones[i] = this.dones[p];
    }
    return out;
  }

  /** Bookkeeping for snapshots. */
  exportMeta(): { size: number; episodeLengths: number[]; current: number; pushed: number } {
    return { size: this.count, episodeLengths: [...this.episodeLengths], current: this.current, pushed: this.pushed };
  }

  /**
   * Replaces the contents with exported arrays and meta; returns an error message (and
   * changes nothing) if they do not fit this queue.
   */
  importFrom(
    a: { states?: Float32Array; nextStates?: Float32Array; actions?: Float32Array; rewards?: Float32Array; dones?: Float32Array },
    meta: { size?: unknown; episodeLengths?: unknown; current?: unknown; pushed?: unknown },
  ): string | undefined {
    const c = meta.size;
    const n = this.inputSize;
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > this.maxSteps) return `replay size ${String(c)} does not fit a queue of ${this.maxSteps} steps`;
    if (a.states?.length !== c * n || a.nextStates?.length !== c * n || a.actions?.length !== c || a.rewards?.length !== c || a.dones?.length !== c) {
      return `replay arrays do not hold ${c} transitions of ${n} inputs`;
    }
    const lengths = Array.isArray(meta.episodeLengths) ? (meta.episodeLengths as unknown[]) : [];
    const current = typeof meta.current === 'number' && Number.isInteger(meta.current) && meta.current >= 0 ? meta.current : 0;
    if (!lengths.every((x) => typeof x === 'number' && Number.isInteger(x) && x > 0)) return 'replay episode lengths are not positive integers';
    if (this.unit === 'episodes' && (lengths as number[]).reduce((s, x) => s + x, 0) + current !== c) return 'replay episode lengths do not add up to its size';
    if (c > this.slots) this.grow(Math.min(this.maxSteps, Math.max(c, this.slots * 2)));
    this.clear();
    for (let i = 0; i < c; i++) {
      this.states.set(a.states.subarray(i * n, i * n + n), i * n);
      this.nextStates.set(a.nextStates.subarray(i * n, i * n + n), i * n);
      this.actions[i] = a.actions[i];
      this.rewards[i] = a.rewards[i];
      this.dones[i] = a.dones[i];
    }
    this.count = c;
    this.episodeLengths = this.unit === 'episodes' ? [...(lengths as number[])] : [];
    this.current = current;
    this.pushed = typeof meta.pushed === 'number' && Number.isInteger(meta.pushed) && meta.pushed >= c ? meta.pushed : c;
    return undefined;
  }

  private physical(logical: number): number {
    return (this.tail + logical) % this.slots;
  }

  private copyTo(p: number, batch: ReplayBatch, i: number): void {
    const n = this.inputSize;
    batch.states.set(this.states.subarray(p * n, p * n + n), i * n);
    batch.nextStates.set(this.nextStates.subarray(p * n, p * n + n), i * n);
    batch.actions[i] = this.actions[p];
    batch.rewards[i] = this.rewards[p];
    batch.dones[i] = this.dones[p];
  }

  private dropOldest(k: number): void {
    this.tail = (this.tail + k) % this.slots;
    this.count -= k;
  }

  /** Reallocates to `slots` slots, oldest transition first. */
  private grow(slots: number): void {
    if (slots <= this.slots) return;
    const n = this.inputSize;
    const states = new Float32Array(slots * n);
    const nextStates = new Float32Array(slots * n);
    const actions = new Int32Array(slots);
    const rewards = new Float32Array(slots);
    const dones = new Uint8Array(slots);
    for (let i = 0; i < this.count; i++) {
      const p = this.physical(i);
      states.set(this.states.subarray(p * n, p * n + n), i * n);
      nextStates.set(this.nextStates.subarray(p * n, p * n + n), i * n);
      actions[i] = this.actions[p];
      rewards[i] = this.rewards[p];
      dones[i] = this.dones[p];
    }
    this.states = states;
    this.nextStates = nextStates;
    this.actions = actions;
    this.rewards = rewards;
    this.dones = dones;
    this.slots = slots;
    this.tail = 0;
  }
}
