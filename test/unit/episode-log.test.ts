import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EpisodeLog, type EpisodeLogEntry, type EpisodeLogState } from '../../src/core/sessions/episode-log.js';

test('EpisodeLog: keeps the newest `capacity` episodes in order ', () => {
  const log = new EpisodeLog(3, 5000);
  let ended = 0;
  for (let call = 0; call < 4000; call++) {
    for (let i = 0; i < 3; i++) {
      log.begin(i, undefined);
      log.stepped(i, 1, 1, 0);
      ended++;
    }
    log.trim();
    assert.equal(log.size, Math.min(ended, 5000));
  }
  assert.equal(log.ended, 12_000);
  const all = log.page(0, 0);
  assert.equal(all.length, 5000);
  assert.equal(all[0].episode, 7001);
  assert.equal(all.at(-1)!.episode, 12_000);
  assert.deepEqual(log.page(10, 2).map((e) => e.episode), [7011, 7012]);
  const copy = new EpisodeLog(3, 5000);
  copy.restore(log.save());
  assert.deepEqual(copy.page(0, 0), all);
  // mark / rollback after trimming.
  const mark = log.mark();
  log.begin(0, undefined);
  log.stepped(0, 1, 1, 0);
  assert.equal(log.size, 5001);
  log.rollback(mark);
  assert.equal(log.size, 5000);
  assert.equal(log.page(4999, 1)[0].episode, 12_000);
});

/** The log as a plain list of objects: what EpisodeLog's columns must answer like. */
class ReferenceLog {
  readonly returns: number[];
  readonly lengths: number[];
  readonly open: boolean[];
  readonly seeds: (number | undefined)[];
  entries: EpisodeLogEntry[] = [];
  ended = 0;
  constructor(n: number, private readonly capacity: number, private readonly now: () => number) {
    this.returns = new Array(n).fill(0);
    this.lengths = new Array(n).fill(0);
    this.open = new Array(n).fill(false);
    this.seeds = new Array(n).fill(undefined);
  }
  begin(i: number, seed: number | undefined): void {
    if (this.open[i] && this.lengths[i] > 0) this.close(i, false, false, true);
    this.returns[i] = 0;
    this.lengths[i] = 0;
    this.open[i] = true;
    this.seeds[i] = seed;
  }
  stepped(i: number, reward: number, terminated: number, truncated: number): void {
    if (!this.open[i]) return;
    this.returns[i] += reward;
    this.lengths[i]++;
    if (terminated || truncated) this.close(i, terminated === 1, truncated === 1, false);
  }
  private close(i: number, terminated: boolean, truncated: boolean, abandoned: boolean): void {
    this.open[i] = false;
    this.ended++;
    this.entries.push({ episode: this.ended, copy: i, seed: this.seeds[i], return: this.returns[i], length: this.lengths[i], terminated, truncated, abandoned, endTime: this.now() });
  }
  trim(): void {
    if (this.entries.length > this.capacity) this.entries = this.entries.slice(this.entries.length - this.capacity);
  }
}

test('EpisodeLog: random begins, steps (one by one and in batches), trims and rollbacks answer as a list of entries does', () => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (const [n, capacity] of [[1, 1], [3, 5], [8, 70], [64, 300]]) {
    let clock = 1_000;
    const now = () => clock;
    const log = new EpisodeLog(n, capacity, now);
    const ref = new ReferenceLog(n, capacity, now);
    for (let call = 0; call < 3000; call++) {
      clock += 3;
      const op = rand();
      if (op < 0.1) {
        const i = Math.floor(rand() * n);
        const s = rand() < 0.5 ? undefined : Math.floor(rand() * 1e9);
        log.begin(i, s);
        ref.begin(i, s);
      } else if (op < 0.3) {
        const i = Math.floor(rand() * n);
        const r = Math.round(rand() * 8) / 4 - 1;
        const t = rand() < 0.2 ? 1 : 0;
        const u = rand() < 0.1 ? 1 : 0;
        log.stepped(i, r, t, u);
        ref.stepped(i, r, t, u);
      } else {
        const rewards = Float64Array.from({ length: n }, () => rand() * 2 - 0.5);
        const terminated = Uint8Array.from({ length: n }, () => (rand() < 0.15 ? 1 : 0));
        const truncated = Uint8Array.from({ length: n }, () => (rand() < 0.05 ? 1 : 0));
        const skip = rand() < 0.5 ? undefined : Uint8Array.from({ length: n }, () => (rand() < 0.3 ? 1 : 0));
        const mark = rand() < 0.2 ? log.mark() : undefined;
        const before = { entries: [...ref.entries], ended: ref.ended, returns: [...ref.returns], lengths: [...ref.lengths], open: [...ref.open] };
        log.steppedAll(rewards, terminated, truncated, skip);
        for (let i = 0; i < n; i++) if (!skip || !skip[i]) ref.stepped(i, rewards[i], terminated[i], truncated[i]);
        for (let i = 0; i < n; i++) if (terminated[i] | truncated[i] && rand() < 0.8) {
          log.begin(i, undefined);
          ref.begin(i, undefined);
        }
        if (mark && rand() < 0.5) {
          log.rollback(mark);
          Object.assign(ref, { entries: before.entries, ended: before.ended });
          before.returns.forEach((v, i) => (ref.returns[i] = v));
          before.lengths.forEach((v, i) => (ref.lengths[i] = v));
          before.open.forEach((v, i) => (ref.open[i] = v));
          // The seeds are kept by rollback too; begin() above may have changed them: restore from the mark.
          for (let i = 0; i < n; i++) ref.seeds[i] = mark.seeded[i] ? mark.seeds[i] : undefined;
        }
      }
      if (rand() < 0.7) {
        log.trim();
        ref.trim();
        assert.equal(log.size, ref.entries.length);
      }
      assert.equal(log.ended, ref.ended);
      if (call % 97 === 0) {
        const all = log.page(0, 0);
        ref.trim();
        log.trim();
        assert.deepEqual(log.page(0, 0), ref.entries, `n=${n} capacity=${capacity} call ${call}`);
        const from = Math.floor(rand() * (all.length + 2));
        assert.deepEqual(log.page(from, 3), ref.entries.slice(from, from + 3));
        const copy = new EpisodeLog(n, capacity, now);
        copy.restore(log.save());
        assert.deepEqual(copy.page(0, 0), ref.entries);
        assert.equal(copy.anyOpen(), ref.open.some((x) => x));
      }
    }
  }
});

test('EpisodeLog: restores a state saved with the log as objects (as sessions saved by earlier versions are)', () => {
  const entries: EpisodeLogEntry[] = [
    { episode: 4, copy: 1, seed: 12, return: 9.5, length: 10, terminated: true, truncated: false, abandoned: false, endTime: 1700000000000 },
    { episode: 5, copy: 0, seed: undefined, return: -1, length: 3, terminated: false, truncated: true, abandoned: false, endTime: 1700000000001 },
    { episode: 6, copy: 1, seed: undefined, return: 2, length: 2, terminated: false, truncated: false, abandoned: true, endTime: 1700000000002 },
  ];
  const state: EpisodeLogState = {
    returns: Float64Array.of(1, 2),
    lengths: Float64Array.of(1, 2),
    open: Uint8Array.of(1, 1),
    seeds: Float64Array.of(0, 0),
    seeded: Uint8Array.of(0, 0),
    entries,
    ended: 6,
  };
  const log = new EpisodeLog(2, 100, () => 1700000000003);
  log.restore(state);
  assert.deepEqual(log.page(0, 0), entries);
  log.stepped(0, 1, 1, 0);
  assert.deepEqual(log.page(3, 0), [{ episode: 7, copy: 0, seed: undefined, return: 2, length: 2, terminated: true, truncated: false, abandoned: false, endTime: 1700000000003 }]);
});
