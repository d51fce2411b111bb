import os from 'node:os';
import type { Role } from '../../core/sessions/caller.js';

/**
 * What one user may hold and do at once. A count of 0 forbids; request rate 0 means
 * unlimited. Names are the keys of the users file's `quotas` objects.
 */
export interface Quotas {
  /** Live env sessions. */
  readonly envSessions: number;
  /** Live agents. */
  readonly agents: number;
  /** Registered reward functions. */
  readonly rewards: number;
  /** Train calls running at once. */
  readonly concurrentTrains: number;
  /** Estimated bytes of everything the user holds (sessions, agents, replay queues, sandboxes). */
  readonly memoryBytes: number;
  /** Sustained requests per second (token bucket refill; 0 = unlimited). StepStream messages count. */
  readonly requestsPerSecond: number;
  /** Requests allowed in a burst (token bucket size). */
  readonly requestBurst: number;
}

export const QUOTA_NAMES: readonly (keyof Quotas)[] = ['envSessions', 'agents', 'rewards', 'concurrentTrains', 'memoryBytes', 'requestsPerSecond', 'requestBurst'];

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Default quotas of each role (a users file may override them per role and per user). */
export const ROLE_QUOTAS: Readonly<Record<Role, Quotas>> = {
  student: { envSessions: 32, agents: 16, rewards: 32, concurrentTrains: 1, memoryBytes: 1 * GiB, requestsPerSecond: 10000, requestBurst: 20000 },
  instructor: { envSessions: 256, agents: 128, rewards: 100, concurrentTrains: 4, memoryBytes: 4 * GiB, requestsPerSecond: 50000, requestBurst: 100000 },
  admin: { envSessions: 1000, agents: 200, rewards: 100, concurrentTrains: 8, memoryBytes: 16 * GiB, requestsPerSecond: 0, requestBurst: 0 },
};

/** The default --memory-budget: half of this machine's RAM, at least 512 MiB. */
export function defaultMemoryBudget(): number {
  return Math.max(512 * MiB, Math.floor(os.totalmem() / 2));
}

/**
 * Checks a partial quota object from the users file; returns it typed or throws an Error
 * naming `where` and the bad key.
 */
export function checkQuotaOverrides(value: unknown, where: string): Partial<Quotas> {
  if (value === undefined) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where} must be an object of quotas (${QUOTA_NAMES.join(', ')})`);
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(QUOTA_NAMES as readonly string[]).includes(key)) throw new Error(`${where}: unknown quota '${key}'; quotas: ${QUOTA_NAMES.join(', ')}`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${where}.${key} must be a number >= 0, got ${JSON.stringify(v)}`);
    out[key] = v;
  }
  return out as Partial<Quotas>;
}
