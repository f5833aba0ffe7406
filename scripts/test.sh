#!/usr/bin/env bash
# The whole test suite: lint, type check, and every vitest suite (unit, e2e on the demo simulation).
# Ends with one plain line `tests: N passed, M failed` so that any CI can read the outcome.
set -uo pipefail
cd "$(dirname "$0")/.."
npm run -s lint || exit 1
npm run -s typecheck || exit 1
npx vitest run "$@"
status=$?
node scripts/print-test-summary.mjs test-artifacts/vitest-report.json || status=1
exit $status
