#!/usr/bin/env node
// Runs the compiled CLI in dist/ (`npm run build`, which `npm ci` and `npm pack` run through
// the `prepare` script). Plain node: no TypeScript loader at run time.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(`gymhost: ${fileURLToPath(entry)} is missing: the server is not built. Run \`npm run build\` in ${root} (\`npm ci\` builds it too).\n`);
  process.exit(1);
}
warnIfStale();
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));

/**
 * In a clone (src/ next to dist/), says so on stderr when a source file changed after the
 * last build: dist/ would run the old code. Installed packages have no src/.
 */
function warnIfStale() {
  const src = new URL('../src/', import.meta.url);
  const stamp = new URL('../dist/.build-stamp', import.meta.url);
  if (!existsSync(src) || !existsSync(stamp)) return;
  const built = statSync(stamp).mtimeMs;
  const dir = fileURLToPath(src);
  for (const name of readdirSync(dir, { recursive: true })) {
    if (statSync(dir + name).mtimeMs > built) {
      process.stderr.write(`gymhost: src/${name} changed after the last build; dist/ runs the old code until \`npm run build\`\n`);
      return;
    }
  }
}
