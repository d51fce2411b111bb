/**
 * Writes clients/python/src/gymhost/_env_specs.py from the server's env types (see
 * src/core/envs/python-specs.ts). Run after adding an env type or changing its render fps,
 * time limit or reward threshold:
 *
 *   node --import tsx scripts/gen-python-env-specs.ts           # rewrite the file
 *   node --import tsx scripts/gen-python-env-specs.ts --check   # exit 1 if it is stale
 */

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON_ENV_SPECS_PATH, pythonEnvSpecsSource } from '../src/core/envs/python-specs.js';
import { envTypes } from '../src/core/envs/registry.js';

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', PYTHON_ENV_SPECS_PATH);
const want = pythonEnvSpecsSource(envTypes.values());
if (process.argv.includes('--check')) {
  let have = '';
  try {
    have = readFileSync(file, 'utf8');
  } catch {
    // Missing counts as stale.
  }
  if (have !== want) {
    console.error(`${PYTHON_ENV_SPECS_PATH} is stale: run node --import tsx scripts/gen-python-env-specs.ts`);
    process.exit(1);
  }
} else {
  writeFileSync(file, want);
  console.log(`wrote ${PYTHON_ENV_SPECS_PATH}`);
}
