/**
 * Persistence behind one interface: what the server keeps across restarts. Two backends:
 * SQLite (sqlite-store.ts, the embedded default) and none (`--data-dir :memory:`, see
 * openStore). Writes resolve once durable: the server answers an acknowledged create,
 * delete, import, register or config change only after its write resolved.
 *
 * Rows carry blobs the domain makes: agent snapshots (snapshot-codec.ts), env session state
 * and training loop state (serialised with node:v8, which keeps typed arrays).
 */

/** An env session: how to make it again, and its state at the last flush. */
export interface EnvRow {
  readonly id: string;
  readonly owner: string;
  /** CreateEnv's fields as the server resolved them (JSON). */
  readonly spec: Record<string, unknown>;
  /** Epoch ms. */
  readonly createdAt: number;
  /** EnvSession.exportState() serialised (undefined until the first flush). */
  readonly state?: Uint8Array;
}

/** An agent: its session fields and its whole snapshot (weights, optimiser moments, RNG, replay, history). */
export interface AgentRow {
  readonly id: string;
  readonly owner: string;
  readonly env: string;
  readonly preset: string;
  readonly createdAt: number;
  readonly memoryBytes: number;
  /** encodeSnapshot's bytes. */
  readonly snapshot: Uint8Array;
}

/** A registered (client code) reward function. */
export interface RewardRow {
  readonly owner: string;
  readonly name: string;
  /** The session it belongs to ('' = its owner's). */
  readonly sessionId: string;
  readonly envTypeId: string;
  readonly source: string;
  readonly description: string;
  /** Parameter specs (JSON). */
  readonly params: unknown;
  readonly createdAt: number;
}

/** A training run: its request, state and progress (JSON), and its loop state at the last checkpoint. */
export interface RunRow {
  readonly id: string;
  readonly owner: string;
  readonly agent: string;
  readonly env: string;
  /** 'running' | 'succeeded' | 'cancelled' | 'failed'. */
  readonly state: string;
  /** Everything else the run reports (JSON). */
  readonly body: Record<string, unknown>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A saved agent of a run: its best evaluation's, or its last checkpoint's. */
export interface RunCheckpointRow {
  readonly runId: string;
  readonly which: 'best' | 'last';
  readonly steps: number;
  /** The evaluation (best) as JSON, or null. */
  readonly evaluation: unknown;
  readonly snapshot: Uint8Array;
}

/** One checkpoint of a running run, written in one transaction. */
export interface RunCheckpointWrite {
  readonly run: RunRow;
  /** The agent now (its row's snapshot is replaced). */
  readonly agent: { readonly id: string; readonly snapshot: Uint8Array };
  /** The env session now (its row's state is replaced), when it lives on. */
  readonly env?: { readonly id: string; readonly state: Uint8Array };
}

/** A user's running totals. */
export interface UserRow {
  readonly name: string;
  readonly role: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly requests: number;
  readonly envSteps: number;
  readonly trainingSteps: number;
}

/** The server-side episode log of one graded submission (appeals). */
export interface GradingLogRow {
  readonly assignment: string;
  readonly submission: string;
  readonly createdAt: number;
  /** The log as written next to results.json (JSON). */
  readonly log: unknown;
}

/** Everything a store holds, as loaded at start-up. */
export interface StoredState {
  readonly envs: EnvRow[];
  readonly agents: AgentRow[];
  readonly rewards: RewardRow[];
  readonly runs: RunRow[];
  readonly users: UserRow[];
  /** Whether the server that wrote it last stopped cleanly, having saved everything. */
  readonly cleanShutdown: boolean;
}

export interface Store {
  /** Where the data lives (a file path, or ':memory:'). */
  readonly location: string;
  /** Whether anything survives the process (false for ':memory:'). */
  readonly durable: boolean;
  loadAll(): Promise<StoredState>;
  putEnv(row: EnvRow): Promise<void>;
  /** New state blobs of live sessions (the periodic flush), in one transaction. */
  putEnvStates(rows: readonly { id: string; state: Uint8Array }[]): Promise<void>;
  deleteEnv(id: string): Promise<void>;
  putAgent(row: AgentRow): Promise<void>;
  /** New snapshots of live agents (the periodic flush), in one transaction. */
  putAgentSnapshots(rows: readonly { id: string; snapshot: Uint8Array }[]): Promise<void>;
  deleteAgent(id: string): Promise<void>;
  putReward(row: RewardRow): Promise<void>;
  deleteReward(owner: string, name: string, sessionId: string): Promise<void>;
  putRun(row: RunRow): Promise<void>;
  /** A running run's checkpoint: the run, its agent and env, and the run's 'last' saved agent. */
  checkpointRun(write: RunCheckpointWrite): Promise<void>;
  putRunCheckpoint(row: RunCheckpointRow): Promise<void>;
  getRunCheckpoint(runId: string, which: 'best' | 'last'): Promise<RunCheckpointRow | undefined>;
  putUsers(rows: readonly UserRow[]): Promise<void>;
  putGradingLog(row: GradingLogRow): Promise<void>;
  /** Records whether everything is saved (true at a clean shutdown, false while serving). */
  setCleanShutdown(clean: boolean): Promise<void>;
  close(): Promise<void>;
}
