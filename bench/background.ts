/**
 * Background load: the CPU that processes other than the benchmark's own used while it
 * measured (Linux /proc), so a figure taken on a busy machine is flagged, and a wait for an
 * idle machine before measuring. The benchmark says what "its own" CPU is (this process, its
 * children, the servers it started).
 */
import { readFileSync } from 'node:fs';

/** Busy CPU seconds of the whole machine so far (Linux /proc/stat), or undefined. */
export function machineBusySeconds(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    return (f[0] + f[1] + f[2] + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) / 100; // USER_HZ
  } catch {
    return undefined;
  }
}

/** utime + stime (+ cutime + cstime of reaped children) of a process, seconds; 0 when it is gone. */
export function processCpuSeconds(pid: number | 'self', withChildren: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number); // f[0] is field 3 (state)
    return (f[11] + f[12] + (withChildren ? f[13] + f[14] : 0)) / 100; // USER_HZ
  } catch {
    return 0;
  }
}

/** Accumulates the cores other processes used during measured intervals. */
export class BackgroundMeter {
  /** Cores other processes used during the last measured interval alone. */
  last: number | null = null;
  private otherS = 0;
  private wallS = 0;
  private ok = machineBusySeconds() !== undefined;

  /** `ownCpuSeconds`: CPU seconds of the benchmark's own processes so far. */
  constructor(private readonly ownCpuSeconds: () => number) {}

  /** Runs fn (in this process or in processes `ownCpuSeconds` counts). */
  async measure<T>(fn: () => Promise<T> | T): Promise<T> {
    const b0 = machineBusySeconds();
    const c0 = this.ownCpuSeconds();
    const t0 = performance.now();
    const r = await fn();
    const wall = (performance.now() - t0) / 1000;
    const b1 = machineBusySeconds();
    const c1 = this.ownCpuSeconds();
    if (b0 === undefined || b1 === undefined) this.ok = false;
    else {
      const other = Math.max(0, b1 - b0 - (c1 - c0));
      this.otherS += other;
      this.wallS += wall;
      this.last = wall > 0 ? other / wall : null;
    }
    return r;
  }

  /** Mean cores used by other processes over every measured interval (null where /proc is missing). */
  cores(): number | null {
    return this.ok && this.wallS > 0 ? this.otherS / this.wallS : null;
  }
}

/**
 * Waits (up to maxS seconds) until other processes use less than `busyCores`, sampled over
 * 2 s windows. Returns the seconds waited, or -1 if it gave up.
 */
export async function waitIdle(maxS: number, busyCores: number, ownCpuSeconds: () => number, log: (s: string) => void): Promise<number> {
  if (maxS <= 0 || machineBusySeconds() === undefined) return 0;
  const t0 = performance.now();
  let told = false;
  for (;;) {
    const b0 = machineBusySeconds()!;
    const c0 = ownCpuSeconds();
    await new Promise<void>((resolve) => setTimeout(resolve, 2000));
    const other = (machineBusySeconds()! - b0 - (ownCpuSeconds() - c0)) / 2;
    const waited = (performance.now() - t0) / 1000;
    if (other < busyCores) {
      if (told) log(`  (machine idle again after ${waited.toFixed(0)} s)`);
      return waited;
    }
    if (waited >= maxS) {
      log(`  (still ${other.toFixed(2)} cores busy with other processes after ${waited.toFixed(0)} s; going on)`);
      return -1;
    }
    if (!told) log(`  (other processes use ${other.toFixed(2)} cores; waiting up to ${maxS} s for an idle machine)`);
    told = true;
  }
}
