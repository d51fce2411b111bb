import type { EnvType } from '../../core/envs/types.js';
import type { OptionValues } from '../../core/options.js';
import type { ResolvedReward } from '../../core/rewards/registry.js';
import type { RewardOrigin } from '../../core/rewards/types.js';
import type { StoredSession } from '../../core/sessions/session-store.js';
import type { Space } from '../../core/spaces.js';
import type { RewardSpec } from '../workers/protocol.js';
import type { CreateEnvRequest } from '../../gen/gymhost/v1/env_service.js';

/**
 * An env session hosted on a worker thread (its reward function is sandboxed client code
 * or an operator plugin, or it has very many copies), as the request thread knows it: what
 * routing, access checks, quotas and Train/Evaluate need. Its steps run on `worker`.
 */
export class RemoteEnvSession implements StoredSession {
  lastUsedAt = 0;
  /** Epoch ms (kept across restarts). */
  createdAt = Date.now();
  /** Set while a server-side loop (Train) drives this session. */
  busyWith: string | undefined;

  constructor(
    readonly id: string,
    readonly owner: string,
    /** Index of the worker thread that hosts it. */
    readonly worker: number,
    readonly type: EnvType,
    readonly config: OptionValues,
    readonly observationSpace: Space,
    readonly actionSpace: Space,
    readonly numEnvs: number,
    readonly maxEpisodeSteps: number,
    public reward: ResolvedReward,
    /** Estimated bytes held (on the worker), for the memoryBytes quota. */
    public memoryBytes: number,
    /** The CreateEnv request it was made with (render and autoreset modes, seed), for the store. */
    readonly createRequest: CreateEnvRequest,
    /** Frees it on the worker and in the reward registry. */
    private readonly release: (s: RemoteEnvSession) => void,
  ) {}

  get isVector(): boolean {
    return this.numEnvs > 1;
  }

  get rewardFunction(): string {
    return this.reward.name;
  }

  get rewardParams(): OptionValues {
    return this.reward.params;
  }

  get rewardOrigin(): RewardOrigin {
    return this.reward.origin;
  }

  dispose(): void {
    this.release(this);
  }
}

/** A resolved reward as it travels to a worker. */
export function rewardSpecOf(r: ResolvedReward): RewardSpec {
  return { name: r.name, params: r.params, origin: r.origin, source: r.entry?.source, paramSpecs: r.entry?.params };
}
