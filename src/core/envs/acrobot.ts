import type { OptionValues } from '../options.js';
import { acrobotRewards, acrobotTransition, newAcrobotFacts, type AcrobotFacts, type AcrobotState } from '../rewards/acrobot.js';
import type { RewardChoice } from '../rewards/types.js';
import type { BoxSpace, DiscreteSpace } from '../spaces.js';
import {
  ACROBOT_ID,
  ACROBOT_REWARD_THRESHOLD,
  AcrobotBatch,
  acrobotActionSpace,
  acrobotConfigOptions,
  acrobotObservationSpace,
  acrobotResetOptions,
  describeAcrobot,
} from './gymnasium/acrobot.js';
import { GymEnvBatch } from './gymnasium/gym-env-batch.js';
import { Raster, type Rgb } from './gymnasium/raster.js';
import type { EnvRewards } from './reward-layer.js';
import type { EnvType, RenderModeName, RgbFrame } from './types.js';

const rewardSpec: EnvRewards<AcrobotState, AcrobotFacts> = { envId: ACROBOT_ID, schema: acrobotTransition, builtins: acrobotRewards, defaultName: 'gymnasium' };

/** Frame side of rgb_array, pixels (Gymnasium's 500 x 500). */
const SCREEN_DIM = 500;
const LINK_RGB: Rgb = [0, 204, 204];
const JOINT_RGB: Rgb = [204, 204, 0];
const BLACK: Rgb = [0, 0, 0];

/**
 * A 500 x 500 frame in Gymnasium's layout: the fixed joint in the centre, 2.2 link lengths
 * to each edge, the target line one link length above the joint, links cyan, joints yellow.
 */
export function drawAcrobot(theta1: number, theta2: number): RgbFrame {
  const r = new Raster(SCREEN_DIM, SCREEN_DIM);
  const scale = SCREEN_DIM / (2 * 2.2);
  const px = (x: number) => SCREEN_DIM / 2 + x * scale;
  const py = (y: number) => SCREEN_DIM / 2 - y * scale;
  r.line(px(-2.2), py(1), px(2.2), py(1), 2, BLACK);
  const x1 = Math.sin(theta1);
  const y1 = -Math.cos(theta1);
  const x2 = x1 + Math.sin(theta1 + theta2);
  const y2 = y1 - Math.cos(theta1 + theta2);
  r.line(px(0), py(0), px(x1), py(y1), 0.2 * scale, LINK_RGB);
  r.line(px(x1), py(y1), px(x2), py(y2), 0.2 * scale, LINK_RGB);
  r.disc(px(0), py(0), 0.1 * scale, JOINT_RGB);
  r.disc(px(x1), py(y1), 0.1 * scale, JOINT_RGB);
  return r.frame();
}

/** `numEnvs` copies of Acrobot-v1 (the port in gymnasium/acrobot.ts) paying the chosen reward function. */
export class AcrobotEnvBatch extends GymEnvBatch<AcrobotBatch, AcrobotState, AcrobotFacts> {
  readonly observationSpace: BoxSpace = acrobotObservationSpace();
  readonly actionSpace: DiscreteSpace = acrobotActionSpace();
  protected readonly envId = ACROBOT_ID;

  constructor(numEnvs: number, config: Record<string, unknown>, reward: RewardChoice, seed: number | undefined) {
    super(new AcrobotBatch(numEnvs, config, seed), rewardSpec, newAcrobotFacts(), new Float64Array(4), new Float64Array(4));
    this.setReward(reward.name, reward.params, reward.impl);
  }

  protected readState(i: number, into: AcrobotState): AcrobotState {
    into.set(this.dynamics.physics.subarray(4 * i, 4 * i + 4));
    return into;
  }

  protected fillFacts(): void {}

  info(_i: number): Record<string, unknown> {
    return {};
  }

  /** 'ansi': "theta1=… theta2=… dtheta1=… dtheta2=…" (rad, rad/s); 'rgb_array': drawAcrobot. */
  protected draw(i: number, mode: RenderModeName): RgbFrame | string {
    const p = this.dynamics.physics;
    const o = 4 * i;
    if (mode === 'ansi') return `theta1=${p[o].toFixed(6)} theta2=${p[o + 1].toFixed(6)} dtheta1=${p[o + 2].toFixed(6)} dtheta2=${p[o + 3].toFixed(6)}`;
    return drawAcrobot(p[o], p[o + 1]);
  }

  /** Acrobot's scene (drawn by the dashboard's gym-scenes.js): link lengths and the target height, in link lengths. */
  scene(): Record<string, unknown> {
    return {
      kind: 'acrobot',
      state_names: ['theta1', 'theta2', 'dtheta1', 'dtheta2'],
      action_names: ['torque -1', 'torque 0', 'torque +1'],
      link_lengths: [1, 1],
      target_height: 1,
    };
  }

  /** [theta1, theta2 (rad), dtheta1, dtheta2 (rad/s)] of copy i (float64 state). */
  drawState(i: number, out: number[]): void {
    const p = this.dynamics.physics;
    out.push(p[4 * i], p[4 * i + 1], p[4 * i + 2], p[4 * i + 3]);
  }
}

/** The Acrobot-v1 env type. */
export const acrobotType: EnvType = {
  id: ACROBOT_ID,
  description:
    "Gymnasium's Acrobot-v1: swing the free end of a two-link chain (only the middle joint actuated) above one link length over the fixed joint. " +
    'Actions torque -1, 0, +1; observation [cos t1, sin t1, cos t2, sin t2, dt1, dt2] float32; -1 per step, 0 on reaching the line; truncated at 500 steps.',
  configOptions: acrobotConfigOptions,
  resetOptions: acrobotResetOptions,
  rewardFunctions: acrobotRewards.map((r) => ({ name: r.name, description: r.description, params: r.params })),
  defaultRewardFunction: 'gymnasium',
  rewardThreshold: ACROBOT_REWARD_THRESHOLD,
  renderModes: ['rgb_array', 'ansi'],
  renderFps: 15,
  timeLimit: 500,
  transition: acrobotTransition,
  describe: (config: OptionValues) => describeAcrobot(config),
  create: (numEnvs, config, reward, seed) => new AcrobotEnvBatch(numEnvs, config, reward, seed),
};
