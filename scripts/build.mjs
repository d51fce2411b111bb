#!/usr/bin/env node
/**
 * `npm run build` (also the `prepare` script, so `npm ci` and `npm pack` run it): compiles
 * src/ to dist/ with tsc (tsconfig.build.json: JavaScript + source maps, same layout as src/)
 * and copies every other file of src/ that the server reads at run time (the dashboard in
 * web/static, the descriptor sets gen/*.binpb, grading/student_runner.py) to the same place
 * under dist/. dist/ is then self-contained: modules find their files next to themselves,
 * whether they run from src/ (through tsx, as the tests do) or from dist/ (bin/gymhost.js).
 *
 * src/server/workers/bootstrap.mjs is not copied: it only loads tsx for worker threads of a
 * server running from src/; the compiled pool starts dist/server/workers/worker.js itself.
 *
 * Without the dev dependencies (`npm ci --omit=dev`, which runs `prepare` too) there is no
 * TypeScript compiler: an existing dist/ is kept (the Docker image and the Gradescope bundle
 * carry one), otherwise the build fails saying so.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');
/** dist/python holds the Python client's wheel and sdist (docs/install.md): never touched here. */
const KEEP = new Set(['python']);
const NOT_COPIED = new Set([path.join('server', 'workers', 'bootstrap.mjs')]);
/** Written last: bin/gymhost.js compares its time with the sources' (a stale build warns). */
const STAMP = '.build-stamp';

function typescriptCompiler() {
  try {
    return path.join(path.dirname(createRequire(path.join(ROOT, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc');
  } catch {
    return undefined;
  }
}

function copyAssets(dir) {
  let copied = 0;
  for (const entry of readdirSync(path.join(SRC, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) copied += copyAssets(rel);
    else if (entry.isFile() && !entry.name.endsWith('.ts') && !NOT_COPIED.has(rel)) {
      mkdirSync(path.join(DIST, dir), { recursive: true });
      copyFileSync(path.join(SRC, rel), path.join(DIST, rel));
      copied++;
    }
  }
  return copied;
}

function main() {
  const tsc = typescriptCompiler();
  if (!tsc) {
    if (existsSync(path.join(DIST, 'cli.js'))) {
      console.log('gymhost build: typescript is not installed (dev dependencies omitted); keeping the existing dist/');
      return 0;
    }
    console.error('gymhost build: typescript is not installed, so dist/ cannot be built. Install the dev dependencies (npm ci, without --omit=dev) and run npm run build.');
    return 1;
  }
  if (existsSync(DIST)) {
    for (const name of readdirSync(DIST)) if (!KEEP.has(name)) rmSync(path.join(DIST, name), { recursive: true, force: true });
  }
  const started = Date.now();
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`gymhost build: tsc failed (${r.status ?? r.signal})`);
    return 1;
  }
  const assets = copyAssets('.');
  writeFileSync(path.join(DIST, STAMP), `${new Date().toISOString()}\n`);
  console.log(`gymhost build: src/ -> dist/ (${assets} asset files copied) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

process.exitCode = main();
