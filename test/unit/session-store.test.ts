import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '../../src/core/errors.js';
import { SessionStore, type Caller, type StoredSession } from '../../src/core/sessions/session-store.js';

function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

type Fake = StoredSession & { disposed: boolean };

const alice: Caller = { user: 'alice', role: 'student' };
const bob: Caller = { user: 'bob', role: 'student' };

function session(id: string, owner = 'alice'): Fake {
  return { id, owner, lastUsedAt: 0, disposed: false, dispose() { this.disposed = true; } };
}

function codeOf(fn: () => unknown): { code: string; message: string; field: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DomainError);
    return { code: err.code, message: err.message, field: err.field };
  }
  assert.fail('expected a DomainError');
}

test('get, list and delete respect owners', () => {
  const store = new SessionStore<Fake>({ maxSessions: 10, ttlSeconds: 0, kind: 'env session' });
  store.add(session('a', 'alice'));
  store.add(session('b', 'bob'));
  assert.equal(store.get('a', alice).id, 'a');
  assert.deepEqual(store.list(alice).map((s) => s.id), ['a']);
  const e = codeOf(() => store.get('a', bob));
  assert.equal(e.code, 'NOT_FOUND', "another user's session is invisible");
  assert.equal(codeOf(() => store.delete('a', bob)).code, 'NOT_FOUND');
  store.delete('a', alice);
  const gone = codeOf(() => store.get('a', alice));
  assert.equal(gone.code, 'NOT_FOUND');
  assert.match(gone.message, /was deleted/);
  assert.match(codeOf(() => store.get('zzz', alice)).message, /does not exist/);
  assert.equal(codeOf(() => store.get('', alice)).code, 'INVALID_ARGUMENT');
});

test('the cap refuses one session too many, and deleting frees a slot', () => {
  const store = new SessionStore<Fake>({ maxSessions: 2, ttlSeconds: 0, kind: 'env session' });
  store.add(session('a'));
  store.add(session('b'));
  const e = codeOf(() => store.add(session('c')));
  assert.equal(e.code, 'RESOURCE_EXHAUSTED');
  assert.match(e.message, /at most 2/);
  store.delete('a', alice);
  store.add(session('c'));
  assert.equal(store.size, 2);
});

test('idle sessions expire after the TTL and are disposed; used ones live on', () => {
  const clock = fakeClock();
  const store = new SessionStore<Fake>({ maxSessions: 10, ttlSeconds: 60, kind: 'env session', now: clock.now });
  const idle = store.add(session('idle'));
  store.add(session('busy'));
  clock.advance(40_000);
  store.get('busy', alice);
  clock.advance(30_000);
  assert.equal(store.sweep(), 1);
  assert.equal(idle.disposed, true);
  assert.equal(store.get('busy', alice).id, 'busy');
  const e = codeOf(() => store.get('idle', alice));
  assert.match(e.message, /expired after 60 s idle/);
});

test('close disposes every session', () => {
  const store = new SessionStore<Fake>({ maxSessions: 10, ttlSeconds: 5, kind: 'agent' });
  const a = store.add(session('a'));
  store.startSweeping();
  store.close();
  assert.equal(a.disposed, true);
  assert.equal(store.size, 0);
});

test('ids are unique and url-safe', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => SessionStore.newId()));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{12}$/);
});

test('roles: an instructor reads and deletes everyone\'s sessions but changes only its own; an admin does all', () => {
  const store = new SessionStore<Fake>({ maxSessions: 10, ttlSeconds: 0, kind: 'env session' });
  const teacher: Caller = { user: 'teacher', role: 'instructor' };
  const root: Caller = { user: 'root', role: 'admin' };
  store.add(session('a', 'alice'));
  store.add(session('b', 'bob'));
  store.add(session('t', 'teacher'));
  assert.deepEqual(store.list(alice).map((s) => s.id), ['a']);
  assert.deepEqual(store.list(teacher).map((s) => s.id), ['a', 'b', 't']);
  assert.deepEqual(store.list(root).map((s) => s.id), ['a', 'b', 't']);
  assert.equal(store.get('a', teacher, 'id', 'read').id, 'a');
  const denied = codeOf(() => store.get('a', teacher, 'id', 'write'));
  assert.equal(denied.code, 'PERMISSION_DENIED', 'an instructor sees the session, so it is told it may not change it');
  assert.match(denied.message, /env session 'a' belongs to another user/);
  assert.equal(codeOf(() => store.get('t', alice, 'id', 'read')).code, 'NOT_FOUND', 'students do not see instructors\' sessions');
  assert.equal(store.get('b', root, 'id', 'write').id, 'b');
  store.delete('a', teacher);
  assert.match(codeOf(() => store.get('a', alice)).message, /was deleted/);
  assert.equal(store.countOf('bob'), 1);
});
