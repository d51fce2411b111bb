/**
 * Summarises V8 CPU profiles (node --cpu-prof) as text: self time by function and by file or
 * package, and inclusive time of the functions in this repo's src/.
 *
 *   node --import tsx bench/profile-summary.ts PROFILE.cpuprofile [...more] [--top 25]
 *
 * e.g. profile the server of the RPC benchmark:
 *   node --import tsx bench/rpc-loopback.ts --no-peer --only stream --profile-server /tmp/prof
 *   node --import tsx bench/profile-summary.ts /tmp/prof/*.cpuprofile
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './lib.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  let p = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const nm = p.lastIndexOf('node_modules/');
  if (nm >= 0) return p.slice(nm + 'node_modules/'.length);
  if (p.startsWith(REPO_ROOT)) p = path.relative(REPO_ROOT, p);
  return p;
}

/** The bucket a file belongs to: an npm package, node's own lib, or a file of this repo. */
function bucket(url: string): string {
  const s = shortUrl(url);
  if (s === '(native)') return '(native/V8: GC, idle, builtins)';
  if (s.startsWith('node:')) return 'node: core';
  const m = /^(@[^/]+\/[^/]+|[^/]+)\//.exec(s);
  if (url.includes('node_modules/') && m) return m[1];
  return s;
}

export function summarise(file: string, top: number): string {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idleIds = new Set(prof.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const idle = [...idleIds].reduce((a, id) => a + (selfUs.get(id) ?? 0), 0);
  const busy = total - idle;

  const key = (f: CallFrame) => `${f.functionName || '(anonymous)'}  ${shortUrl(f.url)}:${f.lineNumber + 1}`;
  const selfByFn = new Map<string, number>();
  const selfByBucket = new Map<string, number>();
  const inclusiveSrc = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (idleIds.has(id)) continue;
    const n = byId.get(id)!;
    selfByFn.set(key(n.callFrame), (selfByFn.get(key(n.callFrame)) ?? 0) + us);
    const b = bucket(n.callFrame.url);
    selfByBucket.set(b, (selfByBucket.get(b) ?? 0) + us);
    // Inclusive time of this repo's src/ functions: walk up the stack once per distinct frame.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      const s = shortUrl(f.url);
      if (s.startsWith('src/') && !s.startsWith('src/gen/')) {
        const k = key(f);
        if (!seen.has(k)) {
          seen.add(k);
          inclusiveSrc.set(k, (inclusiveSrc.get(k) ?? 0) + us);
        }
      }
    }
  }
  const pct = (us: number) => `${((100 * us) / Math.max(busy, 1)).toFixed(1).padStart(5)}%`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(6)} ms`;
  const list = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${pct(us)} ${ms(us)}  ${k}`)
      .join('\n');
  return [
    `== ${file}`,
    `sampled ${ms(total).trim()}, busy ${ms(busy).trim()} (${((100 * busy) / Math.max(total, 1)).toFixed(0)}%), idle ${ms(idle).trim()}; percentages are of busy time`,
    `-- self time by package / file`,
    list(selfByBucket, 15),
    `-- self time by function (top ${top})`,
    list(selfByFn, top),
    `-- inclusive time of src/ functions (generated code excluded)`,
    list(inclusiveSrc, 15),
  ].join('\n');
}

function main(): number {
  const argv = process.argv.slice(2);
  let top = 25;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') top = Number(argv[++i]);
    else files.push(argv[i]);
  }
  if (files.length === 0) {
    console.error('usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile [...] [--top N]');
    return 2;
  }
  for (const f of files) console.log(summarise(f, top) + '\n');
  return 0;
}

process.exitCode = main();
