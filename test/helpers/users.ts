import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Role } from '../../src/core/sessions/caller.js';
import type { Quotas } from '../../src/server/auth/quotas.js';
import { withUser, writeUsersFile, type UsersFile } from '../../src/server/auth/users-file.js';

/** A users file in a new temporary directory with these users; their tokens by name. */
export function makeUsersFile(users: { name: string; role: Role; quotas?: Partial<Quotas> }[], roles?: UsersFile['roles']): { file: string; dir: string; tokens: Record<string, string> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymhost-users-'));
  const file = path.join(dir, 'users.json');
  let data: UsersFile = { version: 1, ...(roles ? { roles } : {}), users: {} };
  const tokens: Record<string, string> = {};
  for (const u of users) {
    const made = withUser(data, u.name, u.role, u.quotas);
    data = made.data;
    tokens[u.name] = made.token;
  }
  writeUsersFile(file, data);
  return { file, dir, tokens };
}
