/**
 * The gym-http-api dialect (src/server/gym-http-api/) on a real server with the port set to
 * 0: every route of openai/gym-http-api's gym_http_server.py with its exact paths and JSON
 * fields, the same sessions as the REST API, bad input answered {"message"} with the mapped
 * status, Basic and Bearer authentication, isolation between users, quotas, and draining.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/server.js';
import { startTestServer, http as restCall } from '../helpers/server.js';
import { makeUsersFile } from '../helpers/users.js';
import { createLogger } from '../../src/server/observability/logger.js';
import { Authenticator } from '../../src/server/auth/authenticator.js';
import { UsageTracker } from '../../src/server/usage.js';
import { Metrics } from '../../src/server/observability/metrics.js';
import { Gate } from '../../src/server/gate.js';
import { EnvService } from '../../src/server/services/env-service.js';
import { createGymHttpApiApp } from '../../src/server/gym-http-api/app.js';
import { listenGymHttpApi } from '../../src/server/gym-http-api/listener.js';
import { parseBasic } from '../../src/server/gym-http-api/auth.js';

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** A call to a gym-http-api base URL as the official client makes it (Content-type: application/json on every call). */
async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(base + path, {
    method,
    headers: { 'Content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

const basic = (user: string, token: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Asserts an error answer: the status and a {"message"} matching `message`. */
function fails(a: Answer, status: number, message: RegExp, what: string): void {
  assert.equal(a.status, status, `${what}: ${JSON.stringify(a.body)}`);
  assert.equal(typeof a.body?.message, 'string', `${what}: no message`);
  assert.match(a.body.message, message, what);
}

describe('gym-http-api dialect, no authentication', () => {
  let server: RunningServer;
  let base: string;
  before(async () => {
    server = await startTestServer({}, { gymHttpApiPort: 0 });
    base = server.gymHttpApiAddress!;
  });
  after(() => server.close(100));

  test('the port is its own, reported as a port and an address', () => {
    assert.ok(server.gymHttpApiPort! > 0);
    assert.notEqual(server.gymHttpApiPort, server.httpPort);
    assert.equal(base, `http://127.0.0.1:${server.gymHttpApiPort}`);
  });

  test('CartPole-v1: create, list, spaces, reset, step to the end, close', async () => {
    const created = await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v1' });
    assert.equal(created.status, 200);
    const id: string = created.body.instance_id;
    assert.equal(typeof id, 'string');
    assert.deepEqual(Object.keys(created.body), ['instance_id']);

    const all = await call(base, 'GET', '/v1/envs/');
    assert.equal(all.status, 200);
    assert.equal(all.body.all_envs[id], 'CartPole-v1');

    assert.deepEqual((await call(base, 'GET', `/v1/envs/${id}/action_space/`)).body, { info: { name: 'Discrete', n: 2 } });
    const obsSpace = (await call(base, 'GET', `/v1/envs/${id}/observation_space/`)).body.info;
    assert.equal(obsSpace.name, 'Box');
    assert.deepEqual(obsSpace.shape, [4]);
    // float32 bounds as the doubles they are; infinite ones as the original writes them (+-1e100).
    assert.deepEqual(obsSpace.high, [Math.fround(4.8), 1e100, Math.fround((2 * 12 * 2 * Math.PI) / 360), 1e100]);
    assert.deepEqual(obsSpace.low, obsSpace.high.map((h: number) => -h));

    const sample = await call(base, 'GET', `/v1/envs/${id}/action_space/sample`);
    assert.ok(sample.body.action === 0 || sample.body.action === 1, JSON.stringify(sample.body));
    assert.deepEqual((await call(base, 'GET', `/v1/envs/${id}/action_space/contains/1`)).body, { member: true });
    assert.deepEqual((await call(base, 'GET', `/v1/envs/${id}/action_space/contains/2`)).body, { member: false });
    assert.deepEqual((await call(base, 'GET', `/v1/envs/${id}/action_space/contains/-1`)).body, { member: false });
    assert.deepEqual((await call(base, 'POST', `/v1/envs/${id}/observation_space/contains`, { name: 'Box', shape: [4] })).body, { member: true });
    assert.deepEqual((await call(base, 'POST', `/v1/envs/${id}/observation_space/contains`, { shape: [2] })).body, { member: false });
    assert.deepEqual((await call(base, 'POST', `/v1/envs/${id}/observation_space/contains`, {})).body, { member: true });

    // The official client's reset body is the JSON null.
    const reset = await call(base, 'POST', `/v1/envs/${id}/reset/`, 'null');
    assert.equal(reset.status, 200);
    assert.deepEqual(Object.keys(reset.body), ['observation']);
    assert.equal(reset.body.observation.length, 4);
    for (const x of reset.body.observation) assert.ok(Math.abs(x) <= 0.05 && Math.fround(x) === x, `float32 start state: ${x}`);

    // Pushing right ends the episode by termination within a few dozen steps.
    let last: any;
    for (let i = 0; i < 100; i++) {
      last = await call(base, 'POST', `/v1/envs/${id}/step/`, { action: 1, render: false });
      assert.equal(last.status, 200, JSON.stringify(last.body));
      assert.deepEqual(Object.keys(last.body).sort(), ['done', 'info', 'observation', 'reward']);
      assert.equal(last.body.reward, 1);
      if (last.body.done) break;
      assert.deepEqual(last.body.info, {});
    }
    assert.equal(last.body.done, true);
    assert.deepEqual(last.body.info, { 'TimeLimit.truncated': false });

    const closed = await call(base, 'POST', `/v1/envs/${id}/close/`, 'null');
    assert.equal(closed.status, 204);
    assert.equal(closed.body, undefined);
    assert.equal((await call(base, 'GET', '/v1/envs/')).body.all_envs[id], undefined);
    fails(await call(base, 'POST', `/v1/envs/${id}/reset/`, 'null'), 404, /was deleted/, 'reset after close');
  });

  test('a time-limit end: done with info["TimeLimit.truncated"] true (gymhost config extension sets the limit)', async () => {
    const id = (await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v1', seed: 3, config: { max_episode_steps: 4 } })).body.instance_id;
    await call(base, 'POST', `/v1/envs/${id}/reset/`, 'null');
    const answers = [];
    for (const action of [0, 1, 0, 1]) answers.push((await call(base, 'POST', `/v1/envs/${id}/step/`, { action })).body);
    assert.deepEqual(answers.map((a) => a.done), [false, false, false, true]);
    assert.deepEqual(answers[3].info, { 'TimeLimit.truncated': true });
  });

  test('the same sessions as REST: a seed gives REST\'s episode, and either API drives the other\'s sessions', async () => {
    const viaDialect = (await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v1', seed: 7 })).body.instance_id;
    const viaRest = (await restCall(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 7 })).body.id;
    const got = await restCall(server, 'GET', `/v1/envs/${viaDialect}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.envId, 'CartPole-v1');
    const a = (await call(base, 'POST', `/v1/envs/${viaDialect}/reset/`, 'null')).body.observation;
    const b = (await restCall(server, 'POST', `/v1/envs/${viaRest}:reset`, {})).body.observation;
    assert.deepEqual(a.map(Math.fround), b.map(Math.fround));
    const stepped = (await call(base, 'POST', `/v1/envs/${viaRest}/step/`, { action: 0 })).body.observation;
    const restStepped = (await restCall(server, 'POST', `/v1/envs/${viaDialect}:step`, { action: 0 })).body.observation;
    assert.deepEqual(stepped.map(Math.fround), restStepped.map(Math.fround));
    assert.ok((await call(base, 'GET', '/v1/envs/')).body.all_envs[viaRest] === 'CartPole-v1');
    assert.equal((await restCall(server, 'DELETE', `/v1/envs/${viaDialect}`)).status, 200);
    fails(await call(base, 'GET', `/v1/envs/${viaDialect}/action_space/`), 404, /was deleted/, 'deleted over REST');
  });

  test('GridWorld-v0: Discrete observations as integers; config picks the world', async () => {
    const id = (await call(base, 'POST', '/v1/envs/', { env_id: 'GridWorld-v0', seed: 1, config: { world: 'small_moat' } })).body.instance_id;
    const info = (await call(base, 'GET', `/v1/envs/${id}/observation_space/`)).body.info;
    assert.equal(info.name, 'Discrete');
    assert.ok(Number.isInteger(info.n) && info.n > 1);
    assert.deepEqual((await call(base, 'GET', `/v1/envs/${id}/action_space/`)).body.info, { name: 'Discrete', n: 4 });
    const obs = (await call(base, 'POST', `/v1/envs/${id}/reset/`, 'null')).body.observation;
    assert.ok(Number.isInteger(obs), JSON.stringify(obs));
    const step = (await call(base, 'POST', `/v1/envs/${id}/step/`, { action: 3, render: true })).body;
    assert.ok(Number.isInteger(step.observation));
    assert.equal(typeof step.reward, 'number');
    // A Box encoding: a list of numbers.
    const onehot = (await call(base, 'POST', '/v1/envs/', { env_id: 'GridWorld-v0', config: { world: 'small_moat', encoding: 'rowcol' } })).body.instance_id;
    assert.deepEqual((await call(base, 'GET', `/v1/envs/${onehot}/observation_space/`)).body.info.shape, [2]);
    const rc = (await call(base, 'POST', `/v1/envs/${onehot}/reset/`, 'null')).body.observation;
    assert.equal(rc.length, 2);
  });

  test('bad input: 400 naming the field and what is allowed', async () => {
    const id = (await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v1' })).body.instance_id;
    fails(await call(base, 'POST', '/v1/envs/', {}), 400, /'env_id' was not provided; available: CartPole-v1, GridWorld-v0/, 'no env_id');
    fails(await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v0' }), 400, /unknown env id 'CartPole-v0'; available: CartPole-v1, GridWorld-v0/, 'unknown env_id');
    fails(await call(base, 'POST', '/v1/envs/', { env_id: 7 }), 400, /env_id must be a string/, 'env_id number');
    fails(await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v1', seed: '7' }), 400, /seed must be an integer/, 'seed string');
    fails(await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v1', seed: -1 }), 400, /seed must be an integer in \[0, /, 'seed negative');
    fails(await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v1', num_envs: 2 }), 400, /unknown parameter 'num_envs'.*'env_id', 'seed', 'config'/, 'unknown key');
    fails(await call(base, 'POST', '/v1/envs/', { env_id: 'GridWorld-v0', config: { world: 'nowhere' } }), 400, /config\.world must be one of/, 'bad config');
    fails(await call(base, 'POST', '/v1/envs/', { env_id: 'GridWorld-v0', config: [1] }), 400, /config must be a JSON object/, 'config list');
    fails(await call(base, 'POST', '/v1/envs/', '{"env_id": '), 400, /malformed JSON/, 'malformed JSON');
    fails(await call(base, 'POST', '/v1/envs/', '[1]'), 400, /must be a JSON object like/, 'list body');
    fails(await call(base, 'POST', `/v1/envs/${id}/step/`, { action: 1 }), 400, /reset/i, 'step before reset');
    await call(base, 'POST', `/v1/envs/${id}/reset/`, 'null');
    fails(await call(base, 'POST', `/v1/envs/${id}/step/`, {}), 400, /'action' was not provided: an integer in \[0, 1\] \(Discrete\(2\)\)/, 'no action');
    fails(await call(base, 'POST', `/v1/envs/${id}/step/`, 'null'), 400, /must be a JSON object like \{"action": 1/, 'null step body');
    fails(await call(base, 'POST', `/v1/envs/${id}/step/`, { action: 2 }), 400, /action must be an integer in \[0, 1\].*got 2/, 'action out of range');
    fails(await call(base, 'POST', `/v1/envs/${id}/step/`, { action: 0.5 }), 400, /action must be an integer in \[0, 1\].*got 0.5/, 'fractional action');
    fails(await call(base, 'POST', `/v1/envs/${id}/step/`, { action: '1' }), 400, /action must be an integer/, 'string action');
    fails(await call(base, 'POST', `/v1/envs/${id}/step/`, { action: [1] }), 400, /action must be an integer/, 'list action');
    fails(await call(base, 'POST', `/v1/envs/${id}/step/`, { action: 1, render: 'yes' }), 400, /render must be true or false/, 'render string');
    fails(await call(base, 'POST', `/v1/envs/${id}/step/`, { action: 1, seed: 3 }), 400, /unknown parameter 'seed'.*'action', 'render'/, 'step unknown key');
    fails(await call(base, 'POST', `/v1/envs/${id}/reset/`, { seed: 3 }), 400, /unknown parameter 'seed'.*takes none/, 'reset seed');
    fails(await call(base, 'GET', `/v1/envs/${id}/action_space/contains/1.5`), 400, /x .* must be a decimal integer, got '1.5'/, 'contains float');
    fails(await call(base, 'GET', `/v1/envs/${id}/action_space/contains/abc`), 400, /must be a decimal integer/, 'contains word');
    fails(await call(base, 'POST', `/v1/envs/${id}/observation_space/contains`, { colour: 'red' }), 400, /unknown observation-space property 'colour'; this space \(Box\) has: name, shape, low, high/, 'obs contains key');
    fails(await call(base, 'POST', `/v1/envs/${id}/observation_space/contains`, 'null'), 400, /must be a JSON object of observation-space properties/, 'obs contains null');
    fails(await call(base, 'POST', `/v1/envs/${id}/close/`, '3'), 400, /must be empty, null or a JSON object/, 'close number body');
    fails(await call(base, 'POST', `/v1/envs/${id}/step/`, 'x'.repeat(17 * 1024 * 1024)), 413, /request body too large/, 'huge body');
  });

  test('unknown instances are 404; unknown paths 404 with a hint; other methods 405', async () => {
    for (const [method, path] of [
      ['POST', '/v1/envs/nope/reset/'],
      ['POST', '/v1/envs/nope/step/'],
      ['GET', '/v1/envs/nope/action_space/'],
      ['GET', '/v1/envs/nope/action_space/sample'],
      ['GET', '/v1/envs/nope/action_space/contains/1'],
      ['GET', '/v1/envs/nope/observation_space/'],
      ['POST', '/v1/envs/nope/observation_space/contains'],
      ['POST', '/v1/envs/nope/close/'],
      ['POST', '/v1/envs/nope/monitor/start/'],
      ['POST', '/v1/envs/nope/monitor/close/'],
    ]) {
      fails(await call(base, method, path, method === 'GET' ? undefined : path.endsWith('/step/') ? { action: 1 } : 'null'), 404, /env session 'nope' does not exist/, `${method} ${path}`);
    }
    fails(await call(base, 'POST', '/v1/envs', { env_id: 'CartPole-v1' }), 404, /did you mean POST \/v1\/envs\/\?/, 'no trailing slash');
    fails(await call(base, 'GET', '/v1/envs/x/action_space/sample/'), 404, /did you mean GET \/v1\/envs\/x\/action_space\/sample\?/, 'extra trailing slash');
    fails(await call(base, 'GET', '/v1/envs/%E0%A4%A/action_space/'), 400, /instance_id in the path has an invalid %-escape/, 'bad escape');
    fails(await call(base, 'GET', '/v2/things'), 404, /no route GET \/v2\/things; the gym-http-api routes are/, 'unknown path');
    const wrong = await call(base, 'GET', '/v1/envs/x/reset/');
    fails(wrong, 405, /takes POST, not GET/, 'GET reset');
    assert.equal(wrong.headers.get('allow'), 'POST');
    fails(await call(base, 'DELETE', '/v1/envs/'), 405, /takes POST or GET, not DELETE|takes GET or POST, not DELETE/, 'DELETE envs');
  });

  test('monitor, upload and shutdown are refused, saying why; the server keeps serving', async () => {
    const id = (await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v1' })).body.instance_id;
    fails(await call(base, 'POST', `/v1/envs/${id}/monitor/start/`, { directory: '/tmp/x', force: true, resume: false, video_callable: false }), 400, /does not run gym's Monitor.*episodes/, 'monitor start');
    fails(await call(base, 'POST', `/v1/envs/${id}/monitor/close/`, 'null'), 400, /does not run gym's Monitor/, 'monitor close');
    fails(await call(base, 'POST', '/v1/upload/', { training_dir: '/tmp/x', api_key: 'k', algorithm_id: null }), 400, /scoreboard .* no longer exists/, 'upload');
    fails(await call(base, 'POST', '/v1/shutdown/', 'null'), 403, /may not shut a gymhost server down.*SIGTERM/, 'shutdown');
    assert.equal((await call(base, 'GET', '/v1/envs/')).status, 200);
  });

  test('vector sessions (made over REST) are listed but not reset or stepped here', async () => {
    const vec = (await restCall(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', numEnvs: 3 })).body.id;
    assert.equal((await call(base, 'GET', '/v1/envs/')).body.all_envs[vec], 'CartPole-v1');
    fails(await call(base, 'POST', `/v1/envs/${vec}/reset/`, 'null'), 400, /vector session of 3 envs.*:stepBatch/, 'vector reset');
    fails(await call(base, 'POST', `/v1/envs/${vec}/step/`, { action: 1 }), 400, /vector session of 3 envs/, 'vector step');
    assert.deepEqual((await call(base, 'GET', `/v1/envs/${vec}/action_space/`)).body, { info: { name: 'Discrete', n: 2 } });
  });

  test('calls are measured and logged like the REST routes', async () => {
    const metrics = await restCall(server, 'GET', '/metrics');
    assert.match(metrics.body, /gymhost_rpc_total\{[^}]*method="GymHttpApi\/EnvCreate"[^}]*transport="rest"[^}]*code="OK"[^}]*\} \d+/);
    assert.match(metrics.body, /method="GymHttpApi\/EnvStep"[^}]*code="INVALID_ARGUMENT"/);
  });
});

describe('gym-http-api dialect with users', () => {
  let server: RunningServer;
  let base: string;
  let tokens: Record<string, string>;
  const logs: any[] = [];
  before(async () => {
    const users = makeUsersFile([
      { name: 'alice', role: 'student', quotas: { envSessions: 2 } },
      { name: 'bob', role: 'student' },
      { name: 'prof', role: 'instructor' },
    ]);
    tokens = users.tokens;
    const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) });
    server = await startTestServer({}, { gymHttpApiPort: 0, usersFile: users.file, logger });
    base = server.gymHttpApiAddress!;
  });
  after(() => server.close(100));

  test('no token: 401 saying how the official client sends one', async () => {
    const a = await call(base, 'GET', '/v1/envs/');
    fails(a, 401, /requires a token.*http:\/\/USER:TOKEN@host:port/, 'no header');
    assert.match(a.headers.get('www-authenticate') ?? '', /Basic realm="gymhost"/);
    fails(await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v1' }), 401, /requires a token/, 'create without token');
  });

  test('Basic user:TOKEN (what requests sends for http://user:TOKEN@host) and Bearer both work, as the same user', async () => {
    const made = await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v1' }, basic('alice', tokens.alice));
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const id = made.body.instance_id;
    assert.equal((await call(base, 'GET', '/v1/envs/', undefined, bearer(tokens.alice))).body.all_envs[id], 'CartPole-v1');
    assert.equal((await call(base, 'POST', `/v1/envs/${id}/reset/`, 'null', basic('alice', tokens.alice))).status, 200);
    const owner = await restCall(server, 'GET', `/v1/envs/${id}`, undefined, bearer(tokens.alice));
    assert.equal(owner.body.owner, 'alice');
    const audit = logs.find((l) => l.audit === 'create' && l.id === id);
    assert.equal(audit?.user, 'alice');
    assert.ok(logs.some((l) => l.method === 'GymHttpApi/EnvReset' && l.user === 'alice' && l.code === 'OK'));
    assert.equal((await call(base, 'POST', `/v1/envs/${id}/close/`, 'null', basic('alice', tokens.alice))).status, 204);
  });

  test('bad credentials are 401 with the reason; the failure is counted and logged', async () => {
    fails(await call(base, 'GET', '/v1/envs/', undefined, basic('alice', tokens.bob)), 401, /user 'alice' is not the user of the token/, 'user mismatch');
    assert.ok(logs.some((l) => l.audit === 'auth_failure' && l.reason === 'USER_MISMATCH' && l.method === 'GymHttpApi/EnvListAll'));
    fails(await call(base, 'GET', '/v1/envs/', undefined, basic('alice', 'gh_not-a-token')), 401, /token is not valid/, 'wrong token');
    fails(await call(base, 'GET', '/v1/envs/', undefined, basic('alice', '')), 401, /password must be your token/, 'empty password');
    fails(await call(base, 'GET', '/v1/envs/', undefined, { authorization: 'Basic ###' }), 401, /base64 of "USER:TOKEN"/, 'not base64');
    fails(await call(base, 'GET', '/v1/envs/', undefined, { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }), 401, /base64 of "USER:TOKEN"/, 'no colon');
    fails(await call(base, 'GET', '/v1/envs/', undefined, bearer('gh_wrong')), 401, /token is not valid/, 'wrong bearer');
    const metrics = await restCall(server, 'GET', '/metrics', undefined, bearer(tokens.prof));
    assert.match(metrics.body, /gymhost_auth_failures_total\{reason="USER_MISMATCH"\} [1-9]/);
  });

  test('isolation: another student\'s instance is 404 like a missing one; an instructor lists it but may not step it', async () => {
    const asAlice = basic('alice', tokens.alice);
    const asBob = basic('bob', tokens.bob);
    const asProf = basic('prof', tokens.prof);
    const id = (await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v1', seed: 1 }, asAlice)).body.instance_id;
    await call(base, 'POST', `/v1/envs/${id}/reset/`, 'null', asAlice);
    assert.equal((await call(base, 'GET', '/v1/envs/', undefined, asBob)).body.all_envs[id], undefined);
    for (const [method, path, body] of [
      ['POST', `/v1/envs/${id}/reset/`, 'null'],
      ['POST', `/v1/envs/${id}/step/`, { action: 1 }],
      ['GET', `/v1/envs/${id}/action_space/`, undefined],
      ['GET', `/v1/envs/${id}/action_space/sample`, undefined],
      ['GET', `/v1/envs/${id}/observation_space/`, undefined],
      ['POST', `/v1/envs/${id}/close/`, 'null'],
    ] as const) {
      fails(await call(base, method, path, body, asBob), 404, new RegExp(`env session '${id}' does not exist`), `bob ${method} ${path}`);
    }
    assert.equal((await call(base, 'GET', '/v1/envs/', undefined, asProf)).body.all_envs[id], 'CartPole-v1');
    assert.deepEqual((await call(base, 'GET', `/v1/envs/${id}/action_space/`, undefined, asProf)).body, { info: { name: 'Discrete', n: 2 } });
    fails(await call(base, 'POST', `/v1/envs/${id}/step/`, { action: 1 }, asProf), 403, /another user: instructors may read and delete it/, 'prof step');
    // Still alice's and still where it was.
    assert.equal((await call(base, 'POST', `/v1/envs/${id}/step/`, { action: 1 }, asAlice)).status, 200);
    assert.equal((await call(base, 'POST', `/v1/envs/${id}/close/`, 'null', asAlice)).status, 204);
  });

  test('quotas: a third session of alice (quota 2) is 429', async () => {
    const asAlice = basic('alice', tokens.alice);
    const ids = [];
    for (let i = 0; i < 2; i++) {
      const made = await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v1' }, asAlice);
      assert.equal(made.status, 200, JSON.stringify(made.body));
      ids.push(made.body.instance_id);
    }
    const over = await call(base, 'POST', '/v1/envs/', { env_id: 'CartPole-v1' }, asAlice);
    fails(over, 429, /envSessions|env session/, 'third session');
    assert.equal(over.body.code, 'RESOURCE_EXHAUSTED');
    for (const id of ids) assert.equal((await call(base, 'POST', `/v1/envs/${id}/close/`, 'null', asAlice)).status, 204);
  });
});

test('a Basic header is read as RFC 7617 says: base64 of user, colon, password (which may hold colons)', () => {
  const enc = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  assert.deepEqual(parseBasic(enc('alice:gh_abc')), { user: 'alice', password: 'gh_abc' });
  assert.deepEqual(parseBasic(enc('a:b:c')), { user: 'a', password: 'b:c' });
  assert.equal(parseBasic('Bearer x'), undefined);
  assert.equal(parseBasic(undefined), undefined);
  assert.equal(parseBasic('Basic'), 'malformed');
  assert.equal(parseBasic('Basic abc'), 'malformed');
});

test('while the server drains, calls are 503; close() closes the port', async () => {
  let draining = false;
  const auth = new Authenticator();
  const metrics = new Metrics();
  const usage = new UsageTracker((user, role) => auth.quotasOf(user, role), 1 << 30);
  const gate = new Gate(auth, usage, metrics, createLogger('silent'), () => draining);
  const envs = new EnvService();
  const listener = await listenGymHttpApi(createGymHttpApiApp({ envs, gate, metrics, maxBodyBytes: 1 << 20 }), { host: '127.0.0.1', port: 0 });
  try {
    assert.equal((await call(listener.address, 'GET', '/v1/envs/')).status, 200);
    draining = true;
    fails(await call(listener.address, 'POST', '/v1/envs/', { env_id: 'CartPole-v1' }), 503, /shutting down/, 'draining');
  } finally {
    await listener.close(1000, Promise.resolve());
    envs.close();
  }
  await assert.rejects(fetch(`${listener.address}/v1/envs/`));
});

test('a server without the option has no gym-http-api port; a started one closes it on close()', async () => {
  const plain = await startTestServer();
  assert.equal(plain.gymHttpApiPort, undefined);
  assert.equal(plain.gymHttpApiAddress, undefined);
  await plain.close(100);
  const withPort = await startTestServer({}, { gymHttpApiPort: 0 });
  const address = withPort.gymHttpApiAddress!;
  assert.equal((await call(address, 'GET', '/v1/envs/')).status, 200);
  await withPort.close(100);
  await assert.rejects(fetch(`${address}/v1/envs/`));
});

test('gymhost serve --gym-http-api-port P (or GYMHOST_GYM_HTTP_API_PORT): off by default, 0 = a free port', async () => {
  const { serveOptions } = await import('../../src/cli/serve-command.js');
  assert.equal(serveOptions([], {}).gymHttpApiPort, undefined);
  assert.equal(serveOptions([], { GYMHOST_GYM_HTTP_API_PORT: '' }).gymHttpApiPort, undefined);
  assert.equal(serveOptions(['--gym-http-api-port', '0'], {}).gymHttpApiPort, 0);
  assert.equal(serveOptions([], { GYMHOST_GYM_HTTP_API_PORT: '5000' }).gymHttpApiPort, 5000);
  assert.equal(serveOptions(['--gym-http-api-port', '5001'], { GYMHOST_GYM_HTTP_API_PORT: '5000' }).gymHttpApiPort, 5001);
  assert.throws(() => serveOptions(['--gym-http-api-port', 'x'], {}), /--gym-http-api-port \(or GYMHOST_GYM_HTTP_API_PORT\) must be an integer in \[0, 65535\], got 'x'/);
  assert.throws(() => serveOptions(['--gym-http-api-port', '70000'], {}), /must be an integer in \[0, 65535\]/);
});

test('with --tls-cert/--tls-key the gym-http-api port speaks HTTPS too', async () => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync } = await import('node:fs');
  const os = await import('node:os');
  const nodePath = await import('node:path');
  const https = await import('node:https');
  const dir = mkdtempSync(nodePath.join(os.tmpdir(), 'gymhost-gym-tls-'));
  const key = nodePath.join(dir, 'key.pem');
  const cert = nodePath.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const server = await startTestServer({}, { gymHttpApiPort: 0, tlsCert: cert, tlsKey: key });
  try {
    assert.equal(server.gymHttpApiAddress, `https://127.0.0.1:${server.gymHttpApiPort}`);
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`${server.gymHttpApiAddress}/v1/envs/`, { ca: readFileSync(cert) }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    assert.deepEqual(JSON.parse(body), { all_envs: {} });
  } finally {
    await server.close(100);
  }
});
