/**
 * Dashboard: does a live run's page stay smooth while thousands of episodes arrive? Measured
 * in Debian's Chromium (playwright-core, headless) against `node bin/gymhost.js serve` on
 * 127.0.0.1. Run on demand; prints figures, never asserts.
 *
 * A tabular agent (preset seed-tabular-gridworld) trains on GridWorld-v0 small_moat with
 * random starts (seed 1) for --steps (3,000,000) env steps, async, evaluating every 250,000
 * steps; the run's page (#/runs/ID) is opened at once and watched for --seconds (40) or until
 * the run ends. The page's main thread is sampled with a PerformanceObserver of long tasks
 * (> 50 ms) and a requestAnimationFrame counter. The peer, measured in the same run and the
 * same browser: the same page for the same time before the run starts (the overview, idle
 * apart from its 3 s refresh), i.e. what the machine gives a page that charts nothing.
 * Figures: episodes charted per second, frames per second live vs idle (ratio), long tasks
 * (count, total and largest, ms), and the time to replay the finished run on a reload.
 * **Goal: live frame rate at least 0.8x idle; no long task above 200 ms.**
 *
 *   node --import tsx bench/dashboard.ts [--steps 3000000] [--seconds 40]
 */
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/helpers/browser.js';
import { serve } from '../test/helpers/cli-server.js';
import { fmtMachine, machine, textTable } from './lib.js';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '3000000' }, seconds: { type: 'string', default: '40' } } });
const steps = Number(values.steps);
const seconds = Number(values.seconds);

/** Starts counting animation frames and long tasks in the page; returns a reader of both. */
async function startMeter(page: Page): Promise<() => Promise<{ frames: number; longTasks: number[]; seconds: number }>> {
  // A string, not a function: tsx would wrap a named inner function in a helper the page lacks.
  await page.evaluate(`(() => {
    window.__meter = { frames: 0, long: [], t0: performance.now() };
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__meter.long.push(e.duration); }).observe({ type: 'longtask' });
    const tick = () => { window.__meter.frames++; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  })()`);
  return () =>
    page.evaluate(() => {
      const m = (globalThis as any).__meter;
      return { frames: m.frames, longTasks: m.long, seconds: ((globalThis as any).performance.now() - m.t0) / 1000 };
    });
}

const served = await serve(['--data-dir', ':memory:', '--log-level', 'warn']);
const post = async (p: string, body: unknown) => (await fetch(served.http + p, { method: 'POST', body: JSON.stringify(body) })).json() as Promise<any>;
const browser = await launchChromium();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  // The peer: the overview page, idle, for the same time.
  await page.goto(served.http + '/');
  await page.locator('#envs-table').waitFor();
  const idleRead = await startMeter(page);
  await page.waitForTimeout(seconds * 1000);
  const idle = await idleRead();

  const env = await post('/v1/envs', { envId: 'GridWorld-v0', seed: 1, config: { world: 'small_moat', random_start: true } });
  const agent = await post('/v1/agents', { preset: 'seed-tabular-gridworld', env: env.id, seed: 1 });
  const run = await post(`/v1/agents/${agent.id}:train`, { steps, async: true, evalEverySteps: 250_000, evalEpisodes: 5 });
  if (!run.id) throw new Error(`Train failed: ${JSON.stringify(run)}`);
  await page.goto(`${served.http}/#/runs/${run.id}`);
  await page.locator('#run-episodes').waitFor();
  const liveRead = await startMeter(page);
  const started = Date.now();
  while (Date.now() - started < seconds * 1000) {
    await page.waitForTimeout(500);
    if (/succeeded|cancel|failed/i.test((await page.locator('#run-state').textContent()) ?? '')) break;
  }
  const live = await liveRead();
  const charted = Number(((await page.locator('#run-episodes').textContent()) ?? '0').replace(/[^\d]/g, ''));
  await post(`/v1/runs/${run.id}:cancel`, {});
  const ended = (await (await fetch(`${served.http}/v1/runs/${run.id}`)).json()) as any;
  const t0 = Date.now();
  await page.reload();
  await page.locator('#run-live-status').filter({ hasText: /all episodes received/ }).waitFor({ timeout: 120_000 });
  const replayMs = Date.now() - t0;
  const replayed = Number(((await page.locator('#run-episodes').textContent()) ?? '0').replace(/[^\d]/g, ''));

  const fps = (m: typeof idle) => m.frames / m.seconds;
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  console.log(
    textTable(
      ['figure', 'live run page', 'idle page (peer)', 'ratio'],
      [
        ['seconds measured', live.seconds.toFixed(1), idle.seconds.toFixed(1), ''],
        ['episodes charted', String(charted), '0', ''],
        ['episodes charted / s', (charted / live.seconds).toFixed(0), '', ''],
        ['frames / s', fps(live).toFixed(1), fps(idle).toFixed(1), `${(fps(live) / fps(idle)).toFixed(2)}x`],
        ['long tasks (> 50 ms)', String(live.longTasks.length), String(idle.longTasks.length), ''],
        ['long tasks total ms', total(live.longTasks).toFixed(0), total(idle.longTasks).toFixed(0), ''],
        ['largest long task ms', Math.max(0, ...live.longTasks).toFixed(0), Math.max(0, ...idle.longTasks).toFixed(0), ''],
      ],
    ),
  );
  console.log(`run: ${ended.episodes} episodes, ${ended.steps} steps; reload of the ended run: its ${replayed} kept records (WatchRun replay) charted in ${replayMs} ms`);
  console.log(fmtMachine(machine()));
} finally {
  await browser.close();
  served.child.kill('SIGTERM');
  await served.exit;
}
