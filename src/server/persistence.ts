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

/** What a start-up restored, and how long it took. */
export interface RestoreReport {
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

  constructor(
    readonly store: Store,
    private readonly envs: EnvService,
    private readonly agents: AgentService,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    /** Users' running totals, saved with the rest. */
    private readonly usage?: UsageTracker,
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
    await Promise.all(
      state.envs.map((row) =>
        this.envs.restoreEnv(row).catch((err) => skip('an env session', row.id, err)),
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
    return { envs: state.envs.length, agents: state.agents.length, rewards: state.rewards.length, runs: state.runs.length, resumedRuns: resumed, failed, ms: performance.now() - start };
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

  /** Stops saving after a last save. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.store.durable) await this.saveNow();
  }

  private async save(): Promise<void> {
    try {
      const envStates: { id: string; state: Uint8Array }[] = [];
      const live = new Set<string>();
      for (const c of this.envs.saveCandidates()) {
        live.add(c.id);
        // A session a run drives is saved with the run's checkpoints.
        if (c.busy || this.savedEnvs.get(c.id) === c.lastUsedAt) continue;
        try {
          envStates.push({ id: c.id, state: await c.state() });
          this.savedEnvs.set(c.id, c.lastUsedAt);
        } catch (err) {
          this.logger.warn({ err: (err as Error)?.message, id: c.id }, 'could not read an env session to save it');
        }
      }
      for (const id of this.savedEnvs.keys()) if (!live.has(id)) this.savedEnvs.delete(id);
      const agentSnapshots: { id: string; snapshot: Uint8Array }[] = [];
      live.clear();
      for (const c of this.agents.saveCandidates()) {
        live.add(c.id);
        if (c.training || this.savedAgents.get(c.id) === c.lastUsedAt) continue;
        agentSnapshots.push({ id: c.id, snapshot: await c.snapshot() });
        this.savedAgents.set(c.id, c.lastUsedAt);
      }
      for (const id of this.savedAgents.keys()) if (!live.has(id)) this.savedAgents.delete(id);
      const users = [...(this.usage?.changedTotals ?? [])].flatMap((name) => {
        const t = this.usage!.totals.get(name);
        return t ? [{ name, ...t }] : [];
      });
      this.usage?.changedTotals.clear();
      if (users.length) await this.store.putUsers(users);
      if (envStates.length) await this.store.putEnvStates(envStates);
      if (agentSnapshots.length) await this.store.putAgentSnapshots(agentSnapshots);
    } catch (err) {
      // Saved again at the next tick: forget what this one thought it saved.
      this.savedEnvs.clear();
      this.savedAgents.clear();
      this.logger.warn({ err: (err as Error)?.message ?? String(err) }, 'periodic save failed; retrying at the next one');
    }
  }
}
