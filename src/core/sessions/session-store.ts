import { randomBytes } from 'node:crypto';
import { DomainError, notFound, resourceExhausted } from '../errors.js';
import { mayAccess, readOnly, seesEveryone, type Access, type Caller } from './caller.js';

export { ANONYMOUS, type Access, type Caller } from './caller.js';

/** What a store keeps: anything with an id, an owner and a last-use time. */
export interface StoredSession {
  readonly id: string;
  readonly owner: string;
  /** Epoch milliseconds of the last call that used the session. */
  lastUsedAt: number;
  /** Frees resources when the session is deleted or expires. */
  dispose?(): void;
}

export interface SessionStoreOptions {
  /** Largest number of live sessions; creating one more is RESOURCE_EXHAUSTED. */
  readonly maxSessions: number;
  /** Sessions idle longer than this are deleted (seconds; 0 = never). */
  readonly ttlSeconds: number;
  /** What the store holds, for messages ("env session", "agent"). */
  readonly kind: string;
  /** Clock in epoch ms (tests inject one). */
  readonly now?: () => number;
}

/** Why an id is no longer live, remembered so NOT_FOUND can say what happened. */
export type Gone = 'deleted' | 'expired' | 'lost';
const GONE_MEMORY = 10_000;

/**
 * Live sessions by id with an owner check, a cap and an idle TTL. Node runs each call to
 * completion, so a session is never seen half-updated by another caller.
 */
export class SessionStore<T extends StoredSession> {
  private readonly live = new Map<string, T>();
  private readonly gone = new Map<string, Gone>();
  /** Why lost sessions were lost (removeLost), for NOT_FOUND messages. */
  private readonly lostWhy = new Map<string, string>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  /** Called after a session is removed: deleted by a caller or expired (audit logs). */
  onRemoved: ((session: T, why: Gone) => void) | undefined;

  constructor(readonly options: SessionStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A new unguessable id (12 url-safe characters). */
  static newId(): string {
    return randomBytes(9).toString('base64url');
  }

  get size(): number {
    return this.live.size;
  }

  /** Checks the cap before an expensive creation. */
  ensureCapacity(): void {
    this.sweep();
    if (this.live.size >= this.options.maxSessions) {
      throw resourceExhausted(
        `too many ${this.options.kind}s: the server holds at most ${this.options.maxSessions}; delete one or wait for idle ones to expire`,
        'TOO_MANY_SESSIONS',
      );
    }
  }

  add(session: T): T {
    this.ensureCapacity();
    session.lastUsedAt = this.now();
    this.live.set(session.id, session);
    return session;
  }

  /** Puts back a session of an earlier run of the server (start-up): no cap, its id kept. */
  restore(session: T): void {
    session.lastUsedAt = this.now();
    this.live.set(session.id, session);
  }

  /**
   * Takes a session out without disposing it or remembering it as gone (another replica
   * serves it from now on); the caller saves and disposes it. Undefined if not live.
   */
  take(id: string): T | undefined {
    const session = this.live.get(id);
    if (session) this.live.delete(id);
    return session;
  }

  /** Whether session `id` is live here (no owner check, no touch). */
  has(id: string): boolean {
    return this.live.has(id);
  }

  /** Drops a session whose creation could not be saved: disposed, not remembered as deleted. */
  discard(id: string): void {
    const session = this.live.get(id);
    if (!session) return;
    this.live.delete(id);
    session.dispose?.();
  }

  /**
   * Session `id` if `caller` may `access` it, touched; NOT_FOUND (saying whether it was
   * deleted or expired) otherwise, the same for another user's session as for a missing one.
   */
  get(id: string, caller: Caller, field = 'id', access: Access = 'write'): T {
    let session = this.live.get(id);
    if (session && this.isExpired(session)) {
      this.remove(session, 'expired');
      session = undefined;
    }
    if (session && !mayAccess(caller, session.owner, access) && mayAccess(caller, session.owner, 'read')) {
      throw readOnly(`${this.options.kind} '${id}'`, field);
    }
    if (!session || !mayAccess(caller, session.owner, access)) {
      if (!id) throw new DomainError('INVALID_ARGUMENT', `${field} is required`, field, 'MISSING_ID');
      const why = this.gone.get(id);
      const what =
        why === 'expired' ? `expired after ${this.options.ttlSeconds} s idle` : why === 'deleted' ? 'was deleted' : why === 'lost' ? `was lost: ${this.lostWhy.get(id)}` : 'does not exist';
      throw notFound(field, `${this.options.kind} '${id}' ${what}`, `${this.options.kind.toUpperCase().replace(/ /g, '_')}_NOT_FOUND`);
    }
    session.lastUsedAt = this.now();
    return session;
  }

  /** The sessions `caller` may read (a student's own; everyone's for instructors and admins), oldest first. */
  list(caller: Caller): T[] {
    this.sweep();
    const all = [...this.live.values()];
    return seesEveryone(caller) ? all : all.filter((s) => s.owner === caller.user);
  }

  /** Every live session (expired ones may still be among them until the next sweep). */
  values(): IterableIterator<T> {
    return this.live.values();
  }

  /** Live sessions of `owner`. */
  countOf(owner: string): number {
    let n = 0;
    for (const s of this.live.values()) if (s.owner === owner) n++;
    return n;
  }

  delete(id: string, caller: Caller, field = 'id'): void {
    const session = this.get(id, caller, field, 'delete');
    this.remove(session, 'deleted');
  }

  /** Puts `session` in place of the live session with its id (same owner), without disposing the old one. */
  replace(session: T): void {
    const old = this.live.get(session.id);
    if (!old || old.owner !== session.owner) throw new Error(`SessionStore.replace: no live session ${session.id} of ${session.owner}`);
    session.lastUsedAt = old.lastUsedAt;
    this.live.set(session.id, session);
  }

  /** Removes a session that can no longer be served (its worker thread stopped); NOT_FOUND then says `why`. */
  removeLost(id: string, why: string): void {
    const session = this.live.get(id);
    if (!session) return;
    this.lostWhy.set(id, why);
    if (this.lostWhy.size > GONE_MEMORY) this.lostWhy.delete(this.lostWhy.keys().next().value!);
    this.remove(session, 'lost');
  }

  /** Deletes sessions idle longer than the TTL; returns how many. */
  sweep(): number {
    if (this.options.ttlSeconds <= 0) return 0;
    let n = 0;
    for (const session of this.live.values()) {
      if (this.isExpired(session)) {
        this.remove(session, 'expired');
        n++;
      }
    }
    return n;
  }

  /** Sweeps periodically until close(); the timer does not keep the process alive. */
  startSweeping(intervalMs = Math.max(1000, Math.min(30_000, (this.options.ttlSeconds * 1000) / 4))): void {
    if (this.timer || this.options.ttlSeconds <= 0) return;
    this.timer = setInterval(() => this.sweep(), intervalMs);
    this.timer.unref();
  }

  /** Stops sweeping and disposes every session. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const session of [...this.live.values()]) this.remove(session, 'deleted');
  }

  private isExpired(session: T): boolean {
    return this.options.ttlSeconds > 0 && session.lastUsedAt < this.now() - this.options.ttlSeconds * 1000;
  }

  private remove(session: T, why: Gone): void {
    this.live.delete(session.id);
    session.dispose?.();
    this.gone.set(session.id, why);
    this.onRemoved?.(session, why);
    if (this.gone.size > GONE_MEMORY) {
      const oldest = this.gone.keys().next().value;
      if (oldest !== undefined) this.gone.delete(oldest);
    }
  }
}
