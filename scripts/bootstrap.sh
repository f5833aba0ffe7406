#!/usr/bin/env bash
# Installs what inet-swarm's quickstart and test suite need on a fresh Debian machine, idempotently:
# a C++ toolchain for the demo simulation, GNU time for the benchmarks, Redis for the queue's
# integration tests (started per test run on a private port, never as a system service), and Node.js 24.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
[[ -x /usr/bin/time ]] || missing+=(time)
command -v git >/dev/null || missing+=(git)
command -v redis-server >/dev/null || missing+=(redis-server)
if ((${#missing[@]} > 0)); then
  echo "bootstrap: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
bash scripts/ensure-node24.sh
