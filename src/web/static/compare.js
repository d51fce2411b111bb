// Compare runs (#/compare?runs=A,B,C): their return curves (moving average) overlaid in one
// chart, and a table of the settings in which they differ (train request, agent kind, preset
// and config, env type and config, reward function and parameters). Each run is read with
// WatchRun replay; finished runs end their stream, running ones keep drawing.

import { api, isAbort, seg, showError } from './api.js';
import { badge, el, field, link, replace, setText } from './dom.js';
import { enumLabel, flatten, fmt, num, valueText } from './format.js';
import { PALETTE, decimate, joinTables, lineChart, pointsFor, throttled } from './charts.js';
import { RunFollower } from './run-stream.js';

/** Run streams followed at once. */
const STREAMS = 3;

/** Keys shown even when equal. */
const ALWAYS = ['agent.kind', 'agent.preset'];

/** @param {HTMLElement} root @param {import('./app.js').ViewContext} ctx */
export async function compareView(root, ctx) {
  const ids = [...new Set((ctx.query.get('runs') ?? '').split(',').map((s) => s.trim()).filter(Boolean))];
  root.append(el('div', { class: 'view-head' }, el('h1', { id: 'view-title', tabindex: '-1' }, 'Compare runs')));
  if (!ids.length) {
    root.append(el('p', null, 'No runs chosen. Tick runs in the ', el('a', { href: '#/' }, 'overview'), ' and press “Compare selected runs”.'));
    return;
  }

  const windowInput = el('input', { id: 'compare-window', type: 'number', min: '1', step: '1', value: '100', class: 'narrow' });
  const chartBox = el('div', { id: 'compare-chart', class: 'chart wide' });
  const runsBody = el('tbody');
  const runsTable = el(
    'table',
    { id: 'compare-runs', class: 'data' },
    el('caption', null, 'Runs'),
    el('thead', null, el('tr', null, ['', 'Run', 'State', 'Agent', 'Env session', 'Episodes charted', 'Mean return (100)'].map((h) => el('th', { scope: 'col' }, h)))),
    runsBody,
  );
  const diffBox = el('div', { id: 'compare-diff-box' });
  root.append(
    el('section', { class: 'panel' }, el('h2', null, 'Return (moving average)'), el('div', { class: 'inline-form' }, field('Moving average window (episodes)', windowInput)), chartBox),
    el('section', { class: 'panel' }, el('div', { class: 'table-wrap' }, runsTable)),
    el('section', { class: 'panel' }, el('h2', null, 'Settings that differ'), diffBox),
  );

  const followers = ids.map((id) => new RunFollower(id, 100));
  const details = ids.map(() => ({ agent: null, env: null, error: '', agentMissing: false }));
  const chart = lineChart(chartBox, {
    title: 'Episode return, moving average',
    yLabel: 'return',
    height: 340,
    series: ids.map((id, i) => ({ label: id, stroke: PALETTE[i % PALETTE.length], width: 2 })),
  });
  ctx.onLeave(() => chart.destroy());

  // ---- runs table ----
  const rowEls = ids.map((id, i) => {
    const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.background = PALETTE[i % PALETTE.length];
    const cells = { state: el('td'), agent: el('td', { class: 'mono' }), env: el('td', { class: 'mono' }), count: el('td', { class: 'num' }), mean: el('td', { class: 'num' }) };
    const tr = el('tr', { dataset: { id } }, el('td', null, swatch), el('td', { class: 'mono' }, link(`/runs/${id}`, id)), cells.state, cells.agent, cells.env, cells.count, cells.mean);
    runsBody.append(tr);
    return cells;
  });
  function renderRuns() {
    followers.forEach((f, i) => {
      const run = f.run;
      const cells = rowEls[i];
      if (run) {
        const state = enumLabel(run.state);
        if (cells.state.textContent !== state) replace(cells.state, badge(state, run.error));
        if (!cells.agent.firstChild) replace(cells.agent, link(`/agents/${run.agent}`, run.agent));
        if (!cells.env.firstChild) replace(cells.env, link(`/envs/${run.env}`, run.env));
        setText(cells.mean, fmt(run.meanReturn100));
      } else if (details[i].error) setText(cells.state, details[i].error);
      setText(cells.count, fmt(f.series.arrived));
    });
  }

  // ---- chart ----
  const redraw = throttled(() => {
    const target = pointsFor(chart);
    const tables = followers.map((f) => decimate(f.series.x.view(), [f.series.ma.view()], 0, target));
    const data = tables.some((t) => t[0].length) ? joinTables(tables) : [[], ...ids.map(() => [])];
    chart.setData(/** @type {any} */ (data));
    renderRuns();
  }, 300);
  ctx.onLeave(() => redraw.stop());
  windowInput.addEventListener('change', () => {
    const w = Number(/** @type {HTMLInputElement} */ (windowInput).value);
    if (!Number.isFinite(w) || w < 1) return;
    followers.forEach((f) => f.series.setWindow(w));
    redraw.flush();
  });

  // ---- settings ----
  function settingsOf(i) {
    const run = followers[i].run;
    const { agent, env } = details[i];
    const req = { ...(run?.request ?? {}) };
    for (const k of ['id', 'env', 'stream', 'async']) delete req[k];
    // Budgets: 0 means "not given".
    for (const k of ['episodes', 'steps', 'evalEverySteps']) if (num(req[k]) === 0) delete req[k];
    return {
      'agent.kind': agent?.kind ?? (details[i].agentMissing ? '(agent deleted)' : undefined),
      'agent.preset': agent ? agent.preset || '(none)' : undefined,
      ...flatten(req, 'train'),
      ...flatten(agent?.config ?? {}, 'agent.config'),
      'env.type': env?.envId,
      ...flatten(env?.config ?? {}, 'env.config'),
      'env.reward': env?.rewardFunction,
      ...flatten(env?.rewardParams ?? {}, 'env.rewardParams'),
    };
  }
  function renderDiff() {
    const settings = ids.map((_, i) => settingsOf(i));
    const keys = [...new Set(settings.flatMap((s) => Object.keys(s)))].filter((k) => settings.some((s) => s[k] !== undefined));
    const order = (k) => (ALWAYS.includes(k) ? 0 : k.startsWith('train.') ? 1 : k.startsWith('agent.') ? 2 : k === 'env.type' ? 3 : k === 'env.reward' || k.startsWith('env.rewardParams.') ? 4 : 5);
    keys.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
    const differs = (k) => new Set(settings.map((s) => JSON.stringify(s[k] ?? null))).size > 1;
    const shown = ids.length < 2 ? keys : keys.filter((k) => ALWAYS.includes(k) || differs(k));
    const sameCount = keys.length - shown.length;
    replace(
      diffBox,
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { id: 'compare-diff', class: 'data diff' },
          el('caption', null, ids.length < 2 ? 'Settings of the run (pick two or more runs to see differences)' : `${shown.length - ALWAYS.filter((k) => shown.includes(k) && !differs(k)).length} settings differ; ${sameCount} are equal and hidden`),
          el('thead', null, el('tr', null, el('th', { scope: 'col' }, 'Setting'), ids.map((id, i) => el('th', { scope: 'col', class: 'mono' }, swatchOf(i), ' ', id)))),
          el(
            'tbody',
            null,
            shown.map((k) =>
              el(
                'tr',
                { dataset: { key: k }, class: differs(k) ? 'differs' : null },
                el('th', { scope: 'row', class: 'mono' }, k),
                settings.map((s) => el('td', { class: 'mono' }, s[k] === undefined ? '—' : valueText(s[k]))),
              ),
            ),
          ),
        ),
      ),
      el('p', { class: 'muted small' }, 'Agent and env settings are read now (an env’s reward may have been switched since the run).'),
    );
  }
  const swatchOf = (i) => {
    const s = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    s.style.background = PALETTE[i % PALETTE.length];
    return s;
  };

  async function loadDetails(i, run) {
    const d = details[i];
    try {
      d.agent = await api(`/v1/agents/${seg(run.agent)}`, { signal: ctx.signal });
    } catch (e) {
      if (e?.status === 404) d.agentMissing = true;
      else if (!isAbort(e)) showError(e, `compare-agent-${i}`);
    }
    try {
      d.env = await api(`/v1/envs/${seg(run.env)}`, { signal: ctx.signal });
    } catch (e) {
      if (e?.status !== 404 && !isAbort(e)) showError(e, `compare-env-${i}`);
    }
    if (!ctx.left) renderDiff();
  }

  // A browser opens at most six connections to one server; a running run's stream holds one
  // until the run ends, so at most STREAMS are followed at once (the others wait their turn).
  let free = STREAMS;
  const waiting = [];
  const slot = () => (free > 0 ? (free--, Promise.resolve()) : new Promise((resolve) => waiting.push(resolve)));
  const release = () => (waiting.length ? waiting.shift()() : free++);

  renderDiff();
  followers.forEach(async (f, i) => {
    await slot();
    if (ctx.left) return;
    f.follow(ctx.signal, {
      onRun: (run, first) => {
        if (first) loadDetails(i, run);
        redraw.schedule();
      },
      onData: () => redraw.schedule(),
    })
      .then(() => redraw.schedule())
      .catch((e) => {
        if (isAbort(e) || ctx.left) return;
        details[i].error = e?.code === 'NOT_FOUND' ? 'not found' : 'error';
        showError(e, `compare-${ids[i]}`);
        redraw.schedule();
      })
      .finally(release);
  });
}
