import type { OptionValues } from '../options.js';
import { mountainCarRewards, mountainCarTransition, newMountainCarFacts, type MountainCarFacts, type MountainCarState } from '../rewards/mountain-car.js';
import type { RewardChoice } from '../rewards/types.js';
import type { BoxSpace, DiscreteSpace } from '../spaces.js';
import { GymEnvBatch } from './gymnasium/gym-env-batch.js';
import {
  describeMountainCar,
  GOAL_POSITION,
  MAX_POSITION,
  MAX_SPEED,
  MIN_POSITION,
  MOUNTAIN_CAR_ID,
  MOUNTAIN_CAR_REWARD_THRESHOLD,
  MountainCarBatch,
  mountainCarActionSpace,
  mountainCarConfigOptions,
  mountainCarObservationSpace,
  mountainCarResetOptions,
} from './gymnasium/mountain-car.js';
import { Raster, type Rgb } from './gymnasium/raster.js';
import type { EnvRewards } from './reward-layer.js';
import type { EnvType, RenderModeName, RgbFrame } from './types.js';

const rewardSpec: EnvRewards<MountainCarState, MountainCarFacts> = {
  envId: MOUNTAIN_CAR_ID,
  schema: mountainCarTransition,
  builtins: mountainCarRewards,
  defaultName: 'gymnasium',
};

/** Frame size of rgb_array, pixels (Gymnasium's). */
const SCREEN_WIDTH = 600;
const SCREEN_HEIGHT = 400;
const BLACK: Rgb = [0, 0, 0];
const CAR_RGB: Rgb = [60, 60, 60];
const WHEEL_RGB: Rgb = [128, 128, 128];
const FLAG_RGB: Rgb = [204, 204, 0];

/** The hill's height at position x, m: sin(3x) * 0.45 + 0.55. */
function hill(x: number): number {
  return Math.sin(3 * x) * 0.45 + 0.55;
}

/**
 * A 600 x 400 frame in Gymnasium's layout: the hill as a black curve, the flag at the goal
 * position, the car a dark bar along the slope with two wheels at `position` (m).
 */
export function drawMountainCar(position: number): RgbFrame {
  const r = new Raster(SCREEN_WIDTH, SCREEN_HEIGHT);
  const scale = SCREEN_WIDTH / (MAX_POSITION - MIN_POSITION);
  const px = (x: number) => (x - MIN_POSITION) * scale;
  const py = (y: number) => SCREEN_HEIGHT - y * scale;
  const n = 100;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const x = MIN_POSITION + ((MAX_POSITION - MIN_POSITION) * k) / (n - 1);
    xs[k] = px(x);
    ys[k] = py(hill(x));
  }
  r.polyline(xs, ys, 2, BLACK);
  const fx = px(GOAL_POSITION);
  const fy = py(hill(GOAL_POSITION));
  r.line(fx, fy, fx, fy - 50, 2, BLACK);
  r.rect(fx, fy - 50, fx + 25, fy - 40, FLAG_RGB);
  // Car: a 40 x 20 px bar along the slope (hill'(x) = 1.35 cos(3x)), wheels of radius 6 on the track.
  const angle = Math.atan(1.35 * Math.cos(3 * position));
  const ux = Math.cos(angle);
  const uy = -Math.sin(angle);
  // The track's normal pointing up in the image.
  const nx = uy;
  const ny = -ux;
  const tx = px(position);
  const ty = py(hill(position));
  const cx = tx + nx * 18;
  const cy = ty + ny * 18;
  r.line(cx - ux * 20, cy - uy * 20, cx + ux * 20, cy + uy * 20, 16, CAR_RGB);
  for (const side of [-1, 1]) r.disc(tx + nx * 6 + side * ux * 12, ty + ny * 6 + side * uy * 12, 6, WHEEL_RGB);
  return r.frame();
}

/** `numEnvs` copies of MountainCar-v0 (the port in gymnasium/mountain-car.ts) paying the chosen reward function. */
export class MountainCarEnvBatch extends GymEnvBatch<MountainCarBatch, MountainCarState, MountainCarFacts> {
  readonly observationSpace: BoxSpace = mountainCarObservationSpace();
  readonly actionSpace: DiscreteSpace = mountainCarActionSpace();
  protected readonly envId = MOUNTAIN_CAR_ID;

  constructor(numEnvs: number, config: Record<string, unknown>, reward: RewardChoice, seed: number | undefined) {
    const dyn = new MountainCarBatch(numEnvs, config, seed);
    super(dyn, rewardSpec, newMountainCarFacts(dyn.goalVelocity), new Float64Array(2), new Float64Array(2));
    this.setReward(reward.name, reward.params, reward.impl);
  }

  protected readState(i: number, into: MountainCarState): MountainCarState {
    into[0] = this.dynamics.physics[2 * i];
    into[1] = this.dynamics.physics[2 * i + 1];
    return into;
  }

  protected fillFacts(): void {}

  info(_i: number): Record<string, unknown> {
    return {};
  }

  /** 'ansi': "position=… velocity=…" (m, m/step); 'rgb_array': drawMountainCar. */
  protected draw(i: number, mode: RenderModeName): RgbFrame | string {
    const p = this.dynamics.physics;
    if (mode === 'ansi') return `position=${p[2 * i].toFixed(6)} velocity=${p[2 * i + 1].toFixed(6)}`;
    return drawMountainCar(p[2 * i]);
  }

  /** MountainCar's scene (drawn by the dashboard's gym-scenes.js): the track's bounds, the goal and the speed limit. */
  scene(): Record<string, unknown> {
    return {
      kind: 'mountain_car',
      state_names: ['position', 'velocity'],
      action_names: ['accelerate left', "don't accelerate", 'accelerate right'],
      min_position: MIN_POSITION,
      max_position: MAX_POSITION,
      goal_position: GOAL_POSITION,
      max_speed: MAX_SPEED,
    };
  }

  /** [position (m), velocity (m/step)] of copy i (float64 state). */
  drawState(i: number, out: number[]): void {
    out.push(this.dynamics.physics[2 * i], this.dynamics.physics[2 * i + 1]);
  }
}

/** The MountainCar-v0 env type. */
export const mountainCarType: EnvType = {
  id: MOUNTAIN_CAR_ID,
  description:
    "Gymnasium's MountainCar-v0: drive an underpowered car out of a valley to the flag at x = 0.5 by swinging back and forth. " +
    'Actions 0 accelerate left, 1 none, 2 right; observation [position, velocity] float32; -1 per step; truncated at 200 steps.',
  configOptions: mountainCarConfigOptions,
  resetOptions: mountainCarResetOptions,
  rewardFunctions: mountainCarRewards.map((r) => ({ name: r.name, description: r.description, params: r.params })),
  defaultRewardFunction: 'gymnasium',
  rewardThreshold: MOUNTAIN_CAR_REWARD_THRESHOLD,
  renderModes: ['rgb_array', 'ansi'],
  renderFps: 30,
  timeLimit: 200,
  transition: mountainCarTransition,
  describe: (config: OptionValues) => describeMountainCar(config),
  create: (numEnvs, config, reward, seed) => new MountainCarEnvBatch(numEnvs, config, reward, seed),
};
