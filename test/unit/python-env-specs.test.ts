/** The Python client's generated table of env types (clients/python/src/gymhost/_env_specs.py) matches the env types. */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PYTHON_ENV_SPECS_PATH, pythonEnvSpecsSource } from '../../src/core/envs/python-specs.js';
import { envTypes } from '../../src/core/envs/registry.js';

describe('Python env specs table', () => {
  it('is what scripts/gen-python-env-specs.ts writes from the env types (run it if this fails)', () => {
    const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', PYTHON_ENV_SPECS_PATH);
    assert.equal(readFileSync(file, 'utf8'), pythonEnvSpecsSource(envTypes.values()));
  });

  it('has a row per env type with its fps, time limit and threshold', () => {
    const text = pythonEnvSpecsSource(envTypes.values());
    for (const t of envTypes.values()) assert.match(text, new RegExp(`"${t.id}": \\{"render_fps": ${t.renderFps},`));
    assert.match(text, /"CartPole-v1": \{"render_fps": 50, "max_episode_steps": 500, "reward_threshold": 475\.0\}/);
    assert.match(text, /"GridWorld-v0": \{"render_fps": 8, "max_episode_steps": None, "reward_threshold": None\}/);
  });
});
