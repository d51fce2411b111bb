import { DomainError } from '../../core/errors.js';
import { ANONYMOUS, type Caller, type Role } from '../../core/sessions/caller.js';
import { ROLE_QUOTAS, type Quotas } from './quotas.js';
import { hashToken, readUsersFile, type UsersFile } from './users-file.js';

/**
 * Turns an `authorization` header (HTTP) or metadata value (gRPC) into a Caller. Without a
 * users file every caller is ANONYMOUS (one trusted user, as a server on a laptop); with
 * one, a known `Bearer <token>` is required (UNAUTHENTICATED otherwise). The file is read
 * again by reload() (the server calls it on SIGHUP).
 */
export class Authenticator {
  private byHash = new Map<string, Caller>();
  private file: UsersFile | undefined;

  /** `usersFile` undefined = authentication off. Throws if the file cannot be read or is invalid. */
  constructor(readonly usersFile?: string) {
    if (usersFile !== undefined) this.install(readUsersFile(usersFile));
  }

  get enabled(): boolean {
    return this.usersFile !== undefined;
  }

  /** Number of users in the file (0 without authentication). */
  get userCount(): number {
    return this.file ? Object.keys(this.file.users).length : 0;
  }

  /** Re-reads the users file; on error the previous users stay in force and the error is thrown. */
  reload(): void {
    if (this.usersFile === undefined) return;
    this.install(readUsersFile(this.usersFile));
  }

  private install(file: UsersFile): void {
    const byHash = new Map<string, Caller>();
    for (const [user, rec] of Object.entries(file.users)) byHash.set(rec.tokenSha256, { user, role: rec.role });
    this.byHash = byHash;
    this.file = file;
  }

  /** The caller presenting `authorization` (the header's value, if any). */
  authenticate(authorization: string | undefined): Caller {
    if (!this.enabled) return ANONYMOUS;
    if (!authorization) {
      throw new DomainError('UNAUTHENTICATED', 'this server requires a token: send the header "authorization: Bearer <token>" (an administrator makes one with `gymhost users add`)', 'authorization', 'MISSING_TOKEN');
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) throw new DomainError('UNAUTHENTICATED', 'the authorization header must be "Bearer <token>"', 'authorization', 'BAD_AUTHORIZATION');
    const caller = this.byHash.get(hashToken(m[1]));
    if (!caller) throw new DomainError('UNAUTHENTICATED', 'the token is not valid (unknown, removed or rotated); ask for a new one', 'authorization', 'INVALID_TOKEN');
    return caller;
  }

  /** Role of a user in the users file (ANONYMOUS's without authentication); undefined if unknown. */
  roleOf(user: string): Role | undefined {
    if (!this.enabled) return user === ANONYMOUS.user ? ANONYMOUS.role : undefined;
    return this.file?.users[user]?.role;
  }

  /** Quotas of `user` with `role`: the role's defaults, the file's role overrides, then the user's own. */
  quotasOf(user: string, role: Role): Quotas {
    return { ...ROLE_QUOTAS[role], ...this.file?.roles?.[role], ...this.file?.users[user]?.quotas };
  }
}
