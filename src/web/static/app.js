// The dashboard shell: who am I (GET /v1/usage), login when the server wants a token,
// the header, the error banner and hash routing to the views.
//
// Element ids for tests (Playwright):
//   shell     #whoami (user and role), #logout-button, #error-banner (role="alert"; the server's
//             message, plus a "×" #error-dismiss button), #main, #view-title (each view's h1;
//             "Not found" for an unknown or invisible resource)
//   login     #login-form, #token-input, #login-submit, #login-status
//   overview  #filter-text (one text filter for all three tables: ids, owner, env, config...),
//             #filter-owner, #filter-state (run state), #envs-table, #agents-table, #runs-table
//             (each <tr> has data-id = the resource id; the runs table's checkboxes are
//             input.run-select with value = the run id), #compare-button, #overview-status;
//             #new-env-form (#new-env-type, #new-env-seed, #new-env-config, #new-env-submit)
//   env       #env-info, #env-config, #env-agents-table, #env-delete, #new-agent-form
//             (#new-agent-preset, #new-agent-kind, #new-agent-seed, #new-agent-config,
//             #new-agent-submit); rewards: #reward-current, #rewards-table (rows data-name; the
//             current one has class "current"), #reward-form, #reward-select,
//             #reward-param-<name> inputs, #reward-submit, #reward-status
//   agent     #agent-info, #agent-state, #agent-config, #agent-runs-table, #agent-delete,
//             #train-form (#train-episodes, #train-steps: typing one clears the other;
//             #train-eval-every, #train-eval-episodes, #train-eval-seed, #train-keep-best,
//             #train-stop-at, #train-start), #play-form (#play-seed, #play-env, #play-button,
//             #play-status); player (plays on load): #player, #player-canvas (focusable; space,
//             arrows, Home/End), #player-play, #player-step-back, #player-step-forward,
//             #player-restart, #player-speed, #player-slider, #player-frame ("step k / n"),
//             #player-info, #player-lights-off (grid only); heat map: #q-heatmap (canvas),
//             #q-heatmap-refresh, #q-heatmap-status (on scenes that are not grids, the note why
//             there is no heat map), #q-heatmap-scale, #q-heatmap-readout
//   run       #run-state, #run-episodes (episode records received and charted), #run-received,
//             #run-live-status, #run-notice, #run-cancel, #run-pause, #run-again, #run-reconnect,
//             #ma-window, #run-info, #run-config, #chart-return, #chart-length, #chart-loss,
//             #chart-epsilon (each holds a uPlot canvas), #run-evaluations
//   compare   #compare-window, #compare-chart, #compare-runs (rows data-id), #compare-diff
//             (rows data-key, class "differs" where values differ)
//
// Routes: #/ (overview), #/envs/ID, #/agents/ID, #/runs/ID, #/compare?runs=A,B,C

import { api, clearError, clearToken, setUnauthorizedHandler, showError } from './api.js';
import { el, replace, setText } from './dom.js';
import { enumLabel } from './format.js';
import { mountLogin } from './login.js';
import { overviewView } from './overview.js';
import { envView } from './env-view.js';
import { agentView } from './agent-view.js';
import { runView } from './run-view.js';
import { compareView } from './compare.js';

/**
 * What a view gets: the caller, the route's parameters, and ways to clean up when the user
 * leaves (an AbortSignal for fetches and streams, timers that stop themselves).
 */
export class ViewContext {
  /** @param {any} me GET /v1/usage answer @param {Record<string, string>} params @param {URLSearchParams} query */
  constructor(me, params, query) {
    this.me = me;
    this.params = params;
    this.query = query;
    this.controller = new AbortController();
    /** @type {(() => void)[]} */
    this.cleanups = [];
  }

  get signal() {
    return this.controller.signal;
  }

  get left() {
    return this.controller.signal.aborted;
  }

  /**
   * Whether the caller may change a resource of `owner` (its own, or any as an admin);
   * instructors only read and delete other users' resources.
   * @param {string} owner
   */
  canWrite(owner) {
    return this.me.role === 'ROLE_ADMIN' || owner === this.me.user;
  }

  /** Runs fn when the view is left. @param {() => void} fn */
  onLeave(fn) {
    this.cleanups.push(fn);
  }

  /**
   * Calls fn now and then every `ms` (after the previous call finished) until the view is
   * left; errors go to the banner under `source` and clear when a later call succeeds.
   */
  every(ms, fn, source = `poll:${Math.random()}`) {
    let timer = 0;
    const tick = async () => {
      if (this.left) return;
      try {
        await fn();
        clearError(source);
      } catch (e) {
        if (!this.left) showError(e, source);
      }
      if (!this.left) timer = window.setTimeout(tick, ms);
    };
    this.onLeave(() => clearTimeout(timer));
    tick();
    return { now: () => { clearTimeout(timer); tick(); } };
  }

  leave() {
    this.controller.abort();
    for (const fn of this.cleanups.splice(0)) {
      try {
        fn();
      } catch (e) {
        console.error(e);
      }
    }
  }
}

const ROUTES = [
  { pattern: /^\/?$/, view: overviewView, names: [] },
  { pattern: /^\/envs\/([^/?]+)$/, view: envView, names: ['id'] },
  { pattern: /^\/agents\/([^/?]+)$/, view: agentView, names: ['id'] },
  { pattern: /^\/runs\/([^/?]+)$/, view: runView, names: ['id'] },
  { pattern: /^\/compare$/, view: compareView, names: [] },
];

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const whoami = /** @type {HTMLElement} */ (document.getElementById('whoami'));
const logoutButton = /** @type {HTMLButtonElement} */ (document.getElementById('logout-button'));

/** @type {any} */
let me = null;
/** @type {ViewContext | null} */
let current = null;
let lastRoute = '';
/** False until the first view was shown (the first view does not take the focus). */
let initialised = false;

function leaveView() {
  current?.leave();
  current = null;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  return { path: q >= 0 ? raw.slice(0, q) : raw, query: new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '') };
}

async function route() {
  if (!me) return;
  const { path, query } = parseHash();
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  const routeKey = `${path}?${query}`;
  const sameRoute = routeKey === lastRoute;
  lastRoute = routeKey;
  leaveView();
  clearError();
  replace(main);
  if (!match) {
    main.append(el('h1', { id: 'view-title', tabindex: '-1' }, 'Not found'), el('p', null, 'There is no page at this address. ', el('a', { href: '#/' }, 'Back to the overview')));
    return;
  }
  /** @type {Record<string, string>} */
  const params = {};
  match.r.names.forEach((name, i) => (params[name] = decodeURIComponent(match.m[i + 1])));
  const ctx = new ViewContext(me, params, query);
  current = ctx;
  try {
    await match.r.view(main, ctx);
  } catch (e) {
    if (ctx.left) return;
    if (e?.status === 404) {
      // The resource does not exist (or belongs to another student): say so in the page.
      replace(main, el('h1', { id: 'view-title', tabindex: '-1' }, 'Not found'), el('p', null, `${e.message}. `, el('a', { href: '#/' }, 'Back to the overview')));
    } else showError(e, 'view');
  }
  // Move focus to the new view's title (not on the first load, and not on a re-render).
  if (!ctx.left && !sameRoute && document.activeElement !== document.getElementById('token-input')) {
    const title = document.getElementById('view-title');
    if (title && initialised) title.focus({ preventScroll: false });
  }
  initialised = true;
}

function renderWho() {
  if (!me) {
    setText(whoami, '');
    logoutButton.hidden = true;
    return;
  }
  replace(whoami, el('span', { class: 'user' }, me.user), ' ', el('span', { class: 'role' }, enumLabel(me.role)), me.authentication ? null : el('span', { class: 'muted' }, ' (no authentication)'));
  logoutButton.hidden = !me.authentication;
}

/** @param {string} [message] why the login is shown */
function showLogin(message) {
  me = null;
  lastRoute = '';
  leaveView();
  renderWho();
  replace(main);
  mountLogin(main, {
    message,
    onLogin: (usage) => {
      me = usage;
      clearError();
      renderWho();
      route();
    },
  });
}

async function start() {
  renderWho();
  replace(main, el('p', { class: 'muted', role: 'status' }, 'Loading…'));
  try {
    me = await api('/v1/usage', { quiet401: true });
  } catch (e) {
    if (e?.status === 401) {
      showLogin();
      return;
    }
    replace(main, el('h1', { id: 'view-title', tabindex: '-1' }, 'gymhost'), el('p', null, 'The dashboard could not reach the server.'), el('button', { type: 'button', onclick: start }, 'Try again'));
    showError(e, 'start');
    return;
  }
  clearError('start');
  renderWho();
  route();
}

setUnauthorizedHandler((err) => {
  if (!me) return;
  clearToken();
  showLogin(`Your session ended: ${err.message}`);
});

logoutButton.addEventListener('click', () => {
  clearToken();
  clearError();
  showLogin('You are logged out.');
});

document.getElementById('skip-link')?.addEventListener('click', () => main.focus());
window.addEventListener('hashchange', route);
start();
