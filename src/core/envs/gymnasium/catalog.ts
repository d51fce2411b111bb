import { invalidArgument } from '../../errors.js';
import type { OptionSpec, OptionValues } from '../../options.js';
import type { Space } from '../../spaces.js';
import {
  CLIFF_WALKING_ID,
  CLIFF_WALKING_SLIPPERY_ID,
  CliffWalkingBatch,
  cliffWalkingConfigOptions,
  cliffWalkingResetOptions,
  describeCliffWalking,
} from './cliff-walking.js';
import type { GymDynamics } from './dynamics.js';
import {
  describeFrozenLake,
  FROZEN_LAKE_8X8_ID,
  FROZEN_LAKE_ID,
  FrozenLakeBatch,
  frozenLakeConfigOptions,
  frozenLakeResetOptions,
  frozenLakeRewardThreshold,
} from './frozen-lake.js';
import { ACROBOT_ID, ACROBOT_REWARD_THRESHOLD, AcrobotBatch, acrobotConfigOptions, acrobotResetOptions, describeAcrobot } from './acrobot.js';
import {
  describeMountainCar,
  MOUNTAIN_CAR_ID,
  MOUNTAIN_CAR_REWARD_THRESHOLD,
  MountainCarBatch,
  mountainCarConfigOptions,
  mountainCarResetOptions,
} from './mountain-car.js';
import { describeTaxi, TAXI_ID, TAXI_REWARD_THRESHOLD, TaxiBatch, taxiConfigOptions, taxiResetOptions } from './taxi.js';

/** What an EnvType needs of one Gymnasium port: its schema, spaces and a factory of dynamics. */
export interface GymDynamicsEntry {
  readonly id: string;
  readonly configOptions: readonly OptionSpec[];
  readonly resetOptions: readonly OptionSpec[];
  /** Gymnasium's registered reward_threshold, if any. */
  readonly rewardThreshold?: number;
  describe(config: OptionValues): { observationSpace: Space; actionSpace: Space; maxEpisodeSteps: number };
  /** `numEnvs` copies, copy i seeded seed + i (no seed: from OS entropy). */
  create(numEnvs: number, config: Record<string, unknown>, seed: number | undefined): GymDynamics;
}

const entries: GymDynamicsEntry[] = [
  {
    id: FROZEN_LAKE_ID,
    configOptions: frozenLakeConfigOptions(FROZEN_LAKE_ID),
    resetOptions: frozenLakeResetOptions,
    rewardThreshold: frozenLakeRewardThreshold(FROZEN_LAKE_ID),
    describe: (c) => describeFrozenLake(c, FROZEN_LAKE_ID),
    create: (n, c, seed) => new FrozenLakeBatch(n, c, seed, FROZEN_LAKE_ID),
  },
  {
    id: FROZEN_LAKE_8X8_ID,
    configOptions: frozenLakeConfigOptions(FROZEN_LAKE_8X8_ID),
    resetOptions: frozenLakeResetOptions,
    rewardThreshold: frozenLakeRewardThreshold(FROZEN_LAKE_8X8_ID),
    describe: (c) => describeFrozenLake(c, FROZEN_LAKE_8X8_ID),
    create: (n, c, seed) => new FrozenLakeBatch(n, c, seed, FROZEN_LAKE_8X8_ID),
  },
  {
    id: CLIFF_WALKING_ID,
    configOptions: cliffWalkingConfigOptions(CLIFF_WALKING_ID),
    resetOptions: cliffWalkingResetOptions,
    describe: (c) => describeCliffWalking(c, CLIFF_WALKING_ID),
    create: (n, c, seed) => new CliffWalkingBatch(n, c, seed, CLIFF_WALKING_ID),
  },
  {
    id: CLIFF_WALKING_SLIPPERY_ID,
    configOptions: cliffWalkingConfigOptions(CLIFF_WALKING_SLIPPERY_ID),
    resetOptions: cliffWalkingResetOptions,
    describe: (c) => describeCliffWalking(c, CLIFF_WALKING_SLIPPERY_ID),
    create: (n, c, seed) => new CliffWalkingBatch(n, c, seed, CLIFF_WALKING_SLIPPERY_ID),
  },
  {
    id: TAXI_ID,
    configOptions: taxiConfigOptions,
    resetOptions: taxiResetOptions,
    rewardThreshold: TAXI_REWARD_THRESHOLD,
    describe: describeTaxi,
    create: (n, c, seed) => new TaxiBatch(n, c, seed),
  },
  {
    id: MOUNTAIN_CAR_ID,
    configOptions: mountainCarConfigOptions,
    resetOptions: mountainCarResetOptions,
    rewardThreshold: MOUNTAIN_CAR_REWARD_THRESHOLD,
    describe: describeMountainCar,
    create: (n, c, seed) => new MountainCarBatch(n, c, seed),
  },
  {
    id: ACROBOT_ID,
    configOptions: acrobotConfigOptions,
    resetOptions: acrobotResetOptions,
    rewardThreshold: ACROBOT_REWARD_THRESHOLD,
    describe: describeAcrobot,
    create: (n, c, seed) => new AcrobotBatch(n, c, seed),
  },
];

/** The Gymnasium ports by id. */
export const gymDynamicsCatalog: ReadonlyMap<string, GymDynamicsEntry> = new Map(entries.map((e) => [e.id, e]));

/** `numEnvs` copies of env `id`; INVALID_ARGUMENT for an unknown id. */
export function makeGymDynamics(id: string, numEnvs: number, config: Record<string, unknown>, seed: number | undefined): GymDynamics {
  const entry = gymDynamicsCatalog.get(id);
  if (!entry) throw invalidArgument('env_id', `unknown env id '${id}'; available: ${[...gymDynamicsCatalog.keys()].join(', ')}`, 'UNKNOWN_ENV_ID');
  return entry.create(numEnvs, config, seed);
}
