/**
 * The README's example as a program: the Gym loop, a pipelined StepStream, a vector session,
 * a hosted agent trained and evaluated on the server, and a typed error.
 *
 *   node --import tsx clients/ts/example.ts [host:port]
 *
 * test/integration/ts-client.test.ts runs `example()` against a test server.
 */
import { pathToFileURL } from 'node:url';
import { GymhostClient, GymhostError } from './index.js';

export interface ExampleResult {
  cartpoleReturn: number;
  pipelined: number;
  batchShape: number[];
  trainedEpisodes: number;
  meanReward: number;
  errorCode: string;
}

export async function example(address: string, log: (line: string) => void = console.log): Promise<ExampleResult> {
  const client = new GymhostClient({ address });
  try {
    // The Gym loop
    const env = await client.envs.create({ envId: 'CartPole-v1', seed: 1 });
    let { observation } = await client.envs.reset(env.id, { seed: 7 });
    let total = 0;
    for (;;) {
      const r = await client.envs.step(env.id, (observation as Float32Array)[2] > 0 ? 1 : 0);
      total += r.reward;
      observation = r.observation;
      if (r.terminated || r.truncated) break;
    }
    log(`CartPole-v1, pole-angle policy: return ${total}`);

    // Pipelined steps over one StepStream: send without awaiting, answers come back in order
    const stream = client.envs.stream();
    await stream.reset(env.id, { seed: 0 });
    const answers = await Promise.all([1, 0, 1, 0].map((a) => stream.step(env.id, a)));
    await stream.close();
    log(`pipelined: ${answers.length} answers, rewards ${answers.map((a) => a.reward).join(' ')}`);

    // 1024 copies, one call per step (Gymnasium's next-step autoreset)
    const vec = await client.envs.create({ envId: 'CartPole-v1', numEnvs: 1024 });
    await client.envs.reset(vec.id, { seed: 0 });
    const batch = await client.envs.stepBatch(vec.id, new Int32Array(1024));
    log(`vector session: observations [${batch.shape.join(', ')}], ${batch.rewards.length} rewards`);

    // A hosted agent: the seed's functions, or the whole loop on the server
    const grid = await client.envs.create({ envId: 'GridWorld-v0', config: { world: 'small_maze', random_start: true } });
    const agent = await client.agents.create({ preset: 'seed-tabular-gridworld', env: grid.id, seed: 1 });
    const { action } = await client.agents.chooseAction(agent.id, 117);
    let episodes = 0;
    await client.agents.train(agent.id, { episodes: 500, onEpisode: () => episodes++ });
    const { meanReward } = await client.agents.evaluate(agent.id, { episodes: 100 });
    log(`tabular agent: first action ${action}, trained ${episodes} episodes, greedy mean reward ${meanReward}`);

    // Errors are typed
    let errorCode = '';
    try {
      await client.envs.step(env.id, 2);
    } catch (err) {
      if (err instanceof GymhostError) {
        errorCode = err.code;
        log(`error: ${err.code} ${err.field} ${err.reason}`);
      }
    }
    for (const id of [env.id, vec.id, grid.id]) await client.envs.delete(id);
    await client.agents.delete(agent.id);
    return { cartpoleReturn: total, pipelined: answers.length, batchShape: batch.shape, trainedEpisodes: episodes, meanReward, errorCode };
  } finally {
    client.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await example(process.argv[2] ?? process.env.GYMHOST_ADDRESS ?? '127.0.0.1:50051');
}
