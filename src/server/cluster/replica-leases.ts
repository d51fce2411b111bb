/**
 * What makes a server one replica of several on one PostgreSQL database (`serve --database URL
 * --replica NAME`): it serves a session or agent only while it holds the row's lease
 * (src/store/postgres-store.ts), and brings rows here on demand.
 *
 * - A call naming a session or agent this replica does not have claims its lease: a row whose
 *   lease is free (released by a clean handover or shutdown) comes back exactly as it was
 *   saved; one whose holder died (its lease ended unrenewed) comes back from its last save,
 *   and an episode that was in progress answers FAILED_PRECONDITION until Reset, as after a
 *   restart.
 * - A row another live replica holds is asked for (NOTIFY on one channel): the holder takes it
 *   out of service, saves it after the calls already under way, releases the lease and says so;
 *   the caller here waits for that, bounded by `handoverWaitMs`.
 * - Leases are renewed every third of the lease time. Leases found lost (another replica took
 *   the row after this one's lease ended, e.g. while paused) are dropped from service, and once
 *   the last successful renewal is older than the lease time, nothing is served before the
 *   leases are renewed or claimed again: a replica never acknowledges a call on a row another
 *   may hold.
 * - Training runs execute on the replica serving their agent. Runs that no replica executes
 *   (their replica died, or stopped cleanly) are a queue: at every renewal, a replica with free
 *   worker threads takes the oldest ones (FOR UPDATE SKIP LOCKED) with their agent's lease, brings
 *   their env session here and resumes them from their last checkpoint. Calls on a run another
 *   replica executes are answered from its row; CancelRun is recorded in the row and sent to the
 *   executor.
 */
import { Counter } from 'prom-client';
import { DomainError } from '../../core/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { AgentRow, EnvRow, RunRow } from '../../store/store.js';
import { TrainingRun } from '../services/training-run.js';
import type { LeaseKind, PostgresStore } from '../../store/postgres-store.js';
import type { EnvService } from '../services/env-service.js';
import type { AgentService, SharedRuns } from '../services/agent-service.js';
import type { Logger } from '../observability/logger.js';
import { resourcesOf } from './resources.js';

/** The PostgreSQL NOTIFY channel of handover requests and releases. */
export const HANDOVER_CHANNEL = 'gymhost_handover';

export interface ReplicaLeaseOptions {
  /** This replica's name (unique among the replicas). */
  readonly name: string;
  /** Lease time, ms: a dead replica's rows are taken over this long after its last renewal. */
  readonly leaseMs: number;
  /** How long a call waits for another replica to hand a row over, ms (default 5,000). */
  readonly handoverWaitMs?: number;
  /** Training runs this replica executes at once at most (its worker threads). */
  readonly maxRuns: number;
  /** Where the replica's metrics go (gymhost_replica_*), if anywhere. */
  readonly metrics?: Metrics;
  /** Monotonic clock, ms (tests inject one). */
  readonly now?: () => number;
}

type HandoverMessage =
  | { readonly type: 'handover'; readonly to: string; readonly from: string; readonly kind: LeaseKind; readonly id: string }
  | { readonly type: 'released'; readonly by: string; readonly kind: LeaseKind; readonly id: string }
  /** The holder will not hand the row over now (e.g. its agent trains): the caller answers this error. */
  | { readonly type: 'refused'; readonly by: string; readonly kind: LeaseKind; readonly id: string; readonly code: string; readonly reason: string; readonly message: string }
  /** CancelRun of a run another replica executes. */
  | { readonly type: 'cancel'; readonly run: string };

export class ReplicaLeases implements SharedRuns {
  /** Calls bringing a row here, by `${kind}:${id}`: one claim per row however many calls wait. */
  private readonly arriving = new Map<string, Promise<void>>();
  /** Waiters for a 'released' or 'refused' message, by `${kind}:${id}`. */
  private readonly releaseWaiters = new Map<string, Set<() => void>>();
  /** Refusals received, by `${kind}:${id}`, for the waiters to answer. */
  private readonly refusals = new Map<string, DomainError>();
  private readonly now: () => number;
  private readonly handoverWaitMs: number;
  /** Monotonic time until which the leases held are certainly still this replica's. */
  private validUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopListening: (() => Promise<void>) | undefined;
  private renewing: Promise<void> | undefined;
  /** The run-queue scan and usage read under way (takeRunsAndUsage), if any. */
  private housekeeping: Promise<void> | undefined;
  /** Monotonic time of the last successful renewal. */
  private renewedAt = 0;
  /** What users hold on other replicas, as read at the last renewal (usageElsewhere). */
  private elsewhere: Awaited<ReturnType<PostgresStore['usageElsewhere']>> = { envSessions: new Map(), agents: new Map(), concurrentTrains: new Map() };
  /** Sessions and agents that came here or left: handover_in, handover_out, takeover (a dead or paused replica's), lost. */
  private readonly moves: Counter<'kind' | 'how'> | undefined;
  private readonly runsResumed: Counter | undefined;

  constructor(
    private readonly store: PostgresStore,
    private readonly envs: EnvService,
    private readonly agents: AgentService,
    private readonly logger: Logger,
    readonly options: ReplicaLeaseOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.handoverWaitMs = options.handoverWaitMs ?? 5000;
    const m = options.metrics;
    if (m) {
      this.moves = new Counter({ name: 'gymhost_replica_moves_total', help: 'Env sessions and agents that came to this replica or left it, by kind and how: handover_in, handover_out, takeover (from a replica whose lease ended), lost', labelNames: ['kind', 'how'] as const, registers: [m.registry] });
      this.runsResumed = new Counter({ name: 'gymhost_replica_runs_resumed_total', help: 'Training runs this replica took from the queue of runs no replica executed, and resumed', registers: [m.registry] });
      m.gauge('gymhost_replica_leases', 'Leases this replica holds (env sessions and agents it serves), by kind', ['kind'] as const, (set) => {
        set({ kind: 'env' }, this.store.heldCount('env'));
        set({ kind: 'agent' }, this.store.heldCount('agent'));
      });
      m.gauge('gymhost_replica_lease_renewal_age_seconds', 'Seconds since the leases were last renewed (at the lease time, this replica stops serving)', [] as const, (set) => set({}, (this.now() - this.renewedAt) / 1000));
    }
  }

  /** Listens for handover requests and renews leases every third of the lease time until stop(). */
  async start(): Promise<void> {
    this.stopListening = await this.store.listen(HANDOVER_CHANNEL, (payload) => this.onMessage(payload));
    this.validUntil = this.now() + this.options.leaseMs;
    this.renewedAt = this.now();
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.options.leaseMs / 3)));
    this.timer.unref();
  }

  /** Stops renewing and listening (the server then saves everything and releases the leases: see releaseAll). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
    await this.housekeeping;
    await this.stopListening?.();
  }

  /** Releases every lease held (after the last save of a clean shutdown): other replicas take the rows over at once. */
  async releaseAll(): Promise<void> {
    await this.store.releaseAllLeases();
  }

  /**
   * Makes sure every session and agent call `method` names in `req` is served here before the
   * call runs: undefined at once when they are (no promise made), else a promise that settles
   * when they are (see ensure). Train and Evaluate without an env use the agent's own session.
   */
  locate(method: string, req: unknown): Promise<void> | undefined {
    const named = resourcesOf(method, req);
    if (named.length === 0) return undefined;
    const usesAgentsEnv = (method === 'AgentService/Train' || method === 'AgentService/Evaluate') && !(req as { env?: string }).env;
    if (named.length === 1 && !usesAgentsEnv) return this.ensure(named[0][0], named[0][1]);
    // Every promise is awaited together: one that fails while another waits is never left unhandled.
    const arriving = named.flatMap(([kind, id]) => this.ensure(kind, id) ?? []);
    const pending = arriving.length === 0 ? undefined : arriving.length === 1 ? arriving[0] : Promise.all(arriving).then(() => undefined);
    if (usesAgentsEnv) {
      const agentId = named[0][1];
      const env = () => {
        const envId = this.agents.envOf(agentId);
        return envId ? this.ensure('env', envId) : undefined;
      };
      return pending ? pending.then(env) : env();
    }
    return pending;
  }

  /**
   * Makes sure `kind` row `id` is served here: undefined at once when it is (the common case,
   * no promise made), else a promise that settles once it was brought here, or there is no such
   * row (the service then answers NOT_FOUND), or fails (UNAVAILABLE: another replica would not
   * hand it over in time, or the database cannot be reached).
   */
  ensure(kind: LeaseKind, id: string): Promise<void> | undefined {
    if (!id) return undefined;
    if (this.now() > this.validUntil) return this.renewThenEnsure(kind, id);
    const here = kind === 'env' ? this.envs.hasSession(id) : this.agents.hasAgent(id);
    if (here) return undefined;
    const key = `${kind}:${id}`;
    let arriving = this.arriving.get(key);
    if (!arriving) {
      arriving = this.bringHere(kind, id).finally(() => this.arriving.delete(key));
      this.arriving.set(key, arriving);
    }
    return arriving;
  }

  /** Leases possibly ended (no renewal for a lease time): renew first, dropping what was lost. */
  private async renewThenEnsure(kind: LeaseKind, id: string): Promise<void> {
    await this.renew();
    if (this.now() > this.validUntil) {
      throw new DomainError('UNAVAILABLE', `this replica cannot reach the database to renew its leases; retry (the proxy sends the call to another replica if this one stays down)`, '', 'LEASES_EXPIRED');
    }
    await this.ensure(kind, id);
  }

  private async bringHere(kind: LeaseKind, id: string): Promise<void> {
    const deadline = this.now() + this.handoverWaitMs;
    let askAgainAt = 0;
    for (;;) {
      const claim = await this.store.claim(kind, id);
      if (claim === undefined) return;
      if (claim.claimed) {
        await this.restore(kind, claim.row, claim.previousHolder === undefined);
        this.moves?.inc({ kind, how: claim.previousHolder === undefined || claim.previousHolder === this.options.name ? 'handover_in' : 'takeover' });
        return;
      }
      const left = deadline - this.now();
      if (left <= 0) {
        throw new DomainError(
          'UNAVAILABLE',
          `${kind === 'env' ? 'env session' : 'agent'} ${id} is served by replica ${claim.holder}, which did not hand it over within ${this.handoverWaitMs} ms (it may be busy training, or unreachable: its lease ends in ${claim.remainingMs} ms); retry`,
          '',
          'SERVED_ELSEWHERE',
        );
      }
      // Asked at once, and again every second (a request lost while the holder reconnected).
      if (this.now() >= askAgainAt) {
        askAgainAt = this.now() + 1000;
        await this.store.notify(HANDOVER_CHANNEL, JSON.stringify({ type: 'handover', to: claim.holder, from: this.options.name, kind, id } satisfies HandoverMessage));
      }
      // Woken by the holder's 'released' or 'refused', or claim again after a short wait (a lost message, an ending lease).
      await this.releasedOrTimeout(`${kind}:${id}`, Math.min(left, 250, claim.remainingMs + 10));
      const refused = this.refusals.get(`${kind}:${id}`);
      if (refused) {
        this.refusals.delete(`${kind}:${id}`);
        throw refused;
      }
    }
  }

  /** Puts a claimed row into service; a row of a replica that died (not `clean`) comes back as after a crash. */
  private async restore(kind: LeaseKind, row: EnvRow | AgentRow, clean: boolean): Promise<void> {
    try {
      if (kind === 'env') {
        // The owner's registered reward functions (the session's own among them).
        for (const reward of await this.store.rewardsOf(row.owner)) {
          if (!this.envs.hasReward(reward)) this.envs.restoreReward(reward);
        }
        await this.envs.restoreEnv(row as EnvRow, clean);
      } else {
        await this.agents.restoreAgent(row as AgentRow);
      }
    } catch (err) {
      await this.store.releaseLease(kind, row.id).catch(() => {});
      throw err;
    }
  }

  private releasedOrTimeout(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.releaseWaiters.get(key);
      if (!waiters) this.releaseWaiters.set(key, (waiters = new Set()));
      const done = () => {
        clearTimeout(timer);
        waiters!.delete(done);
        if (waiters!.size === 0) this.releaseWaiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      waiters.add(done);
    });
  }

  private onMessage(payload: string): void {
    let msg: HandoverMessage;
    try {
      msg = JSON.parse(payload) as HandoverMessage;
    } catch {
      return;
    }
    if (msg.type === 'released' || msg.type === 'refused') {
      const waiters = this.releaseWaiters.get(`${msg.kind}:${msg.id}`);
      if (!waiters) return;
      if (msg.type === 'refused') this.refusals.set(`${msg.kind}:${msg.id}`, new DomainError(msg.code as DomainError['code'], msg.message, '', msg.reason));
      for (const wake of [...waiters]) wake();
    } else if (msg.type === 'handover' && msg.to === this.options.name) {
      void this.handOver(msg.kind, msg.id, msg.from);
    } else if (msg.type === 'cancel') {
      const run = this.agents.runs.get(msg.run);
      if (run?.running) run.controller?.abort('cancel');
    }
  }

  /** Saves a row another replica asked for, releases its lease and says so. */
  private async handOver(kind: LeaseKind, id: string, to: string): Promise<void> {
    if (!this.store.holds(kind, id)) return;
    try {
      // Saved; or not served here although the lease was (nothing newer than the row).
      if (kind === 'env') await this.envs.handOver(id, (bytes) => this.store.putEnvStates([{ id, state: bytes }]));
      else await this.agents.handOver(id, (bytes) => this.store.putAgentSnapshots([{ id, snapshot: bytes }]));
      await this.store.releaseLease(kind, id);
      await this.store.notify(HANDOVER_CHANNEL, JSON.stringify({ type: 'released', by: this.options.name, kind, id } satisfies HandoverMessage));
      this.moves?.inc({ kind, how: 'handover_out' });
      this.logger.info({ kind, id, to }, 'handed over to another replica');
    } catch (err) {
      if (err instanceof DomainError && err.reason === 'HANDOVER_BUSY') {
        // Busy (a training run): the caller answers as this replica would.
        const refusal = kind === 'agent' ? new DomainError('FAILED_PRECONDITION', `agent ${id} is training (on replica ${this.options.name}); cancel its run or wait for it`, '', 'AGENT_TRAINING') : err;
        await this.store
          .notify(HANDOVER_CHANNEL, JSON.stringify({ type: 'refused', by: this.options.name, kind, id, code: refusal.code, reason: refusal.reason, message: refusal.message } satisfies HandoverMessage))
          .catch(() => {});
        return;
      }
      this.logger.warn({ kind, id, to, err: (err as Error)?.message }, 'could not hand over; it stays here');
    }
  }

  /**
   * Quota counts of what users hold on other replicas, as of the last renewal: one entry per
   * session, agent or running Train, with no memory (each replica's memory is its own).
   */
  *heldElsewhere(kind: 'envSessions' | 'agents' | 'concurrentTrains'): Generator<{ owner: string; memoryBytes: number }> {
    for (const [owner, n] of this.elsewhere[kind]) for (let i = 0; i < n; i++) yield { owner, memoryBytes: 0 };
  }

  // ---- training runs (SharedRuns) ----

  get(id: string): Promise<RunRow | undefined> {
    return this.store.getRun(id);
  }

  list(filter: { owner?: string; agent?: string }): Promise<RunRow[]> {
    return this.store.listRuns(filter);
  }

  /** Records the cancel, tells the replicas, and waits (bounded) for the executor to end the run. */
  async cancel(run: RunRow): Promise<void> {
    if (!(await this.store.requestRunCancel(run.id))) return;
    await this.store.notify(HANDOVER_CHANNEL, JSON.stringify({ type: 'cancel', run: run.id } satisfies HandoverMessage));
    const deadline = this.now() + this.handoverWaitMs;
    while (this.now() < deadline) {
      const row = await this.store.getRun(run.id);
      if (!row || row.state !== 'running') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  full(): boolean {
    return this.executing().length >= this.options.maxRuns;
  }

  async enqueue(run: RunRow): Promise<void> {
    for (const [kind, id] of [['agent', run.agent], ['env', run.env]] as const) {
      await this.store.releaseLease(kind, id);
      if (kind === 'agent') this.agents.dropLost(id);
      else this.envs.dropLost(id);
    }
    this.logger.info({ run: run.id }, 'every worker is training: the run waits in the queue for a free one');
  }

  /** Runs this replica executes now. */
  private executing(): string[] {
    return [...this.agents.runs.values()].filter((r) => r.running && r.controller).map((r) => r.id);
  }

  /** Takes runs no replica executes, as many as this replica has free worker threads for, and resumes them here. */
  private async takeOrphanedRuns(): Promise<void> {
    const executing = this.executing();
    const free = this.options.maxRuns - executing.length;
    if (free <= 0) return;
    const claimed = await this.store.claimOrphanedRuns(free, executing);
    for (const c of claimed) {
      const run = TrainingRun.fromRow(c.run);
      try {
        if (!this.agents.hasAgent(c.agent.id)) await this.agents.restoreAgent(c.agent);
        await this.ensure('env', run.env);
        if (c.cancelRequested) {
          run.end('cancelled');
          await this.store.putRun(run.toRow());
          this.agents.runs.set(run.id, run);
          continue;
        }
        this.agents.resumeRun(run);
        this.runsResumed?.inc();
        this.logger.info({ run: run.id, agent: run.agent, from: c.previousHolder }, 'resumed a training run from its last checkpoint');
      } catch (err) {
        this.logger.warn({ run: run.id, err: (err as Error)?.message }, 'could not resume a training run here; another replica may');
        await this.store.releaseLease('agent', c.agent.id).catch(() => {});
        this.agents.dropLost(c.agent.id);
      }
    }
  }

  /** One renewal (waits for one already under way): extends the leases and drops those lost. */
  renew(): Promise<void> {
    this.renewing ??= this.renewOnce().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async renewOnce(): Promise<void> {
    const started = this.now();
    try {
      const lost = await this.store.renewLeases();
      // The database extended the leases after `started`: they hold until at least then + lease time.
      this.validUntil = started + this.options.leaseMs;
      this.renewedAt = started;
      for (const { kind, id } of lost) {
        this.moves?.inc({ kind, how: 'lost' });
        this.stopRunsOn(kind, id);
        if (kind === 'env') this.envs.dropLost(id);
        else this.agents.dropLost(id);
        this.logger.warn({ kind, id }, 'lease lost to another replica; no longer served here');
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error)?.message }, 'could not renew leases');
      if (this.now() > this.validUntil) this.dropAll();
      return;
    }
    // The run queue and the other replicas' usage go on beside the renewals: taking a run may
    // wait for a handover, which must never hold up the next renewal.
    this.housekeeping ??= this.takeRunsAndUsage().finally(() => (this.housekeeping = undefined));
  }

  private async takeRunsAndUsage(): Promise<void> {
    try {
      await this.takeOrphanedRuns();
      this.elsewhere = await this.store.usageElsewhere();
    } catch (err) {
      this.logger.warn({ err: (err as Error)?.message }, 'could not take queued runs or read the other replicas\' usage');
    }
  }

  /**
   * Stops the runs here that train an agent, or on an env session, whose lease was lost: they
   * stop as at a shutdown (their last checkpoint stands; the replica that took the row resumes them).
   */
  private stopRunsOn(kind: LeaseKind, id: string): void {
    for (const run of this.agents.runs.values()) {
      if (run.running && run.controller && (kind === 'agent' ? run.agent === id : run.env === id)) {
        run.controller.abort('shutdown');
        // Calls on it are answered from its row from now on (the replica resuming it writes that).
        void run.whenEnded().then(() => this.agents.runs.delete(run.id));
      }
    }
  }

  /** The leases may have ended: stop serving every row (they come back through ensure()). */
  private dropAll(): void {
    for (const run of this.agents.runs.values()) {
      if (run.running && run.controller) {
        run.controller.abort('shutdown');
        void run.whenEnded().then(() => this.agents.runs.delete(run.id));
      }
    }
    for (const c of [...this.envs.saveCandidates()]) this.envs.dropLost(c.id);
    for (const c of [...this.agents.saveCandidates()]) this.agents.dropLost(c.id);
  }
}
