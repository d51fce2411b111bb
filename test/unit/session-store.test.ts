import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '../../src/core/errors.js';
import { SessionStore, type StoredSession } from '../../src/core/sessions/session-store.js';

function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

type Fake = StoredSession & { disposed: boolean };

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
  assert.equal(store.get('a', { user: 'alice' }).id, 'a');
  assert.deepEqual(store.list({ user: 'alice' }).map((s) => s.id), ['a']);
  const e = codeOf(() => store.get('a', { user: 'bob' }));
  assert.equal(e.code, 'NOT_FOUND', "another user's session is invisible");
  assert.equal(codeOf(() => store.delete('a', { user: 'bob' })).code, 'NOT_FOUND');
  store.delete('a', { user: 'alice' });
  const gone = codeOf(() => store.get('a', { user: 'alice' }));
  assert.equal(gone.code, 'NOT_FOUND');
  assert.match(gone.message, /was deleted/);
  assert.match(codeOf(() => store.get('zzz', { user: 'alice' })).message, /does not exist/);
  assert.equal(codeOf(() => store.get('', { user: 'alice' })).code, 'INVALID_ARGUMENT');
});

test('the cap refuses one session too many, and deleting frees a slot', () => {
  const store = new SessionStore<Fake>({ maxSessions: 2, ttlSeconds: 0, kind: 'env session' });
  store.add(session('a'));
  store.add(session('b'));
  const e = codeOf(() => store.add(session('c')));
  assert.equal(e.code, 'RESOURCE_EXHAUSTED');
  assert.match(e.message, /at most 2/);
  store.delete('a', { user: 'alice' });
  store.add(session('c'));
  assert.equal(store.size, 2);
});

test('idle sessions expire after the TTL and are disposed; used ones live on', () => {
  const clock = fakeClock();
  const store = new SessionStore<Fake>({ maxSessions: 10, ttlSeconds: 60, kind: 'env session', now: clock.now });
  const idle = store.add(session('idle'));
  store.add(session('busy'));
  clock.advance(40_000);
  store.get('busy', { user: 'alice' });
  clock.advance(30_000);
  assert.equal(store.sweep(), 1);
  assert.equal(idle.disposed, true);
  assert.equal(store.get('busy', { user: 'alice' }).id, 'busy');
  const e = codeOf(() => store.get('idle', { user: 'alice' }));
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
