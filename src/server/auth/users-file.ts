/**
 * The users file (`gymhost serve --users FILE`, `gymhost users ...`): JSON with every user's
 * role, the SHA-256 of its token (the token itself is shown once, when made) and optional
 * quota overrides, plus optional per-role quota overrides:
 *
 *   {
 *     "version": 1,
 *     "roles": { "student": { "memoryBytes": 536870912 } },
 *     "users": {
 *       "alice": { "role": "student", "tokenSha256": "9f86d0...", "createdAt": "2026-12-02T12:00:00.000Z" },
 *       "grader": { "role": "instructor", "tokenSha256": "...", "createdAt": "...", "quotas": { "concurrentTrains": 16 } }
 *     }
 *   }
 *
 * Written atomically (a temporary file renamed over it) with mode 0600.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROLES, type Role } from '../../core/sessions/caller.js';
import { checkQuotaOverrides, type Quotas } from './quotas.js';

export interface UserRecord {
  readonly role: Role;
  /** Lowercase hex SHA-256 of the token. */
  readonly tokenSha256: string;
  /** ISO 8601 time the user (or its current token) was made. */
  readonly createdAt: string;
  readonly quotas?: Partial<Quotas>;
}

export interface UsersFile {
  readonly version: 1;
  readonly roles?: Partial<Record<Role, Partial<Quotas>>>;
  readonly users: Readonly<Record<string, UserRecord>>;
}

/** User names: letters, digits, '.', '_', '-', '@'; 1 to 64 characters. */
const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

export function checkUserName(name: string): void {
  if (!NAME.test(name)) throw new Error(`user name '${name}' is not allowed: use 1 to 64 letters, digits, '.', '_', '-' or '@'`);
  if (name === 'anonymous') throw new Error("'anonymous' is the user of a server without authentication; choose another name");
}

/** A new token: "gh_" and 43 url-safe characters (256 random bits). */
export function newToken(): string {
  return `gh_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Reads and checks a users file; a missing file is an empty one when `missingOk`. Errors name the file and the problem. */
export function readUsersFile(file: string, missingOk = false): UsersFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (missingOk && (err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, users: {} };
    throw new Error(`cannot read users file ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`users file ${file} is not JSON: ${(err as Error).message}`);
  }
  return checkUsersFile(raw, file);
}

function checkUsersFile(raw: unknown, file: string): UsersFile {
  const fail = (why: string) => new Error(`users file ${file}: ${why}`);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw fail('must be a JSON object with "version": 1 and "users"');
  const o = raw as Record<string, unknown>;
  if (o.version !== 1) throw fail(`"version" must be 1, got ${JSON.stringify(o.version)}`);
  const roles: Partial<Record<Role, Partial<Quotas>>> = {};
  if (o.roles !== undefined) {
    if (!o.roles || typeof o.roles !== 'object' || Array.isArray(o.roles)) throw fail('"roles" must be an object of role -> quotas');
    for (const [role, q] of Object.entries(o.roles)) {
      if (!(ROLES as readonly string[]).includes(role)) throw fail(`unknown role '${role}' in "roles"; roles: ${ROLES.join(', ')}`);
      try {
        roles[role as Role] = checkQuotaOverrides(q, `roles.${role}`);
      } catch (err) {
        throw fail((err as Error).message);
      }
    }
  }
  if (!o.users || typeof o.users !== 'object' || Array.isArray(o.users)) throw fail('"users" must be an object of name -> user');
  const users: Record<string, UserRecord> = {};
  const hashes = new Set<string>();
  for (const [name, u] of Object.entries(o.users as Record<string, unknown>)) {
    try {
      checkUserName(name);
    } catch (err) {
      throw fail((err as Error).message);
    }
    const rec = u as Record<string, unknown> | null;
    if (!rec || typeof rec !== 'object') throw fail(`users.${name} must be an object`);
    if (!(ROLES as readonly unknown[]).includes(rec.role)) throw fail(`users.${name}.role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(rec.role)}`);
    if (typeof rec.tokenSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(rec.tokenSha256)) throw fail(`users.${name}.tokenSha256 must be 64 lowercase hex digits`);
    if (hashes.has(rec.tokenSha256)) throw fail(`users.${name} has the same token as another user`);
    hashes.add(rec.tokenSha256);
    let quotas: Partial<Quotas> | undefined;
    try {
      quotas = rec.quotas === undefined ? undefined : checkQuotaOverrides(rec.quotas, `users.${name}.quotas`);
    } catch (err) {
      throw fail((err as Error).message);
    }
    users[name] = {
      role: rec.role as Role,
      tokenSha256: rec.tokenSha256,
      createdAt: typeof rec.createdAt === 'string' ? rec.createdAt : '',
      ...(quotas ? { quotas } : {}),
    };
  }
  return { version: 1, ...(Object.keys(roles).length ? { roles } : {}), users };
}

/** Writes `data` to `file` atomically, readable only by its owner. */
export function writeUsersFile(file: string, data: UsersFile): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** `data` with user `name` added (or its token replaced, for rotate); returns the new file and the token. */
export function withUser(data: UsersFile, name: string, role: Role, quotas: Partial<Quotas> | undefined, now = new Date()): { data: UsersFile; token: string } {
  checkUserName(name);
  const token = newToken();
  const user: UserRecord = { role, tokenSha256: hashToken(token), createdAt: now.toISOString(), ...(quotas && Object.keys(quotas).length ? { quotas } : {}) };
  return { data: { ...data, users: { ...data.users, [name]: user } }, token };
}
