// An agent (#/agents/ID): its settings and counters, its training runs, a form to start a run,
// the greedy-episode player and, on grid scenes, the Q heat map (on other scenes a note says why
// there is none).

import { api, cachedGet, clearError, isAbort, seg, showError } from './api.js';
import { badge, definitionList, el, field, kvTable, link, replace, section, setText } from './dom.js';
import { age, budget, dateTime, enumLabel, fmt, num } from './format.js';
import { createTable } from './table.js';
import { createPlayer } from './episode-player.js';
import { encodingOf, fetchGridQ, renderHeatmap } from './q-heatmap.js';

/** @param {HTMLElement} root @param {import('./app.js').ViewContext} ctx */
export async function agentView(root, ctx) {
  const id = ctx.params.id;
  let agent = await api(`/v1/agents/${seg(id)}`, { signal: ctx.signal });
  let env = null;
  if (agent.env) env = await api(`/v1/envs/${seg(agent.env)}`, { signal: ctx.signal }).catch((e) => (e?.status === 404 ? null : Promise.reject(e)));
  const kinds = await cachedGet('/v1/agent-kinds').catch(() => ({}));
  const preset = (kinds.presets ?? []).find((p) => p.name === agent.preset);

  const stateEl = el('span', { id: 'agent-state', class: 'badge', 'aria-live': 'polite' });
  const info = el('div', { id: 'agent-info' });
  const configBox = el('div', { id: 'agent-config' });
  const deleteBtn = el('button', { type: 'button', id: 'agent-delete', class: 'danger', onclick: del }, 'Delete agent');

  const runsTable = createTable({
    id: 'agent-runs-table',
    caption: 'Training runs of this agent',
    rowKey: (r) => r.id,
    empty: 'No runs yet: start one with the form.',
    sort: { key: 'age', dir: 1 },
    columns: [
      { key: 'id', label: 'Run', render: (r) => link(`/runs/${r.id}`, r.id), className: 'mono' },
      { key: 'budget', label: 'Budget', value: (r) => budget(r.request) },
      { key: 'state', label: 'State', value: (r) => enumLabel(r.state), render: (r) => badge(enumLabel(r.state), r.error) },
      { key: 'episodes', label: 'Episodes', value: (r) => num(r.episodes), render: (r) => fmt(r.episodes), type: 'num', className: 'num' },
      { key: 'steps', label: 'Steps', value: (r) => num(r.steps), render: (r) => fmt(r.steps), type: 'num', className: 'num' },
      { key: 'mean100', label: 'Mean return (100)', value: (r) => num(r.meanReturn100), render: (r) => fmt(r.meanReturn100), type: 'num', className: 'num' },
      { key: 'age', label: 'Age', value: (r) => -Date.parse(r.createTime), sig: (r) => age(r.createTime), render: (r) => age(r.createTime), type: 'num' },
    ],
  });

  const heatBox = el('div', { id: 'q-heatmap-box' });
  const heatStatus = el('p', { id: 'q-heatmap-status', class: 'muted', role: 'status' });
  const heatRefresh = el('button', { type: 'button', id: 'q-heatmap-refresh', onclick: () => loadHeatmap() }, 'Refresh heat map');
  const heatIntro = el('p', { class: 'muted small' }, 'max', el('sub', null, 'a'), ' Q(cell, a) of each cell, with the greedy action. The agent’s observation of each cell is built in its encoding and sent to GetQ.');
  const heatActions = el('div', { class: 'actions' }, heatRefresh);
  const heatSection = section('Q heat map', { id: 'heatmap-section' }, heatIntro, heatActions, heatStatus, heatBox);

  root.append(
    el('div', { class: 'view-head' }, el('h1', { id: 'view-title', tabindex: '-1' }, 'Agent ', el('span', { class: 'mono' }, id)), stateEl),
    el('div', { class: 'grid two' }, section('Agent', null, info, el('div', { class: 'actions' }, deleteBtn)), section('Configuration', null, configBox)),
    el('div', { class: 'grid two' }, section('Train', { id: 'train-section' }, trainForm()), section('Runs', { id: 'agent-runs-section' }, runsTable.element)),
    section('Greedy episode', { id: 'player-section' }, await playForm()),
    heatSection,
  );

  function render() {
    const training = Boolean(agent.training);
    setText(stateEl, training ? 'training' : 'idle');
    stateEl.className = `badge state-${training ? 'training' : 'idle'}`;
    replace(
      info,
      definitionList([
        ['Kind', agent.kind],
        ['Preset', agent.preset || '—'],
        ['Owner', agent.owner],
        ['Env session', agent.env ? link(`/envs/${agent.env}`, agent.env, { class: 'mono' }) : '—'],
        ['Env', env ? `${env.envId} ${env.config?.world ? `(${env.config.world}${env.config.encoding ? `, ${env.config.encoding}` : ''})` : ''}` : agent.env ? 'the session no longer exists' : '—'],
        ['Engine', agent.engine],
        ['Episodes / steps', `${fmt(agent.episodes)} / ${fmt(agent.totalSteps)}`],
        ['Exploration ε', fmt(agent.epsilon)],
        ['Memory', `${fmt(num(agent.memoryBytes) / 1024, 1)} KiB`],
        ['Created', dateTime(agent.createTime)],
        ['Last used', dateTime(agent.lastUsedTime)],
      ]),
    );
  }
  replace(configBox, kvTable(agent.config, 'agent-config-table'));
  render();

  // ---- train ----
  function trainForm() {
    const episodes = el('input', { id: 'train-episodes', type: 'number', min: '1', step: '1', value: preset && num(preset.trainEpisodes) > 0 ? String(preset.trainEpisodes) : preset ? '' : '500' });
    const steps = el('input', { id: 'train-steps', type: 'number', min: '1', step: '1', value: preset && num(preset.trainSteps) > 0 && !(num(preset.trainEpisodes) > 0) ? String(preset.trainSteps) : '' });
    const evalEvery = el('input', { id: 'train-eval-every', type: 'number', min: '0', step: '1', value: '0' });
    const evalEpisodes = el('input', { id: 'train-eval-episodes', type: 'number', min: '1', step: '1', value: '10' });
    const evalSeed = el('input', { id: 'train-eval-seed', type: 'number', step: '1', value: '0' });
    const keepBest = el('input', { id: 'train-keep-best', type: 'checkbox' });
    const stopAt = el('input', { id: 'train-stop-at', type: 'number', step: 'any', placeholder: 'none' });
    const submit = el('button', { id: 'train-start', type: 'submit', class: 'primary' }, 'Start training run');
    const form = el(
      'form',
      { id: 'train-form', class: 'stack-form', novalidate: true },
      el('fieldset', null, el('legend', null, 'Budget: episodes or steps (one of them)'), el('div', { class: 'row' }, field('Episodes', episodes), field('Steps', steps))),
      el(
        'fieldset',
        null,
        el('legend', null, 'Evaluations (greedy, on a private copy of the env)'),
        el('div', { class: 'row' }, field('Evaluate every (steps; 0 = only at the end)', evalEvery), field('Episodes per evaluation', evalEpisodes), field('Evaluation seed', evalSeed)),
        el('div', { class: 'row' }, el('label', { class: 'check' }, keepBest, ' Keep the best evaluated weights'), field('Stop at mean reward', stopAt)),
      ),
      el('div', { class: 'actions' }, submit),
    );
    if (!ctx.canWrite(agent.owner)) {
      for (const fs of form.querySelectorAll('fieldset')) /** @type {HTMLFieldSetElement} */ (fs).disabled = true;
      submit.disabled = true;
      form.prepend(el('p', { class: 'notice' }, `Only ${agent.owner} (or an administrator) can train this agent.`));
    }
    // Episodes and steps exclude each other: typing one clears the other.
    episodes.addEventListener('input', () => {
      if (episodes.value) steps.value = '';
    });
    steps.addEventListener('input', () => {
      if (steps.value) episodes.value = '';
    });
    const val = (input) => /** @type {HTMLInputElement} */ (input).value.trim();
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { async: true };
      const e = val(episodes);
      const s = val(steps);
      if (e && s) {
        showError('Give either episodes or steps, not both.', 'train');
        return;
      }
      if (!e && !s) {
        showError('Give a number of episodes or of steps to train for.', 'train');
        episodes.focus();
        return;
      }
      if (e) body.episodes = Number(e);
      if (s) body.steps = Number(s);
      if (val(evalEvery)) body.evalEverySteps = Number(val(evalEvery));
      if (val(evalEpisodes)) body.evalEpisodes = Number(val(evalEpisodes));
      if (val(evalSeed)) body.evalSeed = Number(val(evalSeed));
      if (/** @type {HTMLInputElement} */ (keepBest).checked) body.keepBest = true;
      if (val(stopAt)) body.stopAtMeanReward = Number(val(stopAt));
      submit.disabled = true;
      try {
        const res = await api(`/v1/agents/${seg(id)}:train`, { body, signal: ctx.signal });
        const run = res.run ?? res;
        clearError('train');
        location.hash = `#/runs/${encodeURIComponent(run.id)}`;
      } catch (err) {
        showError(err, 'train');
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  // ---- play ----
  let player = null;
  ctx.onLeave(() => player?.destroy());
  /** A scene seen in an Evaluate answer (the heat map needs one). */
  let scene = null;

  async function playForm() {
    const seed = el('input', { id: 'play-seed', type: 'number', step: '1', value: '0' });
    const envSel = el('select', { id: 'play-env' }, el('option', { value: '' }, agent.env ? `the agent’s env session (${agent.env})` : 'the agent’s env session'));
    try {
      const envs = (await api('/v1/envs', { signal: ctx.signal })).envs ?? [];
      for (const e of envs) {
        if (e.id === agent.env || (env && e.envId !== env.envId)) continue;
        envSel.append(el('option', { value: e.id }, `${e.id} (${e.envId}${e.config?.world ? `, ${e.config.world}` : ''})`));
      }
    } catch (e) {
      if (!isAbort(e)) showError(e, 'play-envs');
    }
    const button = el('button', { id: 'play-button', type: 'submit', class: 'primary' }, 'Play greedy episode');
    const status = el('p', { class: 'muted', role: 'status', id: 'play-status' });
    const stage = el('div', { id: 'player-stage' });
    const form = el(
      'form',
      { id: 'play-form', class: 'inline-form', novalidate: true },
      field('Seed', seed, 'The episode is reset with this seed'),
      field('Env session (optional)', envSel),
      el('div', { class: 'actions' }, button),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      button.disabled = true;
      status.textContent = 'Running a greedy episode…';
      try {
        const body = { episodes: 1, seed: Number(/** @type {HTMLInputElement} */ (seed).value || 0), recordTrajectories: true };
        const chosen = /** @type {HTMLSelectElement} */ (envSel).value;
        if (chosen) body.env = chosen;
        const res = await api(`/v1/agents/${seg(id)}:evaluate`, { body, signal: ctx.signal });
        if (ctx.left) return;
        const trajectory = res.trajectories?.[0];
        if (!res.scene || !trajectory) {
          status.textContent = '';
          showError('The server did not send a scene and trajectory to draw (it needs EvaluateResponse.scene and Trajectory.states).', 'play');
          return;
        }
        clearError('play');
        player?.destroy();
        player = createPlayer({ scene: res.scene, trajectory, caption: `Seed ${body.seed}${chosen ? ` on ${chosen}` : ''}: return ${fmt(res.returns?.[0])} in ${fmt(res.lengths?.[0])} steps.` });
        replace(stage, player.element);
        status.textContent = `Episode ready: return ${fmt(res.returns?.[0])}, ${fmt(res.lengths?.[0])} steps.`;
        if (!scene && !chosen) {
          scene = res.scene;
          if (!heatShown) loadHeatmap();
        }
      } catch (e) {
        status.textContent = '';
        showError(e, 'play');
      } finally {
        button.disabled = false;
      }
    });
    return el('div', null, el('p', { class: 'muted small' }, 'Runs one greedy episode (Evaluate with recorded trajectories) on a private copy of the env and animates it. Keys while the player has focus: space plays or pauses, ← → step, Home/End jump.'), form, status, stage);
  }

  // ---- heat map ----
  let heatShown = false;
  let heatWaiting = false;
  async function loadHeatmap() {
    heatRefresh.disabled = true;
    try {
      if (agent.training) {
        heatWaiting = true;
        setText(heatStatus, 'The agent is training; the heat map is drawn when the run ends.');
        return;
      }
      heatWaiting = false;
      setText(heatStatus, 'Loading Q-values…');
      if (!scene) {
        const res = await api(`/v1/agents/${seg(id)}:evaluate`, { body: { episodes: 1, seed: 0, recordTrajectories: true }, signal: ctx.signal });
        scene = res.scene ?? null;
      }
      if (ctx.left) return;
      if (!scene) {
        setText(heatStatus, 'The server sent no scene for this agent’s env (EvaluateResponse.scene), so there is no grid to draw.');
        return;
      }
      if (scene.kind !== 'grid') {
        // No grid of cells to colour: the controls go, a note says why.
        heatIntro.hidden = true;
        heatActions.hidden = true;
        replace(heatBox);
        setText(heatStatus, noHeatmapReason(scene));
        heatStatus.classList.add('notice');
        return;
      }
      const encoding = encodingOf(agent, env, scene);
      if (!encoding) {
        setText(heatStatus, 'Cannot tell this agent’s observation encoding, so no heat map.');
        return;
      }
      const q = await fetchGridQ(id, scene, encoding, ctx.signal);
      if (ctx.left) return;
      replace(heatBox, renderHeatmap({ scene, q }));
      heatShown = true;
      setText(heatStatus, `Encoding “${encoding}”; ${agent.episodes} episodes trained; loaded ${new Date().toLocaleTimeString()}.`);
      clearError('heatmap');
    } catch (e) {
      if (isAbort(e) || ctx.left) return;
      if (e?.code === 'FAILED_PRECONDITION') {
        heatWaiting = true;
        setText(heatStatus, e.message);
      } else {
        setText(heatStatus, '');
        showError(e, 'heatmap');
      }
    } finally {
      heatRefresh.disabled = false;
    }
  }

  /** Why a scene that is not a grid gets no heat map. */
  function noHeatmapReason(sc) {
    const names = (sc.state_names ?? []).join(', ');
    if (sc.kind === 'taxi') {
      return 'No Q heat map for Taxi: its 500 states combine the taxi’s cell with the passenger’s location and the destination, so one picture of the 5 × 5 grid cannot show them.';
    }
    return `No Q heat map for this env: its states${names ? ` (${names})` : ''} are continuous, not the cells of a grid.`;
  }

  // ---- delete ----
  async function del() {
    if (!window.confirm(`Delete agent ${id}? Its runs stay listed; the agent and its weights are gone.`)) return;
    try {
      await api(`/v1/agents/${seg(id)}`, { method: 'DELETE' });
      location.hash = '#/';
    } catch (e) {
      showError(e);
    }
  }

  // ---- refresh ----
  let wasTraining = Boolean(agent.training);
  ctx.every(3000, async () => {
    const [a, runs] = await Promise.all([api(`/v1/agents/${seg(id)}`, { signal: ctx.signal }), api(`/v1/runs?agent=${encodeURIComponent(id)}`, { signal: ctx.signal })]);
    if (ctx.left) return;
    agent = a;
    render();
    runsTable.update(runs.runs ?? []);
    const training = Boolean(agent.training);
    if ((wasTraining && !training && heatShown) || (heatWaiting && !training)) loadHeatmap();
    wasTraining = training;
  }, 'agent');

  loadHeatmap();
}
