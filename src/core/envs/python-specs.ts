/**
 * The Python client's table of env type facts it needs before it has a server:
 * clients/python/src/gymhost/_env_specs.py, written by scripts/gen-python-env-specs.ts from
 * the env types. Importing gymhost registers "gymhost/<id>" with gymnasium from it (spec
 * fields max_episode_steps and reward_threshold); render_fps is the fallback for servers
 * whose ListEnvTypes does not report it. test/unit/python-env-specs.test.ts fails when the
 * committed file differs from pythonEnvSpecsSource().
 */

import type { EnvType } from './types.js';

/** The generated file, relative to the repository root. */
export const PYTHON_ENV_SPECS_PATH = 'clients/python/src/gymhost/_env_specs.py';

/** A Python literal of a number (floats keep a '.0', as Python prints them). */
function pyNumber(v: number, float: boolean): string {
  if (!Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
  return float && Number.isInteger(v) ? `${v}.0` : String(v);
}

/** The content of PYTHON_ENV_SPECS_PATH for these env types (in their order). */
export function pythonEnvSpecsSource(types: Iterable<EnvType>): string {
  const rows = [...types].map((t) => {
    const fps = pyNumber(t.renderFps, false);
    const steps = t.timeLimit === undefined ? 'None' : pyNumber(t.timeLimit, false);
    const threshold = t.rewardThreshold === undefined ? 'None' : pyNumber(t.rewardThreshold, true);
    return `    ${JSON.stringify(t.id)}: {"render_fps": ${fps}, "max_episode_steps": ${steps}, "reward_threshold": ${threshold}},`;
  });
  return `"""The server's env types as gymnasium's registry and RemoteEnv's metadata need them without a server.

Generated from the env types (src/core/envs/) by \`node --import tsx scripts/gen-python-env-specs.ts\`;
do not edit. test/unit/python-env-specs.test.ts fails when this file is out of date.
"""

from __future__ import annotations

#: env id -> render_fps (frames per second), max_episode_steps (gymnasium's TimeLimit; None when
#: only the server truncates, its limit depending on the config) and reward_threshold (None: none).
ENV_SPECS: dict[str, dict[str, int | float | None]] = {
${rows.join('\n')}
}
`;
}
