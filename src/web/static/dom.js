// Tiny DOM helpers. Text always goes in through text nodes (textContent), never innerHTML, so
// server data cannot inject markup. No style attributes either (the page's CSP forbids them):
// styling is by class, or by el.style.* from script where a value is computed.

import { valueText } from './format.js';

/**
 * @typedef {Node | string | number | null | undefined | false | Child[]} Child
 */

/**
 * Creates an element.
 * attrs: `class`, `dataset` (object), `on<event>` (listener), `for`, aria-*, id, ... (attributes);
 * `value`, `checked`, `disabled`, `selected`, `hidden` are set as properties too. null/false skip.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'style') throw new Error('el(): no style attributes (CSP); use a class');
    else if (PROPS.has(key)) /** @type {any} */ (node)[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, ...children);
  return node;
}

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'indeterminate']);

/**
 * Appends children (strings become text nodes; arrays are flattened; null/false are skipped).
 * @param {Node} parent
 * @param {...Child} children
 */
export function append(parent, ...children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, ...child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
  return parent;
}

/** Removes every child of `node`. @param {Node} node */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** Replaces the children of `node`. @param {Node} node @param {...Child} children */
export function replace(node, ...children) {
  clear(node);
  return append(node, ...children);
}

/** Sets the text of `node` only when it changed (no needless layout or live-region noise). */
export function setText(node, text) {
  const s = String(text);
  if (node.textContent !== s) node.textContent = s;
}

/** An in-app link to a hash route. @param {string} route e.g. "/runs/abc" @param {Child} text */
export function link(route, text, attrs = {}) {
  return el('a', { href: `#${route}`, ...attrs }, text);
}

/**
 * A labelled form field: <div class="field"><label for=id>label</label> control [hint]</div>.
 * @param {string} label
 * @param {HTMLElement} control (must have an id)
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  const hintEl = hint ? el('small', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return el('div', { class: 'field' }, el('label', { for: control.id }, label), control, hintEl);
}

/** A <dl> of [term, value] pairs (values may be nodes). @param {[string, Child][]} pairs */
export function definitionList(pairs, attrs = {}) {
  return el('dl', { class: 'facts', ...attrs }, pairs.map(([term, value]) => [el('dt', null, term), el('dd', null, value)]));
}

/** A section with a heading. @param {Child} title @param {Record<string, any> | null} attrs @param {...Child} children */
export function section(title, attrs, ...children) {
  return el('section', { class: 'panel', ...attrs }, el('h2', null, title), ...children);
}

/** A state label with a colour class. @param {string} state @param {string} [title] */
export function badge(state, title) {
  return el('span', { class: `badge state-${state.replace(/[^a-z]/g, '')}`, title: title || null }, state);
}

/** A two-column table of key/value pairs (values as short text). @param {Record<string, any>} obj @param {string} [id] */
export function kvTable(obj, id) {
  const entries = Object.entries(obj ?? {}).filter(([, v]) => v !== undefined);
  return el(
    'table',
    { class: 'kv', id },
    el('tbody', null, entries.map(([k, v]) => el('tr', null, el('th', { scope: 'row' }, k), el('td', { class: 'mono' }, valueText(v))))),
  );
}
