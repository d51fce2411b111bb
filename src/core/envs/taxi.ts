import type { OptionValues } from '../options.js';
import { newTaxiFacts, taxiRewards, taxiTransition, type TaxiEvent, type TaxiFacts } from '../rewards/taxi.js';
import type { RewardChoice } from '../rewards/types.js';
import type { DiscreteSpace } from '../spaces.js';
import { GymEnvBatch } from './gymnasium/gym-env-batch.js';
import { COLORS, Raster, type Rgb } from './gymnasium/raster.js';
import {
  describeTaxi,
  TAXI_ACTION_NAMES,
  TAXI_ID,
  TAXI_LOCS,
  TAXI_MAP,
  TAXI_REWARD_THRESHOLD,
  TaxiBatch,
  taxiActionMask,
  taxiActionSpace,
  taxiConfigOptions,
  taxiDecode,
  taxiObservationSpace,
  taxiResetOptions,
} from './gymnasium/taxi.js';
import type { EnvRewards } from './reward-layer.js';
import type { EnvType, RenderModeName, RgbFrame } from './types.js';

const rewardSpec: EnvRewards<number, TaxiFacts> = { envId: TAXI_ID, schema: taxiTransition, builtins: taxiRewards, defaultName: 'gymnasium' };

/** Pixels per cell of rgb_array frames (5 x 5 cells, 301 x 301 pixels). */
const CELL_PX = 60;
/** Pad colours R, G, Y, B; the destination's border; the taxi empty and with the passenger. */
const PAD_RGB: readonly Rgb[] = [[230, 120, 110], [120, 200, 120], [235, 215, 100], [120, 150, 230]];
const DEST_RGB: Rgb = [200, 60, 200];
const TAXI_RGB: Rgb = [250, 200, 20];
const TAXI_FULL_RGB: Rgb = [40, 160, 60];

/** What action `a` did, from Gymnasium's reward and termination. */
function eventOf(a: number, reward: number, terminated: boolean): TaxiEvent {
  if (a < 4) return 'move';
  if (a === 4) return reward === -10 ? 'illegal_pickup' : 'pickup';
  if (terminated) return 'delivery';
  return reward === -10 ? 'illegal_dropoff' : 'dropoff';
}

/**
 * `numEnvs` copies of Taxi-v4 (the port in gymnasium/taxi.ts, Gymnasium's dynamics and
 * draws, rainy and fickle options included) paying the chosen reward function.
 */
export class TaxiEnvBatch extends GymEnvBatch<TaxiBatch, number, TaxiFacts> {
  readonly observationSpace: DiscreteSpace = taxiObservationSpace();
  readonly actionSpace: DiscreteSpace = taxiActionSpace();
  protected readonly envId = TAXI_ID;

  constructor(numEnvs: number, config: Record<string, unknown>, reward: RewardChoice, seed: number | undefined) {
    super(new TaxiBatch(numEnvs, config, seed), rewardSpec, newTaxiFacts(), 0, 0);
    this.setReward(reward.name, reward.params, reward.impl);
  }

  protected readState(i: number): number {
    return this.dynamics.observations[i];
  }

  protected fillFacts(i: number, action: number, s: number, sNext: number): void {
    const f = this.facts;
    f.event = eventOf(action, f.gymnasiumReward, f.terminated);
    f.prob = this.dynamics.lastProb[i];
    f.taxiRow = Math.floor(sNext / 100);
    f.taxiCol = Math.floor(sNext / 20) % 5;
    f.passenger = Math.floor(sNext / 4) % 5;
    f.destination = sNext % 4;
    f.destinationChanged = sNext % 4 !== s % 4;
  }

  /** Gymnasium's info: {prob, action_mask} (action_mask: 6 numbers, 1 for the actions that change the state). */
  info(i: number): Record<string, unknown> {
    return { prob: this.dynamics.lastProb[i], action_mask: Array.from(taxiActionMask(this.dynamics.observations[i])) };
  }

  /**
   * 'ansi': Gymnasium's text (map, taxi, passenger, destination, last action). 'rgb_array':
   * 301 x 301, the four pads coloured, walls dark, the destination framed in magenta, a
   * waiting passenger a disc on their pad, the taxi a square (green with the passenger).
   */
  protected draw(i: number, mode: RenderModeName): RgbFrame | string {
    if (mode === 'ansi') return this.dynamics.renderAnsi(i);
    const [row, col, pass, dest] = taxiDecode(this.dynamics.observations[i]);
    const px = CELL_PX;
    const r = new Raster(5 * px + 1, 5 * px + 1, COLORS.grid);
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) r.rect(x * px + 1, y * px + 1, (x + 1) * px, (y + 1) * px, COLORS.floor);
    const [dr, dc] = TAXI_LOCS[dest];
    r.rect(dc * px + 1, dr * px + 1, (dc + 1) * px, (dr + 1) * px, DEST_RGB);
    TAXI_LOCS.forEach(([pr, pc], k) => r.rect(pc * px + 5, pr * px + 5, (pc + 1) * px - 4, (pr + 1) * px - 4, PAD_RGB[k]));
    // Walls: a '|' between columns c and c + 1 of map row y sits at map column 2c + 2.
    for (let y = 0; y < 5; y++) for (let c = 0; c < 4; c++) if (TAXI_MAP[1 + y][2 * c + 2] === '|') r.rect((c + 1) * px - 2, y * px, (c + 1) * px + 3, (y + 1) * px + 1, COLORS.wall);
    r.rect(0, 0, 5 * px + 1, 3, COLORS.wall);
    r.rect(0, 5 * px - 2, 5 * px + 1, 5 * px + 1, COLORS.wall);
    r.rect(0, 0, 3, 5 * px + 1, COLORS.wall);
    r.rect(5 * px - 2, 0, 5 * px + 1, 5 * px + 1, COLORS.wall);
    if (pass < 4) {
      const [qr, qc] = TAXI_LOCS[pass];
      r.disc((qc + 0.5) * px, (qr + 0.25) * px, px * 0.12, COLORS.agent);
    }
    r.rect(col * px + px * 0.25, row * px + px * 0.4, col * px + px * 0.75, row * px + px * 0.8, pass === 4 ? TAXI_FULL_RGB : TAXI_RGB);
    return r.frame();
  }

  /**
   * Taxi's scene (drawn by the dashboard's gym-scenes.js): the map (its '|' are the walls,
   * its letters the pads) and the pads' [row, col].
   */
  scene(): Record<string, unknown> {
    return {
      kind: 'taxi',
      state_names: ['taxi_row', 'taxi_col', 'passenger_location', 'destination'],
      action_names: TAXI_ACTION_NAMES.map((n) => n.toLowerCase()),
      map: TAXI_MAP,
      locations: TAXI_LOCS,
    };
  }

  drawState(i: number, out: number[]): void {
    out.push(...taxiDecode(this.dynamics.observations[i]));
  }
}

/** The Taxi-v4 env type. */
export const taxiType: EnvType = {
  id: TAXI_ID,
  description:
    "Gymnasium's Taxi-v4 (Dietterich's taxi): on a 5 x 5 grid with walls, pick the passenger up at one of four pads and drop them at their destination. " +
    'Actions 0 south, 1 north, 2 east, 3 west, 4 pickup, 5 dropoff; observation ((row * 5 + col) * 5 + passenger) * 4 + destination; ' +
    '-1 per step, +20 for the delivery, -10 for an illegal pickup or dropoff; truncated at 200 steps. Options is_rainy and fickle_passenger.',
  configOptions: taxiConfigOptions,
  resetOptions: taxiResetOptions,
  rewardFunctions: taxiRewards.map((r) => ({ name: r.name, description: r.description, params: r.params })),
  defaultRewardFunction: 'gymnasium',
  rewardThreshold: TAXI_REWARD_THRESHOLD,
  renderModes: ['ansi', 'rgb_array'],
  renderFps: 4,
  timeLimit: 200,
  transition: taxiTransition,
  describe: (config: OptionValues) => describeTaxi(config),
  create: (numEnvs, config, reward, seed) => new TaxiEnvBatch(numEnvs, config, reward, seed),
};
