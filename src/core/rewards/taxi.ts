/**
 * Taxi-v4 reward functions. The state is the state index
 * ((taxi_row * 5 + taxi_col) * 5 + passenger_location) * 4 + destination.
 */

import type { GymStepFacts } from '../envs/gymnasium/gym-env-batch.js';
import type { TransitionSchema } from '../envs/transition-schema.js';
import type { RewardFunction } from './types.js';

/**
 * What an action did: a move (0-3, blocked or not), a pickup of the waiting passenger, a
 * dropoff on a pad other than the destination, the delivery, or a pickup / dropoff that
 * is not allowed there (Gymnasium's -10).
 */
export const TAXI_EVENTS = ['move', 'pickup', 'dropoff', 'delivery', 'illegal_pickup', 'illegal_dropoff'] as const;
export type TaxiEvent = (typeof TAXI_EVENTS)[number];

/** What one Taxi step did (one object per batch, overwritten by every step: do not keep it). */
export interface TaxiFacts extends GymStepFacts {
  event: TaxiEvent;
  /** Probability of the outcome drawn (Gymnasium's info "prob"). */
  prob: number;
  /** After the step: the taxi's cell, the passenger's location (0-3 a pad R, G, Y, B; 4 in the taxi) and the destination pad (0-3). */
  taxiRow: number;
  taxiCol: number;
  passenger: number;
  destination: number;
  /** A fickle passenger changed destination on this step (config fickle_passenger). */
  destinationChanged: boolean;
}

export function newTaxiFacts(): TaxiFacts {
  return {
    gymnasiumReward: -1,
    terminated: false,
    truncated: false,
    steps: 0,
    event: 'move',
    prob: 1,
    taxiRow: 0,
    taxiCol: 0,
    passenger: 0,
    destination: 1,
    destinationChanged: false,
  };
}

/** `gymnasium`: exactly Gymnasium's reward: -1 per step, +20 for the delivery, -10 for an illegal pickup or dropoff. */
export const taxiGymnasiumReward: RewardFunction<number, TaxiFacts> = {
  name: 'gymnasium',
  description: "Gymnasium's Taxi reward: -1 per step, +20 for delivering the passenger, -10 for an illegal pickup or dropoff.",
  params: [],
  compute: (_s, _a, _sNext, facts) => facts.gymnasiumReward,
};

/**
 * `event_costs`: each event's reward as a parameter. A positive `pickup` helps exploration
 * early but can be farmed (pick up, drop off elsewhere, pick up again): keep it small.
 */
export const taxiEventCosts: RewardFunction<number, TaxiFacts> = {
  name: 'event_costs',
  description:
    "Per-event rewards (defaults are Gymnasium's): `step` for a move or a legal dropoff away from the destination, `pickup` for picking the passenger up, " +
    '`delivery` for the delivery, `illegal` for a pickup or dropoff that is not allowed there.',
  params: [
    { name: 'step', type: 'number', description: 'Reward of a move (also a blocked one) and of a dropoff on another pad.', default: -1, minimum: -1e6, maximum: 1e6 },
    { name: 'pickup', type: 'number', description: 'Reward of a legal pickup (a bonus here can be farmed: keep it small).', default: -1, minimum: -1e6, maximum: 1e6 },
    { name: 'delivery', type: 'number', description: 'Reward of the delivery.', default: 20, minimum: -1e6, maximum: 1e6 },
    { name: 'illegal', type: 'number', description: 'Reward of an illegal pickup or dropoff.', default: -10, minimum: -1e6, maximum: 1e6 },
  ],
  compute(_s, _a, _sNext, facts, params) {
    switch (facts.event) {
      case 'delivery':
        return params.delivery as number;
      case 'pickup':
        return params.pickup as number;
      case 'illegal_pickup':
      case 'illegal_dropoff':
        return params.illegal as number;
      default:
        return params.step as number;
    }
  },
};

export const taxiRewards: readonly RewardFunction<number, TaxiFacts>[] = [taxiGymnasiumReward, taxiEventCosts];

/** What a Taxi reward function sees: s and sNext are state indices, info these facts. */
export const taxiTransition: TransitionSchema<number, TaxiFacts> = {
  state: 'index',
  stateDescription: 'the state index ((taxi_row * 5 + taxi_col) * 5 + passenger_location) * 4 + destination',
  fields: [
    { name: 'gymnasiumReward', type: 'number', per: 'step', description: 'The reward Gymnasium pays for this step (-1, +20 or -10).' },
    { name: 'event', type: { enum: TAXI_EVENTS }, per: 'step', description: 'What the action did: move, pickup, dropoff (another pad), delivery, illegal_pickup, illegal_dropoff.' },
    { name: 'terminated', type: 'bool', per: 'step', description: 'The passenger was delivered.' },
    { name: 'truncated', type: 'bool', per: 'step', description: 'This step reaches the step limit.' },
    { name: 'steps', type: 'int', per: 'step', description: 'Steps of the episode so far, this one included.' },
    { name: 'prob', type: 'number', per: 'step', description: 'Probability of the outcome drawn (1, or the rainy probabilities).' },
    { name: 'taxiRow', type: 'int', per: 'step', description: "The taxi's row after the step (0-4)." },
    { name: 'taxiCol', type: 'int', per: 'step', description: "The taxi's column after the step (0-4)." },
    { name: 'passenger', type: 'int', per: 'step', description: "The passenger's location after the step: 0-3 a pad (R, G, Y, B), 4 in the taxi." },
    { name: 'destination', type: 'int', per: 'step', description: 'The destination pad after the step (0-3).' },
    { name: 'destinationChanged', type: 'bool', per: 'step', description: 'A fickle passenger changed destination on this step.' },
  ],
  /** South from R with the passenger waiting at G for Y. */
  sample() {
    const facts = newTaxiFacts();
    Object.assign(facts, { steps: 1, taxiRow: 1, passenger: 1, destination: 2 });
    return { s: 6, a: 0, sNext: 106, facts };
  },
};
