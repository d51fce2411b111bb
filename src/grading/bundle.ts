/**
 * The Gradescope autograder bundle (`gymhost grade ASSIGNMENT --bundle autograder.zip`): a
 * zip with setup.sh and run_autograder at its root (Gradescope's contract), the compiled
 * gymhost it runs and the assignment. Gradescope unpacks it into /autograder/source, runs
 * setup.sh once when building the image, then run_autograder for each submission.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import type { Assignment } from './assignment.js';

interface Entry {
  readonly name: string;
  readonly data: Buffer;
  /** Unix permission bits. */
  readonly mode: number;
}

/**
 * The gymhost files the bundle carries: the compiled server (dist/, which must be built: `npm
 * run build`) and what installs it (no node_modules: setup.sh installs the production ones;
 * `npm ci` runs scripts/build.mjs, which keeps the carried dist/ when TypeScript is absent).
 */
const GYMHOST_PATHS = ['package.json', 'package-lock.json', 'scripts/build.mjs', 'bin', 'dist', 'clients/python'];
/** Left out wherever they are, except the top-level dist/ (its python/ is the client's wheels). */
const SKIP = /(^|\/)(node_modules|\.venv|__pycache__|build|[^/]*\.egg-info|tmp-debug)(\/|$)|^dist\/python(\/|$)|.\/dist(\/|$)/;

const SETUP = `#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image: Node.js 20, gymhost's
# packages, and a Python virtual environment with the gymhost client and NumPy.
set -euo pipefail
here="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  apt-get update -y && apt-get install -y ca-certificates curl xz-utils
  curl -fsSL https://nodejs.org/dist/v20.20.2/node-v20.20.2-linux-x64.tar.xz | tar -xJ -C /usr/local --strip-components=1
fi
cd "$here/gymhost"
npm ci --omit=dev
python3 -m venv "$here/venv"
"$here/venv/bin/python" -m pip install --upgrade pip
"$here/venv/bin/python" -m pip install numpy ./clients/python
`;

const RUN = `#!/usr/bin/env bash
# Gradescope runs this for each submission: the submission is in $ROOT/submission and the
# results go to $ROOT/results/results.json (ROOT is /autograder on Gradescope).
set -euo pipefail
here="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
root="\${GYMHOST_GRADESCOPE_ROOT:-/autograder}"
python="\${GYMHOST_PYTHON:-$here/venv/bin/python}"
exec node "$here/gymhost/bin/gymhost.js" grade "$here/assignment" --gradescope --gradescope-root "$root" --python "$python"
`;

function collect(root: string, rel: string, prefix: string, out: Entry[]): void {
  const abs = path.join(root, rel);
  const st = statSync(abs);
  if (SKIP.test(rel)) return;
  if (st.isDirectory()) {
    for (const name of readdirSync(abs).sort()) collect(root, path.posix.join(rel, name), prefix, out);
  } else if (st.isFile()) {
    out.push({ name: path.posix.join(prefix, rel), data: readFileSync(abs), mode: st.mode & 0o777 });
  }
}

/** Writes the Gradescope bundle of `assignment` (gymhost from `repo`) to `file`. */
export function buildBundle(assignment: Assignment, file: string, repo: string): void {
  if (!existsSync(path.join(repo, 'dist', 'cli.js'))) {
    throw new Error(`the bundle carries the compiled server, and ${path.join(repo, 'dist')} is not built: run npm run build in ${repo}`);
  }
  const entries: Entry[] = [
    { name: 'setup.sh', data: Buffer.from(SETUP), mode: 0o755 },
    { name: 'run_autograder', data: Buffer.from(RUN), mode: 0o755 },
  ];
  for (const p of GYMHOST_PATHS) collect(repo, p, 'gymhost', entries);
  collect(assignment.dir, '.', 'assignment', entries);
  writeFileSync(file, zip(entries.map((e) => ({ ...e, name: e.name.replace(/\/\.\//g, '/').replace(/\/\.$/, '') }))));
}

/** A zip archive (deflate) of `entries`, with their Unix modes. */
export function zip(entries: readonly Entry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const packed = deflateRawSync(e.data);
    const crc = crc32(e.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(0x00210000, 10); // time 00:00, date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, packed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by: Unix, 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((0o100000 | e.mode) << 16) >>> 0, 38); // regular file + mode
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + packed.length;
  }
  const centralSize = centrals.reduce((a, b) => a + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
