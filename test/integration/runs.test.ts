/**
 * Training runs over both transports: bad input to Train's run options and to the run RPCs
 * gets INVALID_ARGUMENT / NOT_FOUND / FAILED_PRECONDITION naming the field, and the server
 * keeps serving; an async run is followed to its end with GetRun and ListRuns.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/server.js';
import { AnyRpc, type Outcome } from '../helpers/any-rpc.js';
import { startTestServer } from '../helpers/server.js';
import { runStateToJSON } from '../../src/gen/gymhost/v1/agent_service.js';

/** A run's state by name (gRPC answers enum numbers, REST names). */
const stateOf = (run: { state: unknown }): string => (typeof run.state === 'number' ? runStateToJSON(run.state) : String(run.state));

let server: RunningServer;
let rpc: AnyRpc;

before(async () => {
  server = await startTestServer();
  rpc = new AnyRpc(server);
});
after(async () => {
  rpc.close();
  await server.close(100);
});

function ok(o: Outcome, what: string): any {
  assert.equal(o.code, 'OK', `${what}: ${JSON.stringify(o.body)}`);
  return o.body;
}

function fails(o: Outcome, code: string, field: string, reason: string, what: string): void {
  assert.equal(o.code, code, `${what}: ${JSON.stringify(o.body)}`);
  assert.equal(o.detail?.field, field, `${what}: field`);
  assert.equal(o.detail?.reason, reason, `${what}: reason`);
}

for (const t of ['grpc', 'rest'] as const) {
  describe(`training runs over ${t}`, () => {
    test('bad run options and bad run ids are refused with the field and what is allowed; the server goes on', async () => {
      const env = ok(await rpc.call(t, 'CreateEnv', { envId: 'GridWorld-v0', seed: 1 }), 'CreateEnv');
      const envId: string = env.id ?? env.env.id;
      const agent = ok(await rpc.call(t, 'CreateAgent', { kind: 'tabular', env: envId, seed: 1 }), 'CreateAgent');
      const id: string = agent.id ?? agent.agent.id;
      const bad: [Record<string, unknown>, string, string][] = [
        [{ episodes: 2, evalEverySteps: -5 }, 'eval_every_steps', 'OUT_OF_RANGE'],
        [{ episodes: 2, evalEverySteps: 10, evalEpisodes: -1 }, 'eval_episodes', 'OUT_OF_RANGE'],
        [{ episodes: 2, evalEverySteps: 10, evalEpisodes: 1_000_000 }, 'eval_episodes', 'OUT_OF_RANGE'],
        [{ episodes: 2, evalEverySteps: 10, evalSeed: -3 }, 'eval_seed', 'BAD_SEED'],
        [{ episodes: 2, keepBest: true }, 'keep_best', 'NEEDS_EVALUATION'],
        [{ episodes: 2, stopAtMeanReward: 10 }, 'stop_at_mean_reward', 'NEEDS_EVALUATION'],
        [{ episodes: 2, evalEpisodes: 3 }, 'eval_episodes', 'NEEDS_EVALUATION'],
      ];
      for (const [options, field, reason] of bad) {
        const o = await rpc.call(t, 'Train', { id, ...options });
        fails(o, 'INVALID_ARGUMENT', field, reason, `Train ${JSON.stringify(options)}`);
        assert.match(o.detail!.message, new RegExp(field));
      }
      if (t === 'rest') fails(await rpc.call(t, 'Train', { id, episodes: 2, async: true, stream: true }), 'INVALID_ARGUMENT', 'stream', 'CONFLICTING_FIELDS', 'async with stream');
      for (const name of ['GetRun', 'CancelRun', 'ExportRunCheckpoint']) {
        fails(await rpc.call(t, name, { id: 'run-missing' }), 'NOT_FOUND', 'id', 'RUN_NOT_FOUND', `${name} of a missing run`);
        // (Over REST an empty id is another path: GET /v1/runs/ lists.)
        if (t === 'grpc') fails(await rpc.call(t, name, { id: '' }), 'INVALID_ARGUMENT', 'id', 'MISSING_ID', `${name} without an id`);
      }
      // (The gRPC helper maps requests through JSON, which cannot carry an unknown enum value.)
      if (t === 'rest') fails(await rpc.call(t, 'ListRuns', { state: 'RUN_STATE_SOMETIMES' }), 'INVALID_ARGUMENT', 'state', 'BAD_ENUM', 'ListRuns with an unknown state');

      // A run that evaluates: followed to its end; its best agent can be exported, another checkpoint kind cannot.
      const started = ok(await rpc.call(t, 'Train', { id, steps: 3000, evalEverySteps: 1000, evalEpisodes: 2, async: true }), 'Train async');
      const runId: string = Array.isArray(started) ? started[0].run.id : started.id;
      let run: any;
      for (let i = 0; i < 2000; i++) {
        const got = ok(await rpc.call(t, 'GetRun', { id: runId }), 'GetRun');
        run = got.run ?? got;
        if (stateOf(run) !== 'RUN_STATE_RUNNING') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(stateOf(run), 'RUN_STATE_SUCCEEDED');
      assert.equal(Number(run.steps), 3000);
      assert.equal(run.evaluations.length, 3);
      if (t === 'rest') fails(await rpc.call(t, 'ExportRunCheckpoint', { id: runId, checkpoint: 'RUN_CHECKPOINT_FIRST' }), 'INVALID_ARGUMENT', 'checkpoint', 'BAD_ENUM', 'an unknown checkpoint kind');
      const best = ok(await rpc.call(t, 'ExportRunCheckpoint', { id: runId }), 'ExportRunCheckpoint');
      assert.equal(Number(best.evaluation.index), Number(run.bestEvaluation ?? 0));
      const listed = ok(await rpc.call(t, 'ListRuns', { agent: id, state: 'RUN_STATE_SUCCEEDED' }), 'ListRuns');
      assert.deepEqual(listed.runs.map((r: any) => r.id), [runId]);
      // Without evaluations there is no best agent to export.
      const plain = ok(await rpc.call(t, 'Train', { id, episodes: 1 }), 'Train');
      const plainRun: string = Array.isArray(plain) ? plain[plain.length - 1].summary.run : plain.run;
      fails(await rpc.call(t, 'ExportRunCheckpoint', { id: plainRun }), 'FAILED_PRECONDITION', 'checkpoint', 'NO_CHECKPOINT', 'best of a run without evaluations');
      ok(await rpc.call(t, 'GetEnv', { id: envId }), 'the server goes on');
    });
  });
}
