/**
 * `gymhost grade`: grades a folder of submissions (or, for Gradescope, the one in its
 * autograder root) against an assignment, and builds the Gradescope autograder bundle.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '../server/server.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { withUser, writeUsersFile, type UsersFile } from '../server/auth/users-file.js';
import { AssignmentError, loadAssignment, type Assignment } from './assignment.js';
import { buildBundle } from './bundle.js';
import { gradeSubmission, type SubmissionResult, type TestResult } from './grader.js';

export const GRADE_USAGE = `gymhost grade: autograding with gymhost

  gymhost grade ASSIGNMENT_DIR --submissions DIR --out OUT [--jobs N] [--python PATH]
      grades every sub-folder of DIR (one per student) into OUT/<submission>/results.json
      (Gradescope's format) and episodes.json (the server's log of the graded runs), and
      OUT/summary.csv; exit 0 when grading ran, whatever the scores
  gymhost grade ASSIGNMENT_DIR --gradescope [--gradescope-root DIR] [--python PATH]
      grades DIR/submission into DIR/results/results.json (default DIR: /autograder)
  gymhost grade ASSIGNMENT_DIR --bundle autograder.zip
      builds the zip to upload to Gradescope (setup.sh, run_autograder, gymhost, the assignment)

--python: a Python with the gymhost client and NumPy (default $GYMHOST_PYTHON, then this
checkout's .venv made by \`bash scripts/setup-python.sh\`, then python3).
The assignment format: docs/assignment-format.md.
`;

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** `gymhost grade ...`; returns the exit code. */
export async function gradeCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
    process.stdout.write(GRADE_USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        submissions: { type: 'string' },
        out: { type: 'string' },
        jobs: { type: 'string' },
        python: { type: 'string' },
        gradescope: { type: 'boolean' },
        'gradescope-root': { type: 'string' },
        bundle: { type: 'string' },
      },
    }));
  } catch (err) {
    return usageError((err as Error).message);
  }
  if (positionals.length !== 1) return usageError('give exactly one ASSIGNMENT_DIR');
  let assignment: Assignment;
  try {
    assignment = loadAssignment(positionals[0]);
  } catch (err) {
    if (err instanceof AssignmentError) return usageError(`invalid assignment: ${err.message}`);
    throw err;
  }
  const modes = [values.submissions !== undefined, values.gradescope === true, values.bundle !== undefined].filter(Boolean).length;
  if (modes !== 1) return usageError('give one of --submissions DIR --out OUT, --gradescope or --bundle FILE');
  if (values.bundle) {
    buildBundle(assignment, path.resolve(values.bundle), REPO);
    console.log(`wrote ${values.bundle}: upload it as the autograder of '${assignment.title}'`);
    return 0;
  }
  const python = values.python ?? process.env.GYMHOST_PYTHON ?? (existsSync(path.join(REPO, '.venv/bin/python')) ? path.join(REPO, '.venv/bin/python') : 'python3');
  const probe = spawnSync(python, ['-c', 'import gymhost, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return usageError(`${python} cannot import gymhost and numpy (${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}); run \`bash scripts/setup-python.sh\` or give --python`);
  if (values.gradescope) {
    const root = path.resolve(values['gradescope-root'] ?? '/autograder');
    const submission = path.join(root, 'submission');
    if (!existsSync(submission)) return usageError(`${submission} does not exist`);
    const results = path.join(root, 'results');
    await gradeAll(assignment, [{ name: 'submission', dir: submission, out: results }], python, 1, false);
    return 0;
  }
  if (!values.out) return usageError('--submissions needs --out OUT');
  const jobs = values.jobs === undefined ? 1 : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) return usageError(`--jobs must be an integer in [1, 64], got '${values.jobs}'`);
  const dir = path.resolve(values.submissions!);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return usageError(`--submissions ${values.submissions} is not a directory`);
  const out = path.resolve(values.out);
  const subs = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  const graded = await gradeAll(assignment, subs.map((name) => ({ name, dir: path.join(dir, name), out: path.join(out, name) })), python, jobs, true);
  writeSummary(path.join(out, 'summary.csv'), assignment, graded);
  console.log(`graded ${graded.length} submissions into ${out} (summary.csv)`);
  return 0;
}

function usageError(message: string): number {
  process.stderr.write(`gymhost grade: ${message}\n\n${GRADE_USAGE}`);
  return 2;
}

interface Job {
  readonly name: string;
  readonly dir: string;
  /** Where results.json and episodes.json go. */
  readonly out: string;
}

/** A user name for a submission folder (letters, digits, '.', '_', '-'). */
function userName(folder: string, i: number): string {
  const clean = folder.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 50) || 'submission';
  return `s${i}-${clean}`;
}

/**
 * Starts a server with authentication (a grader admin and one student per submission),
 * grades `jobs` submissions at a time, writes each results.json and episodes.json.
 */
async function gradeAll(assignment: Assignment, subs: Job[], python: string, jobs: number, progress: boolean): Promise<{ job: Job; result: SubmissionResult }[]> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gymhost-grade-users-'));
  let users: UsersFile = { version: 1, users: {} };
  const tokens: string[] = [];
  const admin = withUser(users, 'grader', 'admin', undefined);
  users = admin.data;
  subs.forEach((s, i) => {
    // The harness paces its students itself: no request-rate quota (a training loop is fast).
    const made = withUser(users, userName(s.name, i), 'student', { requestsPerSecond: 0 });
    users = made.data;
    tokens.push(made.token);
  });
  const usersFile = path.join(tmp, 'users.json');
  writeUsersFile(usersFile, users);
  const server: RunningServer = await startServer({ host: '127.0.0.1', grpcPort: 0, httpPort: 0, usersFile, logLevel: 'warn' });
  // The server's episode logs of every graded run, also kept in OUT/gymhost.db (appeals).
  const logs = subs.length ? new SqliteStore(path.dirname(subs[0].out)) : undefined;
  const done: { job: Job; result: SubmissionResult }[] = [];
  const started = performance.now();
  try {
    let next = 0;
    const worker = async () => {
      while (next < subs.length) {
        const i = next++;
        const job = subs[i];
        const result = await gradeSubmission(assignment, job.dir, { user: userName(job.name, i), token: tokens[i] }, { server, python, grader: { user: 'grader', role: 'admin' } });
        writeResults(job, result);
        await logs?.putGradingLog({ assignment: assignment.name, submission: job.name, createdAt: Date.now(), log: { score: result.score, maxScore: result.maxScore, parts: result.logs } });
        done.push({ job, result });
        if (progress) {
          process.stderr.write(`[${done.length}/${subs.length}] ${job.name}: ${result.score}/${result.maxScore} (${result.executionTime.toFixed(1)} s; ${((performance.now() - started) / 1000).toFixed(0)} s in all)\n`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, subs.length) }, worker));
  } finally {
    await server.close(1000);
    await logs?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  done.sort((a, b) => subs.indexOf(a.job) - subs.indexOf(b.job));
  return done;
}

/** Gradescope's results.json, and the server's episode log of the graded runs beside it. */
function writeResults(job: Job, r: SubmissionResult): void {
  mkdirSync(job.out, { recursive: true });
  const failed = r.tests.filter((t) => t.status === 'failed').length;
  const results = {
    score: r.score,
    execution_time: r.executionTime,
    output: `${r.score} of ${r.maxScore} points; ${r.tests.length - failed} of ${r.tests.length} tests passed. Scores come from greedy episodes the grader ran on its own sessions and from the server's log of your training.`,
    visibility: 'visible',
    tests: r.tests.map((t: TestResult) => ({ ...t, tags: [...t.tags] })),
  };
  writeFileSync(path.join(job.out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(path.join(job.out, 'episodes.json'), JSON.stringify({ submission: job.name, parts: r.logs }, null, 2) + '\n');
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per submission: its total and each test's score. */
function writeSummary(file: string, assignment: Assignment, graded: { job: Job; result: SubmissionResult }[]): void {
  const names = assignment.parts.flatMap((p) => p.checks.map((c) => c.name));
  const rows = [['submission', 'score', 'max_score', ...names]];
  for (const { job, result } of graded) {
    const byName = new Map(result.tests.map((t) => [t.name, t.score]));
    rows.push([job.name, String(result.score), String(result.maxScore), ...names.map((n) => String(byName.get(n) ?? 0))]);
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n');
}
