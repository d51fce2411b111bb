// The overview (#/): the env sessions, agents and training runs the caller may read (everyone's
// for instructors and admins), filterable and sortable, refreshed every few seconds in place.
// Runs can be ticked and compared.

import { api, cachedGet, showError } from './api.js';
import { badge, el, field, link, replace, section } from './dom.js';
import { age, budget, enumLabel, fmt, num, shortConfig } from './format.js';
import { createTable } from './table.js';

const REFRESH_MS = 3000;

/** Config defaults by env type / agent kind, to leave them out of the short config column. */
async function defaults() {
  const [types, kinds] = await Promise.all([cachedGet('/v1/env-types').catch(() => ({})), cachedGet('/v1/agent-kinds').catch(() => ({}))]);
  const ofOptions = (opts) => Object.fromEntries((opts ?? []).map((o) => [o.name, o.defaultValue]));
  return {
    env: Object.fromEntries((types.envTypes ?? []).map((t) => [t.id, ofOptions(t.configOptions)])),
    agent: Object.fromEntries((kinds.kinds ?? []).map((k) => [k.kind, ofOptions(k.configOptions)])),
    types: types.envTypes ?? [],
  };
}

/** @param {HTMLElement} root @param {import('./app.js').ViewContext} ctx */
export async function overviewView(root, ctx) {
  const everyone = ctx.me.role === 'ROLE_INSTRUCTOR' || ctx.me.role === 'ROLE_ADMIN';
  const defs = await defaults();
  /** @type {Set<string>} */
  const selected = new Set();
  let runsById = new Map();

  // ---- filters ----
  const textFilter = el('input', { id: 'filter-text', type: 'search', placeholder: 'id, env, preset, config…', autocomplete: 'off' });
  const ownerFilter = el('select', { id: 'filter-owner' }, el('option', { value: '' }, 'everyone'));
  const stateFilter = el(
    'select',
    { id: 'filter-state' },
    el('option', { value: '' }, 'any'),
    ['RUNNING', 'SUCCEEDED', 'CANCELLED', 'FAILED'].map((s) => el('option', { value: `RUN_STATE_${s}` }, s.toLowerCase())),
  );
  const filters = el(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter the tables', onsubmit: (e) => e.preventDefault() },
    field('Filter', textFilter),
    field('Owner', ownerFilter),
    field('Run state', stateFilter, 'Filters runs (and agents training)'),
  );

  // ---- tables ----
  const envsTable = createTable({
    id: 'envs-table',
    caption: 'Env sessions',
    rowKey: (e) => e.id,
    empty: 'No env sessions. Create one below, or with POST /v1/envs.',
    sort: { key: 'age', dir: 1 },
    columns: [
      { key: 'id', label: 'ID', render: (e) => link(`/envs/${e.id}`, e.id), className: 'mono' },
      { key: 'owner', label: 'Owner' },
      { key: 'envId', label: 'Env' },
      { key: 'config', label: 'Config', value: (e) => shortConfig(e.config, 48, defs.env[e.envId]), className: 'config' },
      { key: 'reward', label: 'Reward', value: (e) => e.rewardFunction },
      { key: 'age', label: 'Age', value: (e) => -Date.parse(e.createTime), sig: (e) => age(e.createTime), render: (e) => age(e.createTime), type: 'num' },
      { key: 'episodes', label: 'Episodes', value: (e) => num(e.totalEpisodes), render: (e) => fmt(e.totalEpisodes), type: 'num', className: 'num' },
      { key: 'steps', label: 'Steps', value: (e) => num(e.totalSteps), render: (e) => fmt(e.totalSteps), type: 'num', className: 'num' },
      { key: 'state', label: 'State', value: (e) => envState(e), render: (e) => badge(envState(e)) },
    ],
  });
  const agentsTable = createTable({
    id: 'agents-table',
    caption: 'Agents',
    rowKey: (a) => a.id,
    empty: 'No agents. Open an env session to create one.',
    sort: { key: 'age', dir: 1 },
    columns: [
      { key: 'id', label: 'ID', render: (a) => link(`/agents/${a.id}`, a.id), className: 'mono' },
      { key: 'owner', label: 'Owner' },
      { key: 'kind', label: 'Kind' },
      { key: 'preset', label: 'Preset', value: (a) => a.preset || '—' },
      { key: 'env', label: 'Env session', render: (a) => (a.env ? link(`/envs/${a.env}`, a.env) : '—'), className: 'mono' },
      { key: 'config', label: 'Config', value: (a) => shortConfig(a.config, 48, defs.agent[a.kind]), className: 'config' },
      { key: 'age', label: 'Age', value: (a) => -Date.parse(a.createTime), sig: (a) => age(a.createTime), render: (a) => age(a.createTime), type: 'num' },
      { key: 'episodes', label: 'Episodes', value: (a) => num(a.episodes), render: (a) => fmt(a.episodes), type: 'num', className: 'num' },
      { key: 'steps', label: 'Steps', value: (a) => num(a.totalSteps), render: (a) => fmt(a.totalSteps), type: 'num', className: 'num' },
      { key: 'epsilon', label: 'ε', value: (a) => num(a.epsilon), render: (a) => fmt(a.epsilon), type: 'num', className: 'num' },
      { key: 'state', label: 'State', value: (a) => (a.training ? 'training' : 'idle'), render: (a) => badge(a.training ? 'training' : 'idle') },
    ],
  });
  const runsTable = createTable({
    id: 'runs-table',
    caption: 'Training runs',
    rowKey: (r) => r.id,
    empty: 'No training runs. Start one on an agent’s page.',
    sort: { key: 'age', dir: 1 },
    columns: [
      {
        key: 'select',
        label: 'Compare',
        sortable: false,
        sig: (r) => r.id,
        update: (cell, r) => {
          const box = /** @type {HTMLInputElement | null} */ (cell.firstElementChild);
          if (box && box.checked !== selected.has(r.id)) box.checked = selected.has(r.id);
        },
        render: (r) =>
          el('input', {
            type: 'checkbox',
            class: 'run-select',
            value: r.id,
            checked: selected.has(r.id),
            'aria-label': `Compare run ${r.id}`,
            onchange: (e) => {
              if (e.target.checked) selected.add(r.id);
              else selected.delete(r.id);
              updateCompare();
            },
          }),
      },
      { key: 'id', label: 'ID', render: (r) => link(`/runs/${r.id}`, r.id), className: 'mono' },
      { key: 'owner', label: 'Owner' },
      { key: 'agent', label: 'Agent', render: (r) => link(`/agents/${r.agent}`, r.agent), className: 'mono' },
      { key: 'env', label: 'Env session', render: (r) => link(`/envs/${r.env}`, r.env), className: 'mono' },
      { key: 'budget', label: 'Budget', value: (r) => budget(r.request) },
      { key: 'state', label: 'State', value: (r) => enumLabel(r.state), render: (r) => badge(enumLabel(r.state), r.error) },
      { key: 'episodes', label: 'Episodes', value: (r) => num(r.episodes), render: (r) => fmt(r.episodes), type: 'num', className: 'num' },
      { key: 'steps', label: 'Steps', value: (r) => num(r.steps), render: (r) => fmt(r.steps), type: 'num', className: 'num' },
      { key: 'mean100', label: 'Mean return (100)', value: (r) => num(r.meanReturn100), render: (r) => fmt(r.meanReturn100), type: 'num', className: 'num' },
      { key: 'best', label: 'Best eval', value: (r) => bestEval(r)?.mean ?? NaN, render: (r) => (bestEval(r) ? `${fmt(bestEval(r).mean)} ± ${fmt(bestEval(r).std)}` : '—'), type: 'num', className: 'num' },
      { key: 'age', label: 'Age', value: (r) => -Date.parse(r.createTime), sig: (r) => age(r.createTime), render: (r) => age(r.createTime), type: 'num' },
    ],
  });

  const compareButton = el('button', { type: 'button', id: 'compare-button', disabled: true, onclick: () => { location.hash = `#/compare?runs=${[...selected].map(encodeURIComponent).join(',')}`; } }, 'Compare selected runs');
  const clearSel = el('button', { type: 'button', id: 'compare-clear', disabled: true, onclick: () => { selected.clear(); runsTable.refresh(); updateCompare(); } }, 'Clear selection');
  function updateCompare() {
    // Ticked runs that vanished (deleted) are dropped.
    for (const id of selected) if (!runsById.has(id)) selected.delete(id);
    compareButton.disabled = selected.size === 0;
    clearSel.disabled = selected.size === 0;
    compareButton.textContent = selected.size ? `Compare selected runs (${selected.size})` : 'Compare selected runs';
  }

  const status = el('p', { class: 'muted small', id: 'overview-status', role: 'status' }, 'Loading…');
  const counts = { runs: el('span', { class: 'count' }), agents: el('span', { class: 'count' }), envs: el('span', { class: 'count' }) };
  const showCounts = () => {
    counts.runs.textContent = runsTable.countText;
    counts.agents.textContent = agentsTable.countText;
    counts.envs.textContent = envsTable.countText;
  };
  root.append(
    el('div', { class: 'view-head' }, el('h1', { id: 'view-title', tabindex: '-1' }, 'Overview'), status),
    el('p', { class: 'muted' }, everyone ? 'Every user’s env sessions, agents and training runs (you are an instructor or administrator).' : 'Your env sessions, agents and training runs.'),
    filters,
    section(['Training runs ', counts.runs], { id: 'runs-section' }, el('div', { class: 'actions' }, compareButton, clearSel), runsTable.element),
    section(['Agents ', counts.agents], { id: 'agents-section' }, agentsTable.element),
    section(['Env sessions ', counts.envs], { id: 'envs-section' }, envsTable.element, newEnvForm(defs.types)),
  );

  // ---- filtering ----
  let runningEnvs = new Set();
  function envState(e) {
    if (runningEnvs.has(e.id)) return 'training';
    return e.hasReset ? 'ready' : 'new';
  }
  function applyFilters() {
    const text = /** @type {HTMLInputElement} */ (textFilter).value.trim().toLowerCase();
    const owner = /** @type {HTMLSelectElement} */ (ownerFilter).value;
    const state = /** @type {HTMLSelectElement} */ (stateFilter).value;
    const matchText = (...parts) => !text || parts.some((p) => p !== undefined && p !== null && String(p).toLowerCase().includes(text));
    const matchOwner = (o) => !owner || o === owner;
    envsTable.setFilter((e) => matchOwner(e.owner) && matchText(e.id, e.envId, e.owner, e.rewardFunction, JSON.stringify(e.config)));
    agentsTable.setFilter(
      (a) => matchOwner(a.owner) && (state !== 'RUN_STATE_RUNNING' || a.training) && matchText(a.id, a.kind, a.preset, a.owner, a.env, JSON.stringify(a.config)),
    );
    runsTable.setFilter((r) => matchOwner(r.owner) && (!state || r.state === state) && matchText(r.id, r.agent, r.env, r.owner, enumLabel(r.state), budget(r.request)));
    showCounts();
  }
  for (const input of [textFilter, ownerFilter, stateFilter]) input.addEventListener('input', applyFilters);
  applyFilters();

  function updateOwners(owners) {
    const sel = /** @type {HTMLSelectElement} */ (ownerFilter);
    const have = [...sel.options].slice(1).map((o) => o.value);
    const want = [...owners].sort();
    if (have.join('\n') === want.join('\n')) return;
    const value = sel.value;
    replace(sel, el('option', { value: '' }, 'everyone'), want.map((o) => el('option', { value: o }, o === ctx.me.user ? `${o} (you)` : o)));
    sel.value = want.includes(value) ? value : '';
  }

  ctx.every(REFRESH_MS, async () => {
    const [envs, agents, runs] = await Promise.all([
      api('/v1/envs', { signal: ctx.signal }),
      api('/v1/agents', { signal: ctx.signal }),
      api('/v1/runs', { signal: ctx.signal }),
    ]);
    if (ctx.left) return;
    const runList = runs.runs ?? [];
    runsById = new Map(runList.map((r) => [r.id, r]));
    runningEnvs = new Set(runList.filter((r) => r.state === 'RUN_STATE_RUNNING').map((r) => r.env));
    updateOwners(new Set([...(envs.envs ?? []), ...(agents.agents ?? []), ...runList].map((x) => x.owner)));
    envsTable.update(envs.envs ?? []);
    agentsTable.update(agents.agents ?? []);
    runsTable.update(runList);
    showCounts();
    updateCompare();
    status.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${REFRESH_MS / 1000} s.`;
  }, 'overview');
}

function bestEval(run) {
  const i = run.bestEvaluation;
  if (i === undefined || i === null) return null;
  const e = (run.evaluations ?? []).find((x) => num(x.index) === num(i)) ?? run.evaluations?.[num(i)];
  return e ? { mean: num(e.meanReward), std: num(e.stdReward) } : null;
}

/** The "new env session" form. @param {any[]} types */
function newEnvForm(types) {
  const typeSel = el('select', { id: 'new-env-type', required: true }, types.map((t) => el('option', { value: t.id }, t.id)));
  const seed = el('input', { id: 'new-env-seed', type: 'number', step: '1', value: '0' });
  const config = el('textarea', { id: 'new-env-config', rows: '3', spellcheck: 'false', placeholder: '{"world": "small_maze", "random_start": true}' });
  const submit = el('button', { id: 'new-env-submit', type: 'submit', class: 'primary' }, 'Create env session');
  const form = el(
    'form',
    { id: 'new-env-form', class: 'inline-form' },
    field('Env type', typeSel),
    field('Seed', seed),
    field('Config (JSON, optional)', config, 'Options of the env type, e.g. world, encoding; see GET /v1/env-types'),
    el('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let cfg;
    const text = /** @type {HTMLTextAreaElement} */ (config).value.trim();
    try {
      cfg = text ? JSON.parse(text) : undefined;
    } catch (e) {
      showError(`The config is not valid JSON: ${e.message}`, 'new-env');
      config.focus();
      return;
    }
    submit.disabled = true;
    try {
      const body = { envId: /** @type {HTMLSelectElement} */ (typeSel).value, config: cfg };
      const s = /** @type {HTMLInputElement} */ (seed).value;
      if (s !== '') body.seed = Number(s);
      const env = await api('/v1/envs', { body });
      location.hash = `#/envs/${encodeURIComponent(env.id)}`;
    } catch (e) {
      showError(e, 'new-env');
    } finally {
      submit.disabled = false;
    }
  });
  return el('details', { class: 'create' }, el('summary', null, 'New env session'), form);
}
