/**
 * What ties the services to the store: at start-up it puts back registered rewards, env
 * sessions, agents and training runs (resuming the runs that were running); while serving
 * it saves, every `intervalMs`, the state of the sessions and agents used since their last
 * save (creates, deletes, imports, registrations and config changes are saved by the
 * services before they answer; running runs save their own checkpoints).
 */
import type { Store } from '../store/store.js';
import type { EnvService } from './services/env-service.js';
import type { AgentService } from './services/agent-service.js';
import { TrainingRun } from './services/training-run.js';
import type { Logger } from './observability/logger.js';
import type { UsageTracker } from './usage.js';
import type { ReplicaLeases } from './cluster/replica-leases.js';

/** What a start-up restored, and how long it took. */
export interface RestoreReport {
  /** Whether the last server stopped cleanly (sessions then come back without SESSION_RESTORED). */
  readonly cleanShutdown: boolean;
  readonly envs: number;
  readonly agents: number;
  readonly rewards: number;
  readonly runs: number;
  readonly resumedRuns: number;
  /** Rows that could not be put back (logged, and left in the store). */
  readonly failed: number;
  readonly ms: number;
}

export class Persistence {
  /** lastUsedAt of each session and agent at its last save. */
  private readonly savedEnvs = new Map<string, number>();
  private readonly savedAgents = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  /** Set when a save failed (stop() then does not record a clean shutdown). */
  private failedSave = false;

  constructor(
    readonly store: Store,
    private readonly envs: EnvService,
    private readonly agents: AgentService,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    /** Users' running totals, saved with the rest. */
    private readonly usage?: UsageTracker,
    /**
     * A replica's leases: sessions and agents are then not loaded at start-up (they come when
     * called for), and a clean stop releases every lease after the last save.
     */
    private readonly leases?: ReplicaLeases,
  ) {}

  /** Loads everything the store holds into the services; runs that were running resume. */
  async restore(): Promise<RestoreReport> {
    const start = performance.now();
    const state = await this.store.loadAll();
    let failed = 0;
    const skip = (what: string, id: string, err: unknown) => {
      failed++;
      this.logger.error({ err: (err as Error)?.message ?? String(err), id }, `could not restore ${what}; it stays in the store`);
    };
    for (const u of state.users) {
      if (u.role !== 'student' && u.role !== 'instructor' && u.role !== 'admin') continue;
      this.usage?.totals.set(u.name, { role: u.role, firstSeen: u.firstSeen, lastSeen: u.lastSeen, requests: u.requests, envSteps: u.envSteps, trainingSteps: u.trainingSteps });
    }
    for (const r of state.rewards) {
      try {
        this.envs.restoreReward(r);
      } catch (err) {
        skip('a reward function', `${r.owner}/${r.name}`, err);
      }
    }
    if (this.leases) {
      // Sessions, agents and runs come when called for (ReplicaLeases.ensure); the flag of a
      // clean shutdown is per replica, told by each row's lease.
      return { cleanShutdown: state.cleanShutdown, envs: 0, agents: 0, rewards: state.rewards.length, runs: 0, resumedRuns: 0, failed, ms: performance.now() - start };
    }
    await Promise.all(
      state.envs.map((row) =>
        this.envs.restoreEnv(row, state.cleanShutdown).catch((err) => skip('an env session', row.id, err)),
      ),
    );
    await Promise.all(
      state.agents.map((row) =>
        this.agents.restoreAgent(row).catch((err) => skip('an agent', row.id, err)),
      ),
    );
    // What was just loaded is what the store holds: nothing to save until it is used.
    for (const c of this.envs.saveCandidates()) this.savedEnvs.set(c.id, c.lastUsedAt);
    for (const c of this.agents.saveCandidates()) this.savedAgents.set(c.id, c.lastUsedAt);
    let resumed = 0;
    for (const row of state.runs) {
      const run = TrainingRun.fromRow(row);
      if (run.running) resumed++;
      this.agents.resumeRun(run);
    }
    // Until the next clean stop, a crash may lose what was not saved yet.
    if (this.store.durable) await this.store.setCleanShutdown(false);
    return { cleanShutdown: state.cleanShutdown, envs: state.envs.length, agents: state.agents.length, rewards: state.rewards.length, runs: state.runs.length, resumedRuns: resumed, failed, ms: performance.now() - start };
  }

  /** Saves periodically until stop(); the timer does not keep the process alive. */
  start(): void {
    if (!this.store.durable || this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.saveNow(), this.intervalMs);
    this.timer.unref();
  }

  /** One periodic save (it waits for one already under way). */
  saveNow(): Promise<void> {
    this.saving ??= this.save().finally(() => (this.saving = undefined));
    return this.saving;
  }

  /** Stops saving after a last save; when that save succeeds, the store records a clean shutdown. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.store.durable) return;
    this.failedSave = false;
    await this.saveNow();
    if (this.leases) {
      if (!this.failedSave) await this.leases.releaseAll().catch((err) => this.logger.warn({ err: (err as Error)?.message }, 'could not release the leases; other replicas take the rows over when they end'));
      return;
    }
    if (!this.failedSave) await this.store.setCleanShutdown(true).catch((err) => this.logger.warn({ err: (err as Error)?.message }, 'could not record the clean shutdown'));
  }

  private async save(): Promise<void> {
    try {
      const users = [...(this.usage?.changedTotals ?? [])].flatMap((name) => {
        const t = this.usage!.totals.get(name);
        return t ? [{ name, ...t }] : [];
      });
      this.usage?.changedTotals.clear();
      if (users.length) await this.store.putUsers(users);
      // Written in batches of about SAVE_BATCH_BYTES, yielding to the event loop in between, so
      // that a save of many sessions and agents never holds the request thread for long.
      const batch = new SaveBatch((rows) => this.store.putEnvStates(rows.map((r) => ({ id: r.id, state: r.bytes }))));
      const live = new Set<string>();
      for (const c of this.envs.saveCandidates()) {
        live.add(c.id);
        // A session a run drives is saved with the run's checkpoints.
        if (c.busy || this.savedEnvs.get(c.id) === c.lastUsedAt) continue;
        try {
          await batch.add(c.id, await c.state());
          this.savedEnvs.set(c.id, c.lastUsedAt);
        } catch (err) {
          this.logger.warn({ err: (err as Error)?.message, id: c.id }, 'could not read an env session to save it');
        }
      }
      await batch.flush();
      for (const id of this.savedEnvs.keys()) if (!live.has(id)) this.savedEnvs.delete(id);
      const agents = new SaveBatch((rows) => this.store.putAgentSnapshots(rows.map((r) => ({ id: r.id, snapshot: r.bytes }))));
      live.clear();
      for (const c of this.agents.saveCandidates()) {
        live.add(c.id);
        if (c.training || this.savedAgents.get(c.id) === c.lastUsedAt) continue;
        await agents.add(c.id, await c.snapshot());
        this.savedAgents.set(c.id, c.lastUsedAt);
      }
      await agents.flush();
      for (const id of this.savedAgents.keys()) if (!live.has(id)) this.savedAgents.delete(id);
    } catch (err) {
      // Saved again at the next tick: forget what this one thought it saved.
      this.failedSave = true;
      this.savedEnvs.clear();
      this.savedAgents.clear();
      this.logger.warn({ err: (err as Error)?.message ?? String(err) }, 'periodic save failed; retrying at the next one');
    }
  }
}

/** Bytes of one periodic-save transaction (about a few milliseconds of writing). */
const SAVE_BATCH_BYTES = 4 * 1024 * 1024;

/** Rows written SAVE_BATCH_BYTES at a time, each write followed by a turn of the event loop. */
class SaveBatch {
  private rows: { id: string; bytes: Uint8Array }[] = [];
  private bytes = 0;

  constructor(private readonly write: (rows: { id: string; bytes: Uint8Array }[]) => Promise<void>) {}

  async add(id: string, bytes: Uint8Array): Promise<void> {
    this.rows.push({ id, bytes });
    this.bytes += bytes.byteLength;
    if (this.bytes >= SAVE_BATCH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    this.bytes = 0;
    await this.write(rows);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
