/**
 * How long `gymhost grade` takes for a class: N tabular submissions (copies of the reference
 * tabular.py of assignments/seed-q-learning/test-submissions/reference, so every one trains its 500 episodes) graded
 * with --jobs 1 and --jobs 2, each a `gymhost grade` process of its own.
 *
 *   node --import tsx bench/grading.ts [--submissions 100] [--jobs 1,2] [--md FILE]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, fmtMachine, machine, markdownTable, textTable } from './lib.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const count = Number(flag('--submissions', '100'));
const jobsList = flag('--jobs', '1,2').split(',').map(Number);
const md = flag('--md', '');
const assignment = path.join(REPO_ROOT, 'assignments/seed-q-learning');

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymhost-grading-bench-'));
  const subs = path.join(dir, 'submissions');
  for (let i = 0; i < count; i++) {
    mkdirSync(path.join(subs, `student${String(i).padStart(3, '0')}`), { recursive: true });
    cpSync(path.join(assignment, 'test-submissions/reference/tabular.py'), path.join(subs, `student${String(i).padStart(3, '0')}`, 'tabular.py'));
  }
  const rows: string[][] = [];
  for (const jobs of jobsList) {
    const out = path.join(dir, `out-${jobs}`);
    const t0 = performance.now();
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/gymhost.js'), 'grade', assignment, '--submissions', subs, '--out', out, '--jobs', String(jobs)], { stdio: ['ignore', 'inherit', 'inherit'] });
    const [code] = await once(child, 'exit');
    const seconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`gymhost grade exited ${code}`);
    const csv = readFileSync(path.join(out, 'summary.csv'), 'utf8').trim().split('\n').slice(1);
    const full = csv.filter((l) => l.split(',')[1] === '10').length;
    rows.push([String(jobs), String(count), `${seconds.toFixed(0)} s`, `${(seconds / count).toFixed(1)} s`, `${((count / seconds) * 60).toFixed(1)}`, `${full}/${count}`]);
  }
  const header = ['--jobs', 'submissions', 'wall time', 'per submission', 'submissions per minute', 'tabular part full marks (10/10)'];
  const m = machine();
  console.log(textTable(header, rows));
  console.log(`\n${fmtMachine(m)}`);
  if (md) writeFileSync(md, `${markdownTable(header, rows)}\n\n${fmtMachine(m)}\n`);
  rmSync(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
