/**
 * What dm_env_rpc adds to a gymhost env session that serves as a world: which connection
 * is joined to it (one agent per world: gymhost envs are single-agent) and where its
 * episode ("sequence") stands, as the protocol's states need it.
 */
import type { Tensor } from '../../gen/dm_env_rpc/v1/dm_env_rpc.js';

/**
 * Where a world's episode stands:
 * - `idle`: no episode is running (just joined, the last one ended, or a Reset without
 *   settings); the next Step resets the env (without a seed) and answers RUNNING.
 * - `ready`: the env was reset already (Reset with settings, or ResetWorld); the next Step
 *   answers RUNNING with `readyObservation`.
 * - `running`: the next Step steps the env with the action.
 */
export type Phase = 'idle' | 'ready' | 'running';

export class World {
  phase: Phase = 'idle';
  /** The joined connection (its token), if any. */
  joinedBy: object | undefined;
  /** The observation the next Step answers in phase `ready`. */
  readyObservation: Tensor | undefined;
  /** The last observation the agent was sent (answered again with INTERRUPTED after a ResetWorld). */
  lastObservation: Tensor | undefined;
  /** Whether the joined agent's last Step answer was RUNNING (it is inside an episode, as it sees it). */
  agentRunning = false;
  /** Set by a ResetWorld from another connection while the agent was inside an episode: its next Step answers INTERRUPTED. */
  interruptPending = false;
  /** Counts ResetWorlds: a Step that awaited its env across one leaves the phase to the reset. */
  epoch = 0;
  /** Set while a Step of the joined agent waits for its env (a session on a worker thread). */
  stepping = false;

  constructor(readonly id: string) {}
}

/**
 * The World of each session, kept as long as the session object lives (a WeakMap: a
 * deleted or expired session's World goes with it).
 */
export class Worlds {
  private readonly bySession = new WeakMap<object, World>();

  /** The World of `session`, made on first use. */
  of(session: { readonly id: string }): World {
    let world = this.bySession.get(session);
    if (!world) {
      world = new World(session.id);
      this.bySession.set(session, world);
    }
    return world;
  }
}
