/**
 * Who is calling, and what a role may do with resources it does not own. Every session,
 * agent and registered reward has an owner (a user name).
 *
 * - student: its own resources only;
 * - instructor: reads and deletes everyone's, changes only its own;
 * - admin: everything.
 * A resource the caller may not see is answered exactly like a missing one (NOT_FOUND), so
 * ids of other users' resources cannot be probed; one it may see but not change (an
 * instructor's write to a student's) is PERMISSION_DENIED (readOnly), since it is no secret.
 */
import { DomainError } from '../errors.js';

export type Role = 'student' | 'instructor' | 'admin';

export const ROLES: readonly Role[] = ['student', 'instructor', 'admin'];

export interface Caller {
  readonly user: string;
  readonly role: Role;
}

/** What a call does to a resource: look at it, change or use it, or delete it. */
export type Access = 'read' | 'write' | 'delete';

/** The one caller of a server without authentication (`gymhost serve` without --users). */
export const ANONYMOUS: Caller = { user: 'anonymous', role: 'admin' };

/** Whether `caller` may `access` a resource owned by `owner`. */
export function mayAccess(caller: Caller, owner: string, access: Access): boolean {
  if (owner === caller.user || caller.role === 'admin') return true;
  return caller.role === 'instructor' && access !== 'write';
}

/** PERMISSION_DENIED READ_ONLY: `what` (e.g. "agent 'x'") can be read by `caller` but not changed. */
export function readOnly(what: string, field: string): DomainError {
  return new DomainError('PERMISSION_DENIED', `${what} belongs to another user: instructors may read and delete it, not change or use it`, field, 'READ_ONLY');
}

/** Whether `caller` sees every user's resources in lists (instructors and admins). */
export function seesEveryone(caller: Caller): boolean {
  return caller.role !== 'student';
}
