/**
 * TensorBoard event files (src/server/observability/tensorboard.ts): CRC32C, TFRecord
 * framing, Event encoding (byte for byte what tensorboard's event_pb2 serializes), the
 * buffered writer, and a training run's scalars through AgentService.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  EventFileWriter,
  FILE_VERSION,
  crc32c,
  decodeEvent,
  encodeFileVersionEvent,
  encodeScalarsEvent,
  encodeSessionStartEvent,
  eventFileName,
  maskedCrc32c,
  readTfRecords,
  safePathComponent,
  tfRecord,
  type DecodedEvent,
} from '../../src/server/observability/tensorboard.js';
import { RunTensorBoard, TAGS } from '../../src/server/services/run-tensorboard.js';
import { AgentService } from '../../src/server/services/agent-service.js';
import { DEFAULT_LIMITS, EnvService } from '../../src/server/services/env-service.js';
import { ANONYMOUS } from '../../src/core/sessions/session-store.js';
import { TrainRequest } from '../../src/gen/gymhost/v1/agent_service.js';
import { serveOptions } from '../../src/cli/serve-command.js';
import { startServer } from '../../src/server/server.js';

const tmpDirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'gymhost-tb-'));
  tmpDirs.push(d);
  return d;
}
after(async () => {
  for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

async function eventsOf(file: string): Promise<DecodedEvent[]> {
  return readTfRecords(await readFile(file)).map(decodeEvent);
}

async function onlyEventFile(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.includes('tfevents'));
  assert.equal(files.length, 1, `event files in ${dir}: ${files.join(', ')}`);
  return path.join(dir, files[0]);
}

test('CRC32C matches the standard check value and the RFC 3720 (iSCSI) test vectors', () => {
  assert.equal(crc32c(new Uint8Array(0)), 0);
  assert.equal(crc32c(bytes('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});

test("the masked CRC is TFRecord's (values from tensorboard's own masked_crc32c)", () => {
  assert.equal(maskedCrc32c(new Uint8Array(0)), 0xa282ead8);
  assert.equal(maskedCrc32c(bytes('123456789')), 0xc78ab0e5);
  assert.equal(maskedCrc32c(new Uint8Array(8)), 0x07980329);
});

test('Events encode byte for byte as tensorboard.Event (event_pb2.SerializeToString)', () => {
  assert.equal(hex(encodeFileVersionEvent(1.5)), '09000000000000f83f1a0d627261696e2e4576656e743a32');
  assert.equal(
    hex(encodeScalarsEvent(1700000000.25, 1234567890123, [['charts/episodic_return', -12.5], ['charts/epsilon', 0.1]])),
    '0900001040fc54d94110cb89ec8ff7232a360a1d0a166368617274732f657069736f6469635f72657475726e15000048c10a150a0e6368617274732f657073696c6f6e15cdcccc3d',
  );
  assert.equal(hex(encodeSessionStartEvent(2, 42)), '090000000000000040102a3a020801');
});

test('a TFRecord frame is length (uint64 LE), its masked CRC, the data, its masked CRC', () => {
  const data = encodeFileVersionEvent(1.5);
  const frame = tfRecord(data);
  assert.equal(hex(frame), '1800000000000000a37f4b2209000000000000f83f1a0d627261696e2e4576656e743a322a28646c');
  assert.equal(frame.length, 8 + 4 + data.length + 4);
  assert.equal(frame.readBigUInt64LE(0), BigInt(data.length));
  assert.equal(frame.readUInt32LE(8), maskedCrc32c(frame.subarray(0, 8)));
  assert.deepEqual(frame.subarray(12, 12 + data.length), Buffer.from(data));
  assert.equal(frame.readUInt32LE(12 + data.length), maskedCrc32c(data));
  // Reading back checks both CRCs.
  const two = Buffer.concat([frame, tfRecord(new Uint8Array([1, 2, 3]))]);
  assert.deepEqual(readTfRecords(two).map(hex), [hex(data), '010203']);
  const damaged = Buffer.from(two);
  damaged[14] ^= 1;
  assert.throws(() => readTfRecords(damaged), /bad data CRC at byte 0/);
  const badLength = Buffer.from(two);
  badLength[0] ^= 1;
  assert.throws(() => readTfRecords(badLength), /bad length CRC/);
  assert.throws(() => readTfRecords(two.subarray(0, two.length - 2)), /truncated record/);
});

test('decodeEvent reads back what the encoders write (simple_value as float32)', () => {
  assert.deepEqual(decodeEvent(encodeFileVersionEvent(12.25)), { wallTime: 12.25, step: 0, fileVersion: FILE_VERSION });
  assert.deepEqual(decodeEvent(encodeSessionStartEvent(3, 7)), { wallTime: 3, step: 7, sessionStatus: 1 });
  const e = decodeEvent(encodeScalarsEvent(5.5, 2 ** 40 + 3, [['a', 0.1], ['b', -Infinity], ['c', 1e30]]));
  assert.equal(e.step, 2 ** 40 + 3);
  assert.deepEqual(e.scalars, [{ tag: 'a', value: Math.fround(0.1) }, { tag: 'b', value: -Infinity }, { tag: 'c', value: Math.fround(1e30) }]);
});

test('file names are events.out.tfevents.<secs>.<hostname>[.suffix]', () => {
  assert.equal(eventFileName(1700000000, 'box'), 'events.out.tfevents.1700000000.box');
  assert.equal(eventFileName(1700000000, 'box', '123'), 'events.out.tfevents.1700000000.box.123');
});

test('safePathComponent keeps plain names and encodes everything that could escape, hide or collide', () => {
  assert.equal(safePathComponent('alice'), 'alice');
  assert.equal(safePathComponent('bob.smith@uni-x.edu_1'), 'bob.smith@uni-x.edu_1');
  assert.equal(safePathComponent('run-AbC_d-9'), 'run-AbC_d-9');
  assert.equal(safePathComponent('.'), '%2E');
  assert.equal(safePathComponent('..'), '%2E.');
  assert.equal(safePathComponent('.hidden'), '%2Ehidden');
  assert.equal(safePathComponent('a/../b'), 'a%2F..%2Fb');
  assert.equal(safePathComponent('a\\b'), 'a%5Cb');
  assert.equal(safePathComponent('50%'), '50%25');
  assert.equal(safePathComponent('ü'), '%C3%BC');
  assert.equal(safePathComponent(''), '%');
  const names = ['', '%', '.', '..', '%2E', '.a', '%2Ea', 'a/b', 'a%2Fb', 'ü', '%C3%BC', 'x'];
  const encoded = names.map(safePathComponent);
  assert.equal(new Set(encoded).size, names.length, encoded.join(' '));
  for (const e of encoded) {
    assert.ok(!e.includes('/') && !e.includes('\\') && !e.startsWith('.') && e !== '', e);
    assert.equal(path.basename(e), e);
  }
});

test('the writer writes the file version first, then the scalars, buffered until flush or close', async () => {
  const dir = path.join(await tmp(), 'new', 'run');
  let clock = 1_700_000_000_000;
  const writer = new EventFileWriter(dir, { now: () => clock, hostname: 'testhost', suffix: 'x', flushEveryMs: 3_600_000 });
  const file = await writer.opened();
  assert.equal(file, path.join(dir, 'events.out.tfevents.1700000000.testhost.x'));
  clock += 500;
  writer.scalars(10, [['charts/episodic_return', 3.5], ['losses/td_loss', Number.NaN]]);
  writer.scalars(20, [['losses/td_loss', Number.NaN]]); // nothing left: no event
  clock += 500;
  writer.sessionStart(15);
  writer.scalars(25, [['charts/episodic_return', -1], ['charts/epsilon', 0.25]]);
  assert.equal((await readFile(file!)).length, 0, 'nothing is written before a flush');
  await writer.flush();
  const flushed = await eventsOf(file!);
  assert.equal(flushed.length, 4);
  await writer.close();
  await writer.close();
  writer.scalars(30, [['charts/episodic_return', 9]]); // after close: dropped
  assert.deepEqual(await eventsOf(file!), [
    { wallTime: 1_700_000_000, step: 0, fileVersion: FILE_VERSION },
    { wallTime: 1_700_000_000.5, step: 10, scalars: [{ tag: 'charts/episodic_return', value: 3.5 }] },
    { wallTime: 1_700_000_001, step: 15, sessionStatus: 1 },
    { wallTime: 1_700_000_001, step: 25, scalars: [{ tag: 'charts/episodic_return', value: -1 }, { tag: 'charts/epsilon', value: 0.25 }] },
  ]);
});

test('the writer flushes on its own: by its timer, and once the buffer is large', async () => {
  const dir = await tmp();
  const timed = new EventFileWriter(path.join(dir, 'timed'), { flushEveryMs: 20, suffix: 't' });
  const file = (await timed.opened())!;
  timed.scalars(1, [['a', 1]]);
  // Polls until the timer's write shows (the bound only stops a broken test).
  for (let i = 0; i < 500 && (await readFile(file)).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual((await eventsOf(file)).map((e) => e.step), [0, 1]);
  await timed.close();

  const big = new EventFileWriter(path.join(dir, 'big'), { flushEveryMs: 3_600_000, flushBytes: 1024, suffix: 'b' });
  const bigFile = (await big.opened())!;
  for (let step = 1; step <= 100; step++) big.scalars(step, [['charts/episodic_return', step]]);
  await big.flush(); // waits for the writes the size threshold started (and writes the rest)
  const steps = (await eventsOf(bigFile)).map((e) => e.step);
  assert.deepEqual(steps, [0, ...Array.from({ length: 100 }, (_, i) => i + 1)]);
  await big.close();
});

test("a new file in a folder sorts after the folder's event files, also within the same second", async () => {
  const dir = await tmp();
  const now = () => 1_700_000_000_900;
  const first = new EventFileWriter(dir, { now, hostname: 'zz-host', suffix: '9' });
  await first.close();
  await writeFile(path.join(dir, 'events.out.tfevents.1700000005.other'), '');
  const second = new EventFileWriter(dir, { now, hostname: 'aa-host', suffix: '1' });
  await second.close();
  const files = (await readdir(dir)).sort();
  assert.deepEqual(files, ['events.out.tfevents.1700000000.zz-host.9', 'events.out.tfevents.1700000005.other', 'events.out.tfevents.1700000006.aa-host.1']);
});

test('an I/O error is reported once, ends that file, and never throws', async () => {
  const dir = await tmp();
  const blocker = path.join(dir, 'a-file');
  await writeFile(blocker, 'not a directory');
  const errors: string[] = [];
  const writer = new EventFileWriter(path.join(blocker, 'run'), { onError: (err, where) => errors.push(`${where}: ${err.message}`) });
  writer.scalars(1, [['a', 1]]);
  assert.equal(await writer.opened(), undefined);
  assert.equal(writer.broken, true);
  writer.scalars(2, [['a', 2]]);
  await writer.flush();
  await writer.close();
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0], /a-file.*(ENOTDIR|EEXIST)/);
});

test('a writer that falls too far behind gives its file up (bounded memory) and says so once', async () => {
  const errors: string[] = [];
  const writer = new EventFileWriter(await tmp(), { maxUnwrittenBytes: 1000, flushBytes: 1 << 30, flushEveryMs: 3_600_000, onError: (err) => errors.push(err.message) });
  // The file is not open yet: every record waits in memory.
  for (let step = 1; step <= 100; step++) writer.scalars(step, [['charts/episodic_return', step]]);
  assert.equal(writer.broken, true);
  await writer.close();
  assert.deepEqual(errors, ['writes fall behind: over 1000 bytes not yet written']);
});

test('a resumed run starts its new file with a SessionLog START just past its checkpoint step', async () => {
  const dir = await tmp();
  const tb = new RunTensorBoard({ id: 'run-1', owner: 'alice' }, { dirOf: (run) => path.join(dir, run.owner, run.id) }, 1200);
  tb.episode({ episode: 40, episodeReturn: 30, length: 30, loss: Number.NaN, epsilon: 0.5, wallTimeMs: 1 }, 1230);
  tb.evaluation({ index: 3, steps: 1230, episodes: 40, mean: 20.5, std: 2, time: 0 });
  await tb.close();
  const events = await eventsOf(await onlyEventFile(path.join(dir, 'alice', 'run-1')));
  assert.deepEqual(events.map((e) => [e.step, e.fileVersion ?? e.sessionStatus ?? e.scalars]), [
    [0, FILE_VERSION],
    [1201, 1],
    [1230, [{ tag: TAGS.episodicReturn, value: 30 }, { tag: TAGS.episodicLength, value: 30 }, { tag: TAGS.epsilon, value: 0.5 }]],
    [1230, [{ tag: TAGS.evalMeanReturn, value: 20.5 }, { tag: TAGS.evalStdReturn, value: 2 }]],
  ]);
});

test("a Train run writes CleanRL's scalars at the global env step: returns, lengths, epsilon, losses and evaluations as the run reports them", async () => {
  const dir = await tmp();
  const errors: string[] = [];
  const envs = new EnvService({ ...DEFAULT_LIMITS, sessionTtlSeconds: 0 });
  const agents = new AgentService(envs, undefined, undefined, undefined, undefined, {
    tensorboard: { dirOf: (run) => path.join(dir, safePathComponent(run.owner), run.id), onError: (err) => errors.push(err.message) },
  });
  try {
    for (const preset of ['seed-tabular-gridworld', 'fast-cartpole-dqn']) {
      const isDqn = preset === 'fast-cartpole-dqn';
      const env = (await envs.createEnv({ envId: isDqn ? 'CartPole-v1' : 'GridWorld-v0', seed: 3, config: isDqn ? undefined : { world: 'small_maze', random_start: true }, rewardFunction: '', rewardParams: undefined, numEnvs: 1, renderMode: 0, autoresetMode: 0 }, ANONYMOUS)).env!;
      const agent = (await agents.createAgent({ kind: '', env: env.id, preset, config: undefined, seed: 3, observationSpace: undefined, actionSpace: undefined }, ANONYMOUS)).agent!;
      const { summary } = await agents.train(
        TrainRequest.fromPartial({ id: agent.id, env: env.id, steps: 1500, evalEverySteps: 500, evalEpisodes: 2, evalSeed: 7 }),
        ANONYMOUS,
        undefined,
      );
      const run = (await agents.getRun({ id: summary!.run }, ANONYMOUS)).run!;
      const records = agents.getHistory({ id: agent.id, offset: 0, limit: 0 }, ANONYMOUS).records;
      const events = await eventsOf(await onlyEventFile(path.join(dir, safePathComponent(ANONYMOUS.user), run.id)));
      assert.equal(events[0].fileVersion, FILE_VERSION);
      const series = (tag: string) => events.flatMap((e) => (e.scalars ?? []).filter((s) => s.tag === tag).map((s) => [e.step, s.value]));
      let step = 0;
      const steps = records.map((r) => (step += r.length));
      assert.equal(step, 1500);
      assert.deepEqual(series(TAGS.episodicReturn), records.map((r, i) => [steps[i], Math.fround(r.episodeReturn)]));
      assert.deepEqual(series(TAGS.episodicLength), records.map((r, i) => [steps[i], r.length]));
      assert.deepEqual(series(TAGS.epsilon), records.map((r, i) => [steps[i], Math.fround(r.epsilon)]));
      const losses = records.flatMap((r, i) => (Number.isNaN(r.loss) ? [] : [[steps[i], Math.fround(r.loss)]]));
      assert.deepEqual(series(TAGS.tdLoss), losses);
      // Episodes without an update (a DQN's before learning starts) have no loss and no point.
      assert.ok(losses.length > 0 && losses.length <= records.length, `${preset}: ${losses.length} losses`);
      assert.ok(run.evaluations.length >= 3);
      assert.deepEqual(series(TAGS.evalMeanReturn), run.evaluations.map((e) => [e.steps, Math.fround(e.meanReward)]));
      assert.deepEqual(series(TAGS.evalStdReturn), run.evaluations.map((e) => [e.steps, Math.fround(e.stdReward)]));
    }
    assert.deepEqual(errors, []);
  } finally {
    agents.close();
    envs.close();
  }
});

test('serve: --tensorboard-dir or GYMHOST_TENSORBOARD_DIR (the flag wins), off by default; an unusable directory stops start-up', async () => {
  assert.equal(serveOptions([], {}).tensorboardDir, undefined);
  assert.equal(serveOptions([], { GYMHOST_TENSORBOARD_DIR: '' }).tensorboardDir, undefined);
  assert.equal(serveOptions([], { GYMHOST_TENSORBOARD_DIR: '/env/tb' }).tensorboardDir, '/env/tb');
  assert.equal(serveOptions(['--tensorboard-dir', '/flag/tb'], { GYMHOST_TENSORBOARD_DIR: '/env/tb' }).tensorboardDir, '/flag/tb');
  assert.throws(() => serveOptions(['--tensorboard-dir', ''], {}), /--tensorboard-dir needs a directory/);
  const blocker = path.join(await tmp(), 'a-file');
  await writeFile(blocker, 'not a directory');
  await assert.rejects(startServer({ grpcPort: 0, httpPort: 0, tensorboardDir: path.join(blocker, 'tb'), logLevel: 'silent' }), /cannot use --tensorboard-dir .*a-file/);
});
