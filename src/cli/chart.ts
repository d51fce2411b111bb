/**
 * A text chart of a series (e.g. episode returns): `height` rows by up to `width`
 * columns, each column the mean of its bucket of points, with the y range on the left.
 */
export function textChart(values: readonly number[], width = 60, height = 12): string {
  if (values.length === 0) return '(no episodes)';
  const columns = Math.min(width, values.length);
  const means: number[] = [];
  for (let c = 0; c < columns; c++) {
    const from = Math.floor((c * values.length) / columns);
    const to = Math.max(from + 1, Math.floor(((c + 1) * values.length) / columns));
    let sum = 0;
    for (let i = from; i < to; i++) sum += values[i];
    means.push(sum / (to - from));
  }
  const lo = Math.min(...means);
  const hi = Math.max(...means);
  const span = hi - lo || 1;
  const rows: string[] = [];
  const label = (v: number) => v.toFixed(Math.abs(v) >= 100 ? 0 : 1).padStart(8);
  for (let r = height - 1; r >= 0; r--) {
    const threshold = lo + (span * (r + 0.5)) / height;
    const line = means.map((m) => (m >= threshold ? '#' : ' ')).join('');
    const y = r === height - 1 ? label(hi) : r === 0 ? label(lo) : ' '.repeat(8);
    rows.push(`${y} |${line}`);
  }
  rows.push(`${' '.repeat(8)} +${'-'.repeat(columns)}`);
  rows.push(`${' '.repeat(10)}episode 1${' '.repeat(Math.max(1, columns - 9 - String(values.length).length - 8))}episode ${values.length}`);
  return rows.join('\n');
}

/** A one-line progress bar: `[#####-----] 50/100 label`. */
export function progressBar(done: number, total: number, label: string, width = 30): string {
  const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${label}`;
}
