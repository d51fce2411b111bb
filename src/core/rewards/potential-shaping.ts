import type { OptionSpec, OptionValues } from '../options.js';

/**
 * Potential-based reward shaping (Ng, Harada & Russell 1999): the env's reward plus
 * `scale * (gamma * phi(s') - phi(s))`, with phi(s') taken as 0 when s' ends the episode
 * (terminated), so that the shaping terms of an episode telescope and the optimal policies
 * of the shaped reward are those of the env's reward (for the agent's discount = `gamma`).
 */
export function shapedReward(base: number, phi: number, phiNext: number, terminated: boolean, params: OptionValues): number {
  const next = terminated ? 0 : phiNext;
  return base + (params.scale as number) * ((params.gamma as number) * next - phi);
}

/** The `scale` and `gamma` params of a potential-shaped reward function. */
export function shapingParams(scale: number, gamma: number, what: string): OptionSpec[] {
  return [
    { name: 'scale', type: 'number', description: `Weight of the shaping term (${what}).`, default: scale, minimum: -1e6, maximum: 1e6 },
    { name: 'gamma', type: 'number', description: "Discount of the shaping term: set it to the agent's gamma to keep its optimal policies.", default: gamma, minimum: 0, maximum: 1 },
  ];
}
