// An env session (#/envs/ID): its settings and counters, the agents made for it, a form to
// make one, and its reward functions (see rewards.js).

import { api, cachedGet, seg, showError } from './api.js';
import { badge, definitionList, el, field, kvTable, link, replace, section } from './dom.js';
import { age, dateTime, fmt, num } from './format.js';
import { createTable } from './table.js';
import { mountRewards } from './rewards.js';

/** "Discrete(143)" or "Box(4,)". */
export function spaceText(space) {
  if (!space) return '—';
  if (space.discrete) return `Discrete(${space.discrete.n}${num(space.discrete.start) ? `, start=${space.discrete.start}` : ''})`;
  if (space.box) return `Box(shape [${(space.box.shape ?? []).join(', ')}], ${String(space.box.dtype ?? '').replace('DTYPE_', '').toLowerCase()})`;
  return '—';
}

/** @param {HTMLElement} root @param {import('./app.js').ViewContext} ctx */
export async function envView(root, ctx) {
  const id = ctx.params.id;
  let env = await api(`/v1/envs/${seg(id)}`, { signal: ctx.signal });
  const [types, kinds] = await Promise.all([cachedGet('/v1/env-types'), cachedGet('/v1/agent-kinds').catch(() => ({}))]);
  const envType = (types.envTypes ?? []).find((t) => t.id === env.envId);

  const info = el('div', { id: 'env-info' });
  const configBox = el('div', { id: 'env-config' });
  const rewardsBox = el('div', { id: 'rewards' });
  const agentsTable = createTable({
    id: 'env-agents-table',
    caption: 'Agents made for this session',
    rowKey: (a) => a.id,
    empty: 'No agents yet.',
    sort: { key: 'age', dir: 1 },
    columns: [
      { key: 'id', label: 'Agent', render: (a) => link(`/agents/${a.id}`, a.id), className: 'mono' },
      { key: 'kind', label: 'Kind' },
      { key: 'preset', label: 'Preset', value: (a) => a.preset || '—' },
      { key: 'episodes', label: 'Episodes', value: (a) => num(a.episodes), render: (a) => fmt(a.episodes), type: 'num', className: 'num' },
      { key: 'state', label: 'State', value: (a) => (a.training ? 'training' : 'idle'), render: (a) => badge(a.training ? 'training' : 'idle') },
      { key: 'age', label: 'Age', value: (a) => -Date.parse(a.createTime), sig: (a) => age(a.createTime), render: (a) => age(a.createTime), type: 'num' },
    ],
  });
  const deleteBtn = el('button', { type: 'button', id: 'env-delete', class: 'danger', onclick: del }, 'Delete env session');

  root.append(
    el('div', { class: 'view-head' }, el('h1', { id: 'view-title', tabindex: '-1' }, 'Env session ', el('span', { class: 'mono' }, id))),
    el('div', { class: 'grid two' }, section('Session', null, info, el('div', { class: 'actions' }, deleteBtn)), section('Config', null, configBox)),
    el('div', { class: 'grid two' }, section('Agents', { id: 'env-agents-section' }, agentsTable.element), section('New agent', { id: 'new-agent-section' }, newAgentForm())),
    section('Reward function', { id: 'rewards-section' }, rewardsBox),
  );

  let configSig = '';
  function render() {
    replace(
      info,
      definitionList([
        ['Env type', env.envId],
        ['Owner', env.owner],
        ['Copies', fmt(env.numEnvs || 1)],
        ['Reward', `${env.rewardFunction}${env.rewardOrigin ? ` (${String(env.rewardOrigin).replace('REWARD_ORIGIN_', '').toLowerCase()})` : ''}`],
        ['Observation space', spaceText(env.observationSpace)],
        ['Action space', spaceText(env.actionSpace)],
        ['Episodes / steps', `${fmt(env.totalEpisodes)} / ${fmt(env.totalSteps)}`],
        ['Max episode steps', fmt(env.maxEpisodeSteps)],
        ['Reset yet', env.hasReset ? 'yes' : 'no'],
        ['Created', dateTime(env.createTime)],
        ['Last used', dateTime(env.lastUsedTime)],
      ]),
    );
    const sig = JSON.stringify(env.config);
    if (sig !== configSig) {
      configSig = sig;
      replace(configBox, kvTable(env.config, 'env-config-table'));
    }
  }
  render();

  const rewards = await mountRewards(rewardsBox, {
    env,
    envType,
    me: ctx.me,
    signal: ctx.signal,
    canWrite: ctx.canWrite(env.owner),
    onChanged: (next) => {
      env = next;
      render();
    },
  });

  function newAgentForm() {
    const presets = (kinds.presets ?? []).filter((p) => !p.envId || p.envId === env.envId);
    const presetSel = el('select', { id: 'new-agent-preset' }, el('option', { value: '' }, '(none: choose a kind)'), presets.map((p) => el('option', { value: p.name }, p.name)));
    const kindSel = el('select', { id: 'new-agent-kind' }, (kinds.kinds ?? [{ kind: 'tabular' }, { kind: 'dqn' }]).map((k) => el('option', { value: k.kind }, k.kind)));
    const seed = el('input', { id: 'new-agent-seed', type: 'number', step: '1', value: '0' });
    const config = el('textarea', { id: 'new-agent-config', rows: '3', spellcheck: 'false', placeholder: '{"gamma": 0.9}' });
    const desc = el('p', { class: 'muted small', id: 'new-agent-desc' });
    const submit = el('button', { id: 'new-agent-submit', type: 'submit', class: 'primary' }, 'Create agent');
    const syncDesc = () => {
      const p = presets.find((x) => x.name === /** @type {HTMLSelectElement} */ (presetSel).value);
      desc.textContent = p ? p.description : '';
      /** @type {HTMLSelectElement} */ (kindSel).disabled = Boolean(p);
      if (p) /** @type {HTMLSelectElement} */ (kindSel).value = p.kind;
    };
    presetSel.addEventListener('change', syncDesc);
    if (presets.length) /** @type {HTMLSelectElement} */ (presetSel).value = presets[0].name;
    syncDesc();
    const form = el(
      'form',
      { id: 'new-agent-form', class: 'stack-form', novalidate: true },
      el('div', { class: 'row' }, field('Preset', presetSel), field('Kind', kindSel), field('Seed', seed)),
      desc,
      field('Config overrides (JSON, optional)', config, 'Hyperparameters; GET /v1/agent-kinds lists them with defaults and bounds'),
      el('div', { class: 'actions' }, submit),
    );
    if (!ctx.canWrite(env.owner)) {
      for (const control of form.querySelectorAll('select, input, textarea, button')) /** @type {HTMLInputElement} */ (control).disabled = true;
      form.prepend(el('p', { class: 'notice' }, `Only ${env.owner} (or an administrator) can make agents for this session.`));
    }
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const text = /** @type {HTMLTextAreaElement} */ (config).value.trim();
      let cfg;
      try {
        cfg = text ? JSON.parse(text) : undefined;
      } catch (e) {
        showError(`The config is not valid JSON: ${e.message}`, 'new-agent');
        config.focus();
        return;
      }
      const body = { env: id, config: cfg };
      const p = /** @type {HTMLSelectElement} */ (presetSel).value;
      if (p) body.preset = p;
      else body.kind = /** @type {HTMLSelectElement} */ (kindSel).value;
      const s = /** @type {HTMLInputElement} */ (seed).value;
      if (s !== '') body.seed = Number(s);
      submit.disabled = true;
      try {
        const agent = await api('/v1/agents', { body });
        location.hash = `#/agents/${encodeURIComponent(agent.id ?? agent.agent?.id)}`;
      } catch (e) {
        showError(e, 'new-agent');
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  async function del() {
    if (!window.confirm(`Delete env session ${id}?`)) return;
    try {
      await api(`/v1/envs/${seg(id)}`, { method: 'DELETE' });
      location.hash = '#/';
    } catch (e) {
      showError(e);
    }
  }

  ctx.every(3000, async () => {
    const [e, agents] = await Promise.all([api(`/v1/envs/${seg(id)}`, { signal: ctx.signal }), api('/v1/agents', { signal: ctx.signal })]);
    if (ctx.left) return;
    env = e;
    render();
    rewards.update(env);
    agentsTable.update((agents.agents ?? []).filter((a) => a.env === id));
  }, 'env');
}
