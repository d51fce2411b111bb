import * as grpc from '@grpc/grpc-js';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import https from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import { DEFAULT_ADDRESSES } from './addresses.js';
import { createGrpcServer } from './grpc/server.js';
import { createRestApp } from './rest/app.js';
import { answerClientErrors } from './http/client-error.js';
import { envTypes } from '../core/envs/registry.js';
import { loadRewardPlugins } from '../core/rewards/plugins.js';
import { loadSandbox } from '../core/rewards/sandbox.js';
import { DEFAULT_LIMITS, EnvService, type EnvServiceLimits } from './services/env-service.js';
import { AgentService, DEFAULT_AGENT_LIMITS, type AgentServiceLimits } from './services/agent-service.js';
import { UsageService } from './services/usage-service.js';
import { Authenticator } from './auth/authenticator.js';
import { defaultMemoryBudget } from './auth/quotas.js';
import { Gate } from './gate.js';
import { createLogger, type LogLevel, type Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { safePathComponent } from './observability/tensorboard.js';
import type { RunTensorBoardOptions } from './services/run-tensorboard.js';
import { UsageTracker, type UserTotals } from './usage.js';
import { ComputePool } from './workers/pool.js';
import type { Role } from '../core/sessions/caller.js';
import { openStore } from '../store/open-store.js';
import type { PostgresStore } from '../store/postgres-store.js';
import { ReplicaLeases } from './cluster/replica-leases.js';
import type { Store } from '../store/store.js';
import { Persistence, type RestoreReport } from './persistence.js';
import { waitForIdleHttp } from './http/wait-for-idle.js';
import { createGymHttpApiApp } from './gym-http-api/app.js';
import { listenGymHttpApi, type GymHttpApiListener } from './gym-http-api/listener.js';

export interface ServerOptions {
  /** Interface to listen on, e.g. "127.0.0.1" or "0.0.0.0". */
  readonly host: string;
  /** gRPC port (0 = pick a free one). */
  readonly grpcPort: number;
  /** HTTP port (0 = pick a free one). */
  readonly httpPort: number;
  /** Port of the gym-http-api dialect (src/server/gym-http-api/; 0 = pick a free one). Undefined = off. */
  readonly gymHttpApiPort?: number;
  /** Largest gRPC message and REST body in bytes. */
  readonly maxMessageBytes: number;
  readonly limits: EnvServiceLimits;
  readonly agentLimits: AgentServiceLimits;
  /**
   * Directory of reward plugin modules (see src/core/rewards/plugins.ts); a broken plugin
   * stops start-up with an error naming the file. Undefined or '' = none.
   */
  readonly rewardPlugins?: string;
  /** Users file (src/server/auth/users-file.ts): authentication on. Undefined = one anonymous user. */
  readonly usersFile?: string;
  /** Allow listening on a non-loopback address without authentication. */
  readonly insecureNoAuth?: boolean;
  /** PEM certificate chain and private key files: gRPC over TLS and HTTPS. */
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** Bytes all users together may hold (estimated); default half the machine's RAM. */
  readonly memoryBudget?: number;
  /** Log level of the JSON logs on stdout (default info). */
  readonly logLevel?: LogLevel;
  /** A logger to use instead (tests read its lines). */
  readonly logger?: Logger;
  /** Clock of the request-rate buckets, ms (tests inject one). */
  readonly clock?: () => number;
  /** Worker threads of the compute pool (default: one per core). */
  readonly workers?: number;
  /** Time a reward plugin call may take before its worker thread is restarted, ms (default 1000). */
  readonly pluginCallMs?: number;
  /** On SIGTERM, time calls in flight get to finish, ms (the CLI passes it to close()). */
  readonly shutdownGraceMs?: number;
  /** Directory of the SQLite database; ':memory:' (the default here; the CLI's is ./gymhost-data) keeps nothing. */
  readonly dataDir?: string;
  /** Largest database size in bytes (0 = no cap): writes beyond fail with RESOURCE_EXHAUSTED. */
  readonly dataMaxBytes?: number;
  /** postgres:// URL of a PostgreSQL database to keep everything in instead of dataDir's SQLite (src/store/postgres-store.ts). */
  readonly database?: string;
  /**
   * This server's name among replicas of one `database` (src/server/cluster/replica-leases.ts):
   * it serves sessions and agents under leases and brings them here on demand. Undefined = one server.
   */
  readonly replica?: string;
  /** Lease time of a replica, seconds (default 10): a dead replica's sessions move this long after its last renewal. */
  readonly leaseSeconds?: number;
  /** Seconds between checkpoints of running training runs and saves of used sessions and agents (default 2). */
  readonly checkpointSeconds?: number;
  /**
   * Directory of TensorBoard event files (created if missing): every training run writes
   * DIR/<owner>/<run id>/events.out.tfevents.*, a resumed run one more file there. Undefined = none.
   */
  readonly tensorboardDir?: string;
}

export const DEFAULT_OPTIONS: ServerOptions = {
  ...DEFAULT_ADDRESSES,
  maxMessageBytes: 16 * 1024 * 1024,
  limits: DEFAULT_LIMITS,
  agentLimits: DEFAULT_AGENT_LIMITS,
};

/** A running gymhost: gRPC and HTTP servers over one set of services. */
export interface RunningServer {
  readonly envs: EnvService;
  readonly agents: AgentService;
  readonly auth: Authenticator;
  readonly usage: UsageTracker;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Where the data is kept, and what start-up restored. */
  readonly store: Store;
  readonly restored: RestoreReport;
  readonly grpcAddress: string;
  readonly httpAddress: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** The gym-http-api dialect's port and address (http[s]://host:port); undefined when it is off. */
  readonly gymHttpApiPort: number | undefined;
  readonly gymHttpApiAddress: string | undefined;
  /** Whether gRPC and HTTP use TLS. */
  readonly tls: boolean;
  /** Re-reads the users file (SIGHUP); throws, keeping the old users, if it is invalid. */
  reloadUsers(): void;
  /**
   * Drains and stops: health turns NOT_SERVING (/healthz answers 503), new calls are
   * refused with UNAVAILABLE, open StepStreams and Train calls end with UNAVAILABLE and a
   * message, other calls in flight get up to `graceMs` to finish; then every session is freed.
   */
  close(graceMs?: number): Promise<void>;
}

/** Whether `host` is a loopback address (or "localhost"). */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const h = host.replace(/^\[|\]$/g, '');
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./i.test(h);
  return false;
}

export async function startServer(partial: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = { ...DEFAULT_OPTIONS, ...partial };
  if (!options.usersFile && !options.insecureNoAuth && !isLoopback(options.host)) {
    throw new Error(
      `refusing to listen on ${options.host} without authentication: anyone who can reach it could use, read and delete every session. ` +
        'Give --users FILE (make users with `gymhost users add`), listen on a loopback address (127.0.0.1), or pass --insecure-no-auth if the network is trusted',
    );
  }
  if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) throw new Error('--tls-cert and --tls-key go together');
  const tls = options.tlsCert && options.tlsKey ? { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) } : undefined;
  const auth = new Authenticator(options.usersFile);
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info');
  const tensorboard = options.tensorboardDir ? tensorboardRuns(options.tensorboardDir, logger) : undefined;
  const metrics = new Metrics();
  const usage = new UsageTracker((user, role) => auth.quotasOf(user, role), options.memoryBudget ?? defaultMemoryBudget(), options.clock);
  const plugins = options.rewardPlugins ? await loadRewardPlugins(options.rewardPlugins, [...envTypes.keys()]) : [];
  await loadSandbox();
  const leaseMs = (options.leaseSeconds ?? 10) * 1000;
  const store = await openStore({ database: options.database, dataDir: options.dataDir, maxBytes: options.dataMaxBytes, replica: options.replica, leaseMs });
  const pool = new ComputePool({ workers: options.workers, rewardPlugins: options.rewardPlugins, pluginCallMs: options.pluginCallMs, logger });
  try {
    await pool.ready();
  } catch (err) {
    await pool.close();
    await store.close();
    throw err;
  }
  const checkpointMs = (options.checkpointSeconds ?? 2) * 1000;
  const envs = new EnvService(options.limits, { plugins, usage, maxBatchObservationBytes: options.maxMessageBytes, metrics, pool, store });
  const agents = new AgentService(envs, options.agentLimits, usage, metrics, pool, { store, logger, checkpointEveryMs: checkpointMs, tensorboard });
  const leases = options.replica !== undefined ? new ReplicaLeases(store as PostgresStore, envs, agents, logger, { name: options.replica, leaseMs, maxRuns: pool.size, metrics }) : undefined;
  const persistence = new Persistence(store, envs, agents, logger, checkpointMs, usage, leases);
  let restored: RestoreReport;
  try {
    restored = await persistence.restore();
    if (store.durable) logger.info({ database: store.location, replica: options.replica, ...restored }, 'data restored');
    await leases?.start();
  } catch (err) {
    agents.close();
    envs.close();
    await pool.close();
    await store.close();
    throw err;
  }
  persistence.start();
  const usageService = new UsageService(
    usage,
    auth,
    leases
      ? async (user, local) => {
          const t = await (store as PostgresStore).userTotals(user, local);
          return t && { ...t, role: local?.role ?? (t.role as UserTotals['role']) };
        }
      : undefined,
  );
  let draining = false;
  const gate = new Gate(auth, usage, metrics, logger, () => draining);
  if (leases) {
    gate.locate = (method, req) => leases.locate(method, req);
    agents.sharedRuns = leases;
    const shared = store as PostgresStore;
    envs.sharedSessions = (owner, skip) => shared.listEnvs(owner, skip);
    // Quotas count what users hold on the other replicas too (as of the last lease renewal).
    for (const kind of ['envSessions', 'agents', 'concurrentTrains'] as const) usage.addSource(kind, () => leases.heldElsewhere(kind));
    agents.sharedAgents = (owner, skip) => shared.listAgents(owner, skip);
  }
  registerGauges(metrics, envs, agents, usage, auth);
  metrics.gauge('gymhost_worker_queue_depth', 'Tasks waiting for a worker thread (all users)', [] as const, (set) => set({}, pool.queueDepth));
  metrics.gauge('gymhost_worker_running_tasks', 'Tasks running on each worker thread', ['worker'] as const, (set) => pool.running.forEach((n, i) => set({ worker: String(i) }, n)));
  const forget = (what: string, write: Promise<void>) => write.catch((err) => logger.warn({ err: (err as Error)?.message }, `could not delete the ${what} from the store`));
  envs.sessions.onRemoved = (s, why) => {
    if (why === 'deleted') return;
    gate.audit({ requestId: '' }, 'delete', 'env_session', s.id, { owner: s.owner, why });
    void forget('env session', store.deleteEnv(s.id));
  };
  agents.agents.onRemoved = (s, why) => {
    if (why === 'deleted') return;
    gate.audit({ requestId: '' }, 'delete', 'agent', s.id, { owner: s.owner, why });
    void forget('agent', store.deleteAgent(s.id));
  };

  const { server: grpcServer, health } = createGrpcServer({ envs, agents, usage: usageService, gate }, { maxMessageBytes: options.maxMessageBytes });
  const hostForUri = options.host.includes(':') ? `[${options.host}]` : options.host;
  const credentials = tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false) : grpc.ServerCredentials.createInsecure();
  const grpcPort = await new Promise<number>((resolve, reject) => {
    grpcServer.bindAsync(`${hostForUri}:${options.grpcPort}`, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });

  const app = createRestApp({ envs, agents, usage: usageService }, { maxBodyBytes: options.maxMessageBytes, healthy: () => !draining, gate, metrics, pool });
  const httpServer = tls ? https.createServer({ cert: tls.cert, key: tls.key }, app) : http.createServer(app);
  httpServer.keepAliveTimeout = 65_000;
  answerClientErrors(httpServer, http.maxHeaderSize);
  let gymHttpApi: GymHttpApiListener | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.httpPort, options.host, () => resolve());
    });
    if (options.gymHttpApiPort !== undefined) {
      const gymApp = createGymHttpApiApp({ envs, gate, metrics, maxBodyBytes: options.maxMessageBytes });
      gymHttpApi = await listenGymHttpApi(gymApp, { host: options.host, port: options.gymHttpApiPort, tls });
    }
  } catch (err) {
    if (httpServer.listening) httpServer.close();
    grpcServer.forceShutdown();
    await agents.stopRunsForShutdown();
    agents.close();
    envs.close();
    await pool.close();
    await store.close();
    throw err;
  }
  const httpPort = (httpServer.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    envs,
    agents,
    auth,
    usage,
    metrics,
    logger,
    store,
    restored,
    grpcPort,
    httpPort,
    tls: tls !== undefined,
    grpcAddress: `${hostForUri}:${grpcPort}`,
    httpAddress: `${tls ? 'https' : 'http'}://${hostForUri}:${httpPort}`,
    gymHttpApiPort: gymHttpApi?.port,
    gymHttpApiAddress: gymHttpApi?.address,
    reloadUsers() {
      auth.reload();
      logger.info({ users: auth.userCount }, 'users file reloaded');
    },
    close(graceMs = 5000) {
      closing ??= (async () => {
        draining = true;
        // Running runs stop where they are and resume from their last checkpoint on the next start.
        const runsStopped = agents.stopRunsForShutdown();
        for (const service of ['', 'gymhost.v1.EnvService', 'gymhost.v1.AgentService', 'gymhost.v1.UsageService', 'dm_env_rpc.v1.Environment']) health.setStatus(service, 'NOT_SERVING');
        for (const stream of [...gate.streams]) stream.endForShutdown('the server is shutting down');
        const grpcDone = new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            grpcServer.forceShutdown();
            resolve();
          }, graceMs);
          grpcServer.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        // HTTP keeps listening while calls drain, so probes see /healthz answer 503.
        const httpDone = new Promise<void>((resolve) => {
          const finish = () => {
            httpServer.close(() => resolve());
            httpServer.closeAllConnections();
          };
          const timer = setTimeout(finish, graceMs);
          void grpcDone.then(() => waitForIdleHttp(httpServer, graceMs)).then(() => {
            clearTimeout(timer);
            finish();
          });
        });
        await Promise.all([grpcDone, httpDone, runsStopped, gymHttpApi?.close(graceMs, grpcDone)]);
        // A replica stops renewing; its leases hold while it saves everything and releases them.
        await leases?.stop();
        await persistence.stop();
        agents.close();
        envs.close();
        await pool.close();
        await store.close();
      })();
      return closing;
    },
  };
}

/** Runs' TensorBoard folders under `dir` (created now): DIR/<owner>/<run id>, each part made safe as a path component. */
function tensorboardRuns(dir: string, logger: Logger): RunTensorBoardOptions {
  const root = path.resolve(dir);
  try {
    mkdirSync(root, { recursive: true });
  } catch (err) {
    throw new Error(`cannot use --tensorboard-dir ${dir}: ${(err as Error).message}`);
  }
  logger.info({ dir: root }, 'training runs write TensorBoard event files');
  return {
    dirOf: (run) => path.join(root, safePathComponent(run.owner), safePathComponent(run.id)),
    onError: (err, file, run) => logger.warn({ err: err.message, file, run }, 'cannot write the TensorBoard event file; the run goes on without it'),
  };
}

/** Gauges read at scrape time: live resources by kind and owner role, and estimated memory by category. */
function registerGauges(metrics: Metrics, envs: EnvService, agents: AgentService, usage: UsageTracker, auth: Authenticator): void {
  const roleOf = (owner: string): Role | 'unknown' => auth.roleOf(owner) ?? 'unknown';
  metrics.gauge('gymhost_live_resources', 'Live resources by kind and their owner\'s role', ['kind', 'role'] as const, (set) => {
    const counts = new Map<string, number>();
    const add = (kind: string, owner: string) => {
      const k = `${kind}\u0000${roleOf(owner)}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    };
    for (const s of envs.sessions.values()) add('env_session', s.owner);
    for (const a of agents.agents.values()) {
      add('agent', a.owner);
      if (a.training) add('training_run', a.trainedBy);
    }
    for (const r of envs.rewards.list(undefined)) add('reward', r.owner);
    for (const [k, v] of counts) {
      const [kind, role] = k.split('\u0000');
      set({ kind, role }, v);
    }
  });
  metrics.gauge('gymhost_memory_estimated_bytes', 'Estimated bytes held, by category (what the memoryBytes quotas count)', ['category'] as const, (set) => {
    let sessions = 0;
    let agentBytes = 0;
    for (const s of envs.sessions.values()) sessions += s.memoryBytes;
    for (const a of agents.agents.values()) agentBytes += a.memoryBytes;
    set({ category: 'env_sessions' }, sessions);
    set({ category: 'agents' }, agentBytes);
    set({ category: 'rewards' }, envs.rewards.list(undefined).reduce((n, r) => n + 2 * r.source.length, 0));
  });
  metrics.gauge('gymhost_memory_budget_bytes', 'The server\'s memory budget for all users (--memory-budget)', [] as const, (set) => set({}, usage.memoryBudget));
}
