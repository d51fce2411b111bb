import { invalidArgument } from '../../errors.js';
import type { OptionValues } from '../../options.js';

/**
 * Gymnasium's classic_control utils.maybe_parse_reset_bounds: `options.low` / `options.high`
 * where given, the env's defaults elsewhere; INVALID_ARGUMENT on options.low if low > high.
 */
export function resetBounds(options: OptionValues | undefined, defaultLow: number, defaultHigh: number): [number, number] {
  const low = typeof options?.low === 'number' ? options.low : defaultLow;
  const high = typeof options?.high === 'number' ? options.high : defaultHigh;
  if (low > high) throw invalidArgument('options.low', `options.low (${low}) must be lower than or equal to options.high (${high})`, 'RESET_BOUNDS');
  return [low, high];
}
