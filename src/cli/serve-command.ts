/**
 * `gymhost serve`: its options (flags, then GYMHOST_* environment variables, then defaults) and
 * the server's life until a signal. Imported by src/cli.ts only for `serve`, since it loads the
 * whole server (gRPC, express, SQLite, the worker pool).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_DATA_DIR, USAGE } from '../cli.js';
import { DEFAULT_LIMITS } from '../server/services/env-service.js';
import { DEFAULT_AGENT_LIMITS } from '../server/services/agent-service.js';
import { DEFAULT_OPTIONS, startServer, type ServerOptions } from '../server/server.js';
import { VERSION } from '../server/version.js';
import { defaultMemoryBudget } from '../server/auth/quotas.js';
import { LOG_LEVELS, type LogLevel } from '../server/observability/logger.js';
import { applyHeapGrowingPercent } from '../server/heap-growth.js';
import { isPostgresUrl } from '../store/open-store.js';

/** `gymhost serve ARGS`: serves until SIGINT or SIGTERM; returns the exit code. */
export async function serveCommand(argv: string[]): Promise<number> {
  let options: ServerOptions;
  try {
    applyHeapGrowingPercent(process.env);
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
      database: { type: 'string' },
      replica: { type: 'string' },
      'lease-seconds': { type: 'string' },
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
  const database = values.database ?? (env.GYMHOST_DATABASE_URL || undefined);
  if (database !== undefined && values['data-dir'] !== undefined) throw new Error('give --database (PostgreSQL) or --data-dir (SQLite), not both');
  if (database !== undefined && !isPostgresUrl(database)) throw new Error(`--database must be a postgres:// or postgresql:// URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE), got '${database.split(':')[0]}:...'`);
  if (database !== undefined && values['data-max-bytes'] !== undefined) throw new Error('--data-max-bytes caps the SQLite database only: with --database, cap the PostgreSQL database on its server');
  const replica = values.replica ?? (env.GYMHOST_REPLICA || undefined);
  if (replica !== undefined && database === undefined) throw new Error('--replica needs --database: replicas share one PostgreSQL database');
  if (replica !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(replica)) throw new Error(`--replica must be 1-64 letters, digits, '.', '_' or '-', got '${replica}'`);
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
    database,
    replica,
    leaseSeconds: seconds('lease-seconds', 'GYMHOST_LEASE_SECONDS', 10),
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
