import type { OptionSpec } from '../../core/options.js';
import { OptionType, type OptionSpec as OptionSpecMsg } from '../../gen/gymhost/v1/env_service.js';

const TYPES: Record<OptionSpec['type'], OptionType> = {
  bool: OptionType.OPTION_TYPE_BOOL,
  int: OptionType.OPTION_TYPE_INT,
  number: OptionType.OPTION_TYPE_NUMBER,
  string: OptionType.OPTION_TYPE_STRING,
  int_list: OptionType.OPTION_TYPE_INT_LIST,
};

/** An option schema (config option, reset option, reward parameter, hyperparameter) as a message. */
export function optionToProto(o: OptionSpec): OptionSpecMsg {
  return { name: o.name, type: TYPES[o.type], description: o.description, defaultValue: o.default, choices: [...(o.choices ?? [])], minimum: o.minimum, maximum: o.maximum };
}
