// A training run, live (#/runs/ID): its state and settings, charts of every episode (return
// with its moving average and the evaluations, length, loss, epsilon) fed by WatchRun and
// redrawn a few times a second, and Cancel / Pause live view / Run again.

import { api, clearError, isAbort, seg, showError } from './api.js';
import { badge, definitionList, el, field, kvTable, link, replace, section, setText } from './dom.js';
import { budget, dateTime, enumLabel, fmt, fmtDuration, num } from './format.js';
import { PALETTE, decimate, lineChart, overlayKey, pointsFor, throttled } from './charts.js';
import { ENDED, RunFollower } from './run-stream.js';

const REDRAW_MS = 200;

/** @param {HTMLElement} root @param {import('./app.js').ViewContext} ctx */
export async function runView(root, ctx) {
  const id = ctx.params.id;
  const follower = new RunFollower(id, 100);
  let paused = false;
  let agent = null;
  let env = null;

  // ---- header and actions ----
  const stateEl = el('span', { id: 'run-state', class: 'badge', 'aria-live': 'polite' }, '…');
  const cancelBtn = el('button', { type: 'button', id: 'run-cancel', class: 'danger', hidden: true, onclick: cancel }, 'Cancel run');
  const pauseBtn = el('button', { type: 'button', id: 'run-pause', onclick: togglePause }, 'Pause live view');
  const againBtn = el('button', { type: 'button', id: 'run-again', disabled: true, onclick: runAgain }, 'Run again');
  const reconnectBtn = el('button', { type: 'button', id: 'run-reconnect', hidden: true, onclick: () => follow() }, 'Reconnect');
  const episodesEl = el('strong', { id: 'run-episodes' }, '0');
  const receivedEl = el('span', { id: 'run-received', class: 'muted' });
  const liveEl = el('span', { id: 'run-live-status', role: 'status' }, 'connecting…');
  const noticeEl = el('p', { class: 'notice', id: 'run-notice', hidden: true });

  const info = el('div', { id: 'run-info' });
  const config = el('div', { id: 'run-config' });
  const evalTable = el('table', { id: 'run-evaluations', class: 'data' });

  const windowInput = el('input', { id: 'ma-window', type: 'number', min: '1', max: '100000', step: '1', value: '100', class: 'narrow' });
  windowInput.addEventListener('change', () => {
    const w = Number(/** @type {HTMLInputElement} */ (windowInput).value);
    if (!Number.isFinite(w) || w < 1) return;
    follower.series.setWindow(w);
    redraw.flush();
  });

  const chartBoxes = {
    ret: el('div', { id: 'chart-return', class: 'chart wide' }),
    len: el('div', { id: 'chart-length', class: 'chart' }),
    loss: el('div', { id: 'chart-loss', class: 'chart' }),
    eps: el('div', { id: 'chart-epsilon', class: 'chart' }),
  };
  const lossNote = el('p', { class: 'muted small chart-note', hidden: true }, 'No loss values: no gradient steps ran in these episodes (a tabular agent has none).');
  chartBoxes.loss.append(lossNote);

  root.append(
    el('div', { class: 'view-head' }, el('h1', { id: 'view-title', tabindex: '-1' }, 'Training run ', el('span', { class: 'mono' }, id)), stateEl),
    el('div', { class: 'actions' }, cancelBtn, pauseBtn, againBtn, reconnectBtn),
    el('p', { class: 'live-line' }, 'Episodes charted: ', episodesEl, ' ', receivedEl, ' · ', liveEl),
    noticeEl,
    section(
      'Episodes',
      { id: 'charts-section' },
      el('div', { class: 'inline-form' }, field('Moving average window (episodes)', windowInput)),
      el('div', { class: 'charts' }, chartBoxes.ret, overlayKey(), chartBoxes.len, chartBoxes.loss, chartBoxes.eps),
    ),
    el('div', { class: 'grid two' }, section('Run', null, info), section('Settings', null, config)),
    section('Evaluations', { id: 'evaluations-section' }, el('div', { class: 'table-wrap' }, evalTable)),
  );

  const overlay = () => {
    const list = follower.evaluationList();
    const best = bestOf(list);
    return list.map((e) => ({ x: num(e.episodes), mean: num(e.meanReward), std: num(e.stdReward), best: e === best }));
  };
  const sync = `run-${id}`;
  const charts = [
    lineChart(chartBoxes.ret, {
      title: 'Episode return',
      yLabel: 'return',
      sync,
      height: 280,
      overlay,
      series: [
        { label: 'return', stroke: 'rgba(0, 114, 178, 0.35)', width: 1 },
        { label: 'moving average', stroke: PALETTE[0], width: 2.5 },
      ],
    }),
    lineChart(chartBoxes.len, { title: 'Episode length', yLabel: 'steps', sync, series: [{ label: 'length', stroke: PALETTE[2], width: 1 }] }),
    lineChart(chartBoxes.loss, { title: 'Loss (mean of the episode’s gradient steps)', yLabel: 'loss', sync, series: [{ label: 'loss', stroke: PALETTE[3], width: 1 }] }),
    lineChart(chartBoxes.eps, { title: 'Exploration ε', yLabel: 'ε', sync, yFixed: [0, 1.05], series: [{ label: 'ε', stroke: PALETTE[4], width: 1.5 }] }),
  ];
  ctx.onLeave(() => charts.forEach((c) => c.destroy()));

  let drawnEvals = -1;
  let chartedCount = 0;
  const redraw = throttled(() => {
    const s = follower.series;
    const notes = [];
    if (s.lastX > s.arrived) notes.push(`of ${fmt(s.lastX)} episodes: the server replays a long run’s older episodes thinned and skips some when the page falls behind`);
    if (s.stride > 1) notes.push(`1 in ${s.stride} kept for the charts`);
    if (paused) notes.push('paused');
    setText(receivedEl, notes.length ? `(${notes.join('; ')})` : '');
    if (paused) {
      setText(episodesEl, `${fmt(chartedCount)} (${fmt(s.arrived)} received)`);
      return;
    }
    chartedCount = s.arrived;
    const x = s.x.view();
    charts[0].setData(decimate(x, [s.ret.view(), s.ma.view()], 0, pointsFor(charts[0])));
    charts[1].setData(decimate(x, [s.len.view()], 0, pointsFor(charts[1])));
    charts[2].setData(decimate(x, [s.loss.view()], 0, pointsFor(charts[2])));
    charts[3].setData(decimate(x, [s.eps.view()], 0, pointsFor(charts[3])));
    lossNote.hidden = s.size === 0 || s.anyLoss;
    setText(episodesEl, fmt(s.arrived));
    if (follower.evaluations.size !== drawnEvals) {
      drawnEvals = follower.evaluations.size;
      renderEvaluations();
    }
  }, REDRAW_MS);
  ctx.onLeave(() => redraw.stop());

  function togglePause() {
    paused = !paused;
    pauseBtn.textContent = paused ? 'Resume live view' : 'Pause live view';
    pauseBtn.classList.toggle('active', paused);
    redraw.flush();
  }

  // ---- run info ----
  function renderRun() {
    const run = follower.run;
    if (!run) return;
    const state = enumLabel(run.state);
    setText(stateEl, state);
    stateEl.className = `badge state-${state}`;
    const running = run.state === 'RUN_STATE_RUNNING';
    const mine = ctx.canWrite(run.owner);
    cancelBtn.hidden = !running || !mine;
    pauseBtn.hidden = !running && !paused;
    againBtn.hidden = !mine;
    againBtn.disabled = running || !run.agent;
    const best = bestOf(follower.evaluationList()) ?? follower.evaluationList().find((e) => run.bestEvaluation !== undefined && num(e.index) === num(run.bestEvaluation));
    const episodes = Math.max(num(run.episodes) || 0, follower.series.lastX);
    replace(
      info,
      definitionList(/** @type {[string, any][]} */ ([
        ['State', badge(state, run.error)],
        ['Agent', run.agent ? link(`/agents/${run.agent}`, run.agent, { class: 'mono' }) : '—'],
        ['Env session', run.env ? link(`/envs/${run.env}`, run.env, { class: 'mono' }) : '—'],
        ['Owner', run.owner],
        ['Budget', budget(run.request)],
        ['Episodes / steps', `${fmt(episodes)} / ${fmt(run.steps)}`],
        ['Mean return (last 100)', fmt(run.meanReturn100)],
        ['Last return', fmt(run.lastReturn)],
        ['Best evaluation', best ? `${fmt(best.meanReward)} ± ${fmt(best.stdReward)} (#${best.index}, after ${fmt(best.episodes)} episodes, ${fmt(best.steps)} steps)` : '—'],
        ['Reached threshold', run.request?.stopAtMeanReward !== undefined ? (run.reachedThreshold ? 'yes' : 'no') : '—'],
        ['Started', dateTime(run.createTime)],
        ['Ended', run.endTime ? dateTime(run.endTime) : '—'],
        ['Training wall time', num(run.wallTimeMs) > 0 ? fmtDuration(run.wallTimeMs) : '—'],
        ['Resumes after restarts', fmt(run.resumes ?? 0)],
        run.error ? ['Error', el('span', { class: 'error-text' }, run.error)] : null,
      ].filter(Boolean))),
    );
  }

  function renderConfig() {
    const run = follower.run;
    if (!run) return;
    const req = { ...(run.request ?? {}) };
    for (const k of ['id', 'stream', 'async']) delete req[k];
    const count = (o) => Object.keys(o ?? {}).length;
    replace(
      config,
      el('h3', null, 'Train request'),
      kvTable(req, 'run-request'),
      agent
        ? el('details', { id: 'run-agent-details' }, el('summary', null, `Agent: ${agent.kind}${agent.preset ? `, preset ${agent.preset}` : ''} (${count(agent.config)} settings)`), kvTable({ kind: agent.kind, preset: agent.preset || '—', engine: agent.engine, ...agent.config }, 'run-agent-config'))
        : el('p', { class: 'muted' }, agentMissing ? 'The agent no longer exists.' : 'Loading the agent…'),
      env
        ? el('details', { id: 'run-env-details' }, el('summary', null, `Env session: ${env.envId}, reward ${env.rewardFunction} (${count(env.config)} settings)`), kvTable({ envId: env.envId, ...prefix(env.config, 'config'), reward: env.rewardFunction, ...prefix(env.rewardParams, 'reward') }, 'run-env-config'))
        : el('p', { class: 'muted' }, envMissing ? 'The env session no longer exists.' : 'Loading the env session…'),
    );
  }
  let agentMissing = false;
  let envMissing = false;

  function renderEvaluations() {
    const run = follower.run;
    const list = follower.evaluationList();
    const bestEval = bestOf(list);
    replace(
      evalTable,
      el('caption', null, list.length ? `${list.length} evaluation${list.length === 1 ? '' : 's'}` : run?.request && num(run.request.evalEverySteps) > 0 ? 'No evaluation yet.' : 'This run does not evaluate (no evalEverySteps).'),
      el('thead', null, el('tr', null, ['#', 'After episodes', 'After steps', 'Mean reward', 'Std', 'Time'].map((h) => el('th', { scope: 'col' }, h)))),
      el(
        'tbody',
        null,
        list.map((e) => {
          const best = e === bestEval;
          return el(
            'tr',
            { class: best ? 'best' : null, dataset: { index: String(e.index) } },
            el('td', null, String(e.index), best ? el('span', { class: 'badge state-best' }, 'best') : null),
            el('td', { class: 'num' }, fmt(e.episodes)),
            el('td', { class: 'num' }, fmt(e.steps)),
            el('td', { class: 'num' }, fmt(e.meanReward)),
            el('td', { class: 'num' }, fmt(e.stdReward)),
            el('td', null, dateTime(e.time)),
          );
        }),
      ),
    );
  }

  async function loadRelated(run) {
    if (run.agent && !agent && !agentMissing) {
      try {
        agent = await api(`/v1/agents/${seg(run.agent)}`, { signal: ctx.signal });
      } catch (e) {
        if (e?.status === 404) agentMissing = true;
        else if (!isAbort(e)) showError(e, 'run-agent');
      }
    }
    if (run.env && !env && !envMissing) {
      try {
        env = await api(`/v1/envs/${seg(run.env)}`, { signal: ctx.signal });
      } catch (e) {
        if (e?.status === 404) envMissing = true;
        else if (!isAbort(e)) showError(e, 'run-env');
      }
    }
    if (!ctx.left) renderConfig();
  }

  // ---- actions ----
  async function cancel() {
    cancelBtn.disabled = true;
    setText(liveEl, 'cancelling…');
    try {
      const res = await api(`/v1/runs/${seg(id)}:cancel`, { method: 'POST', body: {}, signal: ctx.signal });
      follower.setRun(res.run ?? res);
      renderRun();
    } catch (e) {
      showError(e);
    } finally {
      cancelBtn.disabled = false;
    }
  }

  async function runAgain() {
    const run = follower.run;
    if (!run) return;
    const body = { ...(run.request ?? {}), async: true };
    delete body.id;
    delete body.stream;
    againBtn.disabled = true;
    try {
      const next = await api(`/v1/agents/${seg(run.agent)}:train`, { body, signal: ctx.signal });
      const newRun = next.run ?? next;
      location.hash = `#/runs/${encodeURIComponent(newRun.id)}`;
    } catch (e) {
      showError(e);
      againBtn.disabled = false;
    }
  }

  // ---- the stream ----
  async function follow() {
    reconnectBtn.hidden = true;
    setText(liveEl, 'connecting…');
    try {
      await follower.follow(ctx.signal, {
        onRun: (run, first) => {
          renderRun();
          if (first) {
            renderConfig();
            loadRelated(run);
            setText(liveEl, ENDED.has(run.state) ? 'loading the episodes of a finished run…' : 'live');
          }
          redraw.schedule();
        },
        onData: () => redraw.schedule(),
        onEvaluation: () => renderRun(),
        onNotice: (text) => {
          noticeEl.hidden = false;
          noticeEl.textContent = text;
        },
      });
      if (ctx.left) return;
      redraw.flush();
      const run = follower.run;
      if (run && !ENDED.has(run.state)) {
        // The stream ended without the run ending (server shutting down?): offer to reconnect.
        setText(liveEl, 'the server ended the live stream');
        reconnectBtn.hidden = false;
      } else setText(liveEl, `run ${enumLabel(run?.state)}; all episodes received`);
      clearError('run-stream');
      renderRun();
    } catch (e) {
      if (ctx.left || isAbort(e)) return;
      if (e?.code === 'NOT_FOUND' && !follower.run) {
        replace(root, el('h1', { id: 'view-title', tabindex: '-1' }, 'Training run not found'), el('p', null, e.message, '. ', el('a', { href: '#/' }, 'Back to the overview')));
        return;
      }
      showError(e, 'run-stream');
      setText(liveEl, 'disconnected');
      reconnectBtn.hidden = false;
      redraw.flush();
    }
  }

  // The stream sends the run only at its start and end: poll its progress in between.
  ctx.every(3000, async () => {
    if (!follower.run || ENDED.has(follower.run.state)) return;
    const run = await api(`/v1/runs/${seg(id)}`, { signal: ctx.signal });
    if (ctx.left) return;
    if (follower.ended && ENDED.has(follower.run.state)) return;
    follower.setRun(run);
    renderRun();
    redraw.schedule();
  }, 'run-poll');

  follow();
}

/** The best evaluation: highest mean, the earliest on ties (the server's definition). */
function bestOf(list) {
  let best = null;
  for (const e of list) if (Number.isFinite(num(e.meanReward)) && (!best || num(e.meanReward) > num(best.meanReward))) best = e;
  return best;
}

function prefix(obj, p) {
  return Object.fromEntries(Object.entries(obj ?? {}).map(([k, v]) => [`${p}.${k}`, v]));
}

