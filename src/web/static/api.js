// The REST API client: fetch with the user's token in an Authorization header, errors as
// ApiError (the server's {code, message, details}), newline-delimited JSON streams, and the
// page's error banner. The token lives in sessionStorage only; it is never put in a URL and
// never logged.

import { el, replace } from './dom.js';

const TOKEN_KEY = 'gymhost.token';

/** The stored API token, or "". */
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

/** @param {string} token */
export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An API failure: HTTP status (0 = network), the server's code, message and details. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code e.g. "INVALID_ARGUMENT", "NETWORK"
   * @param {string} message
   * @param {any[]} [details]
   */
  constructor(status, code, message, details = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The field the server blamed, if any. */
  get field() {
    return this.details?.[0]?.field ?? '';
  }
}

/** @type {(err: ApiError) => void} */
let onUnauthorized = () => {};

/** Called when any call answers 401 (the token is missing, unknown or rotated). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/**
 * @typedef {object} CallOptions
 * @property {string} [method]
 * @property {any} [body] JSON-encoded when given
 * @property {AbortSignal} [signal]
 * @property {string} [token] use this token instead of the stored one (login check)
 * @property {boolean} [quiet401] do not call the unauthorized handler on 401
 */

/**
 * Calls the API and returns the parsed JSON answer; throws ApiError.
 * @param {string} path e.g. "/v1/envs"
 * @param {CallOptions} [options]
 */
export async function api(path, options = {}) {
  const res = await send(path, options, 'application/json');
  const text = await res.text();
  const json = parseJson(text);
  if (!res.ok) throw errorOf(res, json, text, options);
  return json ?? {};
}

/**
 * Reads a newline-delimited JSON stream, calling onLine for each parsed line, until the
 * server ends it (resolves) or `signal` aborts (rejects with an AbortError). A line
 * {"error": {...}} becomes an ApiError.
 * @param {string} path
 * @param {(line: any) => void} onLine
 * @param {CallOptions} [options]
 */
export async function streamNdjson(path, onLine, options = {}) {
  const res = await send(path, options, 'application/x-ndjson, application/json');
  if (!res.ok) {
    const text = await res.text();
    throw errorOf(res, parseJson(text), text, options);
  }
  if (!res.body) throw new ApiError(0, 'NETWORK', 'this browser cannot read streamed answers');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let rest = '';
  const handle = (line) => {
    if (!line.trim()) return;
    const value = parseJson(line);
    if (value === undefined) throw new ApiError(0, 'INTERNAL', `the server sent a line that is not JSON: ${line.slice(0, 80)}`);
    if (value.error) throw new ApiError(httpOf(value.error.code), value.error.code ?? 'UNKNOWN', value.error.message ?? 'stream error', value.error.details);
    onLine(value);
  };
  try {
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (options.signal?.aborted) throw e;
        throw new ApiError(0, 'NETWORK', `the connection to the server was lost (${e?.message ?? e})`);
      }
      if (chunk.done) break;
      rest += decoder.decode(chunk.value, { stream: true });
      let start = 0;
      let nl;
      while ((nl = rest.indexOf('\n', start)) >= 0) {
        handle(rest.slice(start, nl));
        start = nl + 1;
      }
      rest = rest.slice(start);
    }
    rest += decoder.decode();
    handle(rest);
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** @param {string} path @param {CallOptions} options @param {string} accept */
async function send(path, options, accept) {
  const headers = { Accept: accept };
  const token = options.token ?? getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method: options.method ?? (options.body === undefined ? 'GET' : 'POST'), headers, signal: options.signal, cache: 'no-store' };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  try {
    return await fetch(path, /** @type {RequestInit} */ (init));
  } catch (e) {
    if (options.signal?.aborted) throw e;
    throw new ApiError(0, 'NETWORK', `cannot reach the gymhost server (${e?.message ?? e}); is it running?`);
  }
}

function parseJson(text) {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorOf(res, json, text, options) {
  const err = json && typeof json === 'object' && json.message
    ? new ApiError(res.status, json.code ?? 'UNKNOWN', json.message, json.details ?? [])
    : new ApiError(res.status, `HTTP_${res.status}`, `${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`);
  if (res.status === 401 && !options.quiet401) onUnauthorized(err);
  return err;
}

const HTTP_OF_CODE = { INVALID_ARGUMENT: 400, FAILED_PRECONDITION: 400, NOT_FOUND: 404, UNAUTHENTICATED: 401, PERMISSION_DENIED: 403, RESOURCE_EXHAUSTED: 429, UNAVAILABLE: 503 };
function httpOf(code) {
  return HTTP_OF_CODE[code] ?? 500;
}

/** True for the error an aborted fetch or stream throws (leaving a view). */
export function isAbort(e) {
  return e?.name === 'AbortError';
}

// ---- cached lookups (they do not change while the server runs) ----

const cache = new Map();

/** GET once per page load (env types, agent kinds). @param {string} path */
export function cachedGet(path) {
  if (!cache.has(path)) {
    const p = api(path).catch((e) => {
      cache.delete(path);
      throw e;
    });
    cache.set(path, p);
  }
  return cache.get(path);
}

/** Path segment for an id (ids are URL-safe, but never trust that). */
export const seg = (id) => encodeURIComponent(String(id));

// ---- the error banner ----

/** Errors shown now, by source (a background refresh clears its own error when it succeeds). */
const shown = new Map();

/**
 * Shows an error in the page's banner (role="alert"). `source` names who reported it, so a
 * later success of the same source can clear it; user actions use a fresh source each time.
 * @param {unknown} err ApiError, Error or string
 * @param {string} [source]
 */
export function showError(err, source = 'action') {
  if (isAbort(err)) return;
  const message = err instanceof ApiError
    ? `${err.message}${err.code && !err.code.startsWith('HTTP_') && err.code !== 'NETWORK' ? ` (${err.code})` : ''}`
    : err instanceof Error ? err.message : String(err);
  shown.delete(source);
  shown.set(source, message);
  renderBanner();
}

/** Clears the error of one source, or every error. @param {string} [source] */
export function clearError(source) {
  if (source === undefined) shown.clear();
  else if (!shown.delete(source)) return;
  renderBanner();
}

function renderBanner() {
  const banner = document.getElementById('error-banner');
  if (!banner) return;
  if (shown.size === 0) {
    replace(banner);
    return;
  }
  const messages = [...shown.values()];
  replace(
    banner,
    el('div', { class: 'banner-text' }, messages.length === 1 ? el('p', null, messages[0]) : el('ul', null, messages.map((m) => el('li', null, m)))),
    el('button', { type: 'button', class: 'banner-close', id: 'error-dismiss', 'aria-label': 'Dismiss error', onclick: () => clearError() }, '×'),
  );
}
