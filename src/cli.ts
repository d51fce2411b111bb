import { spawn } from 'node:child_process';
import os from 'node:os';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_LIMITS } from './server/services/env-service.js';
import { DEFAULT_AGENT_LIMITS } from './server/services/agent-service.js';
import { DEFAULT_OPTIONS, startServer, type ServerOptions } from './server/server.js';
import { VERSION } from './server/version.js';
import { TRAIN_USAGE, describeError, evalCommand, trainCommand } from './cli/train-command.js';
import { usersCommand } from './cli/users-command.js';
import { defaultMemoryBudget } from './server/auth/quotas.js';
import { LOG_LEVELS, type LogLevel } from './server/observability/logger.js';

const USAGE = `gymhost ${VERSION}: RL environments as gRPC and REST sessions

Usage:
  gymhost serve [--host H] [--grpc-port P] [--http-port Q] [--max-sessions N]
                [--max-num-envs N] [--session-ttl SECONDS] [--max-message-bytes N]
                [--max-agents N] [--max-train-steps N] [--reward-plugins DIR]
                [--users FILE] [--insecure-no-auth] [--tls-cert PEM --tls-key PEM]
                [--memory-budget BYTES] [--log-level LEVEL] [--workers N] [--shutdown-grace SECONDS]
                [--data-dir DIR] [--checkpoint-seconds S] [--data-max-bytes N]
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
  gymhost train ...   train an agent in-process (gymhost train --help)
  gymhost eval ...    evaluate a saved agent greedily
  gymhost bench [--quick] [--md FILE] [--json FILE] [--no-peer]
                runs bench/run-all.ts: CartPole in-process and over gRPC, against Gymnasium
  gymhost --version | --help

Every serve option can also come from the environment: GYMHOST_HOST, GYMHOST_GRPC_PORT,
GYMHOST_HTTP_PORT, GYMHOST_MAX_SESSIONS, GYMHOST_MAX_NUM_ENVS, GYMHOST_SESSION_TTL,
GYMHOST_MAX_MESSAGE_BYTES, GYMHOST_MAX_AGENTS, GYMHOST_MAX_TRAIN_STEPS, GYMHOST_REWARD_PLUGINS, GYMHOST_USERS,
GYMHOST_TLS_CERT, GYMHOST_TLS_KEY, GYMHOST_MEMORY_BUDGET, GYMHOST_LOG_LEVEL, GYMHOST_WORKERS,
GYMHOST_DATA_DIR, GYMHOST_CHECKPOINT_SECONDS, GYMHOST_DATA_MAX_BYTES, GYMHOST_TENSORBOARD_DIR, GYMHOST_GYM_HTTP_API_PORT (flags win).
--data-dir DIR keeps env sessions, agents, registered rewards, training runs and user totals in
DIR/gymhost.db (SQLite; default ./gymhost-data; ':memory:' keeps nothing): a restart brings them
back and resumes running training runs from their last checkpoint, taken every
--checkpoint-seconds (default 2), when used sessions and agents are saved too.
--data-max-bytes N caps the database: writes beyond fail with RESOURCE_EXHAUSTED, reads go on.
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
a broken plugin stops start-up with a message naming the file. Defaults: ${DEFAULT_OPTIONS.host}, gRPC ${DEFAULT_OPTIONS.grpcPort}, HTTP ${DEFAULT_OPTIONS.httpPort}.
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
  if ((command === 'train' || command === 'eval') && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(TRAIN_USAGE);
    return 0;
  }
  if (command === 'serve') return serve(rest);
  if (command === 'users') return usersCommand(rest);
  if (command === 'backup') return (await import('./cli/backup-command.js')).backupCommand(rest);
  if (command === 'grade') return (await import('./grading/grade-command.js')).gradeCommand(rest);
  if (command === 'bench') return bench(rest);
  if (command === 'train' || command === 'eval') {
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

async function serve(argv: string[]): Promise<number> {
  let options: ServerOptions;
  try {
    options = serveOptions(argv, process.env);
  } catch (err) {
    process.stderr.write(`gymhost serve: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let server;
  try {
    server = await startServer(options);
  } catch (err) {
    process.stderr.write(`gymhost serve: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  // Handlers go in before the start-up line: whoever reads the line may signal at once.
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`gymhost: ${signal} received, shutting down`);
      server.close(options.shutdownGraceMs).then(() => resolve(0), () => resolve(1));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGHUP', () => {
      try {
        server.reloadUsers();
      } catch (err) {
        server.logger.error({ err: (err as Error).message }, 'users file NOT reloaded: the previous users stay in force');
      }
    });
  });
  console.log(`gymhost ${VERSION} serving gRPC on ${server.grpcAddress} and HTTP on ${server.httpAddress} (docs: ${server.httpAddress}/docs)`);
  if (server.gymHttpApiAddress) console.log(`gymhost: gym-http-api dialect on ${server.gymHttpApiAddress}`);
  return stopped;
}

/** Runs the benchmark suite in a child node process (it starts servers of its own). */
async function bench(argv: string[]): Promise<number> {
  const script = fileURLToPath(new URL('../bench/run-all.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...argv], { stdio: 'inherit' });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code ?? 1;
}

/** Where `gymhost serve` keeps its data unless told otherwise (relative to the working directory). */
export const DEFAULT_DATA_DIR = 'gymhost-data';

/** Serve options from flags, then environment variables, then defaults. */
export function serveOptions(argv: string[], env: NodeJS.ProcessEnv): ServerOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string' },
      'grpc-port': { type: 'string' },
      'http-port': { type: 'string' },
      'max-sessions': { type: 'string' },
      'max-num-envs': { type: 'string' },
      'session-ttl': { type: 'string' },
      'max-message-bytes': { type: 'string' },
      'max-agents': { type: 'string' },
      'max-train-steps': { type: 'string' },
      'reward-plugins': { type: 'string' },
      users: { type: 'string' },
      'insecure-no-auth': { type: 'boolean' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'memory-budget': { type: 'string' },
      'log-level': { type: 'string' },
      workers: { type: 'string' },
      'shutdown-grace': { type: 'string' },
      'data-dir': { type: 'string' },
      'checkpoint-seconds': { type: 'string' },
      'data-max-bytes': { type: 'string' },
      'tensorboard-dir': { type: 'string' },
      'gym-http-api-port': { type: 'string' },
    },
  });
  const int = (flag: string, envName: string, fallback: number, min: number, max: number): number => {
    const raw = (values as Record<string, string | undefined>)[flag] ?? env[envName];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${flag} (or ${envName}) must be an integer in [${min}, ${max}], got '${raw}'`);
    return n;
  };
  const seconds = (flag: string, envName: string, fallback: number): number => {
    const raw = (values as Record<string, string | undefined>)[flag] ?? env[envName];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0.05 || n > 3600) throw new Error(`--${flag} (or ${envName}) must be a number of seconds in [0.05, 3600], got '${raw}'`);
    return n;
  };
  const nonEmpty = (flag: string, raw: string | undefined): string | undefined => {
    if (raw !== undefined && raw.trim() === '') throw new Error(`--${flag} needs a directory, got ''`);
    return raw;
  };
  const logLevel = values['log-level'] ?? env.GYMHOST_LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  return {
    host: values.host ?? env.GYMHOST_HOST ?? DEFAULT_OPTIONS.host,
    rewardPlugins: values['reward-plugins'] ?? (env.GYMHOST_REWARD_PLUGINS || undefined),
    usersFile: values.users ?? (env.GYMHOST_USERS || undefined),
    insecureNoAuth: values['insecure-no-auth'] ?? false,
    tlsCert: values['tls-cert'] ?? (env.GYMHOST_TLS_CERT || undefined),
    tlsKey: values['tls-key'] ?? (env.GYMHOST_TLS_KEY || undefined),
    memoryBudget: int('memory-budget', 'GYMHOST_MEMORY_BUDGET', defaultMemoryBudget(), 1 << 20, Number.MAX_SAFE_INTEGER),
    logLevel: logLevel as LogLevel,
    workers: int('workers', 'GYMHOST_WORKERS', os.availableParallelism(), 1, 256),
    shutdownGraceMs: 1000 * int('shutdown-grace', 'GYMHOST_SHUTDOWN_GRACE', 10, 0, 3600),
    dataDir: values['data-dir'] ?? (env.GYMHOST_DATA_DIR || DEFAULT_DATA_DIR),
    checkpointSeconds: seconds('checkpoint-seconds', 'GYMHOST_CHECKPOINT_SECONDS', 2),
    dataMaxBytes: int('data-max-bytes', 'GYMHOST_DATA_MAX_BYTES', 0, 0, Number.MAX_SAFE_INTEGER),
    tensorboardDir: nonEmpty('tensorboard-dir', values['tensorboard-dir']) ?? (env.GYMHOST_TENSORBOARD_DIR || undefined),
    // Off unless given; '' (e.g. an empty GYMHOST_GYM_HTTP_API_PORT) is off too.
    gymHttpApiPort: (values['gym-http-api-port'] ?? env.GYMHOST_GYM_HTTP_API_PORT ?? '') === '' ? undefined : int('gym-http-api-port', 'GYMHOST_GYM_HTTP_API_PORT', 0, 0, 65535),
    grpcPort: int('grpc-port', 'GYMHOST_GRPC_PORT', DEFAULT_OPTIONS.grpcPort, 0, 65535),
    httpPort: int('http-port', 'GYMHOST_HTTP_PORT', DEFAULT_OPTIONS.httpPort, 0, 65535),
    maxMessageBytes: int('max-message-bytes', 'GYMHOST_MAX_MESSAGE_BYTES', DEFAULT_OPTIONS.maxMessageBytes, 1024, 1 << 30),
    limits: {
      maxSessions: int('max-sessions', 'GYMHOST_MAX_SESSIONS', DEFAULT_LIMITS.maxSessions, 1, 1_000_000),
      maxNumEnvs: int('max-num-envs', 'GYMHOST_MAX_NUM_ENVS', DEFAULT_LIMITS.maxNumEnvs, 1, 1 << 22),
      sessionTtlSeconds: int('session-ttl', 'GYMHOST_SESSION_TTL', DEFAULT_LIMITS.sessionTtlSeconds, 0, 365 * 86400),
    },
    agentLimits: {
      ...DEFAULT_AGENT_LIMITS,
      maxAgents: int('max-agents', 'GYMHOST_MAX_AGENTS', DEFAULT_AGENT_LIMITS.maxAgents, 1, 1_000_000),
      maxTrainSteps: int('max-train-steps', 'GYMHOST_MAX_TRAIN_STEPS', DEFAULT_AGENT_LIMITS.maxTrainSteps, 1, 1e12),
      agentTtlSeconds: int('session-ttl', 'GYMHOST_SESSION_TTL', DEFAULT_AGENT_LIMITS.agentTtlSeconds, 0, 365 * 86400),
    },
  };
}
