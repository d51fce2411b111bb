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

/**
 * A one-line progress bar: `[###############---------------] 50/100 (50%) label`. The bar and
 * the percentage are rounded down, so a full bar and 100% mean the count was reached; the
 * numbers are the true ones (never clamped to the total).
 */
export function progressBar(done: number, total: number, label: string, width = 30): string {
  // (done * 100) / total, not (done / total) * 100: 29/100 must be 29%, not 28.999...%.
  const share = (scale: number) => (total > 0 ? Math.max(0, Math.floor((done * scale) / total)) : 0);
  const filled = Math.min(width, share(width));
  const percent = share(100);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} (${percent}%) ${label}`;
}
