/**
 * The web dashboard in a real browser (Debian's Chromium, driven by playwright-core) against
 * `gymhost serve --users FILE`, as a student and an instructor use it: log in with a token
 * (never in a URL or a log line), the overview of one's own sessions, agents and runs (an
 * instructor's has everyone's), a training run started from the page whose charts grow
 * live and which is cancelled from the page, a greedy episode animated on a canvas, the Q
 * heat map, runs compared, and a reward function switched. Screenshots go to
 * test-output/dashboard/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { GymhostClient } from '../../clients/ts/index.js';
import { launchChromium } from '../helpers/browser.js';
import { addUser, serve, type Served } from '../helpers/cli-server.js';

const SHOTS = fileURLToPath(new URL('../../test-output/dashboard/', import.meta.url));
/** Upper bound on any one wait for the page (a bound, not a measured time). */
const WAIT_MS = 90_000;

let served: Served;
let browser: Browser;
let tokens: Record<'alice' | 'bob' | 'prof', string>;
let alice: GymhostClient;
let bob: GymhostClient;
/** Every URL a page of this test requested, and every error a page reported. */
const requested: string[] = [];
const pageErrors: string[] = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymhost-dashboard-'));
  const file = path.join(dir, 'users.json');
  tokens = { alice: addUser(file, 'alice', 'student'), bob: addUser(file, 'bob', 'student'), prof: addUser(file, 'prof', 'instructor') };
  served = await serve(['--users', file, '--data-dir', ':memory:']);
  alice = new GymhostClient({ address: served.grpc, token: tokens.alice });
  bob = new GymhostClient({ address: served.grpc, token: tokens.bob });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  alice?.close();
  bob?.close();
  served?.child.kill('SIGTERM');
  await served?.exit;
});

/** A fresh browser context and page that record requests and errors. */
async function openPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('request', (r) => requested.push(r.url()));
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageErrors.push(m.text());
  });
  await page.goto(served.http + '/');
  return { context, page };
}

/** Logs in by keyboard: the token typed into the form, then Enter. */
async function logIn(page: Page, who: keyof typeof tokens): Promise<void> {
  await page.locator('#token-input').fill(tokens[who]);
  await page.locator('#token-input').press('Enter');
  await page.locator('#whoami').filter({ hasText: who }).waitFor();
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** The number in an element's text (e.g. "1,234 episodes" -> 1234). */
async function numberIn(page: Page, selector: string): Promise<number> {
  const text = (await page.locator(selector).textContent()) ?? '';
  const m = /-?[\d,]+/.exec(text);
  return m ? Number(m[0].replace(/,/g, '')) : Number.NaN;
}

/**
 * What the player's canvas holds now: how many of its pixels differ from its top-left pixel,
 * how many distinct colours it has, and a digest of its pixels (to tell two frames apart).
 */
async function canvasPixels(page: Page): Promise<{ width: number; height: number; differing: number; colours: number; digest: string }> {
  return page.locator('#player-canvas').evaluate((node) => {
    // The canvas's 2D API, typed here (the project's tsconfig has no DOM library).
    const canvas = node as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set<number>();
    let differing = 0;
    let hash = 0;
    for (let i = 0; i < data.length; i += 4) {
      const rgba = ((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3]) >>> 0;
      colours.add(rgba);
      if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2] || data[i + 3] !== data[3]) differing++;
      hash = (Math.imul(hash, 31) + rgba) | 0;
    }
    return { width: canvas.width, height: canvas.height, differing, colours: colours.size, digest: `${hash}:${differing}` };
  });
}

/** Waits until the number in `selector` satisfies `ok`. */
async function waitForNumber(page: Page, selector: string, ok: (n: number) => boolean): Promise<number> {
  for (;;) {
    const n = await numberIn(page, selector);
    if (ok(n)) return n;
    await page.waitForTimeout(100);
  }
}

describe('the dashboard in Chromium', () => {
  test('serves the page with a strict content security policy; a wrong token gets a clear error, the right one (by keyboard) shows the user', async () => {
    const res = await fetch(served.http + '/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const { context, page } = await openPage();
    await page.locator('#login-form').waitFor();
    await shot(page, 'login');
    await page.locator('#token-input').fill('not-a-token');
    await page.locator('#token-input').press('Enter');
    await page.locator('#error-banner').filter({ hasText: /token/i }).waitFor();
    await logIn(page, 'alice');
    assert.match((await page.locator('#whoami').textContent()) ?? '', /student/i);
    // The token lives in this tab's sessionStorage only.
    const storage = await page.evaluate(() => {
      const w = globalThis as any;
      return { session: JSON.stringify({ ...w.sessionStorage }), local: JSON.stringify({ ...w.localStorage }) };
    });
    assert.ok(storage.session.includes(tokens.alice), 'kept in sessionStorage');
    assert.ok(!storage.local.includes(tokens.alice), 'not in localStorage');
    await context.close();
  });

  test("the overview shows a student's own sessions, agents and runs (an instructor's everyone's), filtered and sorted", async () => {
    const mine = await alice.envs.create({ envId: 'GridWorld-v0', seed: 1, config: { world: 'small_moat' } });
    const agent = await alice.agents.create({ kind: 'tabular', env: mine.id, seed: 1 });
    const run = await alice.agents.train(agent.id, { episodes: 40, async: true });
    const theirs = await bob.envs.create({ envId: 'CartPole-v1', seed: 2 });
    const { context, page } = await openPage();
    await logIn(page, 'alice');
    await page.locator(`#envs-table [data-id="${mine.id}"]`).waitFor();
    await page.locator(`#agents-table [data-id="${agent.id}"]`).waitFor();
    await page.locator(`#runs-table [data-id="${run.id}"]`).waitFor();
    assert.equal(await page.locator(`#envs-table [data-id="${theirs.id}"]`).count(), 0, "bob's session is not shown to alice");
    await shot(page, 'overview-student');
    await context.close();

    const prof = await openPage();
    await logIn(prof.page, 'prof');
    await prof.page.locator(`#envs-table [data-id="${theirs.id}"]`).waitFor();
    await prof.page.locator(`#envs-table [data-id="${mine.id}"]`).waitFor();
    // Filtering by owner text leaves bob's rows only; sorting by a column marks it.
    const filter = prof.page.locator('#filter-text');
    await filter.fill('bob');
    await prof.page.locator(`#envs-table [data-id="${mine.id}"]`).waitFor({ state: 'detached' });
    assert.equal(await prof.page.locator(`#envs-table [data-id="${theirs.id}"]`).count(), 1);
    await filter.fill('');
    const header = prof.page.locator('#envs-table th[aria-sort] button, #envs-table th button').first();
    await header.click();
    await prof.page.locator('#envs-table th[aria-sort="ascending"], #envs-table th[aria-sort="descending"]').first().waitFor();
    await shot(prof.page, 'overview-instructor');
    await prof.context.close();
  });

  test('a run started from the page draws its charts as it goes and is cancelled from the page', async () => {
    const env = await alice.envs.create({ envId: 'CartPole-v1', seed: 3 });
    const agent = await alice.agents.create({ kind: 'dqn', env: env.id, seed: 3 });
    const { context, page } = await openPage();
    await logIn(page, 'alice');
    await page.goto(`${served.http}/#/agents/${agent.id}`);
    await page.locator('#train-form').waitFor();
    await page.locator('#train-steps').fill('2000000');
    await page.locator('#train-eval-every').fill('5000');
    await page.locator('#train-start').click();
    await page.waitForURL(/#\/runs\/run-/);
    const runId = decodeURIComponent(/#\/runs\/([^/?]+)/.exec(page.url())![1]);
    const first = await waitForNumber(page, '#run-episodes', (n) => n >= 5);
    const canvas = page.locator('#chart-return canvas').first();
    const before = await canvas.evaluate((c) => (c as any).toDataURL() as string);
    await waitForNumber(page, '#run-episodes', (n) => n >= first + 20);
    // The chart was redrawn with the new episodes.
    await page.waitForFunction(([sel, was]) => (globalThis as any).document.querySelector(sel).toDataURL() !== was, ['#chart-return canvas', before] as const);
    await shot(page, 'run-live');
    await page.locator('#run-cancel').click();
    await page.locator('#run-state').filter({ hasText: /cancel/i }).waitFor();
    const ended = await alice.agents.getRun(runId);
    assert.equal(ended.state, 4 - 1, 'RUN_STATE_CANCELLED over the API too');
    // Every episode of the run is on the page once it ended.
    await waitForNumber(page, '#run-episodes', (n) => n === Number(ended.episodes));
    await shot(page, 'run-cancelled');
    await context.close();
  });

  test("a greedy episode plays on a canvas, frame by frame as the server's evaluation recorded it; the Q heat map is drawn", async () => {
    const env = await alice.envs.create({ envId: 'GridWorld-v0', seed: 4, config: { world: 'small_maze', random_start: true } });
    const agent = await alice.agents.create({ kind: 'tabular', env: env.id, seed: 4 });
    await alice.agents.train(agent.id, { episodes: 300 });
    const seed = 11;
    const expected = await alice.agents.evaluate(agent.id, { episodes: 1, seed });
    const length = Number(expected.lengths[0]);
    const { context, page } = await openPage();
    await logIn(page, 'alice');
    await page.goto(`${served.http}/#/agents/${agent.id}`);
    await page.locator('#q-heatmap').waitFor();
    await page.locator('#play-seed').fill(String(seed));
    await page.locator('#play-button').click();
    await page.locator('#player-frame').filter({ hasText: new RegExp(`/ ${length}\\b`) }).waitFor();
    // Playing moves it on; by keyboard on the canvas, Home goes to the start (paused) and
    // each arrow key steps one frame.
    await page.locator('#player-frame').filter({ hasText: /step [1-9]/ }).waitFor();
    await page.locator('#player-canvas').focus();
    await page.keyboard.press('Home');
    await page.locator('#player-frame').filter({ hasText: /step 0 / }).waitFor();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.locator('#player-frame').filter({ hasText: new RegExp(`step ${Math.min(2, length)} /`) }).waitFor();
    await page.keyboard.press('ArrowLeft');
    await page.locator('#player-frame').filter({ hasText: new RegExp(`step ${Math.min(2, length) - 1} /`) }).waitFor();
    await page.locator('#player-lights-off').check();
    await shot(page, 'episode-gridworld');
    await context.close();

    const cartEnv = await alice.envs.create({ envId: 'CartPole-v1', seed: 5 });
    const cartAgent = await alice.agents.create({ kind: 'dqn', env: cartEnv.id, seed: 5 });
    const cart = await openPage();
    await logIn(cart.page, 'alice');
    await cart.page.goto(`${served.http}/#/agents/${cartAgent.id}`);
    await cart.page.locator('#play-seed').fill('0');
    await cart.page.locator('#play-button').click();
    const cartLength = Number((await alice.agents.evaluate(cartAgent.id, { episodes: 1, seed: 0 })).lengths[0]);
    await cart.page.locator('#player-frame').filter({ hasText: new RegExp(`/ ${cartLength}\\b`) }).waitFor();
    await shot(cart.page, 'episode-cartpole');
    await cart.context.close();
  });

  test('greedy Taxi, MountainCar and Acrobot episodes play on the canvas, as many frames as Evaluate recorded; their heat map gives way to a note', async () => {
    const cases = [
      { name: 'taxi', envId: 'Taxi-v4', kind: 'tabular', train: 400, info: /passenger (in the taxi|waiting at [RGYB]); destination [RGYB]/, why: /No Q heat map for Taxi/ },
      { name: 'mountaincar', envId: 'MountainCar-v0', kind: 'dqn', train: 0, info: /position -?\d/, why: /continuous/ },
      { name: 'acrobot', envId: 'Acrobot-v1', kind: 'dqn', train: 0, info: /free end at height -?\d/, why: /continuous/ },
    ] as const;
    for (const c of cases) {
      const errorsBefore = pageErrors.length;
      const env = await alice.envs.create({ envId: c.envId, seed: 8 });
      const agent = await alice.agents.create({ kind: c.kind, env: env.id, seed: 8 });
      if (c.train) await alice.agents.train(agent.id, { episodes: c.train });
      const seed = 3;
      const expected = await alice.agents.evaluate(agent.id, { episodes: 1, seed, recordTrajectories: true });
      const length = Number(expected.lengths[0]);
      assert.ok(length > 0, `${c.envId}: an episode of ${length} steps`);
      assert.equal((expected.scene as any)?.kind, c.name === 'mountaincar' ? 'mountain_car' : c.name);
      const { context, page } = await openPage();
      await logIn(page, 'alice');
      await page.goto(`${served.http}/#/agents/${agent.id}`);
      await page.locator('#play-seed').fill(String(seed));
      await page.locator('#play-button').click();
      await page.locator('#player-frame').filter({ hasText: new RegExp(`/ ${length}$`) }).waitFor();
      assert.equal(await page.locator('#player-slider').getAttribute('max'), String(length), c.envId);
      assert.equal(await page.locator('#player').filter({ hasText: 'cannot be drawn' }).count(), 0);
      // The first frame and the last, by keyboard on the canvas: both drawn, and different.
      await page.locator('#player-canvas').focus();
      await page.keyboard.press('Home');
      await page.locator('#player-frame').filter({ hasText: new RegExp(`^step 0 / ${length}$`) }).waitFor();
      const first = await canvasPixels(page);
      await page.keyboard.press('End');
      await page.locator('#player-frame').filter({ hasText: new RegExp(`^step ${length} / ${length}$`) }).waitFor();
      await page.locator('#player-info').filter({ hasText: c.info }).waitFor();
      const last = await canvasPixels(page);
      for (const px of [first, last]) {
        assert.ok(px.width > 0 && px.height > 0, `${c.envId}: a sized canvas`);
        assert.ok(px.colours >= 4, `${c.envId}: ${px.colours} colours on the canvas`);
        assert.ok(px.differing > 0.01 * px.width * px.height, `${c.envId}: ${px.differing} drawn pixels`);
      }
      assert.notEqual(first.digest, last.digest, `${c.envId}: the last frame differs from the first`);
      // One step back from the end, by the button.
      await page.locator('#player-step-back').click();
      await page.locator('#player-frame').filter({ hasText: new RegExp(`^step ${length - 1} / ${length}$`) }).waitFor();
      await page.locator('#q-heatmap-status').filter({ hasText: c.why }).waitFor();
      assert.equal(await page.locator('#q-heatmap').count(), 0);
      assert.equal(await page.locator('#q-heatmap-refresh').isVisible(), false);
      await shot(page, `episode-${c.name}`);
      await context.close();
      assert.deepEqual(pageErrors.slice(errorsBefore), [], `${c.envId}: the page raised no errors`);
    }
  });

  test('runs compared: their return curves overlaid and the differences of their configs listed', async () => {
    const env = await alice.envs.create({ envId: 'GridWorld-v0', seed: 6, config: { world: 'small_moat' } });
    const a = await alice.agents.create({ kind: 'tabular', env: env.id, seed: 6, config: { alpha: 0.5 } });
    const b = await alice.agents.create({ kind: 'tabular', env: env.id, seed: 6, config: { alpha: 0.05 } });
    const runA = (await alice.agents.train(a.id, { episodes: 60 })).run;
    const runB = (await alice.agents.train(b.id, { episodes: 80 })).run;
    const { context, page } = await openPage();
    await logIn(page, 'alice');
    await page.goto(`${served.http}/#/compare?runs=${runA},${runB}`);
    await page.locator('#compare-chart canvas').first().waitFor();
    // Both runs' episodes arrived (60 and 80 charted).
    await page.locator(`#compare-runs [data-id="${runA}"] td`).filter({ hasText: /^60$/ }).waitFor();
    await page.locator(`#compare-runs [data-id="${runB}"] td`).filter({ hasText: /^80$/ }).waitFor();
    await page.locator('#compare-diff').filter({ hasText: /alpha/ }).waitFor();
    await page.locator('#compare-diff').filter({ hasText: /0\.05/ }).waitFor();
    await shot(page, 'compare');
    await context.close();
  });

  test("an env session's reward functions are listed with their parameters and one is switched; bad parameters get the server's message", async () => {
    const env = await alice.envs.create({ envId: 'GridWorld-v0', seed: 7 });
    const { context, page } = await openPage();
    await logIn(page, 'alice');
    await page.goto(`${served.http}/#/envs/${env.id}`);
    await page.locator('#reward-form').waitFor();
    // A parameter out of its range: the server's message, and the session keeps its reward.
    await page.locator('#reward-select').selectOption('distance_shaping');
    await page.locator('#reward-param-gamma').fill('7');
    await page.locator('#reward-submit').click();
    await page.locator('#error-banner').filter({ hasText: /gamma/ }).waitFor();
    assert.equal((await alice.envs.get(env.id)).rewardFunction, 'seed');
    await page.locator('#reward-select').selectOption('seed_v2');
    await page.locator('#reward-param-hazard').fill('-50');
    await page.locator('#reward-submit').click();
    for (;;) {
      const now = await alice.envs.get(env.id);
      if (now.rewardFunction === 'seed_v2') {
        assert.equal((now.rewardParams as any).hazard, -50);
        break;
      }
      await page.waitForTimeout(100);
    }
    await page.locator('#reward-current').filter({ hasText: 'seed_v2' }).waitFor();
    await shot(page, 'rewards');
    await context.close();
  });

  test('the token never appeared in a URL the pages requested nor in a server log line; the pages raised no errors', () => {
    assert.ok(requested.length > 20, `${requested.length} requests`);
    for (const t of Object.values(tokens)) {
      assert.ok(!requested.some((u) => u.includes(t)), 'a token in a URL');
      assert.ok(!served.lines().some((l) => l.includes(t)), 'a token in a log line');
    }
    assert.deepEqual(pageErrors, []);
  });
});
