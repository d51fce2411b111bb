import { DomainError, resourceExhausted } from '../core/errors.js';
import type { Caller, Role } from '../core/sessions/caller.js';
import type { Quotas } from './auth/quotas.js';

/** Kinds of resources counted against quotas. */
export type ResourceKind = 'envSessions' | 'agents' | 'rewards' | 'concurrentTrains';

/** Something a user holds: its owner and estimated bytes. */
export interface Held {
  readonly owner: string;
  readonly memoryBytes: number;
}

/** One user's use, in the units of Quotas. */
export interface UsageCounts {
  envSessions: number;
  agents: number;
  rewards: number;
  concurrentTrains: number;
  memoryBytes: number;
}

const EMPTY = (): UsageCounts => ({ envSessions: 0, agents: 0, rewards: 0, concurrentTrains: 0, memoryBytes: 0 });

const WHAT: Record<ResourceKind, string> = {
  envSessions: 'env sessions',
  agents: 'agents',
  rewards: 'registered reward functions',
  concurrentTrains: 'Train calls running at once',
};

/** A user's running totals (kept in the store across restarts). */
export interface UserTotals {
  role: Role;
  /** Epoch ms. */
  firstSeen: number;
  lastSeen: number;
  requests: number;
  envSteps: number;
  trainingSteps: number;
}

/** Token bucket of one user's request rate. */
interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Quotas by user and by bytes. Use is derived from what the stores hold (each source lists
 * its resources with owners and estimated bytes), so it cannot drift from the truth; the
 * request rate is a token bucket per user. Memory is checked against the user's quota and
 * the server's budget before anything is allocated.
 */
export class UsageTracker {
  private readonly sources: { kind: ResourceKind; list: () => Iterable<Held> }[] = [];
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  /** Running totals by user, and the users whose totals changed since the last save. */
  readonly totals = new Map<string, UserTotals>();
  readonly changedTotals = new Set<string>();

  constructor(
    /** Quotas of a user. */
    private readonly quotasOf: (user: string, role: Role) => Quotas,
    /** The server's memory budget in bytes (all users together). */
    readonly memoryBudget: number,
    /** Clock in ms (tests inject one). */
    now?: () => number,
  ) {
    this.now = now ?? (() => performance.now());
  }

  /** The totals of `caller` (made on first sight). */
  totalsOf(user: string, role: Role): UserTotals {
    let t = this.totals.get(user);
    if (!t) {
      const now = Date.now();
      this.totals.set(user, (t = { role, firstSeen: now, lastSeen: now, requests: 0, envSteps: 0, trainingSteps: 0 }));
    }
    return t;
  }

  /** Adds env steps of `owner`'s sessions (Step, StepBatch) or of its training runs. */
  countSteps(owner: string, steps: number, kind: 'env' | 'training'): void {
    const t = this.totals.get(owner);
    if (!t) return;
    if (kind === 'env') t.envSteps += steps;
    else t.trainingSteps += steps;
    this.changedTotals.add(owner);
  }

  /** Registers a place where resources of `kind` are listed (the stores call it once each; a replica adds what other replicas hold). */
  addSource(kind: ResourceKind, list: () => Iterable<Held>): void {
    this.sources.push({ kind, list });
  }

  quotas(caller: Caller): Quotas {
    return this.quotasOf(caller.user, caller.role);
  }

  /** Use of every user, and of all together under ''. */
  usageByUser(): Map<string, UsageCounts> {
    const out = new Map<string, UsageCounts>([['', EMPTY()]]);
    for (const { kind, list } of this.sources) {
      for (const h of list()) {
        let u = out.get(h.owner);
        if (!u) out.set(h.owner, (u = EMPTY()));
        const total = out.get('')!;
        u[kind]++;
        total[kind]++;
        u.memoryBytes += h.memoryBytes;
        total.memoryBytes += h.memoryBytes;
      }
    }
    return out;
  }

  usageOf(user: string): UsageCounts {
    return this.usageByUser().get(user) ?? EMPTY();
  }

  /**
   * Checks that `caller` may hold one more `kind` (if given) taking `bytes` more memory;
   * RESOURCE_EXHAUSTED naming the quota, the cost and the current use otherwise.
   */
  checkCreate(caller: Caller, kind: ResourceKind | undefined, bytes: number, what: string): void {
    const quotas = this.quotas(caller);
    const all = this.usageByUser();
    const mine = all.get(caller.user) ?? EMPTY();
    if (kind) {
      const limit = quotas[kind];
      if (mine[kind] + 1 > limit) {
        const retry = kind === 'concurrentTrains' ? ' or wait for one to finish' : '';
        throw quotaError(
          `quota ${kind} exceeded: you have ${mine[kind]} ${WHAT[kind]} and may have at most ${limit}; ${kind === 'concurrentTrains' ? 'cancel one' : 'delete one'}${retry}`,
          'QUOTA_EXCEEDED',
          kind,
        );
      }
    }
    if (bytes <= 0) return;
    if (mine.memoryBytes + bytes > quotas.memoryBytes) {
      throw quotaError(
        `quota memoryBytes exceeded: ${what} needs an estimated ${formatBytes(bytes)}; you hold ${formatBytes(mine.memoryBytes)} of your ${formatBytes(quotas.memoryBytes)}; delete sessions or agents, make this smaller, or ask for a larger quota`,
        'MEMORY_QUOTA_EXCEEDED',
        'memoryBytes',
      );
    }
    const total = all.get('')!.memoryBytes;
    if (total + bytes > this.memoryBudget) {
      throw quotaError(
        `the server's memory budget is used up: ${what} needs an estimated ${formatBytes(bytes)}; all users hold ${formatBytes(total)} of the ${formatBytes(this.memoryBudget)} budget (--memory-budget); try again later or make this smaller`,
        'SERVER_MEMORY_BUDGET_EXCEEDED',
        'memoryBytes',
      );
    }
  }

  /**
   * Takes one request from `caller`'s token bucket; RESOURCE_EXHAUSTED with retry-after when
   * it is empty.
   */
  takeRequest(caller: Caller, count = 1): void {
    const q = this.quotas(caller);
    if (q.requestsPerSecond <= 0) return this.counted(caller, count);
    const now = this.now();
    const burst = Math.max(1, q.requestBurst);
    let b = this.buckets.get(caller.user);
    if (!b) this.buckets.set(caller.user, (b = { tokens: burst, at: now }));
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * q.requestsPerSecond);
    b.at = now;
    if (b.tokens >= count) {
      b.tokens -= count;
      return this.counted(caller, count);
    }
    const waitSeconds = (count - b.tokens) / q.requestsPerSecond;
    const err = quotaError(
      `quota requestsPerSecond exceeded: at most ${q.requestsPerSecond} requests per second (bursts of ${burst}); retry after ${waitSeconds >= 1 ? `${waitSeconds.toFixed(1)} s` : `${Math.ceil(waitSeconds * 1000)} ms`}`,
      'RATE_LIMITED',
      'requestsPerSecond',
    );
    err.retryAfterSeconds = Math.max(0.001, waitSeconds);
    throw err;
  }

  private counted(caller: Caller, count: number): void {
    const t = this.totalsOf(caller.user, caller.role);
    t.requests += count;
    t.lastSeen = Date.now();
    t.role = caller.role;
    this.changedTotals.add(caller.user);
  }

  /** Tokens left in `caller`'s bucket now (for GetUsage). */
  requestTokens(caller: Caller): number {
    const q = this.quotas(caller);
    const b = this.buckets.get(caller.user);
    const burst = Math.max(1, q.requestBurst);
    if (!b) return burst;
    return Math.min(burst, b.tokens + ((this.now() - b.at) / 1000) * q.requestsPerSecond);
  }
}

function quotaError(message: string, reason: string, field: string): DomainError {
  return resourceExhausted(message, reason, field);
}

/** Bytes for people: "1.5 GiB", "12.0 MiB", "512 B". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[i]}`;
}
