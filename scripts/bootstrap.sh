#!/usr/bin/env bash
# Installs what inet-swarm needs on a fresh Debian machine, idempotently: a C++ toolchain for the demo
# simulation and Node.js 24 (enough for the local backend's quickstart).
#
# With --test, also what the test suite needs: GNU time for the benchmarks, Redis for the queue's
# integration tests (started per test run on a private port, never as a system service), distcc and
# ccache for the builder's tests (daemons on loopback, started by the tests), headless Chromium for
# the dashboard's browser test, and a running Docker engine for the swarm tests (scripts/ensure-docker.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=false
[[ "${1:-}" == "--test" ]] && for_tests=true

missing=()
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v git >/dev/null || missing+=(git)
if $for_tests; then
  [[ -x /usr/bin/time ]] || missing+=(time)
  command -v redis-server >/dev/null || missing+=(redis-server)
  # Driven by playwright-core, which downloads no browser of its own.
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  command -v distcc >/dev/null || missing+=(distcc)
  command -v ccache >/dev/null || missing+=(ccache)
fi
if ((${#missing[@]} > 0)); then
  echo "bootstrap: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
bash scripts/ensure-node24.sh
if $for_tests; then bash scripts/ensure-docker.sh; bash scripts/ensure-aws-tools.sh; fi
