// An env session's reward functions: the env type's built-in and plugin functions and the
// registered (client) ones usable by this session, with their parameters; the current one
// marked; and a form that switches the session's reward (SetReward). Parameter values are
// sent as typed, so the server checks them and its message is shown when they are wrong.

import { api, clearError, seg, showError } from './api.js';
import { el, field, replace, setText } from './dom.js';
import { enumLabel, fmt, valueText } from './format.js';

/**
 * @param {HTMLElement} root
 * @param {{env: any, envType: any, me: any, signal: AbortSignal, onChanged: (env: any) => void, canWrite?: boolean}} opts
 * @returns {Promise<{update: (env: any) => void}>}
 */
export async function mountRewards(root, { env, envType, me, signal, onChanged, canWrite = true }) {
  let current = env;
  const builtins = (envType?.rewardFunctions ?? []).map((f) => ({ ...f, origin: f.origin ?? 'REWARD_ORIGIN_BUILTIN' }));
  let registered = [];
  try {
    const q = new URLSearchParams({ envId: env.envId });
    const elevated = me.role === 'ROLE_INSTRUCTOR' || me.role === 'ROLE_ADMIN';
    if (elevated && env.owner !== me.user) q.set('owner', env.owner);
    registered = ((await api(`/v1/rewards?${q}`, { signal })).rewards ?? [])
      .filter((r) => !r.env || r.env === env.id)
      .map((r) => ({ name: r.name, description: r.description || `registered by ${r.owner}${r.env ? ' for this session' : ''}`, params: r.params ?? [], origin: 'REWARD_ORIGIN_CLIENT', source: r.source }));
  } catch (e) {
    showError(e, 'rewards');
  }
  const functions = [...builtins, ...registered.filter((r) => !builtins.some((b) => b.name === r.name))];
  const byName = new Map(functions.map((f) => [f.name, f]));

  // ---- the list ----
  const currentEl = el('p', { id: 'reward-current', 'aria-live': 'polite' });
  const tbody = el('tbody');
  const table = el(
    'table',
    { id: 'rewards-table', class: 'data rewards' },
    el('caption', null, `Reward functions for ${env.envId}`),
    el('thead', null, el('tr', null, ['Function', 'Origin', 'Description', 'Parameters'].map((h) => el('th', { scope: 'col' }, h)))),
    tbody,
  );
  const rows = new Map();
  for (const f of functions) {
    const nameCell = el('td', null, el('code', null, f.name));
    const tr = el(
      'tr',
      { dataset: { name: f.name } },
      nameCell,
      el('td', null, enumLabel(f.origin)),
      el('td', { class: 'desc' }, f.description || '—'),
      el('td', null, paramList(f.params)),
    );
    rows.set(f.name, { tr, nameCell });
    tbody.append(tr);
  }
  if (!functions.length) tbody.append(el('tr', null, el('td', { colspan: '4' }, 'This env type lists no reward functions.')));

  // ---- the form ----
  const select = el('select', { id: 'reward-select' }, functions.map((f) => el('option', { value: f.name }, `${f.name} (${enumLabel(f.origin)})`)));
  const paramsBox = el('div', { id: 'reward-params', class: 'row' });
  const submit = el('button', { id: 'reward-submit', type: 'submit', class: 'primary' }, 'Switch reward');
  const status = el('p', { class: 'muted', role: 'status', id: 'reward-status' });
  const form = el(
    'form',
    { id: 'reward-form', class: 'stack-form', novalidate: true },
    field('Reward function', select),
    el('fieldset', null, el('legend', null, 'Parameters (empty = the default)'), paramsBox),
    el('p', { class: 'muted small' }, 'Applies from the session’s next step on; refused while a training run drives the session.'),
    el('div', { class: 'actions' }, submit),
    status,
  );

  /** @type {Map<string, {spec: any, input: HTMLInputElement | HTMLSelectElement}>} */
  let inputs = new Map();
  function buildParams() {
    const f = byName.get(/** @type {HTMLSelectElement} */ (select).value);
    inputs = new Map();
    const params = f?.params ?? [];
    const values = f && f.name === current.rewardFunction ? current.rewardParams ?? {} : {};
    replace(paramsBox, params.length ? null : el('p', { class: 'muted' }, 'This function has no parameters.'));
    for (const p of params) {
      const inputId = `reward-param-${p.name}`;
      const value = p.name in values ? values[p.name] : p.defaultValue;
      let input;
      if (p.type === 'OPTION_TYPE_BOOL') {
        input = el('input', { id: inputId, type: 'checkbox', checked: Boolean(value) });
        paramsBox.append(el('div', { class: 'field' }, el('label', { class: 'check' }, input, ` ${p.name}`), el('small', { class: 'hint' }, p.description)));
      } else {
        if (p.type === 'OPTION_TYPE_STRING' && p.choices?.length) {
          input = el('select', { id: inputId }, p.choices.map((c) => el('option', { value: c, selected: c === value }, c)));
        } else {
          const numeric = p.type === 'OPTION_TYPE_NUMBER' || p.type === 'OPTION_TYPE_DOUBLE' || p.type === 'OPTION_TYPE_INT';
          input = el('input', { id: inputId, type: 'text', inputmode: numeric ? 'decimal' : null, autocomplete: 'off', spellcheck: 'false', value: value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value), class: 'narrow' });
        }
        paramsBox.append(field(p.name, input, `${p.description ?? ''}${rangeText(p) ? ` Range ${rangeText(p).replace(/^range /, '')}.` : ''} Default ${valueText(p.defaultValue)}.`));
      }
      inputs.set(p.name, { spec: p, input });
      if (!canWrite) /** @type {HTMLInputElement} */ (input).disabled = true;
    }
  }
  select.addEventListener('change', buildParams);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const rewardFunction = /** @type {HTMLSelectElement} */ (select).value;
    const rewardParams = {};
    for (const [name, { spec, input }] of inputs) {
      if (spec.type === 'OPTION_TYPE_BOOL') rewardParams[name] = /** @type {HTMLInputElement} */ (input).checked;
      else {
        const text = input.value.trim();
        if (text === '') continue;
        const numeric = spec.type === 'OPTION_TYPE_NUMBER' || spec.type === 'OPTION_TYPE_DOUBLE' || spec.type === 'OPTION_TYPE_INT';
        // Numbers as numbers; anything else as typed, for the server to judge.
        rewardParams[name] = numeric && text !== '' && Number.isFinite(Number(text)) ? Number(text) : spec.type === 'OPTION_TYPE_INT_LIST' ? parseList(text) : text;
      }
    }
    submit.disabled = true;
    setText(status, 'Switching…');
    try {
      const res = await api(`/v1/envs/${seg(env.id)}:setReward`, { body: { rewardFunction, rewardParams }, signal });
      const next = res.env ?? res;
      clearError('reward');
      setText(status, `The session now uses ${next.rewardFunction}.`);
      update(next);
      onChanged(next);
    } catch (e) {
      setText(status, '');
      showError(e, 'reward');
    } finally {
      submit.disabled = false;
    }
  });

  function update(next) {
    current = next;
    replace(currentEl, 'Current: ', el('code', null, current.rewardFunction || '(default)'), Object.keys(current.rewardParams ?? {}).length ? ` with ${Object.entries(current.rewardParams).map(([k, v]) => `${k} = ${valueText(v)}`).join(', ')}` : '');
    for (const [name, { tr, nameCell }] of rows) {
      const isCurrent = name === current.rewardFunction;
      tr.classList.toggle('current', isCurrent);
      if (isCurrent) tr.setAttribute('aria-current', 'true');
      else tr.removeAttribute('aria-current');
      const mark = nameCell.querySelector('.badge');
      if (isCurrent && !mark) nameCell.append(' ', el('span', { class: 'badge state-current' }, 'current'));
      if (!isCurrent && mark) mark.remove();
    }
  }

  if (!canWrite) {
    for (const control of form.querySelectorAll('select, input, button')) /** @type {HTMLInputElement} */ (control).disabled = true;
    form.prepend(el('p', { class: 'notice' }, `Only ${env.owner} (or an administrator) can switch this session’s reward.`));
  }
  root.append(currentEl, el('div', { class: 'table-wrap' }, table), el('h3', null, 'Switch the reward function'), form);
  if (byName.has(current.rewardFunction)) /** @type {HTMLSelectElement} */ (select).value = current.rewardFunction;
  buildParams();
  update(current);
  return { update: (next) => { if (next.rewardFunction !== current.rewardFunction || JSON.stringify(next.rewardParams) !== JSON.stringify(current.rewardParams)) update(next); } };
}

function rangeText(p) {
  const lo = p.minimum;
  const hi = p.maximum;
  if (lo === undefined && hi === undefined) return p.choices?.length ? `one of ${p.choices.join(', ')}` : '';
  return `range [${lo === undefined ? '−∞' : fmt(lo)}, ${hi === undefined ? '∞' : fmt(hi)}]`;
}

function parseList(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Parameters as a small list: name, default, range, description. */
function paramList(params) {
  if (!params?.length) return el('span', { class: 'muted' }, 'none');
  return el(
    'ul',
    { class: 'params' },
    params.map((p) =>
      el(
        'li',
        null,
        el('code', null, p.name),
        ` = ${valueText(p.defaultValue)}`,
        rangeText(p) ? el('span', { class: 'muted' }, ` ${rangeText(p)}`) : null,
        p.description ? el('div', { class: 'small muted' }, p.description) : null,
      ),
    ),
  );
}
