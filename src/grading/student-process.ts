/**
 * One student process: student_runner.py under resource limits (CPU time and address space
 * set by setrlimit before the runner starts), in its own working directory, with the
 * student's own token, killed when its wall time is up. Commands go in on stdin, answers
 * come back on file descriptor 3; what the student prints is kept (the last lines end up in
 * the test's output).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Limits } from './assignment.js';

export const RUNNER = fileURLToPath(new URL('./student_runner.py', import.meta.url));

/** Sets the limits, then becomes the runner (limits survive exec). */
const LAUNCHER = `
import os, resource, sys
cpu, mem = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
os.execv(sys.executable, [sys.executable, *sys.argv[3:]])
`;

/** Why a student process stopped answering. */
export class StudentFailure extends Error {
  constructor(
    message: string,
    /** The last lines it printed. */
    readonly output: string,
  ) {
    super(message);
  }
}

export interface StudentAnswer {
  readonly ok: boolean;
  readonly error?: string;
  readonly traceback?: string;
  readonly [key: string]: unknown;
}

const OUTPUT_LINES = 30;

export class StudentProcess {
  private readonly child: ChildProcess;
  private readonly workDir: string;
  private output = '';
  private pending: { resolve: (a: StudentAnswer) => void; reject: (e: Error) => void } | undefined;
  private buffer = '';
  private exited: string | undefined;
  private readonly timer: NodeJS.Timeout;
  private timedOut = false;

  constructor(options: { python: string; file: string; iface: 'tabular' | 'dqn'; limits: Limits; env: Record<string, string> }) {
    this.workDir = mkdtempSync(path.join(os.tmpdir(), 'gymhost-grade-'));
    const { limits } = options;
    this.child = spawn(
      options.python,
      ['-c', LAUNCHER, String(Math.ceil(limits.cpuSeconds)), String(limits.memoryMb * 1024 * 1024), RUNNER, '--file', options.file, '--interface', options.iface, '--answers', '3'],
      {
        cwd: this.workDir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.workDir, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', MPLBACKEND: 'Agg', OMP_NUM_THREADS: '1', ...options.env },
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      },
    );
    const keep = (d: Buffer) => {
      this.output += d.toString('utf8');
      if (this.output.length > 64_000) this.output = this.output.slice(-32_000);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    (this.child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => this.onAnswers(d.toString('utf8')));
    this.child.stdin!.on('error', () => undefined);
    this.child.on('exit', (code, signal) => {
      this.exited = this.timedOut
        ? `it ran out of its ${limits.wallSeconds} s of wall time and was stopped`
        : signal === 'SIGXCPU' || signal === 'SIGKILL'
          ? `it was stopped by ${signal}${signal === 'SIGXCPU' ? ` (over its ${limits.cpuSeconds} s of CPU time)` : ''}`
          : `it exited (code ${code}${signal ? `, signal ${signal}` : ''})`;
      this.pending?.reject(new StudentFailure(this.exited, this.lastLines()));
      this.pending = undefined;
    });
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.child.kill('SIGKILL');
    }, limits.wallSeconds * 1000);
  }

  /** The last lines the student's code printed. */
  lastLines(): string {
    const lines = this.output.trimEnd().split('\n');
    return lines.slice(-OUTPUT_LINES).join('\n');
  }

  private onAnswers(text: string): void {
    this.buffer += text;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const p = this.pending;
      this.pending = undefined;
      try {
        p?.resolve(JSON.parse(line) as StudentAnswer);
      } catch {
        p?.reject(new StudentFailure('it answered something that is not JSON', this.lastLines()));
      }
    }
  }

  /** Sends one command; resolves with the answer, rejects with a StudentFailure if the process is gone. */
  call(cmd: string, args: Record<string, unknown> = {}): Promise<StudentAnswer> {
    if (this.exited) return Promise.reject(new StudentFailure(this.exited, this.lastLines()));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.stdin!.write(JSON.stringify({ cmd, ...args }) + '\n');
    });
  }

  /** call() that turns the student's own exception into a StudentFailure. */
  async must(cmd: string, args: Record<string, unknown> = {}): Promise<StudentAnswer> {
    const answer = await this.call(cmd, args);
    if (!answer.ok) throw new StudentFailure(`${cmd === 'load' ? 'importing it' : `${cmd}`} raised ${answer.error}\n${answer.traceback ?? ''}`.trim(), this.lastLines());
    return answer;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    if (!this.exited) {
      this.child.stdin!.end(JSON.stringify({ cmd: 'exit' }) + '\n');
      const gone = new Promise((resolve) => this.child.once('exit', resolve));
      const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await gone;
      clearTimeout(t);
    }
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
