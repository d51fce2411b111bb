#!/usr/bin/env bash
# Runs every test: proto lint + generated-code check, typecheck, TS unit and integration
# tests (node:test via tsx), then the Python tests (a venv made by setup-python.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== proto: buf lint, buf breaking against main, generated code up to date"
npx buf lint
if git rev-parse --verify -q main >/dev/null; then npx buf breaking --against '.git#branch=main'; fi
gen_check=$(mktemp -d)
trap 'rm -rf "$gen_check"' EXIT
npx buf generate -o "$gen_check"
npx buf build -o "$gen_check/src/gen/gymhost.binpb"
npx buf build node_modules/grpc-health-check/proto -o "$gen_check/src/gen/health.binpb"
diff -r "$gen_check/src/gen" src/gen >/dev/null || { echo "src/gen is stale: run 'npm run gen' and commit"; exit 1; }

echo "== typecheck"
npx tsc -p .

echo "== TypeScript tests"
mapfile -t ts_tests < <(find test -name '*.test.ts' | sort)
node --import tsx --test --test-concurrency=2 "${ts_tests[@]}"

echo "== Python tests"
bash scripts/setup-python.sh
.venv/bin/python -m pytest -q test/python
