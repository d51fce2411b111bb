/**
 * The action and observation specs of a gymhost world, keyed by UID as dm_env_rpc's
 * JoinWorldResponse and ResetResponse carry them. The UIDs are fixed for every world.
 */
import { failedPrecondition } from '../../core/errors.js';
import type { Space } from '../../core/spaces.js';
import type { ActionObservationSpecs } from '../../gen/dm_env_rpc/v1/dm_env_rpc.js';
import { doubleScalarSpec, spaceSpec } from './tensors.js';

/** UID of the one action, "action": the env's action (Discrete: an INT32 scalar). */
export const ACTION_UID = 1;
/** UID of "observation": the env's observation (Gymnasium's `obs`). */
export const OBSERVATION_UID = 1;
/** UID of "reward": FLOAT64 scalar, the last step's reward (0 on the first step of an episode). */
export const REWARD_UID = 2;
/** UID of "discount": FLOAT64 scalar in [0, 1]; 0 when the episode terminated, else 1. */
export const DISCOUNT_UID = 3;

/** Observation names by UID (for error messages). */
export const OBSERVATION_NAMES: ReadonlyMap<number, string> = new Map([
  [OBSERVATION_UID, 'observation'],
  [REWARD_UID, 'reward'],
  [DISCOUNT_UID, 'discount'],
]);

/**
 * The specs of a world whose env has these spaces. Only Discrete action spaces are
 * served (every env type gymhost hosts has one); `worldName` names the world in the error.
 */
export function worldSpecs(worldName: string, observationSpace: Space, actionSpace: Space): ActionObservationSpecs {
  if (actionSpace.kind !== 'discrete') {
    throw failedPrecondition(`world '${worldName}' has a Box action space; gymhost's dm_env_rpc endpoint serves Discrete action spaces`, 'UNSUPPORTED_ACTION_SPACE', 'world_name');
  }
  return {
    actions: { [ACTION_UID]: spaceSpec('action', actionSpace) },
    observations: {
      [OBSERVATION_UID]: spaceSpec('observation', observationSpace),
      [REWARD_UID]: doubleScalarSpec('reward'),
      [DISCOUNT_UID]: doubleScalarSpec('discount', 0, 1),
    },
  };
}
