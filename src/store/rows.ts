/**
 * What the two backends share: training runs' rows (their JSON body keeps NaN and Infinity)
 * and the domain errors a failed write becomes.
 */
import { DomainError } from '../core/errors.js';
import type { RunRow } from './store.js';

/** A run's columns in the order of both backends' upserts: id, owner, agent, env, state, body, created_at, updated_at. */
export function runToRow(r: RunRow): [string, string, string, string, string, string, number, number] {
  return [r.id, r.owner, r.agent, r.env, r.state, JSON.stringify(r.body, nonFinite), r.createdAt, r.updatedAt];
}

/** A run from its row (columns by name, epoch ms as numbers). */
export function runFromRow(r: Record<string, unknown>): RunRow {
  return {
    id: r.id as string,
    owner: r.owner as string,
    agent: r.agent as string,
    env: r.env as string,
    state: r.state as string,
    body: JSON.parse(r.body as string, (_k, v) => (v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)),
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  };
}

/** JSON has no NaN or Infinity (returns of runs without episodes): written as strings. */
function nonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/** RESOURCE_EXHAUSTED STORAGE_FULL: the database or its disk is full; waiting does not help. */
export function storageFullError(what: string, location: string): DomainError {
  const e = new DomainError('RESOURCE_EXHAUSTED', `cannot ${what}: the server's storage is full (${location}); nothing was changed. Delete sessions or agents, or ask the operator to free space`, '', 'STORAGE_FULL');
  e.retryAfterSeconds = 0;
  return e;
}

/** UNAVAILABLE STORAGE_UNAVAILABLE: the write failed for another reason (`text` says which); nothing was changed. */
export function storageUnavailableError(what: string, location: string, text: string): DomainError {
  return new DomainError('UNAVAILABLE', `cannot ${what}: the server's storage cannot be written (${location}: ${text}); nothing was changed`, '', 'STORAGE_UNAVAILABLE');
}
