// The login form: asks for the API token, checks it with GET /v1/usage and keeps it in
// sessionStorage. The input has no name and the form no action: nothing is ever submitted
// by the browser itself, so the token cannot end up in a URL or a form post.

import { api, clearError, setToken, showError } from './api.js';
import { el } from './dom.js';

/**
 * @param {HTMLElement} root
 * @param {{onLogin: (usage: any) => void, message?: string}} opts
 */
export function mountLogin(root, { onLogin, message }) {
  const input = el('input', { id: 'token-input', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'token-hint' });
  const submit = el('button', { id: 'login-submit', type: 'submit', class: 'primary' }, 'Log in');
  const status = el('p', { class: 'muted', role: 'status', id: 'login-status' });
  const form = el(
    'form',
    { id: 'login-form', class: 'panel login', novalidate: true },
    el('h1', { id: 'view-title', tabindex: '-1' }, 'Log in to gymhost'),
    message ? el('p', { class: 'notice' }, message) : null,
    el('div', { class: 'field' }, el('label', { for: 'token-input' }, 'API token'), input),
    el('p', { id: 'token-hint', class: 'hint' }, 'The token your instructor or administrator gave you (made with ', el('code', null, 'gymhost users add'), '). It is kept in this browser tab only, until you log out or close the tab.'),
    el('div', { class: 'actions' }, submit),
    status,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = /** @type {HTMLInputElement} */ (input).value.trim();
    if (!token) {
      showError('Enter your API token.', 'login');
      input.focus();
      return;
    }
    submit.disabled = true;
    status.textContent = 'Checking the token…';
    try {
      const usage = await api('/v1/usage', { token, quiet401: true });
      setToken(token);
      /** @type {HTMLInputElement} */ (input).value = '';
      clearError('login');
      onLogin(usage);
    } catch (e) {
      status.textContent = '';
      showError(e?.status === 401 ? `That token was not accepted: ${e.message}` : e, 'login');
      input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  root.append(form);
  clearError();
  input.focus();
}
