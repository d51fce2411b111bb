/** MountainCar-v0 reward functions. s and sNext are [position (m), velocity (m/step)], float64. */

import type { GymStepFacts } from '../envs/gymnasium/gym-env-batch.js';
import type { TransitionSchema } from '../envs/transition-schema.js';
import { shapedReward, shapingParams } from './potential-shaping.js';
import type { RewardFunction } from './types.js';

/** What one MountainCar step did (one object per batch, overwritten by every step: do not keep it). */
export interface MountainCarFacts extends GymStepFacts {
  /** The flag's position, m, and the velocity (m/step) needed there to terminate (config goal_velocity). */
  goalPosition: number;
  goalVelocity: number;
}

export function newMountainCarFacts(goalVelocity = 0): MountainCarFacts {
  return { gymnasiumReward: -1, terminated: false, truncated: false, steps: 0, goalPosition: 0.5, goalVelocity };
}

export type MountainCarState = Float64Array;

/** Gravity term of the dynamics (velocity += -GRAVITY * cos(3 x) per step). */
const GRAVITY = 0.0025;

/**
 * The car's mechanical energy in units of the potential's amplitude: v^2 / 2 + (GRAVITY / 3)
 * sin(3 x), divided by GRAVITY / 3. Height alone is in [-1, 1]; at the speed limit (0.07
 * m/step) the kinetic part is 2.94. The dynamics conserve it apart from the engine's push.
 */
export function mountainCarEnergy(position: number, velocity: number): number {
  return (velocity * velocity) / 2 / (GRAVITY / 3) + Math.sin(3 * position);
}

/** `gymnasium`: exactly Gymnasium's reward: -1 per step, the terminating one included. */
export const mountainCarGymnasiumReward: RewardFunction<MountainCarState, MountainCarFacts> = {
  name: 'gymnasium',
  description: "Gymnasium's MountainCar-v0 reward: -1 per step, the terminating step included.",
  params: [],
  compute: (_s, _a, _sNext, facts) => facts.gymnasiumReward,
};

/** `energy`: Gymnasium's reward plus potential-based shaping by the car's mechanical energy (swinging higher pays). */
export const mountainCarEnergyShaping: RewardFunction<MountainCarState, MountainCarFacts> = {
  name: 'energy',
  description:
    "Gymnasium's reward + scale * (gamma * E(s') - E(s)), E = v^2 / 2 / (0.0025 / 3) + sin(3 x) the car's mechanical energy (height in [-1, 1], " +
    "speed up to 2.94 more), E(s') = 0 on the terminating step: potential-based, so it keeps the optimal policies (for the agent's gamma) " +
    'while paying every push that makes the swing bigger.',
  params: shapingParams(10, 0.99, 'per unit of energy'),
  compute(s, _a, sNext, facts, params) {
    return shapedReward(facts.gymnasiumReward, mountainCarEnergy(s[0], s[1]), mountainCarEnergy(sNext[0], sNext[1]), facts.terminated, params);
  },
};

export const mountainCarRewards: readonly RewardFunction<MountainCarState, MountainCarFacts>[] = [mountainCarGymnasiumReward, mountainCarEnergyShaping];

/** What a MountainCar reward function sees: s and sNext [position (m), velocity (m/step)], info these facts. */
export const mountainCarTransition: TransitionSchema<MountainCarState, MountainCarFacts> = {
  state: 2,
  stateDescription: '[position (m), velocity (m/step)], the float64 state',
  fields: [
    { name: 'gymnasiumReward', type: 'number', per: 'step', description: 'The reward Gymnasium pays for this step (-1).' },
    { name: 'terminated', type: 'bool', per: 'step', description: 'The car reached the flag (position >= goalPosition with velocity >= goalVelocity).' },
    { name: 'truncated', type: 'bool', per: 'step', description: 'This step reaches the step limit.' },
    { name: 'steps', type: 'int', per: 'step', description: 'Steps of the episode so far, this one included.' },
    { name: 'goalPosition', type: 'number', per: 'batch', description: "The flag's position, m (0.5)." },
    { name: 'goalVelocity', type: 'number', per: 'batch', description: 'Velocity needed at the flag to terminate, m/step (config goal_velocity).' },
  ],
  /** Pushed right from rest at the valley's bottom. */
  sample() {
    const facts = newMountainCarFacts();
    facts.steps = 1;
    return { s: new Float64Array([-0.5, 0]), a: 2, sNext: new Float64Array([-0.4993, 0.0007]), facts };
  },
};
