/**
 * ListEpisodes: the server's log of every episode of a session (seed, return, length, how it
 * ended), for single and vector sessions in both autoreset modes, with abandoned episodes,
 * failed steps leaving no trace, and bad paging.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/server.js';
import { http, startTestServer } from '../helpers/server.js';

let server: RunningServer;
before(async () => {
  server = await startTestServer({}, { workers: 1 });
});
after(() => server.close(100));

const post = async (path: string, body: unknown) => {
  const res = await http(server, 'POST', path, body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
};

/** A 2x3 world: from the start, right twice reaches the goal; down stays on the grid. */
const MAP = 'S.G\n...';

describe('ListEpisodes', () => {
  test('a single env: each ended episode with its seed, return and length; a reset abandons a running one', async () => {
    const env = await post('/v1/envs', { envId: 'GridWorld-v0', config: { map: MAP } });
    await post(`/v1/envs/${env.id}:reset`, { seed: 5 });
    await post(`/v1/envs/${env.id}:step`, { action: 3 });
    const last = await post(`/v1/envs/${env.id}:step`, { action: 3 });
    assert.equal(last.terminated, true);
    await post(`/v1/envs/${env.id}:reset`, { seed: 6 });
    await post(`/v1/envs/${env.id}:step`, { action: 1 });
    await post(`/v1/envs/${env.id}:reset`, {});
    const log = (await http(server, 'GET', `/v1/envs/${env.id}/episodes`)).body;
    assert.equal(log.total, 2);
    assert.equal(log.ended, 2);
    assert.deepEqual(
      log.episodes.map((e: any) => [e.episode, e.seed, e.episodeReturn, e.length, e.terminated, e.abandoned ?? false]),
      [
        [1, 5, -1, 2, true, false],
        [2, 6, -1, 1, false, true],
      ],
    );
    const page = (await http(server, 'GET', `/v1/envs/${env.id}/episodes?offset=1&limit=1`)).body;
    assert.equal(page.episodes.length, 1);
    assert.equal(page.episodes[0].episode, 2);
    const bad = await http(server, 'GET', `/v1/envs/${env.id}/episodes?offset=-1`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.details[0].field, 'offset');
  });

  for (const mode of ['AUTORESET_MODE_NEXT_STEP', 'AUTORESET_MODE_SAME_STEP']) {
    test(`a vector session (${mode}): episodes of every copy, autoresets starting new ones`, async () => {
      const env = await post('/v1/envs', { envId: 'GridWorld-v0', numEnvs: 2, autoresetMode: mode, config: { map: MAP } });
      await post(`/v1/envs/${env.id}:reset`, { seed: 10 });
      // Copy 0 goes right (the goal in 2 steps), copy 1 down, right, right, up (the goal in 4).
      for (const actions of [[3, 1], [3, 3], [3, 3], [3, 0]]) await post(`/v1/envs/${env.id}:stepBatch`, { actions });
      const log = (await http(server, 'GET', `/v1/envs/${env.id}/episodes`)).body;
      const byCopy = (c: number) => log.episodes.filter((e: any) => (e.copy ?? 0) === c);
      assert.deepEqual(byCopy(0)[0], { ...byCopy(0)[0], seed: 10, episodeReturn: -1, length: 2, terminated: true });
      assert.deepEqual(byCopy(1)[0], { ...byCopy(1)[0], seed: 11, episodeReturn: -3, length: 4, terminated: true });
      // Copy 0's next episode: in NEXT_STEP mode step 3 only resets it; in SAME_STEP mode it is already over.
      if (mode === 'AUTORESET_MODE_SAME_STEP') assert.deepEqual([byCopy(0).length, byCopy(0)[1].length, byCopy(0)[1].episodeReturn], [2, 2, -1]);
      else assert.equal(byCopy(0).length, 1);
      // Episodes begun by autoreset carry no seed.
      for (const c of [0, 1]) for (const e of byCopy(c).slice(1)) assert.equal(e.seed, undefined);
      const returns = log.episodes.map((e: any) => e.episodeReturn);
      assert.ok(returns.every((r: number) => r < 0));
    });
  }

  test('a step whose sandboxed reward fails leaves the log as it was', async () => {
    await post('/v1/rewards', { name: 'fails_at_goal', envId: 'GridWorld-v0', source: '(s, a, sNext, info) => { if (info.cell === "goal") throw new Error("no"); return -1; }' });
    const env = await post('/v1/envs', { envId: 'GridWorld-v0', numEnvs: 2, config: { map: MAP }, rewardFunction: 'fails_at_goal' });
    await post(`/v1/envs/${env.id}:reset`, { seed: 1 });
    await post(`/v1/envs/${env.id}:stepBatch`, { actions: [3, 1] });
    const failed = await http(server, 'POST', `/v1/envs/${env.id}:stepBatch`, { actions: [3, 3] });
    assert.equal(failed.status, 400);
    assert.equal(failed.body.details[0].field, 'reward_function');
    assert.equal((await http(server, 'GET', `/v1/envs/${env.id}/episodes`)).body.total ?? 0, 0);
    await post(`/v1/envs/${env.id}:setReward`, { rewardFunction: 'seed' });
    await post(`/v1/envs/${env.id}:stepBatch`, { actions: [3, 3] });
    const log = (await http(server, 'GET', `/v1/envs/${env.id}/episodes`)).body;
    assert.equal(log.total, 1);
    assert.deepEqual([log.episodes[0].copy ?? 0, log.episodes[0].length, log.episodes[0].episodeReturn], [0, 2, -1]);
  });
});
