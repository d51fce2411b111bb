/**
 * The gymhost command line. This module loads nothing heavy: each command's module is imported
 * when that command runs, so `gymhost --help`, `--version` and `users ...` start without the
 * server (gRPC, express, SQLite) or tfjs.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ADDRESSES } from './server/addresses.js';
import { VERSION } from './server/version.js';

/** Where `gymhost serve` keeps its data unless told otherwise (relative to the working directory). */
export const DEFAULT_DATA_DIR = 'gymhost-data';

export const USAGE = `gymhost ${VERSION}: RL environments as gRPC and REST sessions

Usage:
  gymhost serve [--host H] [--grpc-port P] [--http-port Q] [--max-sessions N]
                [--max-num-envs N] [--session-ttl SECONDS] [--max-message-bytes N]
                [--max-agents N] [--max-train-steps N] [--reward-plugins DIR]
                [--users FILE] [--insecure-no-auth] [--tls-cert PEM --tls-key PEM]
                [--memory-budget BYTES] [--log-level LEVEL] [--workers N] [--shutdown-grace SECONDS]
                [--data-dir DIR | --database URL [--replica NAME] [--lease-seconds S]]
                [--checkpoint-seconds S] [--data-max-bytes N]
                [--tensorboard-dir DIR]
                [--gym-http-api-port P]
  gymhost users add NAME --role student|instructor|admin --file FILE [--quota NAME=VALUE ...]
  gymhost users list|remove NAME|rotate NAME --file FILE
                manage the users file of --users (tokens: see gymhost users --help)
  gymhost grade ASSIGNMENT_DIR --submissions DIR --out OUT [--jobs N]
  gymhost grade ASSIGNMENT_DIR --gradescope [--gradescope-root DIR] | --bundle FILE
                autograding (gymhost grade --help)
  gymhost backup FILE [--data-dir DIR]
                a consistent copy of the server's database, also while it serves
  gymhost nginx-config --replica GRPC_ADDR,HTTP_ADDR ...
                nginx in front of replicas (serve --database URL --replica NAME; see --help)
  gymhost train ...   train an agent in-process (gymhost train --help)
  gymhost eval ...    evaluate a saved agent greedily
  gymhost bench [--quick] [--md FILE] [--json FILE] [--no-peer]
                runs bench/run-all.ts: CartPole in-process and over gRPC, against Gymnasium
  gymhost --version | --help

Every serve option can also come from the environment: GYMHOST_HOST, GYMHOST_GRPC_PORT,
GYMHOST_HTTP_PORT, GYMHOST_MAX_SESSIONS, GYMHOST_MAX_NUM_ENVS, GYMHOST_SESSION_TTL,
GYMHOST_MAX_MESSAGE_BYTES, GYMHOST_MAX_AGENTS, GYMHOST_MAX_TRAIN_STEPS, GYMHOST_REWARD_PLUGINS, GYMHOST_USERS,
GYMHOST_TLS_CERT, GYMHOST_TLS_KEY, GYMHOST_MEMORY_BUDGET, GYMHOST_LOG_LEVEL, GYMHOST_WORKERS,
GYMHOST_DATA_DIR, GYMHOST_DATABASE_URL, GYMHOST_REPLICA, GYMHOST_LEASE_SECONDS, GYMHOST_CHECKPOINT_SECONDS, GYMHOST_DATA_MAX_BYTES, GYMHOST_TENSORBOARD_DIR, GYMHOST_GYM_HTTP_API_PORT (flags win).
--data-dir DIR keeps env sessions, agents, registered rewards, training runs and user totals in
DIR/gymhost.db (SQLite; default ./gymhost-data; ':memory:' keeps nothing): a restart brings them
back and resumes running training runs from their last checkpoint, taken every
--checkpoint-seconds (default 2), when used sessions and agents are saved too.
--database postgres://USER:PASSWORD@HOST:PORT/DB (or GYMHOST_DATABASE_URL) keeps the same in a
PostgreSQL database instead of SQLite (the schema is made at start-up). With --replica NAME, several
servers share it behind a proxy (docs/deploy.md): each serves a session or agent under a lease
(--lease-seconds, default 10) and takes one over on demand, or from a dead replica once its lease ends.
--data-max-bytes N caps the SQLite database: writes beyond fail with RESOURCE_EXHAUSTED, reads go on.
--tensorboard-dir DIR (default: off) writes every training run's scalars (CleanRL's tags:
charts/episodic_return, charts/episodic_length, charts/epsilon, losses/td_loss, eval/mean_return,
eval/std_return) as TensorBoard event files in DIR/<owner>/<run id>/; view with tensorboard --logdir DIR.
--gym-http-api-port P (default: off; 0 = a free port) also serves openai/gym-http-api's REST
dialect on port P, so its clients (gym_http_client.py) drive the same sessions; with --users the
token goes in their base URL as the password: http://USER:TOKEN@host:P (docs/gym-http-api.md).
--workers N worker threads run Train, Evaluate, costly agent calls and sessions with plugin or
sandboxed rewards (default: one per core). On SIGTERM the server drains: /healthz answers 503,
streams end with UNAVAILABLE, other calls get --shutdown-grace seconds (default 10) to finish.
--users FILE turns authentication on (every call but health needs "authorization: Bearer <token>");
the file is read again on SIGHUP. Without it the server has one anonymous user and refuses to
listen on a non-loopback address unless --insecure-no-auth is given.
--reward-plugins DIR loads the reward-function plugin modules (.js/.mjs/.cjs/.ts/.mts) in DIR;
a broken plugin stops start-up with a message naming the file. Defaults: ${DEFAULT_ADDRESSES.host}, gRPC ${DEFAULT_ADDRESSES.grpcPort}, HTTP ${DEFAULT_ADDRESSES.httpPort}.
`;

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-v') {
    console.log(VERSION);
    return 0;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'serve') return (await import('./cli/serve-command.js')).serveCommand(rest);
  if (command === 'users') return (await import('./cli/users-command.js')).usersCommand(rest);
  if (command === 'backup') return (await import('./cli/backup-command.js')).backupCommand(rest);
  if (command === 'grade') return (await import('./grading/grade-command.js')).gradeCommand(rest);
  if (command === 'nginx-config') return (await import('./cli/nginx-config-command.js')).nginxConfigCommand(rest);
  if (command === 'bench') return bench(rest);
  if (command === 'train' || command === 'eval') {
    const { TRAIN_USAGE, describeError, evalCommand, trainCommand } = await import('./cli/train-command.js');
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(TRAIN_USAGE);
      return 0;
    }
    try {
      return await (command === 'train' ? trainCommand(rest) : evalCommand(rest));
    } catch (err) {
      process.stderr.write(`gymhost ${command}: ${describeError(err)}\n\n${TRAIN_USAGE}`);
      return 2;
    }
  }
  process.stderr.write(`gymhost: unknown command '${command}'\n\n${USAGE}`);
  return 2;
}

/**
 * Runs the benchmark suite in a child node process (it starts servers of its own). The suite
 * is TypeScript run through tsx, a dev dependency: it runs in a clone, not from the package.
 */
async function bench(argv: string[]): Promise<number> {
  const script = fileURLToPath(new URL('../bench/run-all.ts', import.meta.url));
  if (!existsSync(script)) {
    process.stderr.write(`gymhost bench: ${script} is missing: the benchmarks are in a clone of the repository, not in the package\n`);
    return 2;
  }
  try {
    createRequire(import.meta.url).resolve('tsx');
  } catch {
    process.stderr.write('gymhost bench: the benchmarks run through tsx, which is not installed (a dev dependency): run npm ci in the clone, or npm install tsx\n');
    return 2;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...argv], { stdio: 'inherit' });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code ?? 1;
}

