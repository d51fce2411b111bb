/** A run's bounded episode history: thinning keeps the whole run evenly covered; rows keep it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunHistory } from '../../src/server/services/run-history.js';
import { TrainingRun } from '../../src/server/services/training-run.js';
import { TrainRequest } from '../../src/gen/gymhost/v1/agent_service.js';

const record = (episode: number) => ({ episode, episodeReturn: -episode / 3, length: episode % 17, loss: episode % 5 === 0 ? Number.NaN : episode / 7, epsilon: 1 / episode, wallTimeMs: episode * 0.25 });

test('below its bound a history keeps every record as given', () => {
  const h = new RunHistory(8);
  for (let e = 1; e <= 8; e++) h.push(record(e));
  assert.equal(h.size, 8);
  assert.deepEqual(h.records(), Array.from({ length: 8 }, (_, i) => record(i + 1)));
});

test('past its bound a history keeps every stride-th episode of the run, stride doubling, never more than the bound', () => {
  for (const [max, pushed] of [[8, 9], [8, 100], [16, 1000], [64, 12_345]] as const) {
    const h = new RunHistory(max);
    for (let k = 0; k < pushed; k++) {
      h.push(record(1000 + k));
      assert.ok(h.size <= max, `size ${h.size} > ${max}`);
    }
    const kept = h.records().map((r) => r.episode - 1000);
    // The smallest power of two whose multiples below `pushed` fit in max records.
    let stride = 1;
    while (Math.ceil(pushed / stride) > max) stride *= 2;
    assert.deepEqual(kept, Array.from({ length: Math.ceil(pushed / stride) }, (_, i) => i * stride), `max ${max}, pushed ${pushed}`);
    for (const r of h.records()) assert.deepEqual(r, record(r.episode));
  }
});

test('a history survives its JSON form (NaN losses included); a damaged form gives an empty history', () => {
  const h = new RunHistory(16);
  for (let k = 1; k <= 40; k++) h.push(record(k));
  const back = RunHistory.fromJSON(JSON.parse(JSON.stringify(h.toJSON())), 16);
  assert.deepEqual(back.records(), h.records());
  // It goes on thinning where it left off.
  for (let k = 41; k <= 100; k++) {
    h.push(record(k));
    back.push(record(k));
  }
  assert.deepEqual(back.records(), h.records());
  for (const bad of [null, {}, { ...h.toJSON(), count: 3 }, { ...h.toJSON(), data: 'AAAA' }, { ...h.toJSON(), count: 99 }]) {
    assert.equal(RunHistory.fromJSON(bad, 16).size, 0, JSON.stringify(bad).slice(0, 60));
  }
});

test("a training run's row keeps its history", () => {
  const run = new TrainingRun('run-x', 'alice', 'agent-1', 'env-1', TrainRequest.fromJSON({ id: 'agent-1', episodes: 50 }), 1_000);
  for (let k = 1; k <= 50; k++) run.history.push(record(k));
  const back = TrainingRun.fromRow(JSON.parse(JSON.stringify(run.toRow())));
  assert.deepEqual(back.history.records(), run.history.records());
});
