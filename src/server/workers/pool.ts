/**
 * The compute pool: worker threads (worker.ts) that run what must not run on the thread
 * serving RPCs: Train and Evaluate runs, agent calls too costly to run inline, large REST
 * bodies, and the env sessions with sandboxed or plugin rewards or very many copies.
 *
 * Scheduling is fair between users: tasks wait in one queue per user and are sent round
 * robin, a few at a time per worker (a user with a thousand queued calls delays another
 * user's next call by at most one turn). Long tasks (Train) do not wait: each goes to the
 * worker running the fewest, so two runs use two cores. Tasks bound to a worker (its hosted
 * sessions) go to that worker through the same per-user queues.
 *
 * A worker whose plugin reward call overruns its deadline (a plugin that loops forever) is
 * terminated and replaced; its calls fail with a message that says so, and the sessions it
 * hosted are reported lost (onWorkerLost).
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { DomainError } from '../../core/errors.js';
import type { Logger } from '../observability/logger.js';
import type { FromWorker, Op, Tasks, ToWorker, WireError } from './protocol.js';
import type { WorkerSetup } from './worker.js';

export interface PoolOptions {
  /** Worker threads (default: one per core). */
  readonly workers?: number;
  readonly rewardPlugins?: string;
  readonly sandbox?: WorkerSetup['sandbox'];
  /** Time a plugin reward call may take before its worker is restarted, ms (default 1000). */
  readonly pluginCallMs?: number;
  /** Tasks sent to one worker at once besides long ones (default 2). */
  readonly perWorker?: number;
  /**
   * Nice value of the worker threads (Linux; default 10): when the machine is busy, the
   * request thread gets the CPU first and the workers share what is left.
   */
  readonly niceness?: number;
  readonly logger?: Logger;
}

export interface RunOptions {
  /** Whose task: fairness is between users. */
  readonly user: string;
  /** A Train run: sent at once to the worker with the fewest long tasks. */
  readonly long?: boolean;
  /** The worker that must run it (a hosted session's). */
  readonly worker?: number;
  readonly transfer?: ArrayBuffer[];
  /** Aborting drops a queued task and cancels a running one. */
  readonly signal?: AbortSignal;
  /** Events of the task (Train's episodes); a returned promise holds the next ones (backpressure). */
  readonly onEvent?: (event: unknown) => void | Promise<void>;
}

interface Pending {
  readonly id: number;
  readonly op: Op;
  readonly payload: unknown;
  readonly options: RunOptions;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
  worker?: Slot;
  /** Events of this task not yet handled (kept in order). */
  events: Promise<void>;
  /** Events received and not yet handled. */
  waiting: number;
  /** Events handled and not yet acknowledged to the worker. */
  handled: number;
}

/** Handled events acknowledged to the worker in one message (fewer messages, same window). */
const ACK_BATCH = 8;

interface Slot {
  readonly index: number;
  worker: Worker;
  ready: Promise<void>;
  /** Short tasks sent and not finished. */
  busy: number;
  /** Long tasks running. */
  long: number;
  readonly tasks: Map<number, Pending>;
}

const READY_TIMEOUT_MS = 120_000;

/**
 * The worker thread's module: compiled worker.js next to this file in dist/ (bin/gymhost.js);
 * from the TypeScript sources (tests, through tsx) bootstrap.mjs, which loads tsx first.
 */
const WORKER_ENTRY = new URL(import.meta.url.endsWith('.ts') ? './bootstrap.mjs' : './worker.js', import.meta.url);

export class ComputePool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  /** Queued tasks by user, in arrival order; users served round robin. */
  private readonly queues = new Map<string, Pending[]>();
  private nextId = 1;
  private readonly perWorker: number;
  private readonly deadlines: Float64Array;
  private readonly watchdog: NodeJS.Timeout;
  private closed = false;
  /** Called with a worker's index after it was replaced: its hosted sessions are gone. */
  onWorkerLost: ((index: number, why: string) => void) | undefined;

  constructor(private readonly options: PoolOptions = {}) {
    this.size = Math.max(1, options.workers ?? os.availableParallelism());
    this.perWorker = Math.max(1, options.perWorker ?? 2);
    this.deadlines = new Float64Array(new SharedArrayBuffer(8 * this.size));
    for (let i = 0; i < this.size; i++) {
      const slot = { index: i, busy: 0, long: 0, tasks: new Map() } as unknown as Slot;
      this.start(slot);
      this.slots.push(slot);
    }
    this.watchdog = setInterval(() => this.watch(), 50);
    this.watchdog.unref();
  }

  /** Resolves when every worker has loaded (plugins, sandbox); rejects if one failed to. */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready));
  }

  /** Tasks waiting for a worker (all users). */
  get queueDepth(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** Tasks running on each worker (short and long). */
  get running(): number[] {
    return this.slots.map((s) => s.busy + s.long);
  }

  /** The worker with the fewest hosted-session tasks and long runs, for a new hosted session. */
  leastLoaded(): number {
    let best = this.slots[0];
    for (const s of this.slots) if (s.long + s.busy < best.long + best.busy) best = s;
    return best.index;
  }

  run<K extends Op>(op: K, payload: Tasks[K]['in'], options: RunOptions): Promise<Tasks[K]['out']> {
    if (this.closed) return Promise.reject(new DomainError('UNAVAILABLE', 'the server is shutting down', '', 'SHUTTING_DOWN'));
    if (options.signal?.aborted) return Promise.reject(cancelled());
    return new Promise((resolve, reject) => {
      const task: Pending = { id: this.nextId++, op, payload, options, resolve: resolve as (v: unknown) => void, reject, events: Promise.resolve(), waiting: 0, handled: 0 };
      options.signal?.addEventListener('abort', () => this.abort(task), { once: true });
      if (options.long && options.worker === undefined) {
        let best = this.slots[0];
        for (const s of this.slots) if (s.long < best.long || (s.long === best.long && s.busy < best.busy)) best = s;
        this.send(best, task);
        return;
      }
      if (options.long) {
        this.send(this.slots[options.worker!], task);
        return;
      }
      let q = this.queues.get(options.user);
      if (!q) this.queues.set(options.user, (q = []));
      q.push(task);
      this.dispatch();
    });
  }

  /** Stops every worker; tasks still running or queued fail with UNAVAILABLE. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchdog);
    for (const q of this.queues.values()) for (const t of q) t.reject(new DomainError('UNAVAILABLE', 'the server is shutting down', '', 'SHUTTING_DOWN'));
    this.queues.clear();
    await Promise.all(
      this.slots.map(async (s) => {
        for (const t of s.tasks.values()) t.reject(new DomainError('UNAVAILABLE', 'the server is shutting down', '', 'SHUTTING_DOWN'));
        s.tasks.clear();
        await s.worker.terminate();
      }),
    );
  }

  /** Starts (or restarts) the worker thread of `slot`. */
  private start(slot: Slot): void {
    const setup: WorkerSetup = {
      index: slot.index,
      rewardPlugins: this.options.rewardPlugins,
      sandbox: this.options.sandbox,
      pluginDeadlines: this.deadlines.buffer as SharedArrayBuffer,
      pluginCallMs: this.options.pluginCallMs ?? 1000,
      niceness: this.options.niceness ?? 10,
    };
    const worker = new Worker(WORKER_ENTRY, { workerData: setup, name: `gymhost-worker-${slot.index}` });
    worker.unref();
    slot.worker = worker;
    slot.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${slot.index} did not start within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      timer.unref();
      worker.on('message', (m: FromWorker) => {
        if (slot.worker !== worker) return;
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve();
          this.dispatch();
        } else if (m.type === 'startup-failed') {
          clearTimeout(timer);
          reject(new Error(`worker ${slot.index} failed to start: ${m.message}`));
        } else {
          this.onMessage(slot, m);
        }
      });
    });
    slot.ready.catch(() => undefined);
    worker.on('error', (err) => {
      if (slot.worker === worker) this.lost(slot, `its worker thread failed: ${err.message}`);
    });
    worker.on('exit', (code) => {
      if (!this.closed && slot.worker === worker) this.lost(slot, `its worker thread exited (code ${code})`);
    });
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type !== 'done' && m.type !== 'failed' && m.type !== 'event') return;
    const task = slot.tasks.get(m.id);
    if (!task) return;
    if (m.type === 'event') {
      const handle = task.options.onEvent;
      const worker = slot.worker;
      task.waiting++;
      task.events = task.events.then(async () => {
        try {
          await handle?.(m.event);
        } finally {
          task.waiting--;
          task.handled++;
          if (task.handled >= ACK_BATCH || task.waiting === 0) {
            worker.postMessage({ type: 'ack', id: m.id, count: task.handled } satisfies ToWorker);
            task.handled = 0;
          }
        }
      });
      return;
    }
    slot.tasks.delete(m.id);
    if (task.options.long) slot.long--;
    else slot.busy--;
    const settle = () => (m.type === 'done' ? task.resolve(m.result) : task.reject(fromWire(m.error, this.options.logger)));
    // Every event is handled before the result.
    void task.events.then(settle, settle);
    this.dispatch();
  }

  private send(slot: Slot, task: Pending): void {
    task.worker = slot;
    slot.tasks.set(task.id, task);
    if (task.options.long) slot.long++;
    else slot.busy++;
    const msg: ToWorker = { type: 'task', id: task.id, op: task.op, payload: task.payload };
    void slot.ready.then(
      () => slot.worker.postMessage(msg, task.options.transfer ?? []),
      (err) => {
        slot.tasks.delete(task.id);
        task.reject(err);
      },
    );
  }

  /** Sends queued tasks while workers have room, one per user in turn. */
  private dispatch(): void {
    let progress = true;
    while (progress && this.queues.size > 0) {
      progress = false;
      for (const [user, q] of [...this.queues]) {
        const task = q[0];
        const slot = task.options.worker !== undefined ? this.slots[task.options.worker] : this.freest();
        if (!slot || slot.busy >= this.perWorker) continue;
        q.shift();
        if (q.length === 0) this.queues.delete(user);
        else {
          // Round robin: this user goes to the back of the line.
          this.queues.delete(user);
          this.queues.set(user, q);
        }
        this.send(slot, task);
        progress = true;
      }
    }
  }

  /** The worker with room for a short task and the least work. */
  private freest(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) {
      if (s.busy >= this.perWorker) continue;
      if (!best || s.busy + s.long < best.busy + best.long) best = s;
    }
    return best;
  }

  private abort(task: Pending): void {
    if (task.worker) {
      if (task.worker.tasks.has(task.id)) task.worker.worker.postMessage({ type: 'cancel', id: task.id } satisfies ToWorker);
      return;
    }
    const q = this.queues.get(task.options.user);
    const i = q?.indexOf(task) ?? -1;
    if (i >= 0) {
      q!.splice(i, 1);
      if (q!.length === 0) this.queues.delete(task.options.user);
      task.reject(cancelled());
    }
  }

  /** Restarts workers stuck in a plugin call past its deadline. */
  private watch(): void {
    const now = performance.timeOrigin + performance.now();
    for (const slot of this.slots) {
      const deadline = this.deadlines[slot.index];
      if (deadline > 0 && now > deadline) {
        this.deadlines[slot.index] = 0;
        this.lost(slot, `a reward plugin did not return within ${this.options.pluginCallMs ?? 1000} ms, so its worker thread was restarted`);
      }
    }
  }

  /** Fails a worker's tasks, replaces the worker and reports its hosted sessions lost. */
  private lost(slot: Slot, why: string): void {
    if (this.closed) return;
    const old = slot.worker;
    const failed = [...slot.tasks.values()];
    slot.tasks.clear();
    slot.busy = 0;
    slot.long = 0;
    this.start(slot);
    void old.terminate();
    this.options.logger?.error({ worker: slot.index, why, failedTasks: failed.length }, 'worker thread replaced');
    for (const t of failed) t.reject(new DomainError('UNAVAILABLE', `the call failed: ${why}; try again`, '', 'WORKER_RESTARTED'));
    this.onWorkerLost?.(slot.index, why);
    this.dispatch();
  }
}

function cancelled(): DomainError {
  return new DomainError('CANCELLED', 'the call was cancelled before it ran', '', 'CANCELLED');
}

function fromWire(e: WireError, logger: Logger | undefined): DomainError {
  if (e.internal) logger?.error({ err: e.internal }, 'bug in a worker task');
  return new DomainError(e.code as DomainError['code'], e.message, e.field, e.reason);
}
