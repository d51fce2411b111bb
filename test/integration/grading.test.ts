/**
 * `gymhost grade` end to end: the example assignment (the notes' homework) grades its test
 * submissions (the NumPy references and buggy variants) to exact scores; Gradescope's
 * single-submission mode; the autograder bundle unpacked into a temporary root and run there;
 * invalid assignments and arguments exit 2.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(REPO, 'bin/gymhost.js');
const ASSIGNMENT = path.join(REPO, 'assignments/seed-q-learning');
const PYTHON = path.join(REPO, '.venv/bin/python');

async function grade(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'grade', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = await once(child, 'exit');
  return { code: code as number, stdout, stderr };
}

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'gymhost-grading-test-'));
}

interface Results {
  score: number;
  execution_time: number;
  output: string;
  tests: { name: string; score: number; max_score: number; status: string; output: string; visibility: string; tags: string[] }[];
}

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Results;

/** Scores by check kind and part, e.g. "tabular/update_rule". */
function byCheck(r: Results): Record<string, number> {
  return Object.fromEntries(r.tests.map((t) => [`${t.tags[0]}/${t.tags[1]}`, t.score]));
}

const ZERO_DQN = { 'dqn/runs': 0, 'dqn/learning': 0, 'dqn/history': 0 };

describe('gymhost grade', () => {
  test('the test venv is there (npm test makes it with scripts/setup-python.sh before these tests)', () => {
    assert.ok(existsSync(PYTHON), `${PYTHON} is missing: run \`bash scripts/setup-python.sh\``);
  });

  test('the example assignment grades its test submissions to exact scores, in Gradescope format', async () => {
    const out = tmp();
    const run = await grade([ASSIGNMENT, '--submissions', path.join(ASSIGNMENT, 'test-submissions'), '--out', out, '--jobs', '2']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /\[9\/9\] /, 'a progress line per submission');
    const expected: Record<string, Record<string, number>> = {
      reference: { 'tabular/runs': 1, 'tabular/update_rule': 4, 'tabular/learning': 4, 'tabular/history': 1, 'dqn/runs': 1, 'dqn/learning': 4, 'dqn/history': 1 },
      'done-ignored': { 'tabular/runs': 1, 'tabular/update_rule': 2.4, 'tabular/learning': 4, 'tabular/history': 1, ...ZERO_DQN },
      'gamma-ignored': { 'tabular/runs': 1, 'tabular/update_rule': 1.6, 'tabular/learning': 4, 'tabular/history': 1, ...ZERO_DQN },
      'wrong-axis': { 'tabular/runs': 1, 'tabular/update_rule': 4, 'tabular/learning': 0, 'tabular/history': 0, ...ZERO_DQN },
      'no-exploration': { 'tabular/runs': 1, 'tabular/update_rule': 4, 'tabular/learning': 4, 'tabular/history': 1, ...ZERO_DQN },
      'crash-at-import': { 'tabular/runs': 0, 'tabular/update_rule': 0, 'tabular/learning': 0, 'tabular/history': 0, ...ZERO_DQN },
      'endless-training': { 'tabular/runs': 1, 'tabular/update_rule': 4, 'tabular/learning': 0, 'tabular/history': 0, ...ZERO_DQN },
      'faked-history': { 'tabular/runs': 1, 'tabular/update_rule': 4, 'tabular/learning': 0, 'tabular/history': 0, ...ZERO_DQN },
      empty: { 'tabular/runs': 0, 'tabular/update_rule': 0, 'tabular/learning': 0, 'tabular/history': 0, ...ZERO_DQN },
    };
    for (const [name, scores] of Object.entries(expected)) {
      const r = read(path.join(out, name, 'results.json'));
      assert.deepEqual(byCheck(r), scores, name);
      assert.equal(r.score, Object.values(scores).reduce((a, b) => a + b, 0), `${name} total`);
      assert.equal(typeof r.execution_time, 'number');
      for (const t of r.tests) {
        assert.equal(t.max_score > 0, true);
        assert.equal(t.status, t.score === t.max_score ? 'passed' : 'failed');
        assert.equal(t.visibility, 'visible');
        assert.ok(t.output.length > 10, `${name}: ${t.name} says why`);
      }
      // The server's log of every graded run, for appeals.
      const log = JSON.parse(readFileSync(path.join(out, name, 'episodes.json'), 'utf8'));
      assert.equal(log.submission, name);
    }
    // Why each buggy one failed, in words a student can act on.
    const out1 = (name: string, key: string) => read(path.join(out, name, 'results.json')).tests.find((t) => `${t.tags[0]}/${t.tags[1]}` === key)!.output;
    assert.match(out1('done-ignored', 'tabular/update_rule'), /that end an episode are wrong: when done, Q\(s, a\) = r/);
    assert.match(out1('gamma-ignored', 'tabular/update_rule'), /that do not end one are wrong: .* gamma 0\.8/);
    assert.match(out1('wrong-axis', 'tabular/learning'), /train raised IndexError/);
    assert.match(out1('crash-at-import', 'tabular/runs'), /importing it raised RuntimeError: this submission does not even import/);
    assert.match(out1('endless-training', 'tabular/learning'), /SIGXCPU|wall time/);
    assert.match(out1('faked-history', 'tabular/history'), /do not match the server's log/);
    assert.match(out1('faked-history', 'tabular/learning'), /Voided/);
    assert.match(out1('empty', 'dqn/runs'), /missing file: the submission has no dqn\.py/);
    // The reference's training log matches what it reported, episode by episode.
    const ref = JSON.parse(readFileSync(path.join(out, 'reference', 'episodes.json'), 'utf8'));
    const tabular = ref.parts.find((p: { part: string }) => p.part === 'tabular');
    assert.equal(tabular.training.length, 500);
    assert.deepEqual(tabular.reported, tabular.training.map((e: { return: number }) => e.return));
    assert.equal(tabular.evaluation.length, 20);
    // summary.csv: one row per submission with its total and each test's score.
    const csv = readFileSync(path.join(out, 'summary.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 10);
    assert.match(csv[0], /^submission,score,max_score,/);
    assert.match(csv.find((l) => l.startsWith('reference,'))!, /^reference,16,16,1,4,4,1,1,4,1$/);
  });

  test('Gradescope mode grades DIR/submission into DIR/results/results.json', async () => {
    const root = tmp();
    cpSync(path.join(ASSIGNMENT, 'test-submissions', 'gamma-ignored'), path.join(root, 'submission'), { recursive: true });
    const run = await grade([ASSIGNMENT, '--gradescope', '--gradescope-root', root]);
    assert.equal(run.code, 0, run.stderr);
    const r = read(path.join(root, 'results', 'results.json'));
    assert.equal(r.score, 7.6);
    assert.ok(existsSync(path.join(root, 'results', 'episodes.json')));
  });

  test('the bundle unpacks into an autograder root whose run_autograder grades a submission', async () => {
    const dir = tmp();
    const zip = path.join(dir, 'autograder.zip');
    const built = await grade([ASSIGNMENT, '--bundle', zip]);
    assert.equal(built.code, 0, built.stderr);
    // Unpack with Python's zipfile (checks the archive's format too), as Gradescope would into /autograder/source.
    const root = path.join(dir, 'autograder');
    const source = path.join(root, 'source');
    const unzip = spawnSync(PYTHON, ['-c', 'import sys, zipfile, os\nz = zipfile.ZipFile(sys.argv[1]); z.testzip() is None or sys.exit("bad zip")\nfor i in z.infolist():\n  p = z.extract(i, sys.argv[2]); os.chmod(p, (i.external_attr >> 16) & 0o777)', zip, source], { encoding: 'utf8' });
    assert.equal(unzip.status, 0, unzip.stderr);
    for (const f of ['setup.sh', 'run_autograder', 'gymhost/bin/gymhost.js', 'gymhost/package-lock.json', 'gymhost/clients/python/pyproject.toml', 'assignment/assignment.yaml', 'assignment/hidden/seeds.yaml']) {
      assert.ok(existsSync(path.join(source, f)), `the bundle holds ${f}`);
    }
    assert.ok(!existsSync(path.join(source, 'gymhost/node_modules')), 'no node_modules: setup.sh installs them');
    // What setup.sh would install is taken from this checkout (its install needs the network).
    symlinkSync(path.join(REPO, 'node_modules'), path.join(source, 'gymhost/node_modules'));
    mkdirSync(path.join(root, 'submission'), { recursive: true });
    cpSync(path.join(ASSIGNMENT, 'test-submissions', 'wrong-axis', 'tabular.py'), path.join(root, 'submission', 'tabular.py'));
    const run = spawnSync(path.join(source, 'run_autograder'), [], { encoding: 'utf8', env: { ...process.env, GYMHOST_GRADESCOPE_ROOT: root, GYMHOST_PYTHON: PYTHON } });
    assert.equal(run.status, 0, run.stderr + run.stdout);
    const r = read(path.join(root, 'results', 'results.json'));
    assert.equal(r.score, 5);
  });

  test('an invalid assignment or bad arguments exit 2 with a message', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'assignment.yaml'), 'name: x\nparts:\n  - name: p\n    file: p.py\n    interface: tabular\n    env: { env_id: GridWorld-v0 }\n    checks: [{ kind: telepathy, points: 1 }]\n');
    const bad = await grade([dir, '--submissions', dir, '--out', path.join(dir, 'out')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid assignment: parts\.p\.checks\[0\]\.kind must be runs, update_rule, learning or history, got 'telepathy'/);
    const none = await grade([path.join(dir, 'nowhere'), '--bundle', path.join(dir, 'b.zip')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /is not a directory/);
    const modes = await grade([ASSIGNMENT]);
    assert.equal(modes.code, 2);
    assert.match(modes.stderr, /give one of --submissions DIR --out OUT, --gradescope or --bundle FILE/);
    const jobs = await grade([ASSIGNMENT, '--submissions', dir, '--out', path.join(dir, 'o'), '--jobs', '0']);
    assert.equal(jobs.code, 2);
    assert.match(jobs.stderr, /--jobs must be an integer/);
    const python = await grade([ASSIGNMENT, '--submissions', dir, '--out', path.join(dir, 'o'), '--python', '/nonexistent/python']);
    assert.equal(python.code, 2);
    assert.match(python.stderr, /cannot import gymhost and numpy/);
  });
});
