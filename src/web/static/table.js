// A sortable table that updates in place: rows are keyed by id and a cell is rewritten only
// when its content changed, so an auto-refresh does not flicker, lose focus or scroll.
// Column headers are buttons; the sorted column carries aria-sort.

import { el, replace } from './dom.js';

/**
 * @typedef {object} Column
 * @property {string} key
 * @property {string} label
 * @property {(row: any) => any} [value] sort value (and default text)
 * @property {(row: any) => (Node | string)} [render] cell content (default: String(value))
 * @property {(row: any) => string} [sig] changes whenever render's output would (default: text of value)
 * @property {(cell: HTMLElement, row: any) => void} [update] called on every render to update a cell in place (e.g. a checkbox's state)
 * @property {'num' | 'str'} [type] sort as numbers or strings (default str)
 * @property {boolean} [sortable] default true
 * @property {string} [className]
 */

/**
 * @param {object} opts
 * @param {string} opts.id table id
 * @param {string} opts.caption
 * @param {Column[]} opts.columns
 * @param {(row: any) => string} opts.rowKey
 * @param {string} [opts.empty] text when there are no rows
 * @param {{key: string, dir: 1 | -1}} [opts.sort]
 * @param {boolean} [opts.showCaption] show the caption (else it is for screen readers only)
 */
export function createTable(opts) {
  const { columns, rowKey } = opts;
  let sort = opts.sort ?? null;
  /** @type {any[]} */
  let rows = [];
  /** @type {(row: any) => boolean} */
  let filter = () => true;
  const rowEls = new Map();

  const headCells = columns.map((col) => {
    const th = el('th', { scope: 'col', class: col.className?.includes('num') ? 'num' : null });
    if (col.sortable === false) th.append(col.label);
    else th.append(el('button', { type: 'button', class: 'sort', onclick: () => toggleSort(col.key) }, col.label, el('span', { class: 'sort-mark', 'aria-hidden': 'true' })));
    return th;
  });
  const tbody = el('tbody');
  const emptyRow = el('tr', { class: 'empty' }, el('td', { colspan: columns.length }, opts.empty ?? 'Nothing here yet.'));
  const countEl = el('span', { class: 'count' });
  const table = el('table', { id: opts.id, class: 'data' }, el('caption', { class: opts.showCaption ? null : 'sr-only' }, opts.caption, ' ', countEl), el('thead', null, el('tr', null, headCells)), tbody);
  const wrap = el('div', { class: 'table-wrap' }, table);

  function toggleSort(key) {
    sort = sort && sort.key === key ? { key, dir: sort.dir === 1 ? -1 : 1 } : { key, dir: 1 };
    render();
  }

  function cellSig(col, row) {
    if (col.sig) return col.sig(row);
    const v = col.value ? col.value(row) : row[col.key];
    return v === null || v === undefined ? '' : String(v);
  }

  function cellContent(col, row) {
    if (col.render) return col.render(row);
    const v = col.value ? col.value(row) : row[col.key];
    return v === null || v === undefined ? '' : String(v);
  }

  function compare(a, b) {
    const col = columns.find((c) => c.key === sort.key);
    if (!col) return 0;
    const va = col.value ? col.value(a) : a[col.key];
    const vb = col.value ? col.value(b) : b[col.key];
    const missA = va === null || va === undefined || (typeof va === 'number' && Number.isNaN(va));
    const missB = vb === null || vb === undefined || (typeof vb === 'number' && Number.isNaN(vb));
    if (missA || missB) return missA === missB ? 0 : missA ? 1 : -1; // missing values last either way
    const c = col.type === 'num' ? Number(va) - Number(vb) : String(va).localeCompare(String(vb), undefined, { numeric: true });
    return c * sort.dir;
  }

  function render() {
    headCells.forEach((th, i) => {
      const col = columns[i];
      if (sort && sort.key === col.key) th.setAttribute('aria-sort', sort.dir === 1 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
    const visible = rows.filter(filter);
    if (sort) visible.sort(compare);
    countEl.textContent = visible.length === rows.length ? `(${rows.length})` : `(${visible.length} of ${rows.length})`;

    const seen = new Set();
    const ordered = visible.map((row) => {
      const key = rowKey(row);
      seen.add(key);
      let entry = rowEls.get(key);
      if (!entry) {
        const tr = el('tr', { dataset: { id: key } });
        const cells = columns.map((col) => el('td', { class: col.className, dataset: { col: col.key } }));
        tr.append(...cells);
        entry = { tr, cells, sigs: columns.map(() => null) };
        rowEls.set(key, entry);
      }
      columns.forEach((col, i) => {
        const sig = cellSig(col, row);
        if (sig !== entry.sigs[i]) {
          entry.sigs[i] = sig;
          replace(entry.cells[i], cellContent(col, row));
        }
        col.update?.(entry.cells[i], row);
      });
      return entry.tr;
    });
    for (const [key, entry] of rowEls) {
      if (!seen.has(key)) {
        entry.tr.remove();
        rowEls.delete(key);
      }
    }
    // Reorder only when the order changed (moving a row with focus in it would drop the focus).
    const current = [...tbody.children].filter((tr) => tr !== emptyRow);
    const same = current.length === ordered.length && current.every((tr, i) => tr === ordered[i]);
    if (!same) {
      const focused = tbody.contains(document.activeElement) ? /** @type {HTMLElement} */ (document.activeElement) : null;
      for (const tr of ordered) tbody.appendChild(tr);
      if (focused && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
    }
    if (ordered.length === 0) {
      if (emptyRow.parentNode !== tbody) tbody.appendChild(emptyRow);
    } else emptyRow.remove();
  }

  return {
    element: wrap,
    /** Text "(n)" or "(k of n)": the rows shown. */
    get countText() {
      return countEl.textContent;
    },
    table,
    /** Replaces the rows (keyed; unchanged cells stay as they are). @param {any[]} next */
    update(next) {
      rows = next;
      render();
    },
    /** @param {(row: any) => boolean} fn */
    setFilter(fn) {
      filter = fn;
      render();
    },
    /** Re-renders cells whose signature changed (e.g. after a selection change). */
    refresh: render,
    /** The rows shown now, in order. */
    visibleRows() {
      const visible = rows.filter(filter);
      if (sort) visible.sort(compare);
      return visible;
    },
  };
}
