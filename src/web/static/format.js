// Formatting of server values for display: numbers, ages, states, configs.

/** "RUN_STATE_RUNNING" -> "running"; "ROLE_STUDENT" -> "student". @param {string} [e] */
export function enumLabel(e) {
  if (!e) return '';
  return e.replace(/^(RUN_STATE|ROLE|REWARD_ORIGIN|OPTION_TYPE|RENDER_MODE|AUTORESET_MODE)_/, '').toLowerCase();
}

/** proto3 JSON doubles may be "NaN" / "Infinity" strings: the number, or NaN. */
export function num(v) {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  return NaN;
}

/** A number for display: up to `digits` significant decimals, "—" for NaN/missing. */
export function fmt(v, digits = 3) {
  const n = num(v);
  if (!Number.isFinite(n)) return n === Infinity ? '∞' : n === -Infinity ? '−∞' : '—';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) return n.toExponential(2);
  return n.toLocaleString('en-US', { maximumFractionDigits: abs >= 100 ? 1 : digits });
}

/** Milliseconds as "850 ms", "12.3 s", "4 min 2 s". */
export function fmtDuration(ms) {
  const n = num(ms);
  if (!Number.isFinite(n)) return '—';
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60_000) return `${(n / 1000).toFixed(1)} s`;
  const s = Math.round(n / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Age of an RFC 3339 time: "12 s", "5 min", "3 h", "2 d". */
export function age(time, now = Date.now()) {
  const t = Date.parse(time ?? '');
  if (!Number.isFinite(t)) return '—';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** A local date-time for a title/tooltip. */
export function dateTime(time) {
  const t = Date.parse(time ?? '');
  return Number.isFinite(t) ? new Date(t).toLocaleString() : '—';
}

/** A JSON value as short text. */
export function valueText(v) {
  if (v === undefined) return '—';
  if (typeof v === 'string') return v === '' ? '""' : v;
  if (typeof v === 'number') return fmt(v, 6);
  return JSON.stringify(v);
}

/**
 * A config object in one short line: "world=small_maze encoding=index ...", at most `max` chars.
 * Keys whose value equals `skip[key]` (e.g. defaults) are left out.
 */
export function shortConfig(config, max = 60, skip = {}) {
  if (!config || typeof config !== 'object') return '';
  const parts = Object.entries(config)
    .filter(([k, v]) => !(k in skip && JSON.stringify(skip[k]) === JSON.stringify(v)))
    .map(([k, v]) => `${k}=${valueText(v)}`);
  const text = parts.join(' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Flattens nested objects into {"a.b": value}; arrays stay whole values. */
export function flatten(obj, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(obj ?? {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out);
    else out[key] = v;
  }
  return out;
}

/** The budget of a TrainRequest: "500 episodes" or "30,000 steps". */
export function budget(request) {
  if (!request) return '—';
  const eps = num(request.episodes);
  const steps = num(request.steps);
  if (eps > 0) return `${fmt(eps)} episodes`;
  if (steps > 0) return `${fmt(steps)} steps`;
  return '—';
}
