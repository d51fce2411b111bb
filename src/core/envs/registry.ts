import { invalidArgument } from '../errors.js';
import { acrobotType } from './acrobot.js';
import { cartPoleType } from './cartpole.js';
import { cliffWalkingType } from './cliff-walking.js';
import { frozenLake8x8Type, frozenLakeType } from './frozen-lake.js';
import { gridWorldType } from './gridworld.js';
import { mountainCarType } from './mountain-car.js';
import { taxiType } from './taxi.js';
import type { EnvType } from './types.js';

/** Every env type the server hosts, by id. */
export const envTypes: ReadonlyMap<string, EnvType> = new Map(
  [cartPoleType, gridWorldType, frozenLakeType, frozenLake8x8Type, cliffWalkingType, taxiType, mountainCarType, acrobotType].map((t) => [t.id, t]),
);

/** The env type with this id, or INVALID_ARGUMENT naming `field` and the ids there are. */
export function envTypeById(id: string, field = 'env_id'): EnvType {
  const type = envTypes.get(id);
  if (!type) {
    const allowed = [...envTypes.keys()].join(', ');
    throw invalidArgument(field, id ? `unknown env id '${id}'; available: ${allowed}` : `${field} is required; available: ${allowed}`, 'UNKNOWN_ENV_ID');
  }
  return type;
}
