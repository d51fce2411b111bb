#!/usr/bin/env bash
# Runs every test: proto lint + generated-code check, typecheck, the build (dist/), the Python
# venv (setup-python.sh), Chromium (setup-chromium.sh), PostgreSQL (setup-postgres.sh), nginx (setup-nginx.sh), TS unit, integration and browser tests
# (node:test via tsx; those that start `gymhost` run the compiled dist/), then the Python
# tests, then the Stable-Baselines3 tests in .venv-bench (setup-bench-python.sh).
# Every section runs even when an earlier one failed; the script fails at the end, naming
# the sections that failed.
set -uo pipefail
cd "$(dirname "$0")/.."
# Servers the tests start keep nothing unless a test gives its own --data-dir (never the
# developer's ./gymhost-data).
export GYMHOST_DATA_DIR=:memory:

failed=()
section() {
  local name="$1"
  shift
  echo "== $name"
  if ! "$@"; then
    echo "!! $name FAILED"
    failed+=("$name")
  fi
}

proto_checks() {
  npx buf lint || return 1
  if git rev-parse --verify -q main >/dev/null; then npx buf breaking --against '.git#branch=main' || return 1; fi
  local gen_check
  gen_check=$(mktemp -d)
  npx buf generate -o "$gen_check" &&
    npx buf build -o "$gen_check/src/gen/gymhost.binpb" &&
    npx buf build node_modules/grpc-health-check/proto -o "$gen_check/src/gen/health.binpb" || { rm -rf "$gen_check"; return 1; }
  if ! diff -r "$gen_check/src/gen" src/gen >/dev/null; then
    echo "src/gen is stale: run 'npm run gen' and commit"
    rm -rf "$gen_check"
    return 1
  fi
  rm -rf "$gen_check"
}

ts_tests() {
  local ts_tests
  mapfile -t ts_tests < <(find test -name '*.test.ts' | sort)
  node --import tsx --test --test-concurrency=2 "${ts_tests[@]}"
}

python_tests() {
  # test_sb3.py needs PyTorch + Stable-Baselines3: it runs in .venv-bench below.
  .venv/bin/python -m pytest -q test/python --ignore=test/python/test_sb3.py
}

# gymhost.sb3_vec_env against SB3's DummyVecEnv, PPO learning through it, and the SB3
# examples, in .venv-bench (bash scripts/setup-bench-python.sh: torch + stable-baselines3 from
# PyPI, ~5 GB and about a minute the first time, nothing when up to date). GYMHOST_REQUIRE_SB3
# makes a missing stable_baselines3 fail the run instead of skipping it.
sb3_tests() {
  GYMHOST_REQUIRE_SB3=1 .venv-bench/bin/python -m pytest -q -rs test/python/test_sb3.py \
    test/python/test_client_examples.py::test_sb3_dqn_cartpole
}

section "proto: buf lint, buf breaking against main, generated code up to date" proto_checks
section "typecheck" npx tsc -p .
# bin/gymhost.js runs dist/: the tests that start `gymhost` (and the Python tests) run the
# compiled server, so it is built from the sources under test first.
section "build (npm run build: src/ -> dist/)" npm run --silent build
# The Python environment first: the grading tests (TypeScript) run student code with it.
section "Python environment (.venv)" bash scripts/setup-python.sh
# The dashboard's browser tests (TypeScript) drive Debian's chromium.
section "Chromium for the browser tests" bash scripts/setup-chromium.sh
# The PostgreSQL store's tests start their own servers (test/helpers/postgres.ts) from Debian's binaries.
section "PostgreSQL for the store tests" bash scripts/setup-postgres.sh
# The replicas' tests put them behind Debian's nginx (test/helpers/nginx.ts).
section "nginx for the replica tests" bash scripts/setup-nginx.sh
section "TypeScript tests" ts_tests
section "Python tests" python_tests
section "Stable-Baselines3 environment (.venv-bench)" bash scripts/setup-bench-python.sh
section "Stable-Baselines3 tests" sb3_tests

if [ ${#failed[@]} -gt 0 ]; then
  printf '\nFAILED: %s\n' "$(IFS=', '; echo "${failed[*]}")"
  exit 1
fi
printf '\nAll test sections passed.\n'
